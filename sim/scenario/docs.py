"""The scenario JSON Schema and the Markdown reference generated from it (docs/scenario.md)."""

from __future__ import annotations

import json
from typing import Any

from sim.policies import Dispatcher, LocalScheduler, Placement
from sim.scenario.reading import (
    LARGEST_NUMBER,
    LARGEST_WHOLE,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
)
from sim.scenario.schema import MAX_COUNT, MAX_SECONDS, Scenario
from sim.scenario.schema.base import MAX_GROWTH, NAME_MAX_LENGTH

INTRO = """\
# Scenario file reference

Generated from the JSON Schema by `capsim schema --format markdown`; do not edit by hand
(a test fails when it drifts from the code).

A scenario is a YAML file. Unknown keys are errors. Quantities take human units:

- durations: a number of seconds, or `90s`, `15min`, `6h`, `30d`, `2w`, `1y` (365 d);
- rates: a number per second, or `200/d`, `12/h`, `3/2h`;
- power: a number of watts, or `10.2kW`, `120MW`;
- growth: a fraction per year, or `60%/y`, `5%/30d` (compounding);
- capacity: `count` accelerators, `pflops` (1 P = 1 PFLOPS dense FP16/BF16), `cabinets` of
  `kw_per_cabinet` IT power filled with whole servers, or `phases` over time; a center with
  several `pools` gives `count`, `pflops` or `phases` per pool;
- work: a number of FLOP or `4.2e22 FLOP`, `42 ZFLOP`; counts such as parameters and tokens
  as numbers (`7e9`, which YAML reads as text, is accepted).

Inference loads (`inference`) hold round(peak x profile[hour]) accelerators of their center
(of its pool of `accelerator`, for a center with pools) each hour of the day, ahead of
training but without preempting it: training may use what is installed minus what inference
wants; inference gets accelerators as training jobs end, and what it cannot get is reported as
`inference_shortfall_h`. A center's `power_cap` bounds its facility power (IT power at full
load x `pue`) of the most accelerators ever installed.

Distributions are chosen by `kind`. Durations may use every kind; job sizes (whole
accelerators) use `fixed`, `uniform` (whole numbers, inclusive), `choice` or `empirical`;
work, parameters and tokens use `fixed`, `uniform`, `choice` or `lognormal`, or a bare number.
"""


def limits() -> str:
    """The name rule and the bounds every scenario is held to, from the constants that apply
    them (so this text cannot drift from the checks)."""
    return f"""\
Names of cities, centers, accelerators, workload classes, inference loads and variants are
letters of any script (`深圳`, `前海`), digits, `_` and `-`, starting with a letter or a digit,
at most {NAME_MAX_LENGTH} characters: no spaces, dots, slashes, control characters or other
punctuation, so a name is safe in file names, Parquet columns, tables and messages.

Every number must be finite. Whole numbers are at most {LARGEST_WHOLE:.3g} in size, and
plain numbers lie between {1 / LARGEST_NUMBER:g} and {LARGEST_NUMBER:g} in size, or are 0. A
quantity keeps to its own range: a duration is 0 or 1e-06 s to {MAX_SECONDS:g} s, a rate 0 or
1e-12 to 1e+09 per second, growth at most {MAX_GROWTH:g} per year, and a pool holds at most
{MAX_COUNT:.0e} accelerators (`count`, `pflops` or `cabinets`). A scenario file is a regular
file of at most {MAX_FILE_BYTES // 2**20} MB that nests at most {MAX_DEPTH} levels and expands
to at most {MAX_NODES:.0e} values (each use of a YAML alias counted).
"""


def schema_json() -> dict[str, Any]:
    """The JSON Schema of a scenario file."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "capsim scenario"
    return schema


def schema_markdown() -> str:
    """docs/scenario.md: every section and key with type, default and description."""
    schema = schema_json()
    definitions: dict[str, Any] = schema.get("$defs", {})
    parts = [INTRO, limits(), _section("Scenario (top level)", schema)]
    for name in sorted(definitions):
        parts.append(_section(name, definitions[name]))
    parts.append(_policies())
    return "\n".join(parts)


def _section(title: str, model: dict[str, Any]) -> str:
    lines = [f"## {title}", ""]
    if model.get("description"):
        lines += [" ".join(model["description"].split()), ""]
    required = set(model.get("required", []))
    lines += ["| key | type | default | description |", "|---|---|---|---|"]
    for key, spec in model.get("properties", {}).items():
        default = "required" if key in required else _default(spec)
        description = " ".join(str(spec.get("description", "")).split())
        lines.append(f"| `{key}` | {_type(spec)} | {default} | {_cell(description)} |")
    return "\n".join(lines) + "\n"


def _default(spec: dict[str, Any]) -> str:
    if "default" not in spec:
        return "see its section" if "$ref" in spec else "empty"
    return f"`{json.dumps(spec['default'])}`"


def _type(spec: dict[str, Any]) -> str:
    if "$ref" in spec:
        name = spec["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "const" in spec:
        return f"`{json.dumps(spec['const'])}`"
    if "enum" in spec:
        return " or ".join(f"`{json.dumps(v)}`" for v in spec["enum"])
    for union in ("anyOf", "oneOf"):
        if union in spec:
            return " or ".join(_type(member) for member in spec[union])
    kind = spec.get("type")
    if kind == "array":
        return f"list of {_type(spec.get('items', {}))}"
    if kind == "object":
        values = spec.get("additionalProperties")
        if not isinstance(values, dict):
            patterns = list(spec.get("patternProperties", {}).values())
            values = patterns[0] if patterns else None
        return f"mapping name → {_type(values)}" if isinstance(values, dict) else "mapping"
    if kind == "null":
        return "null"
    return str(kind) if kind else "any"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _policies() -> str:
    lines = ["## Policies", "", "Local policies (`scheduling.local`):", ""]
    for name, cls in sorted(LocalScheduler.registry.items()):
        lines.append(f"- `{name}`: {_first_paragraph(cls.__doc__)}")
    lines += ["", "Dispatch policies (`dispatch`):", ""]
    for name, dispatch_cls in sorted(Dispatcher.registry.items()):
        lines.append(f"- `{name}`: {_first_paragraph(dispatch_cls.__doc__)}")
    lines += ["", "Placement policies (`scheduling.placement`):", ""]
    for name, placement_cls in sorted(Placement.registry.items()):
        lines.append(f"- `{name}`: {_first_paragraph(placement_cls.__doc__)}")
    return "\n".join(lines) + "\n"


def _first_paragraph(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())

"""The assumptions of a scenario as tables, each row with the source comments of its YAML.

Comments are what a planner cites sources in (``# ~30% below the coast``). A row's notes are
the comment lines directly above its entry and the comments at the end of its lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from sim.reporting.document import Table
from sim.scenario.schema import Center, Scenario, WorkloadClass
from sim.units import format_duration

_COMMENT = re.compile(r"(?:^|\s)#\s?(.*)$")


@dataclass
class SourceText:
    """A scenario file's lines, the line span of every key path and its header comment."""

    lines: list[str]
    spans: dict[tuple[Any, ...], tuple[int, int]]
    header: str

    @classmethod
    def parse(cls, text: str) -> SourceText:
        lines = text.splitlines()
        spans: dict[tuple[Any, ...], tuple[int, int]] = {}
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is not None:
            _walk(node, (), spans)
        first_key = min((start for start, _ in spans.values()), default=len(lines))
        header = [_comment(line) for line in lines[:first_key]]
        return cls(lines, spans, "\n".join(c for c in header if c is not None))

    def notes(self, *path: Any, deep: bool = True) -> str:
        """The comments of the entry at ``path``: the block above it and those on its lines
        (only its first line unless ``deep``)."""
        if path not in self.spans:
            return ""
        start, end = self.spans[path]
        above: list[str] = []
        line = start - 1
        header_end = min(s for s, _ in self.spans.values())
        while line >= header_end and (comment := _only_comment(self.lines[line])) is not None:
            above.insert(0, comment)
            line -= 1
        inline = [_comment(text) for text in self.lines[start : (end if deep else start) + 1]]
        return " ".join([*above, *(c for c in inline if c)]).strip()


def _walk(node: yaml.Node, path: tuple[Any, ...], spans: dict[tuple[Any, ...], tuple[int, int]]):
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, key.value)
            end = value.end_mark.line - (1 if value.end_mark.column == 0 else 0)
            spans[child] = (key.start_mark.line, max(end, key.start_mark.line))
            _walk(value, child, spans)
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            child = (*path, index)
            end = value.end_mark.line - (1 if value.end_mark.column == 0 else 0)
            spans[child] = (value.start_mark.line, max(end, value.start_mark.line))
            _walk(value, child, spans)


def _only_comment(line: str) -> str | None:
    stripped = line.strip()
    return stripped.lstrip("#").strip() if stripped.startswith("#") else None


def _comment(line: str) -> str | None:
    """The comment at the end of a YAML line (a ``#`` outside quotes), if any."""
    quote = None
    for index, char in enumerate(line):
        if char in "'\"" and quote in (None, char):
            quote = None if quote == char else char
        elif char == "#" and quote is None and (index == 0 or line[index - 1].isspace()):
            match = _COMMENT.match(line[index - 1 :] if index else line)
            return match.group(1).strip() if match else None
    return None


# --- the tables ------------------------------------------------------------------------------


def scenario_model(text: str) -> Scenario | None:
    """The scenario's model without the loader's file reads (sample files may be elsewhere)."""
    try:
        data = yaml.safe_load(text)
        return Scenario.model_validate(data)
    except (yaml.YAMLError, ValidationError, TypeError):
        return None


def assumption_tables(text: str) -> tuple[str, list[Table]]:
    """(the file's header comment, the tables of cities, centers, accelerators, links, workload,
    scheduling and variants)."""
    source = SourceText.parse(text)
    scenario = scenario_model(text)
    if scenario is None:
        return source.header, []
    tables = [
        _cities(scenario, source),
        _centers(scenario, source),
        _accelerators(scenario, source),
        _network(scenario, source),
        _workload(scenario, source),
        _policies(scenario, source),
    ]
    if scenario.variants:
        tables.append(_variants(scenario, source))
    return source.header, [t for t in tables if t.rows]


def _cities(scenario: Scenario, source: SourceText) -> Table:
    rows = []
    for name, city in scenario.cities.items():
        notes = [source.notes("cities", name, deep=False)] + [
            source.notes("cities", name, key)
            for key in ("electricity_price", "price_by_hour", "carbon_intensity")
        ]
        price = (
            f"{min(city.price_by_hour):.2f}–{max(city.price_by_hour):.2f} by hour"
            if city.price_by_hour
            else f"{city.electricity_price:.2f}"
        )
        rows.append([name, price, f"{city.carbon_intensity:.4g}", " ".join(n for n in notes if n)])
    columns = ["city", "electricity [CNY/kWh]", "grid carbon [kgCO₂/kWh]", "source notes"]
    return Table("Cities", columns, rows, "assumptions-cities")


def _centers(scenario: Scenario, source: SourceText) -> Table:
    catalogue = scenario.accelerator_catalogue()
    rows = []
    for city_name, city in scenario.cities.items():
        for name, center in city.centers.items():
            tflops = catalogue[center.accelerator].tflops
            count = center.accelerator_count(tflops)
            rows.append(
                [
                    city_name,
                    name,
                    center.accelerator,
                    f"{count:,}",
                    f"{count * tflops / 1000:,.0f}",
                    f"{center.pue:.2f}",
                    _server(center),
                    source.notes("cities", city_name, "centers", name),
                ]
            )
    columns = [
        "city",
        "center",
        "accelerator",
        "accelerators",
        "PFLOPS",
        "PUE",
        "server overhead",
        "source notes",
    ]
    return Table("Compute centers", columns, rows, "assumptions-centers")


def _server(center: Center) -> str:
    return f"{center.server_overhead_kw:g} kW per {center.accelerators_per_server} accelerators"


def _accelerators(scenario: Scenario, source: SourceText) -> Table:
    used = {c.accelerator for city in scenario.cities.values() for c in city.centers.values()}
    catalogue = scenario.accelerator_catalogue()
    rows = []
    for name in sorted(used):
        spec = catalogue[name]
        if name in scenario.accelerators:
            origin, notes = "this scenario", source.notes("accelerators", name)
        else:
            origin, notes = "built-in catalogue", "DOMAIN.md accelerator table"
        rows.append(
            [
                name,
                f"{spec.tflops:g}",
                f"{spec.watts:g}",
                f"{100 * spec.idle_fraction:.0f}%",
                origin,
                notes,
            ]
        )
    columns = ["accelerator", "peak [TFLOPS]", "board power [W]", "idle power", "from", "notes"]
    return Table("Accelerators (dense FP16/BF16)", columns, rows, "assumptions-accelerators")


def _network(scenario: Scenario, source: SourceText) -> Table:
    rows = [
        [
            " – ".join(link.between),
            _latency(link.latency),
            f"{link.bandwidth / 1e9:g} Gbit/s",
            source.notes("network", index),
        ]
        for index, link in enumerate(scenario.network)
    ]
    if scenario.default_link is not None:
        link = scenario.default_link
        rows.append(
            [
                "any other pair",
                _latency(link.latency),
                f"{link.bandwidth / 1e9:g} Gbit/s",
                source.notes("default_link"),
            ]
        )
    columns = ["link", "round trip", "bandwidth (each way)", "source notes"]
    return Table("Network", columns, rows, "assumptions-network")


def _latency(seconds: float) -> str:
    return f"{seconds * 1000:g} ms" if seconds < 1 else format_duration(seconds)


def _workload(scenario: Scenario, source: SourceText) -> Table:
    rows = []
    for index, job in enumerate(scenario.workload):
        rows.append(
            [
                job.name,
                ", ".join(f"{c} {100 * w:.0f}%" for c, w in job.origin_weights().items()),
                _arrival(job),
                describe(job.size.model_dump(), duration=False),
                describe(job.duration.model_dump(), duration=True),
                f"{job.dataset / 1e12:g} TB" if job.dataset else "–",
                _latency(job.max_latency) if job.max_latency is not None else "–",
                source.notes("workload", index),
            ]
        )
    columns = [
        "class",
        "origin",
        "arrivals",
        "accelerators per job",
        "run time",
        "data set",
        "latency budget",
        "source notes",
    ]
    return Table("Workload classes", columns, rows, "assumptions-workload")


def _arrival(job: WorkloadClass) -> str:
    arrival = job.arrival.model_dump()
    if arrival["kind"] == "poisson":
        return f"Poisson, {arrival['rate'] * 86400:,.4g} per day"
    return "renewal, between arrivals: " + describe(arrival["interarrival"], duration=True)


def describe(spec: Mapping[str, Any], duration: bool) -> str:
    """A distribution in words: ``lognormal, median 12 h, σ 1``."""

    def show(value: Any) -> str:
        return format_duration(float(value)) if duration else f"{value:g}"

    kind = spec["kind"]
    if kind == "fixed":
        return show(spec["value"])
    if kind == "exponential":
        return f"exponential, mean {show(spec['mean'])}"
    if kind == "lognormal":
        return f"lognormal, median {show(spec['median'])}, σ {spec['sigma']:g}"
    if kind == "uniform":
        return f"uniform {show(spec['low'])} – {show(spec['high'])}"
    if kind == "choice":
        weights = spec.get("weights") or [1.0] * len(spec["values"])
        total = sum(weights)
        parts = [
            f"{show(v)} ({100 * w / total:.0f}%)"
            for v, w in zip(spec["values"], weights, strict=True)
        ]
        return ", ".join(parts)
    if kind == "empirical":
        where = spec.get("path")
        count = len(spec["samples"]) if spec.get("samples") else None
        return f"empirical ({where or f'{count} samples'})"
    return kind


def _policies(scenario: Scenario, source: SourceText) -> Table:
    options = scenario.dispatch_options
    rows = [
        ["dispatch", scenario.dispatch, source.notes("dispatch")],
        [
            "local scheduling",
            f"{scenario.scheduling.local} (backfill depth {scenario.scheduling.backfill_depth})",
            source.notes("scheduling"),
        ],
        [
            "dispatch options",
            f"start within {format_duration(options.start_within)}, "
            f"spill after {format_duration(options.spill_after)}",
            source.notes("dispatch_options"),
        ],
    ]
    return Table("Scheduling and dispatch", ["setting", "value", "source notes"], rows, "policy")


def _variants(scenario: Scenario, source: SourceText) -> Table:
    rows = [
        [name, json.dumps(delta, default=str), source.notes("variants", name)]
        for name, delta in scenario.variants.items()
    ]
    columns = ["variant", "changes to the scenario", "source notes"]
    return Table("Variants", columns, rows, "assumptions-variants")

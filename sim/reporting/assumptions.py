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
from sim.scenario.schema import Center, ModelWork, Scenario, WorkloadClass
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
        _inference(scenario, source),
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
    """One row per pool of every center (a center without `pools` is one pool)."""
    catalogue = scenario.accelerator_catalogue()
    rows = []
    for city_name, city in scenario.cities.items():
        for name, center in city.centers.items():
            for pool in center.pool_list():
                spec = catalogue.get(pool.accelerator)
                if spec is None:
                    continue
                most = center.most_installed(pool, spec)
                rows.append(
                    [
                        city_name,
                        name,
                        pool.accelerator,
                        f"{most:,}",
                        f"{most * spec.tflops / 1000:,.0f}",
                        f"{center.pue:.2f}",
                        _supply(center.installed(pool, spec), center, spec.watts),
                        source.notes("cities", city_name, "centers", name),
                    ]
                )
    columns = [
        "city",
        "center",
        "accelerator",
        "accelerators (most installed)",
        "peak PFLOPS",
        "PUE",
        "supply",
        "source notes",
    ]
    return Table("Compute centers", columns, rows, "assumptions-centers")


def _supply(steps: list[tuple[float, int]], center: Center, board_watts: float) -> str:
    """How the capacity is given: cabinets, a build-out, the server model and a power cap."""
    server = center.server_model(board_watts)
    parts = []
    if center.cabinets is not None:
        parts.append(f"cabinets: {center.cabinets:,} of {center.kw_per_cabinet:g} kW")
    if len(steps) > 1:
        plan = "; ".join(f"{count:,} from day {at / 86400:g}" for at, count in steps[1:])
        parts.append(f"build-out: {steps[0][1]:,} at start; {plan}")
    parts.append(f"servers of {server.accelerators} accelerators, {server.kw:.3g} kW")
    if center.power_cap is not None:
        parts.append(f"site cap {center.power_cap / 1e6:g} MW")
    return "; ".join(parts)


def _accelerators(scenario: Scenario, source: SourceText) -> Table:
    used = {
        pool.accelerator
        for city in scenario.cities.values()
        for center in city.centers.values()
        for pool in center.pool_list()
    }
    catalogue = scenario.accelerator_catalogue()
    failures = scenario.failures.enabled
    rows = []
    for name in sorted(used):
        spec = catalogue.get(name)
        if spec is None:
            continue
        if name in scenario.accelerators:
            origin, notes = "this scenario", source.notes("accelerators", name)
        else:
            origin, notes = "built-in catalogue", "DOMAIN.md accelerator table"
        mtbf = scenario.failures.mtbf.get(name, spec.mtbf)
        rows.append(
            [
                name,
                f"{spec.tflops:g}",
                f"{spec.watts:g}",
                f"{100 * spec.idle_fraction:.0f}%",
                f"{mtbf / 3600:,.0f} h" if failures else "failures off",
                origin,
                notes,
            ]
        )
    columns = [
        "accelerator",
        "peak [TFLOPS]",
        "board power [W]",
        "idle power",
        "MTBF per accelerator",
        "from",
        "notes",
    ]
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
                "from the trace" if job.size is None else describe(job.size.model_dump(), False),
                _run_time(job),
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
    kind = arrival["kind"]
    if kind == "trace":
        scale = arrival.get("time_scale", 1.0)
        return f"replay of {arrival['path']}" + (f", time × {scale:g}" if scale != 1 else "")
    if kind == "renewal":
        return "renewal, between arrivals: " + describe(arrival["interarrival"], duration=True)
    if arrival.get("rate") is not None:
        text = f"{arrival['rate'] * 86400:,.4g} per day"
    else:
        steps = arrival.get("rates") or []
        text = "steps " + ", ".join(
            f"{step['rate'] * 86400:,.4g}/d from {format_duration(step['at'])}" for step in steps
        )
    if kind == "bursty":
        text = f"bursty ({arrival['model']}, gap CV {arrival['cv']:g}), {text}"
    else:
        text = f"Poisson, {text}"
    if arrival.get("profile"):
        text += ", daily/weekly profile"
    if arrival.get("growth"):
        text += f", growing {100 * arrival['growth']:.0f}% a year"
    return text


def _run_time(job: WorkloadClass) -> str:
    if job.duration is not None:
        return describe(job.duration.model_dump(), duration=True)
    work = job.work
    if work is None:
        return "from the trace"
    if isinstance(work, ModelWork):
        text = (
            "6 × params × tokens; params "
            + describe(work.params.model_dump(), False)
            + "; tokens "
            + describe(work.tokens.model_dump(), False)
        )
    else:
        text = describe(work.model_dump(), False) + " FLOP"
    return f"{text}, at MFU {job.mfu:g} on the pool it runs on"


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


def _inference(scenario: Scenario, source: SourceText) -> Table:
    rows = [
        [
            load.name,
            load.city,
            load.center or "first center",
            load.accelerator or "first pool",
            f"{load.peak_accelerators():,.0f}",
            f"{100 * min(load.profile):.0f}% – {100 * max(load.profile):.0f}% of peak",
            source.notes("inference", index),
        ]
        for index, load in enumerate(scenario.inference)
    ]
    columns = ["load", "city", "center", "pool", "peak accelerators", "daily profile", "notes"]
    return Table("Inference loads (ahead of training)", columns, rows, "assumptions-inference")


def _policies(scenario: Scenario, source: SourceText) -> Table:
    options = scenario.dispatch_options
    rows = [
        ["dispatch", scenario.dispatch, source.notes("dispatch")],
        [
            "local scheduling",
            f"{scenario.scheduling.local} (backfill depth {scenario.scheduling.backfill_depth}), "
            f"placement {scenario.scheduling.placement}",
            source.notes("scheduling"),
        ],
        [
            "dispatch options",
            f"start within {format_duration(options.start_within)}, "
            f"spill after {format_duration(options.spill_after)}",
            source.notes("dispatch_options"),
        ],
        ["node failures", _failures(scenario), source.notes("failures")],
    ]
    return Table("Scheduling and dispatch", ["setting", "value", "source notes"], rows, "policy")


def _failures(scenario: Scenario) -> str:
    if not scenario.failures.enabled:
        return "off"
    checkpoints = ", ".join(
        f"{job.name}: every {format_duration(job.checkpoint.interval)}, restart "
        f"{format_duration(job.checkpoint.restart)}"
        if job.checkpoint.interval is not None
        else f"{job.name}: no checkpoints"
        for job in scenario.workload
    )
    node = scenario.failures.node_size
    nodes = "servers" if node is None else f"nodes of {node}"
    return (
        f"on: {nodes} fail at the accelerators' MTBF; a failed "
        f"job loses the work since its last checkpoint and restarts on spare nodes "
        f"({checkpoints})"
    )


def _variants(scenario: Scenario, source: SourceText) -> Table:
    rows = [
        [name, json.dumps(delta, default=str), source.notes("variants", name)]
        for name, delta in scenario.variants.items()
    ]
    columns = ["variant", "changes to the scenario", "source notes"]
    return Table("Variants", columns, rows, "assumptions-variants")

"""Presenting a summary: the per-city text table printed by ``capsim run``, and the lines
saying when waits cross a day (``capsim run`` and ``capsim batch``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from sim.units import SECONDS_PER, format_duration

Row = Mapping[str, Any]


def _get(row: Row, key: str) -> float:
    value = row.get(key)
    return math.nan if value is None else float(value)


def _duration_unit(seconds: float) -> tuple[str, float]:
    magnitude = abs(seconds) if math.isfinite(seconds) else 0.0
    for unit, limit in (("s", 60.0), ("min", 3600.0), ("h", 2 * 86400.0)):
        if magnitude < limit:
            return unit, SECONDS_PER[unit]
    return "d", SECONDS_PER["d"]


def format_cell(row: Row, key: str, render: Callable[[float, float], str]) -> str:
    value = _get(row, key)
    if not math.isfinite(value):
        return "–"
    ci = _get(row, f"{key}_ci95")
    return render(value, ci)


def _ci(half: float, value: float, digits: str = ".2g") -> str:
    """`` ± half`` rounded; a half-width below 10⁻⁶ of the value is round-off: ``± 0``."""
    if not math.isfinite(half):
        return ""
    if abs(half) <= 1e-6 * abs(value):
        half = 0.0
    if abs(half) >= 100:
        return f" ± {half:,.0f}"
    return f" ± {half:{digits}}"


def _duration(value: float, ci: float) -> str:
    unit, scale = _duration_unit(value)
    return f"{value / scale:.3g}{_ci(ci / scale, value / scale)} {unit}"


def _percent(value: float, ci: float) -> str:
    return f"{100 * value:.1f}%{_ci(100 * ci, 100 * value, '.1f')}"


def _count(value: float, ci: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}{_ci(ci, value)}"
    if abs(value) < 0.005:
        return f"0{_ci(ci, 1.0, '.2f')}"
    return f"{value:.3g}{_ci(ci, value)}"


def format_large(value: float, ci: float) -> str:
    """Energy, money: three significant digits with a thousands separator, and the CI."""
    text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    return text + _ci(ci, value)


def _fixed(value: float, ci: float) -> str:
    """A quantity that does not vary between replications (installed capacity)."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


COLUMNS: list[tuple[str, str, Callable[[float, float], str]]] = [
    ("accelerators", "accelerators", _fixed),
    ("capacity_pflops", "PFLOPS", _fixed),
    ("utilisation", "utilisation", _percent),
    ("jobs_completed", "jobs done", _count),
    ("wait_mean_s", "wait mean", _duration),
    ("wait_p50_s", "wait p50", _duration),
    ("wait_p95_s", "wait p95", _duration),
    ("wait_p99_s", "wait p99", _duration),
    ("queue_len_mean", "queue mean", _count),
]


FAILURE_COLUMNS: list[tuple[str, str, Callable[[float, float], str]]] = [
    ("interruptions", "failures", _count),
    ("goodput", "goodput", _percent),
]


def _columns(
    columns: list[tuple[str, str, Callable[[float, float], str]]], summary: Mapping[str, Any]
) -> list[tuple[str, str, Callable[[float, float], str]]]:
    """``columns``, plus the failure columns when any variant saw a failure."""
    failed = any(v["overall"].get("interruptions", 0) > 0 for v in summary["variants"].values())
    return columns + FAILURE_COLUMNS if failed else columns


def place_rows(metrics: Mapping[str, Any], center_prefix: str = "  ") -> list[tuple[str, Row]]:
    """(name, metrics) of every city, its centers where it has several (named with
    ``center_prefix``, in which ``{city}`` is replaced), and overall if there are several
    cities."""
    rows: list[tuple[str, Row]] = []
    for city, city_metrics in metrics["cities"].items():
        rows.append((city, city_metrics))
        centers = city_metrics.get("centers", {})
        if len(centers) > 1:
            prefix = center_prefix.replace("{city}", city)
            rows += [(f"{prefix}{name}", center) for name, center in centers.items()]
    if len(metrics["cities"]) > 1:
        rows.append(("overall", metrics["overall"]))
    return rows


def summary_table(summary: Mapping[str, Any], variant: str = "base") -> str:
    """The per-city (and per-center) table of one variant of a summary, as plain text."""
    metrics = summary["variants"][variant]
    rows = place_rows(metrics)
    title = _title(summary)
    if len(summary["variants"]) > 1:
        title = f"variant {variant} · {title}"
    return _render(title, "city / center", service_columns(summary, variant), rows)


def service_columns(
    summary: Mapping[str, Any], variant: str
) -> list[tuple[str, str, Callable[[float, float], str]]]:
    """The columns of a variant's per-city table: :data:`COLUMNS`, plus the facility,
    inference and failure columns of scenarios that use those features."""
    overall = summary["variants"][variant]["overall"]
    return _columns(COLUMNS + _supply_columns(overall), summary)


def _supply_columns(overall: Row) -> list[tuple[str, str, Callable[[float, float], str]]]:
    """Facility, inference and fragmentation columns, shown only for scenarios that use those
    features."""
    columns: list[tuple[str, str, Callable[[float, float], str]]] = []
    if _get(overall, "installed_accelerators_mean") != _get(overall, "accelerators"):
        columns.append(("installed_accelerators_mean", "installed mean", _count))
    if math.isfinite(_get(overall, "power_headroom_mw")):
        columns.append(("cabinets_used", "cabinets", _fixed))
        columns.append(("power_headroom_mw", "headroom MW", _fixed))
    if _get(overall, "inference_demand_h") > 0:
        columns.append(("inference_shortfall_h", "inference short h", format_large))
    if "fragmented_accelerators_mean" in overall:  # a placement with servers
        columns.append(("fragmented_accelerators_mean", "fragmented", _count))
    return columns


COMPARED: list[tuple[str, str, Callable[[float, float], str]]] = [
    ("utilisation", "Δ utilisation", lambda v, ci: _signed(_percent, v, ci) + " pt"),
    ("wait_mean_s", "Δ wait mean", lambda v, ci: _signed(_duration, v, ci)),
    ("wait_p95_s", "Δ wait p95", lambda v, ci: _signed(_duration, v, ci)),
    ("queue_len_mean", "Δ queue mean", lambda v, ci: _signed(_count, v, ci)),
    ("energy_mwh", "Δ energy MWh", lambda v, ci: _signed(format_large, v, ci)),
    ("cost_cny", "Δ cost CNY", lambda v, ci: _signed(format_large, v, ci)),
    ("co2_t", "Δ CO2 t", lambda v, ci: _signed(format_large, v, ci)),
]

SIDE_BY_SIDE: list[tuple[str, str, Callable[[float, float], str]]] = [
    ("utilisation", "utilisation", _percent),
    ("jobs_completed", "jobs done", _count),
    ("wait_mean_s", "wait mean", _duration),
    ("wait_p50_s", "wait p50", _duration),
    ("wait_p95_s", "wait p95", _duration),
    ("jobs_moved", "jobs moved", _count),
    ("energy_mwh", "energy MWh", format_large),
    ("cost_cny", "cost CNY", format_large),
]


def variants_table(summary: Mapping[str, Any]) -> str:
    """Every variant side by side: for each city (and overall) one row per variant."""
    variants = summary["variants"]
    first = next(iter(variants.values()))
    places = [*first["cities"], "overall"] if len(first["cities"]) > 1 else [*first["cities"]]
    rows: list[tuple[str, Row]] = []
    for place in places:
        for index, (name, metrics) in enumerate(variants.items()):
            row = metrics["overall"] if place == "overall" else metrics["cities"].get(place)
            if row is not None:
                rows.append((f"{place if index == 0 else '':10} {name}", row))
    columns = _columns(SIDE_BY_SIDE, summary)
    if any(
        _get(v["overall"], "installed_accelerators_mean") != _get(v["overall"], "accelerators")
        for v in variants.values()
    ):  # capacity changes over time in some variant: show what each had on average
        columns = [("installed_accelerators_mean", "installed mean", _count), *columns]
    return _render(_title(summary), "city       variant", columns, rows)


def comparison_table(summary: Mapping[str, Any]) -> str:
    """Paired differences of each variant against the baseline, per city and overall."""
    blocks = []
    for variant, comparison in summary["comparisons"].items():
        rows = list(comparison["cities"].items())
        if len(rows) > 1:
            rows.append(("overall", comparison["overall"]))
        title = (
            f"{variant} − {comparison['baseline']}: paired differences on identical demand "
            f"(mean ± 95% CI over {summary['replications']} replications)"
        )
        blocks.append(_render(title, "city", COMPARED, rows))
    return "\n".join(blocks)


def _signed(render: Callable[[float, float], str], value: float, ci: float) -> str:
    text = render(abs(value), ci).removesuffix("%")
    return ("+" if value > 0 else "−" if value < 0 else "") + text.replace("% ±", " ±")


def _title(summary: Mapping[str, Any]) -> str:
    replications = summary["replications"]
    note = (
        f"mean ± 95% CI half-width over {replications} replications"
        if replications > 1
        else "one replication: use --replications N for confidence intervals"
    )
    return (
        f"{summary['scenario']} · seed {summary['seed']} · measured from "
        f"{format_duration(summary['warmup_s'])} to {format_duration(summary['horizon_s'])}"
        f" · {note}"
    )


def _render(
    title: str,
    first: str,
    columns: list[tuple[str, str, Callable[[float, float], str]]],
    rows: list[tuple[str, Row]],
) -> str:
    header = [first, *(heading for _, heading, _ in columns)]
    body = [
        [name, *(format_cell(row, key, render) for key, _, render in columns)] for name, row in rows
    ]
    widths = [max(len(cells[i]) for cells in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first_cell = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first_cell, *rest])

    rule = "-" * len(line(header))
    return "\n".join([title, rule, line(header), rule, *(line(cells) for cells in body), rule])


def wait_alarm_lines(summary: Mapping[str, Any]) -> list[str]:
    """Per variant with periods: when each city's p95 wait first exceeds a day."""
    lines = []
    for variant, periods in summary.get("periods", {}).items():
        prefix = f"{variant}: " if len(summary["variants"]) > 1 else ""
        lines.append(f"{prefix}p95 wait first exceeds 1 d: {_crossings(periods)}")
    return lines


def batch_alarm_lines(summary: Mapping[str, Any]) -> list[str]:
    """Per sweep point and variant with periods: when each city's p95 wait first exceeds a
    day, as :func:`wait_alarm_lines` for a run."""
    return [
        f"point {point['point']} ({point_label(point)}), {line}"
        for point in summary["points"]
        for line in wait_alarm_lines(point)
    ]


def point_label(point: Mapping[str, Any]) -> str:
    """A sweep point of a batch summary by its parameters: ``PATH = VALUE, …``."""
    params = point["params"]
    return ", ".join(f"{k} = {v}" for k, v in params.items()) if params else "the base scenario"


def _crossings(periods: Mapping[str, Any]) -> str:
    return ", ".join(
        f"{city} at day {start / 86400:.0f}" if start is not None else f"{city} never"
        for city, start in periods["wait_p95_first_above_1d_s"].items()
    )


def precision_lines(summary: Mapping[str, Any]) -> list[str]:
    """What a precision target (``run.precision``) asked and got: met after how many
    replications, or which intervals are still wider than asked at the cap."""
    record = summary.get("precision")
    if not record:
        return []
    where = {"overall": "overall", "city": "overall and per city"}.get(
        record["per"], "overall, per city and per center"
    )
    target = (
        f"precision: 95% CI within ±{100 * record['relative']:g}% of the mean for "
        f"{', '.join(record['metrics'])} ({where}, every variant and paired difference)"
    )
    used, checks = record["replications"], record["checks"]
    rounds = ", ".join(map(str, record["rounds"]))
    if record["met"]:
        return [f"{target}: met by all {len(checks)} intervals with {used} replications ({rounds})"]
    unmet = [check for check in checks if not check["met"]]
    lines = [
        f"{target}: {len(unmet)} of {len(checks)} intervals still wider after {used} "
        f"replications ({rounds}; the cap is {record['max_replications']}):"
    ]
    for check in sorted(unmet, key=lambda c: -(c["needed"] or math.inf))[:5]:
        render = _renderer(check["metric"])
        needed = check["needed"]
        more = (
            f"about {needed:,} replications would meet it"
            if needed is not None
            else "no number of replications meets a relative target on a mean of zero "
            "(set precision.absolute)"
        )
        lines.append(
            f"  {check['of']}, {check['place']}, {check['metric']}: "
            f"{render(check['mean'], check['ci95'])}, asked ±"
            f"{render(check['allowed'], math.nan)}; {more}"
        )
    return lines


def _renderer(metric: str) -> Callable[[float, float], str]:
    for key, _, render in [*COLUMNS, *SIDE_BY_SIDE]:
        if key == metric:
            return render
    return _duration if metric.endswith("_s") else format_large

"""Presenting a summary: the per-city text table printed by ``capsim run``, and the lines
saying when waits cross a day (``capsim run`` and ``capsim batch``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from sim.formatting import format_duration, format_value, format_with_ci

Row = Mapping[str, Any]


def _get(row: Row, key: str) -> float:
    value = row.get(key)
    return math.nan if value is None else float(value)


Render = Callable[[float, float], str]
"""Formats a cell from its mean and 95% half-width."""


def format_cell(row: Row, key: str, render: Render) -> str:
    value = _get(row, key)
    if not math.isfinite(value):
        return "–"
    ci = _get(row, f"{key}_ci95")
    return render(value, ci)


Column = tuple[str, str, Render]
"""(metric, heading, renderer) of a table column."""


def column(metric: str, heading: str, signed: bool = False) -> Column:
    """A column of ``metric``: mean ± 95% half-width in the reader's unit."""
    return metric, heading, lambda value, ci: format_with_ci(metric, value, ci, signed)


def fixed(metric: str, heading: str) -> Column:
    """A column of a quantity that does not vary between replications (installed capacity)."""
    return metric, heading, lambda value, _: format_value(metric, value)


COLUMNS: list[Column] = [
    fixed("accelerators", "accelerators"),
    fixed("capacity_pflops", "capacity"),
    column("utilisation", "utilisation"),
    column("jobs_completed", "jobs done"),
    column("wait_mean_s", "wait mean"),
    column("wait_p50_s", "wait p50"),
    column("wait_p95_s", "wait p95"),
    column("wait_p99_s", "wait p99"),
    column("queue_len_mean", "queue mean"),
]


FAILURE_COLUMNS: list[Column] = [
    column("interruptions", "failures"),
    column("goodput", "goodput"),
]


def _columns(columns: list[Column], summary: Mapping[str, Any]) -> list[Column]:
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


def summary_table(summary: Mapping[str, Any], variant: str | None = None) -> str:
    """The per-city (and per-center) table of one variant of a summary (default: the first,
    ``base`` for a scenario without variants), as plain text.

    Raises
    ------
    ValueError
        If ``variant`` is not in the summary, listing the ones that are.
    """
    variant = next(iter(summary["variants"])) if variant is None else variant
    if variant not in summary["variants"]:
        valid = ", ".join(summary["variants"])
        raise ValueError(f"no variant {variant!r} in this summary; valid: {valid}")
    metrics = summary["variants"][variant]
    rows = place_rows(metrics)
    title = _title(summary)
    if len(summary["variants"]) > 1:
        title = f"variant {variant} · {title}"
    return _render(title, "city / center", service_columns(summary, variant), rows)


def service_columns(summary: Mapping[str, Any], variant: str) -> list[Column]:
    """The columns of a variant's per-city table: :data:`COLUMNS`, plus the facility,
    inference and failure columns of scenarios that use those features."""
    overall = summary["variants"][variant]["overall"]
    return _columns(COLUMNS + _supply_columns(overall), summary)


def _supply_columns(overall: Row) -> list[Column]:
    """Facility, inference and fragmentation columns, shown only for scenarios that use those
    features."""
    columns: list[Column] = []
    if _get(overall, "installed_accelerators_mean") != _get(overall, "accelerators"):
        columns.append(column("installed_accelerators_mean", "installed mean"))
    if math.isfinite(_get(overall, "power_headroom_mw")):
        columns.append(fixed("cabinets_used", "cabinets"))
        columns.append(fixed("power_headroom_mw", "power headroom"))
    if _get(overall, "inference_demand_h") > 0:
        columns.append(column("inference_shortfall_h", "inference shortfall"))
    if "fragmented_accelerators_mean" in overall:  # a placement with servers
        columns.append(column("fragmented_accelerators_mean", "fragmented"))
    return columns


COMPARED: list[Column] = [
    column("utilisation", "Δ utilisation", signed=True),
    column("wait_mean_s", "Δ wait mean", signed=True),
    column("wait_p95_s", "Δ wait p95", signed=True),
    column("queue_len_mean", "Δ queue mean", signed=True),
    column("energy_mwh", "Δ energy", signed=True),
    column("cost_cny", "Δ cost", signed=True),
    column("co2_t", "Δ CO2", signed=True),
]

SIDE_BY_SIDE: list[Column] = [
    column("utilisation", "utilisation"),
    column("jobs_completed", "jobs done"),
    column("wait_mean_s", "wait mean"),
    column("wait_p50_s", "wait p50"),
    column("wait_p95_s", "wait p95"),
    column("jobs_moved", "jobs moved"),
    column("energy_mwh", "energy"),
    column("cost_cny", "cost"),
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
        columns = [column("installed_accelerators_mean", "installed mean"), *columns]
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
    columns: list[Column],
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
        metric, difference = check["metric"], " − " in check["of"]
        needed = check["needed"]
        more = (
            f"about {needed:,} replications would meet it"
            if needed is not None
            else "no number of replications meets a relative target on a mean of zero "
            "(set precision.absolute)"
        )
        lines.append(
            f"  {check['of']}, {check['place']}, {check['metric']}: "
            f"{format_with_ci(metric, check['mean'], check['ci95'], signed=difference)}, asked ±"
            f"{format_value(metric, check['allowed'])}; {more}"
        )
    return lines

"""Results → the report document: findings, figures, per-city tables, assumptions, method."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from sim import plots
from sim.report import (
    COLUMNS,
    COMPARED,
    batch_alarm_lines,
    format_cell,
    format_large,
    place_rows,
    point_label,
    service_columns,
    wait_alarm_lines,
)
from sim.reporting.assumptions import assumption_tables, scenario_model
from sim.reporting.document import (
    SECTIONS,
    Bullets,
    Document,
    FigureBlock,
    Paragraph,
    Preformatted,
    Section,
    Table,
)
from sim.reporting.findings import run_findings, sizing_findings, sweep_findings
from sim.reporting.plan import plan_figures, plan_findings, plan_method, plan_tables
from sim.results import Results
from sim.summary import capsim_version
from sim.units import format_duration

Render = Callable[[float, float], str]
ENERGY: list[tuple[str, str, Render]] = [
    ("energy_mwh", "energy [MWh]", format_large),
    ("power_mw_mean", "mean power [MW]", format_large),
    ("cost_cny", "electricity cost [CNY]", format_large),
    ("co2_t", "emissions [t CO₂]", format_large),
    ("cost_per_pflops_h_cny", "cost per PFLOPS·h [CNY]", format_large),
]
SIZING_CAPTION = (
    "Each value tried by the sizing search: the metric's mean and 95% band over replications, "
    "the target (dashed) and the answer (dotted)."
)
PERIOD_CAPTION = (
    "p95 wait of the jobs arriving in each period, per city (origin), averaged over "
    "replications; the dashed line is one day. Periods near the horizon understate waits: jobs "
    "still queued there count their wait so far."
)
BATCH_COLUMNS: list[tuple[str, str, Render]] = [
    *(c for c in COLUMNS if c[0] in ("utilisation", "jobs_completed", "wait_mean_s", "wait_p95_s")),
    ("cost_cny", "electricity cost [CNY]", format_large),
]


def build_report(results: Results) -> Document:
    """The planning report of a run, batch or sizing folder."""
    summary = results.summary
    model = scenario_model(results.scenario_text) if results.scenario_text else None
    name = (
        summary.get("scenario")
        or (results.plan or {}).get("scenario")
        or (model.name if model is not None else "sizing")
    )
    document = Document(
        title=f"Capacity plan: {name}",
        subtitle=model.description.strip() if model is not None else "",
        sections=[Section(title, anchor) for anchor, title in SECTIONS],
    )
    findings = document.section("findings")
    figures = document.section("figures")
    tables = document.section("tables")
    if results.kind == "run":
        findings.blocks += [Bullets(items, title) for title, items in run_findings(summary)]
        if summary.get("periods"):
            findings.blocks.append(Bullets(wait_alarm_lines(summary), "When waits cross a day"))
        figures.blocks += _run_figures(results)
        tables.blocks += _run_tables(summary)
    elif results.kind == "batch":
        findings.blocks.append(Bullets(sweep_findings(summary), "Along the sweep"))
        if any(point.get("periods") for point in summary["points"]):
            findings.blocks.append(Bullets(batch_alarm_lines(summary), "When waits cross a day"))
        figures.blocks += _batch_figures(results)
        tables.blocks += _batch_tables(results)
    elif results.plan is not None:
        findings.blocks += plan_findings(results.plan)
        figures.blocks += plan_figures(results.plan)
        tables.blocks += plan_tables(results.plan)
    if results.sizing is not None:
        findings.blocks.append(Bullets(sizing_findings(results.sizing)))
        figures.blocks.append(
            FigureBlock(plots.sizing_curve(results.sizing), "sizing", SIZING_CAPTION)
        )
        tables.blocks.append(_sizing_table(results.sizing))
    _assumptions(document.section("assumptions"), results)
    method = document.section("method")
    method.blocks += _method(results) if results.plan is None else plan_method(results.plan)
    for section in document.sections:
        if not section.blocks:
            section.blocks.append(Paragraph("Not available for this output folder."))
    return document


# --- a run -------------------------------------------------------------------------------------


def _run_figures(results: Results) -> list[FigureBlock]:
    summary = results.summary
    warmup, horizon = float(summary["warmup_s"]), float(summary["horizon_s"])
    blocks = []
    if results.timeseries is not None:
        blocks.append(
            FigureBlock(
                plots.utilisation_over_time(results.timeseries, warmup_s=warmup),
                "utilisation-over-time",
                "Utilisation and mean queue length per city over simulated time, averaged over "
                "replications. The shaded warm-up is excluded from every metric.",
            )
        )
    if results.jobs is not None:
        blocks.append(
            FigureBlock(
                plots.wait_cdf(results.jobs, warmup_s=warmup, horizon_s=horizon),
                "wait-cdf",
                "Share of jobs that waited at most a given time, all replications pooled. "
                "Jobs still waiting at the horizon count with their wait so far.",
            )
        )
    if summary.get("periods"):
        blocks.append(
            FigureBlock(
                plots.period_waits(summary),
                "period-waits",
                PERIOD_CAPTION,
            )
        )
    blocks.append(
        FigureBlock(
            plots.city_bars(summary),
            "city-bars",
            "Utilisation and p95 wait per city (jobs counted in their origin city), variants "
            "side by side.",
        )
    )
    blocks.append(
        FigureBlock(
            plots.energy_bars(summary),
            "energy",
            "Facility energy, electricity cost and emissions per city over the measured window.",
        )
    )
    return blocks


def _places(metrics: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    return place_rows(metrics, center_prefix="{city} / ")


def _metric_table(
    title: str,
    name: str,
    first: str,
    rows: list[tuple[str, Mapping[str, Any]]],
    columns: list[tuple[str, str, Render]],
) -> Table:
    cells = [[place, *(format_cell(row, key, r) for key, _, r in columns)] for place, row in rows]
    numbers = []
    for place, row in rows:
        record: dict[str, Any] = {first: place}
        for key, _, _ in columns:
            record[key] = row.get(key)
            record[f"{key}_ci95"] = row.get(f"{key}_ci95")
        numbers.append(record)
    headings = [first, *(heading for _, heading, _ in columns)]
    return Table(title, headings, cells, name, frame=pd.DataFrame(numbers))


def _run_tables(summary: Mapping[str, Any]) -> list[Table]:
    ci = _ci_note(summary)
    several = len(summary["variants"]) > 1

    def per_city(
        variant: str, what: str, name: str, columns: list[tuple[str, str, Render]]
    ) -> Table:
        named = f"variant {variant}: " if several else ""
        places = _places(summary["variants"][variant])
        return _metric_table(
            f"{named}{what} per city{ci}", f"{name}-{variant}", "city", places, columns
        )

    tables = []
    for variant in summary["variants"]:
        tables.append(per_city(variant, "service", "cities", COLUMNS))
        # Installed capacity over time, cabinets, power, inference and failures: only the
        # columns a scenario uses, in a table of their own so neither runs off the page.
        extra = [c for c in service_columns(summary, variant) if c not in COLUMNS]
        if extra:
            basics = [c for c in COLUMNS if c[0] in ("accelerators", "utilisation")]
            tables.append(
                per_city(variant, "supply, inference and failures", "supply", basics + extra)
            )
    tables += [
        per_city(v, "energy, cost and emissions", "energy", ENERGY) for v in summary["variants"]
    ]
    for variant, comparison in summary.get("comparisons", {}).items():
        rows = list(comparison["cities"].items())
        if len(rows) > 1:
            rows.append(("overall", comparison["overall"]))
        tables.append(
            _metric_table(
                f"{variant} − {comparison['baseline']}: paired differences on identical demand{ci}",
                f"differences-{variant}",
                "city",
                rows,
                COMPARED,
            )
        )
    return tables


def _ci_note(summary: Mapping[str, Any]) -> str:
    n = summary["replications"]
    return f" (mean ± 95% CI over {n} replications)" if n > 1 else " (one replication)"


# --- a batch -----------------------------------------------------------------------------------


def _batch_figures(results: Results) -> list[FigureBlock]:
    assert results.table is not None
    table, summary = results.table, results.summary
    blocks = []
    for axis in summary.get("axes", {}):
        for metric in ("utilisation", "wait_p95_s", "cost_cny"):
            blocks.append(
                FigureBlock(
                    plots.sweep_curve(table, axis, metric),
                    f"sweep-{_slug(axis)}-{metric}",
                    f"Overall {plots.metric_label(metric)} against {axis}, one line per variant, "
                    "with the 95% confidence band.",
                )
            )
    points = [p for p in summary["points"] if p["variants"]]
    for point in (points[0], points[-1]) if len(points) > 1 else points[:1]:
        label = point_label(point)
        shown = {"variants": point["variants"], "replications": summary["replications"]}
        figure = plots.city_bars(shown)
        figure.suptitle(f"Per city at {label}", fontweight="bold")
        blocks.append(
            FigureBlock(
                figure,
                f"city-bars-point-{point['point']}",
                f"Utilisation and p95 wait per city at {label}, variants side by side.",
            )
        )
        if point.get("periods"):
            figure = plots.period_waits(point)
            figure.suptitle(f"When waits cross a day at {label}", fontweight="bold")
            blocks.append(
                FigureBlock(figure, f"period-waits-point-{point['point']}", PERIOD_CAPTION)
            )
    return blocks


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text)


def _batch_tables(results: Results) -> list[Table]:
    assert results.table is not None
    table = results.table
    axes = list(results.summary.get("axes", {}))
    ci = _ci_note(results.summary)
    tables = []
    for level, title, name in (
        ("overall", "Overall by point", "points-overall"),
        ("city", "Per city by point", "points-cities"),
    ):
        rows = table[table["level"] == level]
        first = [*axes, "variant", *(["city"] if level == "city" else [])]
        headings = [*first, "n", *(heading for _, heading, _ in BATCH_COLUMNS)]
        cells = [
            [str(row[c]) for c in first]
            + [str(row["replications"])]
            + [format_cell(row, key, render) for key, _, render in BATCH_COLUMNS]
            for _, row in rows.iterrows()
        ]
        metrics = [key for key, _, _ in BATCH_COLUMNS]
        columns = [*first, "replications", *metrics, *(f"{m}_ci95" for m in metrics)]
        tables.append(Table(title + ci, headings, cells, name, frame=rows[columns]))
    return tables


def _with_half(metric: str, mean: float, half: float) -> str:
    text = plots.format_value(metric, mean)
    if math.isfinite(half):
        text += " ± " + plots.format_value(metric, half, scale_of=mean)
    return text


def _sizing_table(sizing: Mapping[str, Any]) -> Table:
    metric = sizing["metric"]
    rows = [
        [
            f"{e['value']:,}",
            _with_half(metric, e["mean"], e["ci95"]),
            plots.format_value(metric, e["bound_used"]),
            "meets" if e["meets"] else "fails",
            str(e["replications"]),
        ]
        for e in sizing["evaluations"]
    ]
    label = plots.metric_label(metric)
    columns = [sizing["vary"], f"{label} (mean ± 95% CI)", "bound used", "verdict", "replications"]
    bound = plots.format_value(metric, float(sizing["bound"]))
    return Table(
        f"Sizing: {label} {sizing['op']} {bound} ({sizing.get('city') or 'overall'})",
        columns,
        rows,
        "sizing",
        frame=pd.DataFrame(sizing["evaluations"]),
    )


# --- assumptions and method --------------------------------------------------------------------


def _assumptions(section: Section, results: Results) -> None:
    if results.scenario_text is None:
        section.blocks.append(
            Paragraph(
                "The output folder holds no scenario.yaml (earlier capsim versions did not "
                "write one) and the original scenario file is missing or has changed since the "
                "run (its sha256 differs), so the assumptions cannot be shown."
            )
        )
        return
    header, tables = assumption_tables(results.scenario_text)
    if header:
        section.blocks.append(Paragraph("Notes and sources from the scenario file:"))
        section.blocks.append(Preformatted(header))
    section.blocks += tables
    axes = results.summary.get("axes") or {}
    if axes:
        section.blocks.append(
            Table(
                "Sweep axes",
                ["key path", "values"],
                [[path, ", ".join(map(str, values))] for path, values in axes.items()],
                "sweep-axes",
            )
        )


def _method(results: Results) -> list[Paragraph | Bullets]:
    s = results.summary
    if not s:
        sizing = results.sizing or {}
        return [
            Bullets(
                [
                    f"Sizing of {sizing.get('vary')} for {sizing.get('target')} "
                    f"({sizing.get('city') or 'overall'}, variant {sizing.get('variant')}): a "
                    "value meets the target when the 95% confidence bound of the metric over "
                    "its replications does (mean + half-width for <=, mean − half-width for "
                    ">=); every value is run on the same seeds (common random numbers).",
                    f"Report by capsim {capsim_version()} from sizing.json.",
                ]
            )
        ]
    items = [
        f"Scenario {s['scenario']}, file {s.get('scenario_file', 'unknown')}, "
        f"sha256 {s.get('scenario_sha256', 'unknown')}.",
        f"Simulated {format_duration(float(s['horizon_s']))}; the first "
        f"{format_duration(float(s['warmup_s']))} are a warm-up excluded from every metric.",
        f"{s['replications']} independent replications; replication r uses the seed "
        f"SeedSequence({s['seed']}, spawn_key=(r,)), the same for every variant"
        + (" and sweep point" if results.kind == "batch" else "")
        + " (common random numbers).",
        "Values are means over replications ± the 95% confidence half-width (Student t); "
        "differences between variants are paired replication by replication.",
        f"Results by capsim {s.get('capsim_version', 'unknown')}; report by capsim "
        f"{capsim_version()}.",
    ]
    if results.kind == "batch":
        points = len(s["points"])
        items.append(
            f"{points} sweep points; {len(s.get('failed') or [])} failed runs"
            + (f"; the runs took {s['elapsed_s']:.0f} s" if s.get("elapsed_s") else "")
            + "."
        )
    return [Bullets(items)]

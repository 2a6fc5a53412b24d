"""Result tables → matplotlib figures, for notebooks and the planning report.

Every function takes the tables capsim writes (docs/outputs.md): the summary.json document, the
``jobs`` and ``timeseries`` frames of ``capsim run --out``, summary.parquet of ``capsim batch``,
sizing.json of ``capsim size``; and returns a :class:`matplotlib.figure.Figure`. Figures are
built without pyplot (no display, no global figure registry): save them with
``fig.savefig("x.png")``; in Jupyter they display as the cell's value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from sim.units import SECONDS_PER

STYLE: dict[str, Any] = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
"""Print-legible defaults applied to every figure of this module."""

PALETTE = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]

_LABELS = {
    "utilisation": "utilisation",
    "queue_len_mean": "mean queue length",
    "queue_len_max": "largest queue",
    "energy_mwh": "facility energy",
    "cost_cny": "electricity cost",
    "co2_t": "emissions",
    "power_mw_mean": "mean facility power",
    "jobs_completed": "jobs completed",
    "jobs_moved": "jobs moved",
    "delivered_pflops_h": "compute delivered",
    "cost_per_pflops_h_cny": "cost per PFLOPS·h",
}


def _figure(width: float, height: float) -> Figure:
    import matplotlib as mpl

    with mpl.rc_context(cast(Any, STYLE)):
        return Figure(figsize=(width, height), layout="constrained")


def _subplots(figure: Figure, rows: int, columns: int, **kwargs: Any) -> np.ndarray:
    import matplotlib as mpl

    with mpl.rc_context(cast(Any, STYLE)):
        axes = figure.subplots(rows, columns, squeeze=False, **kwargs)
    return np.asarray(axes)


def metric_scale(metric: str, values: Sequence[float] | np.ndarray = ()) -> tuple[float, str]:
    """(divisor, unit) to show ``metric``: durations in s, min, h or d by their magnitude,
    utilisation in %, cost in CNY or million CNY."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    largest = max(finite, default=0.0)
    if metric.endswith("_s"):
        for unit, limit in (("s", 120.0), ("min", 7200.0), ("h", 4 * 86400.0)):
            if largest < limit:
                return SECONDS_PER[unit], unit
        return SECONDS_PER["d"], "d"
    if metric == "utilisation":
        return 0.01, "%"
    if metric == "cost_cny":
        return (1e6, "million CNY") if largest >= 1e6 else (1.0, "CNY")
    units = {
        "energy_mwh": "MWh",
        "co2_t": "t CO₂",
        "power_mw_mean": "MW",
        "delivered_pflops_h": "PFLOPS·h",
        "cost_per_pflops_h_cny": "CNY/(PFLOPS·h)",
        "data_moved_tb": "TB",
    }
    return 1.0, units.get(metric, "jobs" if "jobs" in metric or "queue" in metric else "-")


def format_value(
    metric: str, value: float, signed: bool = False, scale_of: float | None = None
) -> str:
    """A value in a reader's unit: ``31 h``, ``61%``, ``1.2 million CNY``; ``signed`` for a
    difference (utilisation then in percentage points)."""
    if not math.isfinite(value):
        return "n/a"
    scale, unit = metric_scale(metric, [abs(scale_of if scale_of is not None else value)])
    number = value / scale
    sign = "+" if signed and number > 0 else "−" if number < 0 else ""
    magnitude = abs(number)
    text = f"{magnitude:,.0f}" if magnitude >= 100 else f"{magnitude:.3g}"
    if unit == "%":
        return f"{sign}{text} {'pt' if signed else '%'}".replace(" %", "%")
    if unit in ("-", ""):
        return f"{sign}{text}"
    return f"{sign}{text} {unit}"


def metric_label(metric: str) -> str:
    """A reader's name for a metric: ``wait_p95_s`` → ``p95 wait``."""
    if metric.startswith("wait_"):
        kind = metric.removeprefix("wait_").removesuffix("_s")
        return f"{kind} wait" if kind != "mean" else "mean wait"
    return _LABELS.get(metric, metric.replace("_", " "))


def axis_label(metric: str, unit: str) -> str:
    return f"{metric_label(metric)} [{unit}]"


def _colours(names: Sequence[str]) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


_DASHES = ["-", "--", ":", "-."]


def _dashes(names: Sequence[str]) -> dict[str, str]:
    """A line style per name, so that lines lying on each other stay distinguishable."""
    return {name: _DASHES[i % len(_DASHES)] for i, name in enumerate(names)}


# --- time series --------------------------------------------------------------------------


def city_levels(timeseries: pd.DataFrame, max_points: int = 300) -> pd.DataFrame:
    """Per variant, city and time: utilisation and queue length summed over a city's centers,
    averaged over replications, in bins widened so a line has at most ``max_points`` points."""
    frame = timeseries.copy()
    if "variant" not in frame:
        frame["variant"] = "base"
    for column in ("variant", "city"):
        frame[column] = frame[column].astype(str)
    keys = ["variant", "replication", "city", "t_start_s"]
    summed = frame.groupby(keys, observed=True, sort=False)[
        ["busy_mean", "accelerators", "queue_len_mean"]
    ].sum()
    per_time = summed.groupby(["variant", "city", "t_start_s"], observed=True, sort=False).mean()
    per_time = per_time.reset_index()
    times = np.sort(per_time["t_start_s"].unique())
    group = max(1, math.ceil(len(times) / max_points))
    width = float(np.median(np.diff(times))) * group if len(times) > 1 else 1.0
    origin = times[0] if len(times) else 0.0
    per_time["t_start_s"] = origin + np.floor((per_time["t_start_s"] - origin) / width) * width
    binned = per_time.groupby(["variant", "city", "t_start_s"], sort=False).mean().reset_index()
    binned["utilisation"] = binned["busy_mean"] / binned["accelerators"]
    return binned


def utilisation_over_time(
    timeseries: pd.DataFrame, *, warmup_s: float = 0.0, variants: Sequence[str] | None = None
) -> Figure:
    """Utilisation and mean queue length per city over time; one column per variant.

    Parameters
    ----------
    timeseries
        ``timeseries.parquet`` of ``capsim run --out`` (or :func:`sim.run_scenario`'s frame).
    warmup_s
        Warm-up [s], shaded: it is excluded from every metric.
    variants
        The variants to show (default: all, in the table's order).
    """
    levels = city_levels(timeseries)
    variants = list(variants or pd.unique(levels["variant"]))
    cities = list(pd.unique(levels["city"]))
    colours = _colours(cities)
    figure = _figure(max(6.5, 4.2 * len(variants)), 5.6)
    axes = _subplots(figure, 2, len(variants), sharex=True, sharey="row")
    queue_top = max(float(levels["queue_len_mean"].max()), 1.0)
    for column, variant in enumerate(variants):
        data = levels[levels["variant"] == variant]
        top, bottom = axes[0, column], axes[1, column]
        for city in cities:
            line = data[data["city"] == city]
            days = line["t_start_s"] / SECONDS_PER["d"]
            top.plot(days, 100 * line["utilisation"], color=colours[city], lw=1.2, label=city)
            bottom.plot(days, line["queue_len_mean"], color=colours[city], lw=1.2)
        for ax in (top, bottom):
            if warmup_s > 0:
                ax.axvspan(0, warmup_s / SECONDS_PER["d"], color="0.85", zorder=0, lw=0)
        top.set_title(variant if len(variants) > 1 else "utilisation per city")
        top.set_ylim(0, 105)
        bottom.set_ylim(0, queue_top * 1.05)
        bottom.set_xlabel("simulated time [d]")
    axes[0, 0].set_ylabel("utilisation [%]")
    axes[1, 0].set_ylabel("mean queue length [jobs]")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if warmup_s > 0:
        from matplotlib.patches import Patch

        handles.append(Patch(color="0.85", label="warm-up (not measured)"))
        labels.append("warm-up (not measured)")
    figure.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 5))
    figure.suptitle("Utilisation and queue length over time, by city", fontweight="bold")
    return figure


# --- waits ---------------------------------------------------------------------------------


def waits(jobs: pd.DataFrame, *, warmup_s: float, horizon_s: float) -> pd.DataFrame:
    """Wait [s] of every job that arrived in the measured window, as the metrics count it: a
    job still waiting at the horizon counts with its wait so far."""
    arrived = jobs[(jobs["arrival_s"] >= warmup_s) & (jobs["arrival_s"] < horizon_s)]
    wait = arrived["wait_s"].to_numpy(dtype=float)
    wait = np.where(np.isnan(wait), horizon_s - arrived["arrival_s"].to_numpy(), wait)
    frame = pd.DataFrame(
        {
            "variant": arrived["variant"].astype(str) if "variant" in arrived else "base",
            "origin": arrived["origin"].astype(str),
            "wait_s": np.maximum(wait, 0.0),
        }
    )
    return frame


_WAIT_TICKS = [
    (60.0, "1 min"),
    (600.0, "10 min"),
    (3600.0, "1 h"),
    (6 * 3600.0, "6 h"),
    (86400.0, "1 d"),
    (7 * 86400.0, "1 w"),
    (30 * 86400.0, "30 d"),
    (365 * 86400.0, "1 y"),
]


def wait_cdf(
    jobs: pd.DataFrame,
    *,
    warmup_s: float,
    horizon_s: float,
    city: str | None = None,
    variants: Sequence[str] | None = None,
) -> Figure:
    """Distribution of waits (fraction of jobs that waited at most t), one line per variant,
    pooled over replications; ``city`` restricts it to the jobs from one origin city."""
    frame = waits(jobs, warmup_s=warmup_s, horizon_s=horizon_s)
    if city is not None:
        frame = frame[frame["origin"] == city]
    variants = list(variants or pd.unique(frame["variant"]))
    floor = 60.0  # waits under a minute are shown at the left edge of the log axis
    colours, dashes = _colours(variants), _dashes(variants)
    figure = _figure(6.5, 3.8)
    ax = _subplots(figure, 1, 1)[0, 0]
    longest = floor
    for variant in variants:
        values = np.sort(frame.loc[frame["variant"] == variant, "wait_s"].to_numpy())
        if len(values) == 0:
            continue
        fraction = np.arange(1, len(values) + 1) / len(values)
        shown = np.maximum(values, floor)
        longest = max(longest, float(values[-1]))
        ax.step(
            shown,
            100 * fraction,
            where="post",
            color=colours[variant],
            ls=dashes[variant],
            lw=1.6,
            label=variant,
        )
    ax.set_xscale("log")
    right = max(longest, 10 * floor) * 1.2
    ax.set_xlim(floor, right)
    ticks = [(t, label) for t, label in _WAIT_TICKS if t <= right]
    ax.set_xticks([t for t, _ in ticks], [label for _, label in ticks])
    ax.minorticks_off()
    ax.set_ylim(0, 101)
    ax.set_xlabel("wait (log scale; waits under 1 min at the left edge)")
    ax.set_ylabel("jobs that waited at most this [%]")
    where = f" of jobs from {city}" if city else ""
    ax.set_title(f"Wait-time distribution{where}")
    if len(variants) > 1:
        ax.legend(loc="lower right")
    return figure


# --- per-city bars -------------------------------------------------------------------------


def _places(summary: Mapping[str, Any]) -> list[str]:
    first = next(iter(summary["variants"].values()))
    cities = list(first["cities"])
    return [*cities, "overall"] if len(cities) > 1 else cities


def _row(metrics: Mapping[str, Any], place: str) -> Mapping[str, Any]:
    row = metrics["overall"] if place == "overall" else metrics["cities"].get(place, {})
    return row if isinstance(row, Mapping) else {}


def _number(row: Mapping[str, Any], key: str) -> float:
    value = row.get(key)
    return math.nan if value is None else float(value)


def _bars(ax: Axes, summary: Mapping[str, Any], metric: str, places: list[str]) -> None:
    variants = list(summary["variants"])
    colours = _colours(variants)
    values = [_number(_row(summary["variants"][v], p), metric) for v in variants for p in places]
    scale, unit = metric_scale(metric, values)
    width = 0.8 / len(variants)
    x = np.arange(len(places))
    for i, variant in enumerate(variants):
        rows = [_row(summary["variants"][variant], p) for p in places]
        means = np.array([_number(r, metric) for r in rows]) / scale
        halves = np.array([_number(r, f"{metric}_ci95") for r in rows]) / scale
        offset = x - 0.4 + width * (i + 0.5)
        ax.bar(offset, np.nan_to_num(means), width, color=colours[variant], label=variant)
        halves = np.where(halves > 1e-9 * np.abs(means), halves, np.nan)
        if np.isfinite(halves).any():
            # Every metric shown here is >= 0: a whisker below zero would only mislead.
            below = np.minimum(halves, np.maximum(means, 0.0))
            ax.errorbar(
                offset, means, yerr=[below, halves], fmt="none", ecolor="black", capsize=3, lw=1
            )
    ax.set_xticks(x, places, rotation=30 if len(places) > 4 else 0, ha="right")
    if len(places) <= 4:
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("center")
    ax.set_ylabel(axis_label(metric, unit))
    if max((abs(v) for v in values if math.isfinite(v)), default=0.0) / scale >= 10_000:
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_title(metric_label(metric).capitalize())
    ax.grid(axis="x", visible=False)


def city_bars(
    summary: Mapping[str, Any], metrics: Sequence[str] = ("utilisation", "wait_p95_s")
) -> Figure:
    """Per city (and overall) bars of each metric, variants side by side, with 95% confidence
    whiskers when the summary has several replications."""
    return _bar_panels(summary, metrics, "Per city: variants side by side")


def energy_bars(
    summary: Mapping[str, Any], metrics: Sequence[str] = ("energy_mwh", "cost_cny", "co2_t")
) -> Figure:
    """Facility energy, electricity cost and emissions per city over the measured window (the
    totals would dwarf the cities: they are in the tables)."""
    return _bar_panels(
        summary, metrics, "Energy, electricity cost and emissions per city", overall=False
    )


def _bar_panels(
    summary: Mapping[str, Any], metrics: Sequence[str], title: str, overall: bool = True
) -> Figure:
    places = [p for p in _places(summary) if overall or p != "overall"]
    bars = len(places) * len(summary["variants"])
    # Side by side while the panels stay readable, else one panel per row.
    across = len(metrics) if bars * len(metrics) <= 30 else 1
    rows = math.ceil(len(metrics) / across)
    width = min(10.0, max(6.5, 1.2 + 0.3 * bars * across))
    figure = _figure(width, 0.6 + 3.2 * rows)
    axes = _subplots(figure, rows, across)
    for ax, metric in zip(axes.flat, metrics, strict=True):
        _bars(ax, summary, metric, places)
    if len(summary["variants"]) > 1:
        handles, labels = axes[0, 0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside lower center", ncol=len(labels))
    replications = summary.get("replications", 1)
    note = f"\nwhiskers: 95% CI over {replications} replications" if replications > 1 else ""
    figure.suptitle(title + note, fontweight="bold")
    return figure


# --- sweeps and sizing ---------------------------------------------------------------------


def sweep_curve(
    table: pd.DataFrame,
    axis: str,
    metric: str,
    *,
    city: str = "",
    target: float | None = None,
    answer: float | None = None,
    title: str | None = None,
) -> Figure:
    """A metric against a swept value, one line per variant (and per value of any other axis),
    with the 95% confidence band; ``target`` draws the bound, ``answer`` marks the sizing answer.

    Parameters
    ----------
    table
        summary.parquet of ``capsim batch`` (or any frame with ``axis``, ``variant``, ``level``,
        ``city``, ``metric`` and ``metric_ci95`` columns).
    axis
        The swept column (a dotted key path).
    city
        The city whose rows to plot; ``""`` for overall.
    """
    level = "overall" if city == "" else "city"
    rows = table[(table["level"] == level) & (table["city"] == city)]
    others = [
        c for c in rows.columns if "." in c and c != axis and rows[c].nunique(dropna=False) > 1
    ]
    scale, unit = metric_scale(metric, rows[metric].tolist() + ([target] if target else []))
    groups = list(rows.groupby(["variant", *others], sort=False))
    figure = _figure(6.5 if len(groups) <= 3 else 9.5, 3.9)
    ax = _subplots(figure, 1, 1)[0, 0]
    colours = _colours([str(key) for key, _ in groups])
    dashes = _dashes([str(key) for key, _ in groups])
    position = _positions(rows[axis])
    for key, group in groups:
        x = group[axis].map(position) if position else pd.to_numeric(group[axis])
        order = np.argsort(x.to_numpy(dtype=float), kind="stable")
        x = x.to_numpy(dtype=float)[order]
        mean = group[metric].to_numpy(dtype=float)[order] / scale
        half = group[f"{metric}_ci95"].to_numpy(dtype=float)[order] / scale
        parts = key if isinstance(key, tuple) else (key,)
        name = ", ".join(
            [str(parts[0]), *(f"{_short(c)}={v}" for c, v in zip(others, parts[1:], strict=True))]
        )
        colour = colours[str(key)]
        ax.plot(x, mean, marker="o", color=colour, ls=dashes[str(key)], lw=1.6, label=name)
        if np.isfinite(half).any():
            # Every metric is >= 0: so is the band.
            low = np.maximum(mean - half, 0.0)
            ax.fill_between(x, low, mean + half, color=colour, alpha=0.2, lw=0)
    if position:
        ax.set_xticks(list(position.values()), list(position))
        ax.set_xlim(-0.5, len(position) - 0.5)
    if target is not None:
        ax.axhline(target / scale, color="black", ls="--", lw=1, label="target")
    if answer is not None:
        ax.axvline(answer, color="black", ls=":", lw=2, label=f"answer: {answer:,.0f}")
    ax.set_xlabel(axis)
    ax.set_ylabel(axis_label(metric, unit))
    where = city or "overall"
    ax.set_title(title or f"{metric_label(metric).capitalize()} ({where}) against {axis}")
    if len(groups) > 3:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    elif len(groups) > 1 or target is not None or answer is not None:
        ax.legend()
    return figure


def _positions(values: pd.Series) -> dict[Any, int]:
    """x positions of a swept axis whose values are not all numbers (policy names, durations
    as text), in the order of the grid; empty for a numeric axis, plotted on its own scale."""
    if pd.to_numeric(values, errors="coerce").notna().all():
        return {}
    return {value: index for index, value in enumerate(pd.unique(values))}


def _short(path: str) -> str:
    """The last two parts of a dotted key path: ``guian-hub.count``."""
    return ".".join(path.split(".")[-2:])


def sizing_curve(sizing: Mapping[str, Any]) -> Figure:
    """The curve of ``capsim size`` (sizing.json): the metric's mean and 95% band at every value
    tried, the target bound and the answer."""
    rows = pd.DataFrame(sizing["evaluations"])
    vary, metric = sizing["vary"], sizing["metric"]
    table = pd.DataFrame(
        {
            vary: rows["value"],
            "variant": sizing.get("variant", "base"),
            "level": "overall" if not sizing.get("city") else "city",
            "city": sizing.get("city") or "",
            metric: rows["mean"],
            f"{metric}_ci95": rows["ci95"],
        }
    )
    where = sizing.get("city") or "overall"
    return sweep_curve(
        table,
        vary,
        metric,
        city=sizing.get("city") or "",
        target=float(sizing["bound"]),
        answer=sizing.get("answer"),
        title=f"Sizing: {metric_label(metric)} {sizing['op']} "
        f"{format_value(metric, float(sizing['bound']))} ({where}), 95% confidence",
    )

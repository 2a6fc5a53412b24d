"""Figures from the per-run records: levels over time per city, and the wait distribution."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.plots.style import (
    COLUMN_WIDTH,
    add_subplot,
    colour_map,
    dash_map,
    legend_outside,
    new_figure,
    subplots,
)
from sim.units import SECONDS_PER


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
    if len(cities) > MAX_LINES:
        return _small_multiples(levels, variants, cities, warmup_s)
    colours = colour_map(cities)
    figure = new_figure(COLUMN_WIDTH, 5.6)
    axes = subplots(figure, 2, len(variants), sharex=True, sharey="row")
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
    return _legend_and_title(figure, axes[0, 0], warmup_s, "by city")


MAX_LINES = 4
"""More cities than this are drawn as small multiples (a panel per city), not one tangle."""


def _small_multiples(
    levels: pd.DataFrame, variants: list[str], cities: list[str], warmup_s: float
) -> Figure:
    """Utilisation and queue length over time, a panel per city, a line per variant."""
    columns = 4
    rows = math.ceil(len(cities) / columns)
    colours, dashes = colour_map(variants), dash_map(variants)
    figure = new_figure(COLUMN_WIDTH, 0.9 + 3.3 * rows)
    grid = figure.add_gridspec(2 * rows, columns, height_ratios=[2, 1] * rows)
    for index, city in enumerate(cities):
        row, column = divmod(index, columns)
        top = add_subplot(figure, grid[2 * row, column])
        bottom = add_subplot(figure, grid[2 * row + 1, column], sharex=top)
        top.tick_params(labelbottom=False)
        data = levels[levels["city"] == city]
        for variant in variants:
            line = data[data["variant"] == variant]
            days = line["t_start_s"] / SECONDS_PER["d"]
            style: dict[str, Any] = {"color": colours[variant], "ls": dashes[variant], "lw": 1.1}
            top.plot(days, 100 * line["utilisation"], label=variant, **style)
            bottom.plot(days, line["queue_len_mean"], **style)
        for ax in (top, bottom):
            if warmup_s > 0:
                ax.axvspan(0, warmup_s / SECONDS_PER["d"], color="0.85", zorder=0, lw=0)
        top.set_title(city)
        top.set_ylim(0, 105)
        bottom.set_ylim(0, max(float(data["queue_len_mean"].max()) * 1.1, 1.0))
        bottom.set_xlabel("simulated time [d]")
        if column == 0:
            top.set_ylabel("utilisation [%]")
            bottom.set_ylabel("queue [jobs]")
    return _legend_and_title(figure, figure.axes[0], warmup_s, "a panel per city")


def _legend_and_title(figure: Figure, ax: Axes, warmup_s: float, how: str) -> Figure:
    """The legend of ``ax``'s lines (and the warm-up shade) under the panels, and the title."""
    handles, labels = ax.get_legend_handles_labels()
    if warmup_s > 0:
        from matplotlib.patches import Patch

        handles.append(Patch(color="0.85", label="warm-up (not measured)"))
        labels.append("warm-up (not measured)")
    figure.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 5))
    figure.suptitle(f"Utilisation and queue length over time, {how}", fontweight="bold")
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
    colours, dashes = colour_map(variants), dash_map(variants)
    figure = new_figure(COLUMN_WIDTH, 3.8)
    ax = subplots(figure, 1, 1)[0, 0]
    longest = floor
    lowest = 100.0
    for variant in variants:
        values = np.sort(frame.loc[frame["variant"] == variant, "wait_s"].to_numpy())
        if len(values) == 0:
            continue
        fraction = np.arange(1, len(values) + 1) / len(values)
        shown = np.maximum(values, floor)
        longest = max(longest, float(values[-1]))
        lowest = min(lowest, 100 * float(np.mean(values <= floor)))
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
    # From just below the share of jobs that waited under a minute: the range the lines use.
    ax.set_ylim(max(0.0, 10 * math.floor(lowest / 10) - 5), 101)
    ax.set_xlabel("wait (log scale; waits under 1 min at the left edge)")
    ax.set_ylabel("jobs that waited at most this [%]")
    where = f" of jobs from {city}" if city else ""
    ax.set_title(f"Wait-time distribution{where}")
    if len(variants) > 1:
        legend_outside(ax)
    return figure


# --- per-period waits ------------------------------------------------------------------------


def period_waits(summary: dict, *, threshold_s: float = SECONDS_PER["d"]) -> Figure:
    """p95 wait per city in each period of ``run.period``, one panel per variant, with the
    threshold (a day by default) drawn: where a line first rises above it is where the city's
    capacity stops keeping up.

    Parameters
    ----------
    summary
        ``summary.json`` of ``capsim run --out`` for a scenario that sets ``run.period``, or
        one of the ``points`` of a batch's (only its ``periods`` are read).
    threshold_s
        The wait marked on the plot [s].
    """
    periods = summary["periods"]
    variants = list(periods)
    figure = new_figure(COLUMN_WIDTH, 3.8)
    axes = subplots(figure, 1, len(variants), sharey="row")
    cities = list(next(iter(periods.values()))["cities"])
    colours = colour_map(cities)
    hours = SECONDS_PER["h"]
    for ax, variant in zip(axes[0], variants, strict=True):
        data = periods[variant]
        days = np.asarray(data["start_s"], dtype=float) / SECONDS_PER["d"]
        for city in cities:
            p95 = np.asarray(data["cities"][city]["wait_p95_s"], dtype=float)
            # A log axis cannot show 0: waits under a minute sit on the bottom edge.
            ax.step(
                days,
                np.maximum(p95, 60.0) / hours,
                where="post",
                color=colours[city],
                lw=1.3,
                label=city,
            )
        ax.axhline(threshold_s / hours, color="black", ls="--", lw=1, label="1 day")
        ax.set_yscale("log")
        ax.set_ylim(60.0 / hours * 0.8, None)
        ax.set_title(variant if len(variants) > 1 else "p95 wait per period")
        ax.set_xlabel("simulated time [d]")
    axes[0, 0].set_ylabel("p95 wait in the period [h]")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 6))
    figure.suptitle("When waits cross a day: p95 wait per period, by city", fontweight="bold")
    return figure

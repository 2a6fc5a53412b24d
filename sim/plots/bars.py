"""Per-city bar charts of a summary: variants side by side, with 95% confidence whiskers."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from sim.formatting import FRACTIONS, format_value, metric_scale
from sim.plots.style import (
    COLUMN_WIDTH,
    axis_label,
    colour_map,
    metric_label,
    new_figure,
    subplots,
)


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


def _bars(
    ax: Axes, summary: Mapping[str, Any], metric: str, places: list[str], rotate: bool
) -> None:
    variants = list(summary["variants"])
    colours = colour_map(variants)
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
        upright = len(places) * len(variants) <= 12
        zero = format_value(metric, 0.0)
        _zero_markers(ax, offset[means == 0], colours[variant], zero, upright)
        halves = np.where(halves > 1e-9 * np.abs(means), halves, np.nan)
        if np.isfinite(halves).any():
            # Every metric shown here is >= 0, and a fraction <= 100%: a whisker past either
            # would only mislead.
            below = np.minimum(halves, np.maximum(means, 0.0))
            above = np.minimum(halves, 100.0 - means) if metric in FRACTIONS else halves
            ax.errorbar(
                offset, means, yerr=[below, above], fmt="none", ecolor="black", capsize=3, lw=1
            )
    ax.set_xticks(x, places, rotation=30 if rotate else 0, ha="right")
    if not rotate:
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("center")
    ax.set_ylabel(axis_label(metric, unit))
    if max((abs(v) for v in values if math.isfinite(v)), default=0.0) / scale >= 10_000:
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_title(metric_label(metric).capitalize())
    ax.grid(axis="x", visible=False)


def _zero_markers(ax: Axes, x: np.ndarray, colour: str, zero: str, upright: bool) -> None:
    """A bar of height zero as a marker on the axis labelled with its value (``0 s``): an
    empty place would read as a missing result."""
    if len(x) == 0:
        return
    ax.plot(x, np.zeros(len(x)), "o", color=colour, ms=5, clip_on=False, zorder=3)
    for position in x:
        ax.annotate(
            zero,
            (position, 0.0),
            xytext=(0, 5),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
            rotation=0 if upright else 90,
        )


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
    width = COLUMN_WIDTH
    figure = new_figure(width, 0.6 + 3.2 * rows)
    axes = subplots(figure, rows, across)
    # Upright names while they fit side by side under a panel (about 0.09 in a character).
    panel_in = width / across - 0.9
    rotate = len(places) > 4 or 0.09 * sum(len(p) + 2 for p in places) > panel_in
    for ax, metric in zip(axes.flat, metrics, strict=True):
        _bars(ax, summary, metric, places, rotate)
    if len(summary["variants"]) > 1:
        handles, labels = axes[0, 0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside lower center", ncol=len(labels))
    replications = summary.get("replications", 1)
    note = f"\nwhiskers: 95% CI over {replications} replications" if replications > 1 else ""
    if len(summary["variants"]) == 1:
        title = title.replace(": variants side by side", "")
    figure.suptitle(title + note, fontweight="bold")
    return figure

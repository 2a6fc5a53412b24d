"""A metric against a swept value (capsim batch), and the sizing curve (capsim size)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.formatting import FRACTIONS, format_number, format_value, metric_scale
from sim.plots.style import (
    COLUMN_WIDTH,
    axis_label,
    colour_map,
    dash_map,
    legend_outside,
    metric_label,
    new_figure,
    path_label,
    subplots,
)


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
    figure = new_figure(COLUMN_WIDTH, 3.9)
    ax = subplots(figure, 1, 1)[0, 0]
    colours = colour_map([str(key) for key, _ in groups])
    dashes = dash_map([str(key) for key, _ in groups])
    position = _positions(rows[axis])
    drawn: list[tuple[tuple[Any, ...], np.ndarray]] = []
    for index, (key, group) in enumerate(groups):
        x = group[axis].map(position) if position else pd.to_numeric(group[axis])
        order = np.argsort(x.to_numpy(dtype=float), kind="stable")
        x = x.to_numpy(dtype=float)[order]
        mean = group[metric].to_numpy(dtype=float)[order] / scale
        half = group[f"{metric}_ci95"].to_numpy(dtype=float)[order] / scale
        parts = key if isinstance(key, tuple) else (key,)
        settings = [f"{path_label(c)} = {v}" for c, v in zip(others, parts[1:], strict=True)]
        name = ", ".join([str(parts[0]), *settings])
        # A line hidden under an earlier one says so (naming what differs) and keeps its own
        # marker.
        same = next((p for p, m in drawn if m.shape == mean.shape and np.allclose(m, mean)), None)
        drawn.append((parts, mean))
        label = name
        if same is not None:
            differ = [str(a) for a, b in zip(same, parts, strict=True) if a != b]
            label = f"{name} (same as {', '.join(differ) or 'the line above'})"
        colour = colours[str(key)]
        marker = _MARKERS[index % len(_MARKERS)]
        ax.plot(x, mean, marker=marker, color=colour, ls=dashes[str(key)], lw=1.6, label=label)
        if np.isfinite(half).any():
            # Every metric is >= 0 and a fraction <= 100%: so is the band.
            low = np.maximum(mean - half, 0.0)
            high = np.minimum(mean + half, 100.0) if metric in FRACTIONS else mean + half
            ax.fill_between(x, low, high, color=colour, alpha=0.2, lw=0)
    if position:
        ax.set_xticks(list(position.values()), list(position))
        ax.set_xlim(-0.5, len(position) - 0.5)
    if target is not None:
        ax.axhline(target / scale, color="black", ls="--", lw=1, label="target")
    if answer is not None:
        ax.axvline(answer, color="black", ls=":", lw=2, label=f"answer: {format_number(answer)}")
    ax.set_xlabel(path_label(axis))
    ax.set_ylabel(axis_label(metric, unit))
    where = city or "overall"
    heading = f"{metric_label(metric).capitalize()} ({where}) against {path_label(axis)}"
    ax.set_title(title or heading)
    if len(groups) > 1 or target is not None or answer is not None:
        legend_outside(ax)
    return figure


_MARKERS = ["o", "s", "^", "D", "v", "P", "X"]


def _positions(values: pd.Series) -> dict[Any, int]:
    """x positions of a swept axis whose values are not all numbers (policy names, durations
    as text), in the order of the grid; empty for a numeric axis, plotted on its own scale."""
    if pd.to_numeric(values, errors="coerce").notna().all():
        return {}
    return {value: index for index, value in enumerate(pd.unique(values))}


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
        title=f"Sizing {path_label(vary)}: {metric_label(metric)} {sizing['op']} "
        f"{format_value(metric, float(sizing['bound']))} ({where}), 95% confidence",
    )

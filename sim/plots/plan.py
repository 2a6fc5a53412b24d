"""The cost-versus-wait frontier of `capsim plan` (plan.json)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matplotlib.figure import Figure

from sim.formatting import format_value, metric_scale
from sim.plots.style import (
    COLUMN_WIDTH,
    axis_label,
    colour_map,
    legend_outside,
    metric_label,
    new_figure,
    subplots,
)


def plan_frontier(plan: Mapping[str, Any]) -> Figure:
    """Total cost of ownership against the frontier's wait, one line per planned variant: the
    plans of the search that no other beats on both, the recommended plan of each variant as a
    star (its estimate on the fresh replications) and the constraint's bound dashed. With a
    wait quantile constraint the wait is the share of jobs waiting longer than its bound (as
    the constraint is judged), else the mean of the metric."""
    metric = plan["frontier_metric"]
    share = plan.get("frontier_share")
    variants = plan["variants"]
    waits = [p["wait"] for v in variants.values() for p in v["frontier"]]
    costs = [p["tco_cny"] for v in variants.values() for p in v["frontier"]]
    wait_scale, wait_unit = (0.01, "%") if share is not None else metric_scale(metric, waits)
    cost_scale, cost_unit = metric_scale("tco_cny", costs)
    figure = new_figure(COLUMN_WIDTH, 4.0)
    ax = subplots(figure, 1, 1)[0, 0]
    colours = colour_map(list(variants))
    for name, answer in variants.items():
        points = answer["frontier"]
        ax.plot(
            [p["tco_cny"] / cost_scale for p in points],
            [p["wait"] / wait_scale for p in points],
            marker="o",
            drawstyle="steps-post",
            color=colours[name],
            label=f"{name}: frontier",
        )
        chosen = answer["recommended"]
        if chosen is not None:
            worst = max(
                (
                    s["estimate"] if share is not None else s["mean"]
                    for s in chosen["slos"]
                    if s["target"].startswith(metric + " ")
                ),
                default=0.0,
            )
            ax.plot(
                chosen["tco_cny"] / cost_scale,
                worst / wait_scale,
                marker="*",
                markersize=16,
                color=colours[name],
                markeredgecolor="black",
                ls="none",
                label=f"{name}: recommended",
            )
    bounds = [c for c in plan["constraints"] if c["target"].startswith(metric + " ")]
    if bounds:
        bound = float(bounds[0]["target"].split()[-1])
        line = share if share is not None else bound
        ax.axhline(line / wait_scale, color="black", ls="--", lw=1, label="constraint")
    ax.set_xlabel(axis_label("tco_cny", cost_unit))
    if share is not None and bounds:
        over = format_value(metric, float(bounds[0]["target"].split()[-1]))
        ax.set_ylabel(f"jobs waiting over {over} [%] (worst place)")
    else:
        ax.set_ylabel(axis_label(metric, wait_unit) + " (worst place)")
    ax.set_title(f"Cost against {metric_label(metric)}: plans no other beats on both")
    legend_outside(ax, fontsize=8)
    return figure

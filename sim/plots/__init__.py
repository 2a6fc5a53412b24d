"""Result tables → matplotlib figures, for notebooks and the planning report.

Every function takes the tables capsim writes (docs/outputs.md): the summary.json document, the
``jobs`` and ``timeseries`` frames of ``capsim run --out``, summary.parquet of ``capsim batch``,
sizing.json of ``capsim size``; and returns a :class:`matplotlib.figure.Figure`. Figures are
built without pyplot (no display, no global figure registry): save them with
``fig.savefig("x.png")``; in Jupyter they display as the cell's value.
"""

from sim.plots.bars import city_bars, energy_bars
from sim.plots.levels import city_levels, period_waits, utilisation_over_time, wait_cdf, waits
from sim.plots.plan import plan_frontier
from sim.plots.style import STYLE, axis_label, format_value, metric_label, metric_scale
from sim.plots.sweeps import sizing_curve, sweep_curve

__all__ = [
    "STYLE",
    "axis_label",
    "city_bars",
    "city_levels",
    "energy_bars",
    "format_value",
    "metric_label",
    "metric_scale",
    "period_waits",
    "plan_frontier",
    "sizing_curve",
    "sweep_curve",
    "utilisation_over_time",
    "wait_cdf",
    "waits",
]

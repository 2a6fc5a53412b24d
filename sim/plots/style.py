"""What every capsim figure shares: print-legible style, colours, and metrics in a reader's
names and units."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import LogFormatter

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
    "tco_cny": "total cost of ownership",
    "build_cny": "build cost",
}


class PlainTextFigure(Figure):
    """A figure whose every string is drawn as written: a ``$`` in a city, variant or sweep
    value is a dollar sign, not the start of math text (``$\\frac$`` would not even parse).

    Only the tick labels of log axes keep math text: their formatter writes the powers of ten
    in it.
    """

    def draw(self, renderer: RendererBase) -> None:
        import matplotlib as mpl

        math_ticks: set[Text] = set()
        for ax in self.axes:
            for axis in (ax.xaxis, ax.yaxis):
                if isinstance(axis.get_major_formatter(), LogFormatter):
                    for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                        math_ticks.update((tick.label1, tick.label2))
        for text in self.findobj(Text):
            if isinstance(text, Text) and text not in math_ticks:
                text.set_usetex(False)
                text.set_parse_math(False)
        with mpl.rc_context({"text.usetex": False}):
            super().draw(renderer)


def new_figure(width: float, height: float) -> Figure:
    import matplotlib as mpl

    with mpl.rc_context(cast(Any, STYLE)):
        return PlainTextFigure(figsize=(width, height), layout="constrained")


def subplots(figure: Figure, rows: int, columns: int, **kwargs: Any) -> np.ndarray:
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
    if metric in ("cost_cny", "tco_cny", "capex_cny", "maintenance_cny", "build_cny"):
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


def colour_map(names: Sequence[str]) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


_DASHES = ["-", "--", ":", "-."]


def dash_map(names: Sequence[str]) -> dict[str, str]:
    """A line style per name, so that lines lying on each other stay distinguishable."""
    return {name: _DASHES[i % len(_DASHES)] for i, name in enumerate(names)}

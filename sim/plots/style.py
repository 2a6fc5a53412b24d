"""What every capsim figure shares: print-legible style, colours, and metrics in a reader's
names and units."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, cast

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import LogFormatter

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
    "axes.formatter.useoffset": False,
    "axes.formatter.limits": (-9, 15),
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
        fonts = _font_style()
        for text in self.findobj(Text):
            if not isinstance(text, Text):
                continue
            if fonts:
                text.set_fontfamily(fonts["font.family"])
            if text not in math_ticks:
                text.set_usetex(False)
                text.set_parse_math(False)
        with mpl.rc_context(cast(Any, {"text.usetex": False, **fonts})):
            super().draw(renderer)


COLUMN_WIDTH = 10.5
"""Width of a figure [in]: the report's text column (1,100 px less its margins, at 96 px/in),
so every figure's text is drawn at the size of the page's."""

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "AR PL UMing CN",
    "PingFang SC",
    "Microsoft YaHei",
    "SimHei",
)
"""Fonts with Chinese glyphs, tried in order; none is bundled (README: installing one)."""


@cache
def cjk_font() -> str | None:
    """The first installed font of :data:`CJK_FONTS`, or None."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _font_style() -> dict[str, Any]:
    """Fall back to an installed CJK font for names such as 深圳 (matplotlib >= 3.6 tries
    the families in order, glyph by glyph)."""
    font = cjk_font()
    return {"font.family": ["DejaVu Sans", font]} if font else {}


def new_figure(width: float, height: float) -> Figure:
    import matplotlib as mpl

    with mpl.rc_context(cast(Any, STYLE | _font_style())):
        return PlainTextFigure(figsize=(width, height), layout="constrained")


def subplots(figure: Figure, rows: int, columns: int, **kwargs: Any) -> np.ndarray:
    import matplotlib as mpl

    with mpl.rc_context(cast(Any, STYLE)):
        axes = figure.subplots(rows, columns, squeeze=False, **kwargs)
    return np.asarray(axes)


def add_subplot(figure: Figure, spec: Any, **kwargs: Any) -> Axes:
    """One axes at ``spec`` of a grid, in :data:`STYLE`."""
    import matplotlib as mpl

    with mpl.rc_context(cast(Any, STYLE)):
        return figure.add_subplot(spec, **kwargs)


def metric_label(metric: str) -> str:
    """A reader's name for a metric: ``wait_p95_s`` → ``p95 wait``."""
    if metric.startswith("wait_"):
        kind = metric.removeprefix("wait_").removesuffix("_s")
        return f"{kind} wait" if kind != "mean" else "mean wait"
    return _LABELS.get(metric, metric.replace("_", " "))


_PATH_WORDS = {
    "count": "accelerators",
    "pflops": "capacity [PFLOPS]",
    "cabinets": "cabinets",
    "kw_per_cabinet": "cabinet power [kW]",
    "power_cap": "power cap [W]",
    "electricity_price": "electricity price [CNY/kWh]",
    "carbon_intensity": "grid carbon [kgCO₂/kWh]",
    "pue": "PUE",
    "rate": "arrival rate [1/s]",
    "bandwidth": "bandwidth [bit/s]",
    "latency": "latency [s]",
    "dispatch": "dispatch policy",
    "local": "local scheduler",
    "replications": "replications",
}


def path_label(path: str) -> str:
    """A swept key path in a reader's words: ``cities.guian.centers.guian-hub.count`` →
    ``guian-hub: accelerators``; ``workload.0.arrival.rate`` → ``arrival rate [1/s]`` of the
    class."""
    parts = path.split(".")
    last = parts[-1]
    words = _PATH_WORDS.get(last, last.replace("_", " "))
    if len(parts) >= 4 and parts[0] == "cities" and parts[2] == "centers":
        return f"{parts[3]}: {words}"
    if len(parts) >= 2 and parts[0] == "cities":
        return f"{parts[1]}: {words}"
    if len(parts) >= 2 and parts[0] == "workload":
        return f"workload {parts[1]}: {words}"
    return words


def legend_outside(ax: Axes, **kwargs: Any) -> None:
    """The legend to the right of the axes, never over the data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kwargs)


def axis_label(metric: str, unit: str) -> str:
    return f"{metric_label(metric)} [{unit}]"


def colour_map(names: Sequence[str]) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


_DASHES = ["-", "--", ":", "-."]


def dash_map(names: Sequence[str]) -> dict[str, str]:
    """A line style per name, so that lines lying on each other stay distinguishable."""
    return {name: _DASHES[i % len(_DASHES)] for i, name in enumerate(names)}

"""Figures of sim.plots drawn headless: user strings stay plain text."""

from __future__ import annotations

import io

import pandas as pd

from sim import plots

MATH = r"$\frac$"
"""Not valid math text: matplotlib raises if it ever tries to parse it."""


def render(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def test_city_and_variant_names_are_never_parsed_as_math_text():
    row = {"utilisation": 0.5, "wait_p95_s": 100.0, "wait_p95_s_ci95": 10.0}
    summary = {"variants": {f"v{MATH}": {"cities": {MATH: row, "b": row}, "overall": row}}}
    figure = plots.city_bars(summary)
    assert render(figure)
    labels = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    assert MATH in labels


def test_sweep_values_are_never_parsed_as_math_text():
    table = pd.DataFrame(
        {
            "scheduling.local": [MATH, "b$x$"],
            "variant": [f"v{MATH}"] * 2,
            "level": "overall",
            "city": "",
            "wait_p95_s": [60.0, 120.0],
            "wait_p95_s_ci95": [6.0, 6.0],
        }
    )
    assert render(plots.sweep_curve(table, "scheduling.local", "wait_p95_s"))

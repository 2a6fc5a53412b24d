"""Figures of sim.plots drawn headless: user strings stay plain text."""

from __future__ import annotations

import io
import warnings

import pandas as pd
import pytest

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


def test_chinese_names_render_with_an_installed_cjk_font():
    if plots.style.cjk_font() is None:
        pytest.skip("no CJK font installed (README: fonts-noto-cjk)")
    row = {"utilisation": 0.5, "wait_p95_s": 100.0}
    summary = {"variants": {"v": {"cities": {"深圳": row, "贵安": row}, "overall": row}}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns of every glyph it lacks
        assert render(plots.city_bars(summary))


def test_a_fraction_band_stops_at_100_percent():
    table = pd.DataFrame(
        {
            "cities.a.centers.c.count": [4, 8],
            "variant": "v",
            "level": "overall",
            "city": "",
            "utilisation": [0.97, 0.6],
            "utilisation_ci95": [0.16, 0.02],
        }
    )
    figure = plots.sweep_curve(table, "cities.a.centers.c.count", "utilisation")
    band = figure.axes[0].collections[0]
    assert max(y for path in band.get_paths() for _, y in path.vertices) <= 100.0

"""The figure rules of the planning report, checked on the figures of run, sweep, grid and size
reports (issue 12): no empty panel, no legend over plotted data, no key path in a label; and
each report screenshotted in a headless browser (skipped without chromium, as in
test_report_browser.py)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import yaml
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from PIL import Image

from sim import plots
from sim.cli import main
from sim.reporting.build import build_report
from sim.reporting.document import FigureBlock
from sim.reporting.html import figure_png
from sim.results import read_results
from tests.conftest import one_center
from tests.unit.test_report_browser import browser, headless

KEY_PATH = re.compile(r"[a-z_]+\.[\w-]+\.[\w-]+")
"""A dotted key path such as ``cities.a.centers.c.count``."""


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Output folders of run, sweep (one axis), grid (two axes) and size, on five cities so the
    run draws its levels as small multiples."""
    root = tmp_path_factory.mktemp("figures")
    data = one_center(4, rate="5/h", horizon="2d", warmup="6h")
    data["run"]["replications"] = 2
    for name in "bcde":
        data["cities"][name] = {"centers": {f"{name}1": {"accelerator": "a100", "count": 4}}}
    quiet = {
        **data["workload"][0],
        "name": "light",
        "origin": "b",
        "arrival": {"kind": "poisson", "rate": "1/h"},
    }
    data["workload"].append(quiet)  # b never queues: its p95 wait is a zero bar
    data["default_link"] = {"latency": "10ms", "bandwidth": "100Gbps"}
    data["variants"] = {"siloed": {}, "on-demand": {"dispatch": "on-demand"}}
    path = root / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    out = {name: root / name for name in ("run", "sweep", "grid", "size")}
    common = [str(path), "--serial", "--quiet", "--replications", "2"]
    sweep = ["--sweep", "cities.a.centers.c.count=4,6"]
    assert main(["run", str(path), "--out", str(out["run"]), "--quiet"]) == 0
    assert main(["batch", *common, "--out", str(out["sweep"]), *sweep]) == 0
    grid = [*sweep, "--sweep", "cities.b.centers.b1.count=2,4"]
    assert main(["batch", *common, "--out", str(out["grid"]), *grid]) == 0
    vary = ["--vary", "cities.a.centers.c.count", "--range", "2:16"]
    main(["size", *common, "--out", str(out["size"]), *vary, "--target", "wait_p95_s <= 1h"])
    return out


def figures(folder) -> list[Figure]:
    document = build_report(read_results(folder))
    blocks = [b for s in document.sections for b in s.blocks if isinstance(b, FigureBlock)]
    for block in blocks:
        figure_png(block.figure)  # drawn as in the report, so every extent is final
    return [block.figure for block in blocks]


def data_boxes(ax: Axes) -> list[np.ndarray]:
    """Display coordinates of what ``ax`` plots: line points and bar corners."""
    points = []
    for line in ax.get_lines():
        xy = np.column_stack(line.get_data(orig=False)).astype(float)
        xy = xy[np.isfinite(xy).all(axis=1)]
        if len(xy):
            points.append(ax.transData.transform(xy))
    for bar in bars(ax):
        if bar.get_height() != 0:
            points.append(bar.get_window_extent().get_points())
    return points


def bars(ax: Axes) -> list[Rectangle]:
    return [bar for c in ax.containers if isinstance(c, BarContainer) for bar in c.patches]


def drawn_data(ax: Axes) -> bool:
    return bool(data_boxes(ax)) or bool(ax.collections)


@pytest.mark.parametrize("kind", ["run", "sweep", "grid", "size"])
def test_report_figures_follow_the_rules(folders, kind):
    shown = figures(folders[kind])
    assert shown, f"the {kind} report has no figure"
    for figure in shown:
        title = figure.get_suptitle() or figure.axes[0].get_title()
        panels = [ax for ax in figure.axes if ax.get_visible()]
        # No empty panel.
        assert all(drawn_data(ax) for ax in panels), f"{title}: an empty panel"
        # No legend over the data: every legend's box holds no plotted point.
        legends = [ax.get_legend() for ax in panels if ax.get_legend()] + list(figure.legends)
        for legend in legends:
            box = legend.get_window_extent()
            for ax in panels:
                for points in data_boxes(ax):
                    inside = (
                        box.contains_points(points)
                        if hasattr(box, "contains_points")
                        else [box.contains(x, y) for x, y in points]
                    )
                    assert not np.any(inside), f"{title}: the legend covers data"
        # Labels in words, never key paths.
        texts = [t.get_text() for t in figure.findobj(Text) if t.get_text()]
        paths = [t for t in texts if KEY_PATH.search(t)]
        assert not paths, f"{title}: key paths in labels: {paths}"
        # No panel of a single bar.
        for ax in panels:
            assert len(bars(ax)) != 1, f"{title}: a panel with a single bar"


def test_zero_bars_are_labelled_markers():
    def row(wait: float) -> dict:
        return {"utilisation": 0.5, "wait_p95_s": wait, "wait_p95_s_ci95": 0.0}

    cities = {"a": row(7200.0), "b": row(0.0), "c": row(0.0)}
    summary = {"variants": {"v": {"cities": cities, "overall": row(3600.0)}}}
    figure = plots.city_bars(summary)
    figure_png(figure)
    wait_panel = figure.axes[1]
    assert [t.get_text() for t in wait_panel.texts] == ["0 s", "0 s"]
    markers = [line for line in wait_panel.get_lines() if line.get_marker() == "o"]
    assert (len(markers) == 1 and list(markers[0].get_xdata()) == pytest.approx([0.0, 1.0])) or (
        len(markers[0].get_xdata()) == 2
    )


@pytest.mark.parametrize("kind", ["run", "sweep", "grid", "size"])
def test_report_screenshots_in_a_headless_browser(folders, kind, tmp_path):
    executable = browser()
    report = folders[kind] / "report.html"
    assert main(["report", str(folders[kind]), "-o", str(report)]) == 0
    shot = tmp_path / f"{kind}.png"
    headless(
        executable,
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1100,3000",
        report.as_uri(),
    )
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    ink = pixels < 200
    assert ink.mean() > 0.01 and ink.any(axis=1).mean() > 0.3  # not a blank page
    # The figures span the text column: some row of the page is inked across most of it.
    assert (ink.any(axis=0)).mean() > 0.8

"""The HTML report in a real headless browser (Debian's chromium): every figure decodes and the
page renders to a screenshot that is not blank.

Skipped when chromium is not installed, unless CAPSIM_REQUIRE_BROWSER=1 (as .ci/run sets it):
then a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import numpy as np
import pytest
import yaml
from PIL import Image

from sim.cli import main
from tests.conftest import one_center

BROWSERS = ("chromium", "chromium-browser")

PROBE = """
<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const loaded = images.filter((img) => img.complete && img.naturalWidth > 0).length;
  document.body.setAttribute("data-probe", `images=${images.length} loaded=${loaded}`);
});
</script>
"""
"""Added to a copy of the report only: the report itself has no script."""


def browser() -> str:
    found = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if found is None:
        if os.environ.get("CAPSIM_REQUIRE_BROWSER") == "1":
            pytest.fail("CAPSIM_REQUIRE_BROWSER=1 but no chromium on PATH")
        pytest.skip("chromium is not installed")
    return found


def headless(executable: str, profile, *args: str) -> subprocess.CompletedProcess:
    command = [
        executable,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    data = one_center(8, rate="6/h", horizon="3d", warmup="6h")
    data["name"] = "<b>browser</b> test"
    data["run"]["replications"] = 2
    data["cities"]["b"] = {"centers": {"b1": {"accelerator": "h100", "count": 8}}}
    data["default_link"] = {"latency": "10ms", "bandwidth": "100Gbps"}
    data["variants"] = {"siloed": {}, "on-demand": {"dispatch": "on-demand"}}
    path = folder / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    out = folder / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 0
    assert main(["report", str(out)]) == 0
    return out / "report.html"


def test_every_figure_loads_in_a_real_browser(report, tmp_path):
    executable = browser()
    html = report.read_text(encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    done = headless(
        executable,
        tmp_path / "profile",
        "--virtual-time-budget=10000",
        "--dump-dom",
        probe.as_uri(),
    )
    match = re.search(r'data-probe="images=(\d+) loaded=(\d+)"', done.stdout)
    assert match, done.stderr[-2000:]
    images, loaded = int(match.group(1)), int(match.group(2))
    assert images == html.count("<img ") and images >= 4
    assert loaded == images


def test_the_report_renders_to_a_screenshot_that_is_not_blank(report, tmp_path):
    executable = browser()
    shot = tmp_path / "report.png"
    done = headless(
        executable,
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1200,3000",
        report.as_uri(),
    )
    assert shot.exists(), done.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.shape == (3000, 1200)
    ink = pixels < 200
    assert ink.mean() > 0.02  # text, tables and figures, not an empty page
    rows_with_ink = ink.any(axis=1).mean()
    assert rows_with_ink > 0.5  # content down the page, not one line at the top

"""capsim report: the planning report of a run and of a batch, its findings and its plots."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import stat

import pandas as pd
import pytest
import yaml
from matplotlib.figure import Figure

from sim import plots
from sim.cli import main
from sim.reporting.assumptions import SourceText
from sim.reporting.document import SECTIONS
from sim.reporting.findings import difference, run_findings
from sim.results import read_results
from tests.conftest import one_center

HOSTILE = "<script>alert(1)</script>"

SCENARIO = f"""\
# Test scenario header: sources-header-note
name: "{HOSTILE}"
description: Two small cities & a link.
run: {{horizon: 4d, warmup: 12h, seed: 2, replications: 3, timeseries_step: 2h}}
cities:
  east:
    electricity_price: 0.65   # price-note-east
    centers:
      busy: {{accelerator: a100, count: 16}}   # center-note-busy
  west:
    electricity_price: 0.4
    centers:
      idle: {{accelerator: a100, count: 16}}
network:
  - {{between: [east, west], latency: 20ms, bandwidth: 100Gbps}}   # link-note
workload:
  # workload-note-above
  - name: train
    origin: east
    arrival: {{kind: poisson, rate: 14/h}}
    size: {{kind: choice, values: [1, 2, 4], weights: [0.5, 0.3, 0.2]}}
    duration: {{kind: exponential, mean: 1h}}
    dataset: 100GB
variants:
  siloed: {{dispatch: siloed}}
  on-demand: {{dispatch: on-demand}}
"""


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("scenario") / "hostile.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run_dir(scenario_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    assert main(["run", str(scenario_file), "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def batch_dir(scenario_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch") / "out"
    args = ["batch", str(scenario_file), "--out", str(out), "--serial", "--quiet"]
    sweep = ["--sweep", "cities.east.centers.busy.count=12,16,24", "--replications", "2"]
    assert main([*args, *sweep]) == 0
    return out


def section_ids(html: str) -> set[str]:
    return set(re.findall(r'<section id="([^"]+)"', html))


def assert_self_contained(html: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "@import" not in html
    assert "url(" not in html
    assert "<link" not in html.lower() and "<script" not in html.lower()


@pytest.mark.parametrize("which", ["run", "batch"])
def test_report_has_every_section_and_no_external_reference(which, run_dir, batch_dir, capsys):
    folder = run_dir if which == "run" else batch_dir
    assert main(["report", str(folder)]) == 0
    assert "report.html" in capsys.readouterr().out
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert section_ids(html) == {anchor for anchor, _ in SECTIONS}
    assert_self_contained(html)
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) >= 3
    for note in ("sources-header-note", "price-note-east", "center-note-busy", "link-note"):
        assert note in html, note
    assert "workload-note-above" in html
    assert (
        "sha256" in html
        and json.loads((folder / "summary.json").read_text())["scenario_sha256"] in html
    )
    assert "Not available" not in html.split('id="method"')[0]


def test_run_out_stores_the_scenario_the_report_needs(run_dir, scenario_file):
    assert (run_dir / "scenario.yaml").read_bytes() == scenario_file.read_bytes()
    scenario_file_copy = scenario_file.read_text()
    scenario_file.write_text(scenario_file_copy.replace("price-note-east", "changed"))
    try:
        assert "price-note-east" in (read_results(run_dir).scenario_text or "")
    finally:
        scenario_file.write_text(scenario_file_copy)


def test_without_the_scenario_the_report_says_so(run_dir, tmp_path):
    folder = tmp_path / "old"  # written before capsim kept scenario.yaml and contents.json
    shutil.copytree(run_dir, folder)
    (folder / "scenario.yaml").unlink()
    (folder / "contents.json").unlink()
    summary = json.loads((folder / "summary.json").read_text())
    summary["scenario_sha256"] = "0" * 64  # the original file has changed since
    (folder / "summary.json").write_text(json.dumps(summary))
    assert main(["report", str(folder)]) == 0
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "so the assumptions cannot be shown" in html
    assert "price-note-east" not in html


def test_outputs_get_the_permissions_of_any_new_file(run_dir):
    mask = os.umask(0)
    os.umask(mask)
    for name in ("summary.json", "scenario.yaml", "report.html"):
        path = run_dir / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask, name


def test_markdown_report_writes_figures_and_csv_tables(run_dir, tmp_path):
    target = tmp_path / "md"
    assert main(["report", str(run_dir), "--format", "md", "-o", str(target)]) == 0
    text = (target / "report.md").read_text(encoding="utf-8")
    for _, title in SECTIONS:
        assert f"## {title}" in text
    assert HOSTILE not in text
    figures = sorted((target / "figures").glob("*.png"))
    assert len(figures) == 4
    assert all(path.read_bytes().startswith(b"\x89PNG") for path in figures)
    for path in figures:
        assert f"figures/{path.name}" in text
    table = pd.read_csv(target / "tables" / "cities-siloed.csv")
    assert set(table["city"]) == {"east", "west", "overall"}
    assert table["utilisation"].between(0, 1).all()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ({}, "holds no summary.json"),
        ({"summary.json": "{not json"}, "cannot read it as JSON"),
        ({"summary.json": '{"variants": {}}'}, "missing scenario"),
        ({"summary.json": '{"points": []}'}, "summary.parquet is missing"),
    ],
)
def test_a_folder_that_is_not_capsim_output_is_refused(tmp_path, capsys, content, message):
    folder = tmp_path / "dir"
    if content is not None:
        folder.mkdir()
        for name, text in content.items():
            (folder / name).write_text(text)
    assert main(["report", str(folder)]) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error


# --- findings ----------------------------------------------------------------------------------


def comparison(mean: float, half: float | None, before: float = 14400.0) -> dict:
    diff = {"wait_p95_s": mean} | ({"wait_p95_s_ci95": half} if half is not None else {})
    row = {"wait_p95_s": before}
    after = {"wait_p95_s": before + mean}
    return {
        "replications": 3 if half is not None else 1,
        "variants": {
            "siloed": {"overall": row, "cities": {"a": row}},
            "on-demand": {"overall": after, "cities": {"a": after}},
        },
        "comparisons": {
            "on-demand": {"baseline": "siloed", "overall": diff, "cities": {"a": diff}}
        },
    }


def test_a_difference_is_claimed_only_when_its_interval_excludes_zero():
    text, claimed = difference(comparison(-7200.0, 3600.0), "on-demand", "a", "wait_p95_s")
    assert claimed and text.startswith("on-demand cuts a's p95 wait from 4 h to 2 h")
    assert "(difference −2 h, 95% CI −3 h to −1 h)" in text
    text, claimed = difference(comparison(7200.0, 3600.0), "on-demand", "a", "wait_p95_s")
    assert claimed and text.startswith("on-demand raises a's p95 wait from 4 h to 6 h")
    text, claimed = difference(comparison(-3600.0, 4000.0), "on-demand", "a", "wait_p95_s")
    assert not claimed and text.startswith("No significant difference in p95 wait in a")
    assert "cuts" not in text
    # at the observed variance, n * (half / |mean|)^2 replications: 3 * (4000 / 3600)^2 -> 4
    assert "about 4 replications would resolve it at the observed variance" in text
    text, claimed = difference(comparison(0.0, 0.0), "on-demand", "a", "wait_p95_s")
    assert not claimed and "the same under on-demand and siloed (4 h)" in text
    text, claimed = difference(comparison(-3600.0, None), "on-demand", "overall", "wait_p95_s")
    assert not claimed and "no difference is claimed" in text


def test_findings_of_a_real_run_state_only_supported_differences(run_dir):
    summary = read_results(run_dir).summary
    for _, sentences in run_findings(summary):
        for sentence in sentences:
            match = re.search(r"\(difference ([^,]+), 95% CI", sentence)
            if " cuts " in sentence or " raises " in sentence:
                assert match, sentence
    differences = summary["comparisons"]["on-demand"]["overall"]
    mean, half = differences["wait_p95_s"], differences["wait_p95_s_ci95"]
    headline = next(s for _, group in run_findings(summary) for s in group if "overall p95" in s)
    assert ("cuts" in headline or "raises" in headline) == (abs(mean) > half)


def test_per_city_findings_give_every_city_its_paired_interval():
    summary = comparison(-3600.0, 4000.0)
    for city, mean in (("b", -7200.0), ("c", 0.0)):
        summary["variants"]["siloed"]["cities"][city] = {"wait_p95_s": 14400.0}
        summary["variants"]["on-demand"]["cities"][city] = {"wait_p95_s": 14400.0 + mean}
        half = 3600.0 if mean else 0.0
        summary["comparisons"]["on-demand"]["cities"][city] = {
            "wait_p95_s": mean,
            "wait_p95_s_ci95": half,
        }
    sentences = dict(run_findings(summary))["on-demand against siloed"]
    per_city = [s for s in sentences if "overall" not in s]
    assert per_city[0].startswith("on-demand cuts b's p95 wait")  # the resolved one first
    assert any(s.startswith("No significant difference in p95 wait in a") for s in per_city)
    assert any("the same under on-demand and siloed" in s and " c " in s for s in per_city)
    for sentence in sentences:
        if "significant" in sentence or " cuts " in sentence or " raises " in sentence:
            assert "95% CI" in sentence, sentence
    summary["replications"] = 1  # no intervals: no sentence per city, so none contradicts
    sentences = dict(run_findings(summary))["on-demand against siloed"]
    assert not [s for s in sentences if " b's " in s or " in b " in s]


def test_yaml_comments_are_found_for_their_entries():
    source = SourceText.parse(SCENARIO)
    assert source.header == "Test scenario header: sources-header-note"
    assert source.notes("cities", "east", "electricity_price") == "price-note-east"
    assert source.notes("cities", "east", "centers", "busy") == "center-note-busy"
    assert source.notes("workload", 0) == "workload-note-above"
    assert source.notes("cities", "west") == ""
    assert SourceText.parse("a: '# not a comment'  # but this is\n").notes("a") == "but this is"


# --- plots -------------------------------------------------------------------------------------


def drawn(figure: Figure) -> list:
    """Axes that show something: lines, bars or filled bands."""
    return [ax for ax in figure.axes if ax.lines or ax.patches or ax.collections]


def test_every_plot_has_titles_units_and_data(run_dir, batch_dir):
    run = read_results(run_dir)
    batch = read_results(batch_dir)
    s = run.summary
    assert run.timeseries is not None and run.jobs is not None and batch.table is not None
    figures = [
        plots.utilisation_over_time(run.timeseries, warmup_s=s["warmup_s"]),
        plots.wait_cdf(run.jobs, warmup_s=s["warmup_s"], horizon_s=s["horizon_s"]),
        plots.city_bars(s),
        plots.energy_bars(s),
        plots.sweep_curve(batch.table, "cities.east.centers.busy.count", "wait_p95_s"),
    ]
    bars = figures[2:4]  # their x axis is the cities
    for figure in figures:
        assert isinstance(figure, Figure)
        assert drawn(figure)
        ylabels = [ax.get_ylabel() for ax in figure.axes if ax.get_ylabel()]
        assert ylabels and all("[" in label for label in ylabels), ylabels
        assert any(ax.get_xlabel() for ax in figure.axes) or figure in bars
        assert figure.get_suptitle() or all(ax.get_title() for ax in drawn(figure))


def test_sweep_curve_marks_the_sizing_answer(batch_dir):
    table = read_results(batch_dir).table
    assert table is not None
    figure = plots.sweep_curve(
        table, "cities.east.centers.busy.count", "wait_p95_s", target=1800.0, answer=16
    )
    ax = figure.axes[0]
    vertical = [line for line in ax.lines if list(line.get_xdata()) == [16, 16]]
    assert vertical and "16" in vertical[0].get_label()


def test_city_levels_average_replications_and_sum_centers():
    rows = []
    for replication, busy in ((0, 2.0), (1, 4.0)):
        for center in ("c1", "c2"):
            rows.append(
                {
                    "variant": "base",
                    "replication": replication,
                    "city": "a",
                    "center": center,
                    "t_start_s": 0.0,
                    "busy_mean": busy,
                    "accelerators": 8,
                    "queue_len_mean": 1.0,
                }
            )
    levels = plots.city_levels(pd.DataFrame(rows))
    assert len(levels) == 1
    assert math.isclose(levels["utilisation"].iloc[0], (2 * 3.0) / 16)
    assert math.isclose(levels["queue_len_mean"].iloc[0], 2.0)


def test_a_single_replication_report_makes_no_claim(tmp_path):
    data = one_center(4, rate="3/h", horizon="2d")
    data["variants"] = {"fifo": {}, "sjf": {"scheduling": {"local": "sjf"}}}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 0
    assert main(["report", str(out)]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert " cuts " not in html and " raises " not in html
    assert "no difference between variants is claimed" in html


def test_a_sizing_folder_gets_its_curve_and_answer(tmp_path, scenario_file):
    sizing = {
        "vary": "cities.east.centers.busy.count",
        "target": "wait_p95_s <= 1800",
        "metric": "wait_p95_s",
        "op": "<=",
        "bound": 1800.0,
        "city": None,
        "variant": "siloed",
        "answer": 16,
        "evaluations": [
            {
                "value": v,
                "mean": m,
                "ci95": h,
                "bound_used": m + h,
                "meets": m + h <= 1800,
                "replications": 3,
            }
            for v, m, h in ((12, 5000.0, 900.0), (16, 1000.0, 300.0), (24, 0.0, 0.0))
        ],
    }
    (tmp_path / "sizing.json").write_text(json.dumps(sizing))
    (tmp_path / "scenario.yaml").write_bytes(scenario_file.read_bytes())
    assert main(["report", str(tmp_path)]) == 0
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert section_ids(html) == {anchor for anchor, _ in SECTIONS}
    assert_self_contained(html)
    assert "meets p95 wait &lt;= 30 min overall with 95% confidence is 16" in html
    assert html.count("<img ") == 1 and "center-note-busy" in html


PLANNING = """\
name: planning-features
run: {horizon: 12d, warmup: 1d, seed: 3, replications: 2, timeseries_step: 2h, period: 2d}
failures: {enabled: true, mtbf: {h800: 2000h}}   # failures-note
cities:
  east:
    centers:
      mixed:   # pools-note
        pools:
          - {accelerator: h800, count: 32}
          - {accelerator: ascend-910b, phases: [{at: 0d, count: 16}, {at: 6d, add: 32}]}
  west:
    centers:
      hall: {accelerator: a100, cabinets: 40, kw_per_cabinet: 10, power_cap: 1MW}
workload:
  - name: pretrain
    origin: east
    arrival: {kind: poisson, rate: 30/d, growth: 60%/y}
    size: {kind: choice, values: [8, 16], weights: [0.5, 0.5]}
    work: {params: 7e9, tokens: 2e10}
    mfu: 0.4
    checkpoint: {interval: 1h, restart: 5min}
  - name: tune
    origin: west
    arrival: {kind: bursty, rate: 20/d, cv: 3}
    size: {kind: fixed, value: 8}
    duration: {kind: lognormal, median: 3h, sigma: 1}
inference:
  - name: chat
    city: east
    accelerator: h800
    peak: 8
    profile: [0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.4, 0.6, 0.8, 1, 1, 1,
              1, 1, 1, 1, 1, 1, 1, 1, 0.8, 0.6, 0.4, 0.2]
"""


def test_report_of_a_planning_scenario_describes_supply_work_and_crossings(tmp_path, capsys):
    """Pools, build-out, cabinets under a cap, work in FLOP, growth, bursty arrivals,
    inference and failures all reach the report: in the assumptions, the supply table and the
    findings on when waits cross a day."""
    scenario = tmp_path / "planning.yaml"
    scenario.write_text(PLANNING, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == 0
    assert main(["report", str(out), "-o", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert_self_contained(html)
    for text in (
        "When waits cross a day",
        "p95 wait first exceeds 1 d",
        "supply, inference and failures per city",
        "goodput",
        "build-out: 16 at start; 48 from day 6",
        "cabinets: 40 of 10 kW",
        "site cap 1 MW",
        "6 × params × tokens",
        "growing 60% a year",
        "bursty (batch, gap CV 3)",
        "Inference loads (ahead of training)",
        "2,000 h",
        "failures-note",
        "pools-note",
    ):
        assert text in html, text
    assert 'alt="When waits cross a day' in html or "period-waits" in html

"""Every shipped scenario validates and runs briefly."""

from pathlib import Path

import pytest

from sim import load_scenario, run_metrics, simulate
from sim.cli import default_scenario
from sim.workload.arrivals import expected_arrivals

SCENARIOS = sorted((Path(__file__).parents[2] / "scenarios").glob("*.yaml"))


def test_there_are_scenarios_and_the_default_is_one_of_them():
    assert SCENARIOS
    assert default_scenario().name in {path.name for path in SCENARIOS}


BRIEF_JOBS = 30_000
"""About how many jobs a brief run draws at most: the national network's ~28,000 a day would
make three days the slowest test of the suite."""


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_validates_and_runs_briefly(path):
    scenario = load_scenario(path)
    per_day = sum(expected_arrivals(w.arrival, 86400.0) for w in scenario.workload)
    horizon = min(scenario.run.horizon, 3 * 86400.0, BRIEF_JOBS / per_day * 86400.0)
    short = load_scenario(path, overrides={"run": {"horizon": horizon, "warmup": horizon / 3}})
    metrics = run_metrics(simulate(short, 1))
    assert metrics["overall"]["jobs_arrived"] > 0
    assert 0 < metrics["overall"]["utilisation"] <= 1


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_cites_its_sources(path):
    assert "DOMAIN.md" in path.read_text(encoding="utf-8")


def test_growth_scenario_runs_its_three_years_and_reports_the_crossings():
    """The issue's three-year scenario: 60%/y growth, phased build-out, failures on.

    Beijing's installed mean over the window [30 d, 1095 d) is its phase plan integrated (its
    retirement leaves far more than is busy, so nothing drains). Its plan outgrows demand (at
    most ~1.6^3 x half of its 2025 capacity by 2027) so its p95 wait stays under a day, while
    the same demand on the 2025 capacity saturates it; the build-out also delays Shenzhen's
    crossing, and Shanghai, built out in neither variant, crosses on the same day in both
    (common random numbers: same demand, same capacity).
    """
    from sim.report import variants_table, wait_alarm_lines
    from sim.summary import run_replications

    path = Path(__file__).parents[2] / "scenarios" / "growth-2025-2027.yaml"
    summary = run_replications(load_scenario(path), replications=1)
    periods = summary["periods"]["build-out"]
    assert len(periods["start_s"]) == 36  # 30-day periods of the 1,065-day window
    crossing = {v: p["wait_p95_first_above_1d_s"] for v, p in summary["periods"].items()}
    assert set(crossing["build-out"]) == {"beijing", "shenzhen", "shanghai"}
    assert crossing["build-out"]["beijing"] is None
    assert crossing["no-build-out"]["beijing"] is not None
    assert crossing["build-out"]["shenzhen"] > crossing["no-build-out"]["shenzhen"]
    assert crossing["build-out"]["shanghai"] == crossing["no-build-out"]["shanghai"]
    assert "installed mean" in variants_table(summary)
    lines = wait_alarm_lines(summary)
    assert lines[0].startswith("build-out: p95 wait first exceeds 1 d: beijing never, shenzhen at")
    assert lines[1].startswith("no-build-out: p95 wait first exceeds 1 d: beijing at day")

    steps = [(30, 117857), (270, 160714), (540, 410714), (700, 390714), (900, 714286)]
    ends = [t for t, _ in steps[1:]] + [1095]
    expected = sum(n * (end - t) for (t, n), end in zip(steps, ends, strict=True)) / 1065
    cities = summary["variants"]["build-out"]["cities"]
    assert cities["beijing"]["installed_accelerators_mean"] == pytest.approx(expected, rel=1e-9)
    assert cities["shanghai"]["accelerators"] == 1000 * 40 // 6.5 * 8
    assert cities["shanghai"]["power_headroom_mw"] == pytest.approx(60 - 6153 * 6.5 * 1.25 / 1000)
    shenzhen = cities["shenzhen"]
    assert shenzhen["inference_served_h"] > 0.99 * shenzhen["inference_demand_h"]
    overall = summary["variants"]["build-out"]["overall"]
    assert overall["interruptions"] > 0 and 0.9 < overall["goodput"] < 1

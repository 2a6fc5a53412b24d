"""Every shipped scenario validates and runs briefly."""

from pathlib import Path

import pytest

from sim import load_scenario, run_metrics, simulate
from sim.cli import default_scenario

SCENARIOS = sorted((Path(__file__).parents[2] / "scenarios").glob("*.yaml"))


def test_there_are_scenarios_and_the_default_is_one_of_them():
    assert SCENARIOS
    assert default_scenario().name in {path.name for path in SCENARIOS}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_validates_and_runs_briefly(path):
    scenario = load_scenario(path)
    horizon = min(scenario.run.horizon, 3 * 86400.0)
    short = load_scenario(path, overrides={"run": {"horizon": horizon, "warmup": horizon / 3}})
    metrics = run_metrics(simulate(short, 1))
    assert metrics["overall"]["jobs_arrived"] > 0
    assert 0 < metrics["overall"]["utilisation"] <= 1


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_cites_its_sources(path):
    assert "DOMAIN.md" in path.read_text(encoding="utf-8")

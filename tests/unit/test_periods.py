"""Per-period waits and the CLI line saying when each city's p95 wait first exceeds a day."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from sim import simulate
from sim.cli import main
from sim.periods import WAIT_ALARM_S, first_above, period_metrics
from sim.summary import run_replications
from tests.conftest import build, one_center

HOUR = 3600.0


def retiring(period="50h"):
    """10 accelerators at rho = 0.6 until half retire at 100 h: then rho = 1.2 and the queue
    grows by ~1 job/h, so waits pass a day some time after."""
    data = one_center(10, rate="6/h", horizon="400h", warmup="0h")
    data["cities"]["a"]["centers"]["c"] = {
        "accelerator": "a100",
        "phases": [{"at": 0, "count": 10}, {"at": "100h", "remove": 5}],
    }
    data["run"]["period"] = period
    return data


def test_periods_split_the_window_and_count_every_job_once():
    result = simulate(build(retiring("70h")), 2)
    periods = period_metrics(result, 70 * HOUR)
    assert periods["start_s"] == [h * HOUR for h in (0, 70, 140, 210, 280, 350)]
    assert periods["end_s"][-1] == 400 * HOUR
    assert sum(periods["overall"]["jobs_arrived"]) == len(result.demand)
    assert periods["cities"]["a"] == periods["overall"]


def test_the_first_crossing_comes_after_the_retirement():
    summary = run_replications(build(retiring()), replications=3)
    periods = summary["periods"]["base"]
    p95 = periods["cities"]["a"]["wait_p95_s"]
    assert max(p95[:2]) < WAIT_ALARM_S < p95[-1]
    crossing = periods["wait_p95_first_above_1d_s"]["a"]
    assert crossing is not None and crossing >= 100 * HOUR
    assert crossing == first_above(periods["start_s"], p95, WAIT_ALARM_S)
    assert len(periods["cities"]["a"]["wait_p95_s_ci95"]) == len(p95)


def test_first_above():
    assert first_above([0, 10, 20], [1.0, np.nan, 5.0], 2.0) == 20
    assert first_above([0, 10], [1.0, 2.0], 2.0) is None


def test_cli_prints_the_crossing_and_writes_periods(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(retiring()))
    assert main(["run", str(path), "--quiet", "--replications", "2", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    start = summary["periods"]["base"]["wait_p95_first_above_1d_s"]["a"]
    assert f"p95 wait first exceeds 1 d: a at day {start / 86400:.0f}" in capsys.readouterr().out


def test_no_periods_unless_asked(tmp_path):
    summary = run_replications(build(one_center(4)))
    assert "periods" not in summary


@pytest.mark.parametrize("bad", ["0h", "-3d", "soon"])
def test_bad_period_is_rejected(bad):
    from sim.scenario import ScenarioError

    data = one_center(4)
    data["run"]["period"] = bad
    with pytest.raises(ScenarioError, match=r"run\.period"):
        build(data)

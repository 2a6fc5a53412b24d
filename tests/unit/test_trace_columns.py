"""Trace replay as clusters log it: per-job priority and estimated run time, and run.drain."""

import numpy as np
import pytest

from sim import simulate
from sim.metrics import run_metrics
from sim.scenario.errors import ScenarioError
from tests.conftest import build, one_center

# submit [s], size, duration [s], priority, estimate [s]: job 0 holds the one accelerator
# while 1, 2 and 3 queue; job 3 is the shortest and the highest priority, but is estimated
# the longest.
ROWS = [(0, 1, 100, 0, 100), (1, 1, 50, 1, 10), (2, 1, 30, 0, 20), (3, 1, 10, 5, 90)]


def replay(tmp_path, local, columns=("priority", "estimate"), rows=None):
    path = tmp_path / "trace.csv"
    rows = ROWS if rows is None else rows
    lines = ["submit,size,duration,priority,estimate"] + [",".join(map(str, r)) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    data = one_center(1, local=local, horizon="1h")
    names = {"submit": "submit", "size": "size", "duration": "duration"}
    data["workload"][0]["arrival"] = {
        "kind": "trace",
        "path": str(path),
        "columns": names | {column: column for column in columns},
    }
    del data["workload"][0]["size"], data["workload"][0]["duration"]
    return simulate(build(data), 1)


def start_order(result):
    return list(np.argsort(result.start, kind="stable"))


def test_priority_column_orders_the_queue(tmp_path):
    assert start_order(replay(tmp_path, "priority")) == [0, 3, 1, 2]


def test_sjf_and_srtf_order_by_the_estimate_where_given(tmp_path):
    assert start_order(replay(tmp_path, "sjf")) == [0, 1, 2, 3]  # estimates 10, 20, 90
    assert start_order(replay(tmp_path, "sjf", columns=("priority",))) == [0, 3, 2, 1]
    # srtf: job 0 has 99 s left when job 1 arrives, which runs 150 s but is estimated at 10 s:
    # planning with the estimate stops job 0, planning with the truth does not.
    rows = [(0, 1, 100, 0, 100), (1, 1, 150, 0, 10)]
    estimated = replay(tmp_path, "srtf", rows=rows)
    assert estimated.preemptions[0] == 1 and estimated.start[1] == 1.0
    truth = replay(tmp_path, "srtf", columns=(), rows=rows)
    assert truth.preemptions.sum() == 0 and truth.start[1] == 100.0


def test_a_bad_priority_is_named(tmp_path):
    with pytest.raises(ScenarioError, match="priority 'high' is not a whole number"):
        replay(tmp_path, "priority", rows=[(0, 1, 100, "high", 100)])


def test_a_priority_beyond_32_bits_is_refused_not_wrapped(tmp_path):
    """Jobs keep priorities as 32-bit integers: 2^31 would wrap to a negative priority."""
    with pytest.raises(ScenarioError, match="priority 2147483648 is not a whole number between"):
        replay(tmp_path, "priority", rows=[(0, 1, 100, 2**31, 100)])
    assert replay(tmp_path, "priority", rows=[(0, 1, 100, 2**31 - 1, 100)]).demand.priority[0] == (
        2**31 - 1
    )


def test_drain_runs_until_every_job_has_ended():
    """A horizon shorter than the jobs: without drain they are still running or queued at
    the horizon and no turnaround is known; with drain every job ends and counts."""
    data = one_center(2, rate="20/h", duration={"kind": "fixed", "value": "3h"}, horizon="2h")
    cut = simulate(build(data), 1)
    data["run"]["drain"] = True
    drained = simulate(build(data), 1)
    np.testing.assert_array_equal(cut.demand.arrival, drained.demand.arrival)
    assert np.isnan(cut.end).any() and not np.isnan(drained.end).any()
    assert (drained.demand.arrival < 7200).all() and drained.end.max() > 7200
    metrics = run_metrics(drained)["overall"]
    assert metrics["jobs_completed"] == drained.jobs and metrics["jobs_running_end"] == 0
    turnaround = np.mean(drained.end - drained.demand.arrival)
    assert metrics["turnaround_mean_s"] == pytest.approx(turnaround)


def test_tenant_column_names_each_jobs_tenant(tmp_path):
    """Rows name their tenant; an empty cell falls back to the class's tenant."""
    path = tmp_path / "trace.csv"
    path.write_text("submit,size,duration,tenant\n0,1,10,b\n1,1,10,\n2,1,10,a\n")
    data = one_center(2, horizon="1h")
    data["cities"]["a"]["centers"]["c"]["tenants"] = {
        "a": {"guaranteed": 1},
        "b": {"guaranteed": 1},
    }
    data["workload"][0] |= {
        "tenant": "a",
        "arrival": {
            "kind": "trace",
            "path": str(path),
            "columns": {
                "submit": "submit",
                "size": "size",
                "duration": "duration",
                "tenant": "tenant",
            },
        },
    }
    del data["workload"][0]["size"], data["workload"][0]["duration"]
    result = simulate(build(data), 1)
    assert result.tenants == ("a", "b")
    assert result.demand.tenant.tolist() == [1, 0, 0]

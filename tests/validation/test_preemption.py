"""Preemption against theory and conservation.

- Preemptive priority on M/M/c: the high class never waits for the low one (a low job in its
  way is stopped), so it sees an M/M/c of its own, whatever happens to the low class (the
  classical preemptive-resume result), and its mean wait is Erlang C's at its own load.
- Conservation: every accelerator-second the scheduler was busy is a job's useful run time,
  work it lost at a preemption (since its last checkpoint) or a restart it paid.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.engine import simulate
from sim.metrics import run_metrics
from sim.queueing import mmc_wait_mean
from sim.scenario.errors import ScenarioError
from tests.conftest import build, one_center

CONFIDENCE = 0.999
SERVERS, HIGH_RATE, LOW_RATE = 4, 2.0, 1.4  # per hour, mean service 1 h: ρ = 0.5 + 0.35


def two_classes(local: str = "priority", horizon: str = "4000h", **scheduling) -> dict:
    data = one_center(SERVERS, horizon=horizon, warmup="200h", local=local)
    low = {
        "name": "low",
        "origin": "a",
        "arrival": {"kind": "poisson", "rate": f"{LOW_RATE}/h"},
        "size": {"kind": "fixed", "value": 1},
        "duration": {"kind": "exponential", "mean": "1h"},
        "priority": 0,
        "checkpoint": {"interval": "10min", "restart": "2min"},
    }
    high = low | {
        "name": "high",
        "priority": 1,
        "arrival": {"kind": "poisson", "rate": f"{HIGH_RATE}/h"},
    }
    data["workload"] = [low, high]
    data["scheduling"] |= scheduling
    return data


def class_wait(result, name: str) -> float:
    """Mean wait [s] of a class's jobs that arrived in the window."""
    index = result.classes.index(name)
    demand = result.demand
    mine = (demand.job_class == index) & (demand.arrival >= result.warmup)
    start = np.where(np.isnan(result.start), result.horizon, result.start)
    return float(np.mean(start[mine] - demand.arrival[mine]))


def test_preemptive_priority_high_class_sees_its_own_mmc():
    scenario = build(two_classes(preempt=True))
    waits = [class_wait(simulate(scenario, 5, replication=r), "high") for r in range(12)]
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, len(waits) - 1) * np.std(waits, ddof=1)
    half /= math.sqrt(len(waits))
    theory = mmc_wait_mean(HIGH_RATE, 1.0, SERVERS) * 3600
    assert abs(np.mean(waits) - theory) <= half, (np.mean(waits), half, theory)
    # Without preemption the high class also waits for low jobs to end: measurably longer.
    plain = build(two_classes())
    plain_waits = [class_wait(simulate(plain, 5, replication=r), "high") for r in range(4)]
    assert np.mean(plain_waits) > theory + 3 * half


@pytest.mark.parametrize(
    ("local", "scheduling"), [("priority", {"preempt": True}), ("srtf", {}), ("las", {})]
)
def test_busy_time_is_run_time_plus_lost_work_plus_restarts(local, scheduling):
    """Arrivals stop at 300 h and the run goes on to 2,000 h, so every job ends: the
    scheduler's busy accelerator-seconds equal Σ size × (run time + lost), and the lost time is
    the sum over the preemptions of the work since the checkpoint and the restarts paid."""
    data = two_classes(local, horizon="2000h", **scheduling)
    for workload in data["workload"]:
        rate = workload["arrival"].pop("rate")
        workload["arrival"]["rates"] = [{"at": "0h", "rate": rate}, {"at": "300h", "rate": 0}]
    result = simulate(build(data), 2)
    assert not np.isnan(result.end).any() and (result.end < result.horizon).all()
    log = result.preemption_log
    assert log.stopped.sum() == result.preemptions.sum() > 100
    size = result.demand.size
    busy = result.busy_area[0, -1]
    assert busy == pytest.approx(np.sum(size * (result.duration + result.lost)), rel=1e-9)
    lost = np.bincount(log.job, weights=log.lost_work + log.lost_restart, minlength=result.jobs)
    np.testing.assert_allclose(result.lost, lost, atol=1e-6)
    # Each stopped job ends once, after paying its last restart in full.
    ends = log.job[~log.stopped]
    assert sorted(ends) == sorted(set(log.job)) and (log.lost_restart[~log.stopped] == 120).all()
    # Checkpoints every 10 min: a stop never loses more than 10 min of work.
    assert (log.lost_work < 600.0 + 1e-9).all() and (log.lost_restart <= 120.0).all()
    assert (result.end - result.start >= result.duration + result.lost - 1e-6).all()


def test_a_stop_loses_exactly_the_work_since_the_checkpoint(tmp_path):
    """By hand, one accelerator: a low job of 10 h (checkpoints every hour, restart 6 min) is
    stopped by a 15-min high job 1.5 h after each time it starts running again, so at 0.5 h
    past a checkpoint: four stops lose 4 × 0.5 h of work, the four restarts 4 × 6 min, and
    the job ends at 10 + 2 + 0.4 + 4 × 0.25 = 13.4 h."""
    hours = [1.5 + 1.85 * k for k in range(4)]
    traces = {"low": [(0.0, 10.0)], "high": [(h, 0.25) for h in hours]}
    data = two_classes(horizon="40h", preempt=True)
    data["run"]["warmup"] = "0h"
    data["cities"]["a"]["centers"]["c"]["count"] = 1
    for workload in data["workload"]:
        path = tmp_path / f"{workload['name']}.csv"
        rows = [f"{submit * 3600},1,{run * 3600}" for submit, run in traces[workload["name"]]]
        path.write_text("submit,size,duration\n" + "\n".join(rows) + "\n")
        workload["arrival"] = {
            "kind": "trace",
            "path": str(path),
            "columns": {"submit": "submit", "size": "size", "duration": "duration"},
            # A trace's earliest submit is its time 0: the offset puts it back in place.
            "offset": f"{traces[workload['name']][0][0]}h",
        }
        workload["checkpoint"] = {"interval": "1h", "restart": "6min"}
        del workload["size"], workload["duration"]
    result = simulate(build(data), 1)
    log = result.preemption_log
    np.testing.assert_allclose(log.time / 3600, [*hours, 13.4])
    np.testing.assert_allclose(log.lost_work, [1800.0] * 4 + [0.0])
    np.testing.assert_allclose(log.lost_restart, [0.0, 360.0, 360.0, 360.0, 360.0])
    low = log.job[0]
    assert result.lost[low] == pytest.approx(4 * 1800.0 + 4 * 360.0)
    assert result.end[low] == pytest.approx(13.4 * 3600)


def test_preemption_counts_are_reported_per_class():
    result = simulate(build(two_classes(preempt=True, horizon="500h")), 1)
    metrics = run_metrics(result)
    classes = metrics["classes"]
    assert classes["high"]["preemptions"] == 0 < classes["low"]["preemptions"]
    assert classes["low"]["preempted_lost_accelerator_h"] > 0
    assert metrics["overall"]["preemptions"] == classes["low"]["preemptions"]


def test_preempt_needs_a_preemptive_policy_and_no_failures():
    with pytest.raises(ScenarioError, match="no preemptive form"):
        build(two_classes("fifo", preempt=True))
    with pytest.raises(ScenarioError, match="cannot be combined with preemption"):
        build(two_classes("srtf") | {"failures": {"enabled": True}})


@pytest.mark.parametrize("local", ["fifo", "easy-backfill", "sjf"])
def test_inference_that_preempts_is_never_short(local):
    """A diurnal inference load on a busy center: without preemption it waits for training
    jobs to end and falls short; with `inference_preempts` it takes its accelerators back at
    once (the jobs started last stop), and the accelerators stay busy."""
    profile = [0.2] * 8 + [1.0] * 16
    data = one_center(
        16,
        rate="12/h",
        duration={"kind": "exponential", "mean": "1h"},
        local=local,
        horizon="300h",
        warmup="20h",
    )
    data["inference"] = [{"name": "chat", "city": "a", "peak": 8, "profile": profile}]
    waiting = run_metrics(simulate(build(data), 1))["overall"]
    data["scheduling"]["inference_preempts"] = True
    preempting = run_metrics(simulate(build(data), 1))["overall"]
    assert waiting["inference_shortfall_h"] > 1
    assert preempting["inference_shortfall_h"] == pytest.approx(0, abs=1e-9)
    assert preempting["preemptions"] > 0 and "preemptions" not in waiting

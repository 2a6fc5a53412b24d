"""Node failures with checkpoint/restart: counts against the Llama 3 figures, the held-time
bookkeeping, common random numbers across variants, and nothing at all when failures are off."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from sim.engine import simulate
from sim.metrics import jobs_table, run_metrics
from sim.report import summary_table
from sim.resources.failures import held_time
from sim.scenario.loader import deep_merge
from sim.summary import run_replications
from tests.conftest import build

LLAMA_RATE_PER_GPU_H = 1.97e-5
"""DOMAIN.md: Llama 3 405B, 16,384 H100 for 54 days, 419 unexpected interruptions."""


def llama(checkpoint: dict[str, str]) -> dict[str, Any]:
    """One job of 16,384 H100 for 54 days, arriving at day 100 of a 199-day run."""
    return {
        "name": "llama3",
        "run": {"horizon": "199d"},
        "cities": {"a": {"centers": {"c": {"accelerator": "h100", "count": 16384}}}},
        "failures": {"enabled": True, "mtbf": {"h100": 3600 / LLAMA_RATE_PER_GPU_H}},
        "workload": [
            {
                "name": "pretraining",
                "origin": "a",
                "arrival": {"kind": "renewal", "interarrival": {"kind": "fixed", "value": "100d"}},
                "size": {"kind": "fixed", "value": 16384},
                "duration": {"kind": "fixed", "value": "54d"},
                "checkpoint": checkpoint,
            }
        ],
    }


def mean_ci(values: np.ndarray, level: float = 0.99) -> tuple[float, float]:
    """Mean and its confidence half-width (Student t) over replications."""
    n = len(values)
    half = stats.t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) / math.sqrt(n)
    return float(values.mean()), float(half)


def replicate(scenario: Any, replications: int) -> tuple[np.ndarray, np.ndarray]:
    """Interruptions and held time [s] of the one job, per replication."""
    counts, held = [], []
    for replication in range(replications):
        result = simulate(scenario, 11, replication=replication)
        assert len(result.demand) == 1 and result.end[0] < result.horizon
        counts.append(result.interruptions[0])
        held.append(result.end[0] - result.start[0])
    return np.array(counts, dtype=float), np.array(held)


def test_llama3_sees_about_419_interruptions():
    # Checkpoints every minute and instant restarts: held time ≈ run time, so the count is
    # Poisson with mean ≈ 16,384 × 54 × 24 × 1.97e-5 ≈ 418 (plus ~0.3% for the lost minutes).
    counts, _ = replicate(build(llama({"interval": "1min", "restart": "0s"})), 60)
    mean, half = mean_ci(counts)
    rate = 16384 * LLAMA_RATE_PER_GPU_H / 3600.0
    assert abs(mean - rate * 54 * 86400) < half + 0.01 * 418
    assert abs(mean - 419) < half
    # Poisson: variance ≈ mean (a 99% interval for the variance ratio of 60 samples: ±50%).
    assert 0.5 < counts.var(ddof=1) / mean < 1.5


def test_failures_keep_arriving_while_the_job_recomputes_and_restarts():
    # With 30 min checkpoints and 10 min restarts each failure costs ~15 + 10 min, the held
    # time grows by ~15%, and failures arrive over all of it: E[N] = rate × E[held]
    # (N(t) - rate·t is a martingale and the end is a stopping time).
    counts, held = replicate(build(llama({"interval": "30min", "restart": "10min"})), 40)
    rate = 16384 * LLAMA_RATE_PER_GPU_H / 3600.0
    difference, half = mean_ci(counts - rate * held)
    assert abs(difference) < half
    assert counts.mean() > 419 * 1.1
    expected_loss = counts.mean() * (15 * 60 + 10 * 60)  # half an interval + restart, each
    assert (held.mean() - 54 * 86400) == pytest.approx(expected_loss, rel=0.1)


def test_held_time_adds_lost_work_and_restarts_exactly():
    # Run 10 h, checkpoint every 2 h, restart 0.5 h; failures 3 h, 0.2 h and 4 h apart.
    gaps = iter([3.0, 0.2, 4.0, 100.0])
    held, failures = held_time(10.0, 1.0, 2.0, 0.5, gaps)
    # 1st: lost 1 h of work + 0.2 h of restart cut short. 2nd: no work lost, a full 0.5 h
    # restart. 3rd at 7.2 h: progress 2 + 3.5 = 5.5 h, saved 4 h, lost 1.5 h + 0.5 h restart.
    assert [offset for offset, _ in failures] == pytest.approx([3.0, 3.2, 7.2])
    assert [lost for _, lost in failures] == pytest.approx([1.2, 0.5, 2.0])
    assert held == pytest.approx(7.2 + 0.5 + 10.0 - 4.0)
    assert held - 10.0 == pytest.approx(sum(lost for _, lost in failures))


def test_without_checkpoints_a_failure_loses_everything():
    held, failures = held_time(10.0, 1.0, None, 0.0, iter([9.0, 10.0]))
    assert held == 19.0 and failures == [[9.0, 9.0]]


def test_held_time_stops_drawing_failures_beyond_the_horizon():
    # Without checkpoints a run 400 mean failure times long would (almost) never end.
    gaps = itertools.repeat(0.5)
    held, failures = held_time(400.0, 1.0, None, 0.0, gaps, limit=50.0)
    assert 50.0 < held < 50.0 + 400.0 + 1.0
    assert len(failures) == 101


def two_pools(failures: dict[str, Any] | None, dispatch: str) -> Any:
    pools = [{"accelerator": "h800", "count": 256}, {"accelerator": "a100", "count": 256}]
    data: dict[str, Any] = {
        "name": "failing",
        "run": {"horizon": "30d", "warmup": "2d"},
        "cities": {
            "a": {"centers": {"mixed": {"pools": pools}}},
            "b": {"centers": {"west": {"accelerator": "h800", "count": 512}}},
        },
        "default_link": {"latency": "20ms", "bandwidth": "400Gbps"},
        "workload": [
            {
                "name": "training",
                "origin": "a",
                "arrival": {"kind": "poisson", "rate": "15/d"},
                "size": {"kind": "choice", "values": [8, 64, 256]},
                "work": {"params": {"kind": "choice", "values": [7e9, 70e9]}, "tokens": 2e9},
                "checkpoint": {"interval": "2h", "restart": "10min"},
            },
            {
                "name": "short",
                "origin": "b",
                "arrival": {"kind": "poisson", "rate": "100/d"},
                "size": {"kind": "fixed", "value": 8},
                "duration": {"kind": "exponential", "mean": "3h"},
            },
        ],
        "scheduling": {"local": "easy-backfill"},
        "dispatch": dispatch,
    }
    if failures is not None:
        data["failures"] = failures
    return build(data)


@pytest.mark.parametrize("dispatch", ["siloed", "on-demand"])
def test_failures_off_changes_nothing(dispatch: str):
    plain = simulate(two_pools(None, dispatch), 3)
    switched_off = simulate(
        two_pools({"enabled": False, "mtbf": {"h800": "100h"}, "node_size": 4}, dispatch), 3
    )
    assert jobs_table(plain).equals(jobs_table(switched_off))
    assert not plain.lost.any() and not plain.interruptions.any()
    overall = run_metrics(plain)["overall"]
    assert overall["goodput"] == 1.0  # type: ignore[index]
    assert overall["interruptions"] == 0 and overall["lost_accelerator_h"] == 0  # type: ignore[index]


def test_failures_cost_held_time_and_metrics_add_up():
    result = simulate(two_pools({"enabled": True, "mtbf": {"h800": "2000h"}}, "on-demand"), 5)
    started = ~np.isnan(result.start)
    assert result.interruptions.sum() > 20
    assert np.all(result.lost[result.interruptions == 0] == 0)
    assert np.all(result.lost[result.interruptions > 0] > 0)
    assert np.allclose(
        result.end[started] - result.start[started], (result.duration + result.lost)[started]
    )
    metrics = run_metrics(result)
    overall = metrics["overall"]
    cities = metrics["cities"]
    window = (result.failures.time >= result.warmup) & (result.failures.time < result.horizon)
    lost_h = (result.failures.lost * result.demand.size[result.failures.job])[window].sum() / 3600
    assert overall["interruptions"] == window.sum()  # type: ignore[index]
    assert overall["lost_accelerator_h"] == pytest.approx(lost_h)  # type: ignore[index]
    assert sum(c["interruptions"] for c in cities.values()) == window.sum()  # type: ignore[union-attr]
    assert 0.5 < overall["goodput"] < 1.0  # type: ignore[index]


def test_a_job_fails_alike_in_every_variant():
    # Failure draws belong to the job: where it runs on the same pool type for the same run
    # time, it fails at the same offsets whatever the dispatch policy.
    failures = {"enabled": True, "mtbf": {"h800": "2000h"}}
    runs = [simulate(two_pools(failures, policy), 8) for policy in ("siloed", "on-demand")]
    kinds = [np.array([c.accelerator for c in r.centers])[r.center] for r in runs]
    ended = [(r.end < r.horizon) for r in runs]
    same = (kinds[0] == kinds[1]) & ended[0] & ended[1]
    assert same.sum() > 100 and runs[0].interruptions[same].sum() > 5
    assert np.array_equal(runs[0].interruptions[same], runs[1].interruptions[same])
    assert np.array_equal(runs[0].lost[same], runs[1].lost[same])


def test_node_size_and_mtbf_set_the_rate():
    base = llama({"interval": "1min", "restart": "0s"})
    fewer = deep_merge(base, {"failures": {"node_size": 16384}})  # one node: rate as before
    counts, _ = replicate(build(fewer), 20)
    mean, half = mean_ci(counts)
    assert abs(mean - 418.3) < half + 5
    halved = deep_merge(base, {"failures": {"mtbf": {"h100": 7200 / LLAMA_RATE_PER_GPU_H}}})
    counts, _ = replicate(build(halved), 20)
    mean, half = mean_ci(counts)
    assert abs(mean - 418.3 / 2) < half + 3


def test_the_run_table_shows_failures_only_when_there_are_some():
    failing = run_replications(two_pools({"enabled": True, "mtbf": {"h800": "2000h"}}, "siloed"))
    plain = run_replications(two_pools(None, "siloed"))
    assert "goodput" in summary_table(failing) and "failures" in summary_table(failing)
    assert "goodput" not in summary_table(plain)


def test_busy_time_is_the_held_time_of_the_jobs_under_failures_and_pools():
    # Conservation: each pool's busy accelerator-seconds over the run are the accelerators ×
    # (run time + time lost to failures) of its jobs, clipped to the horizon.
    result = simulate(two_pools({"enabled": True, "mtbf": {"h800": "2000h"}}, "on-demand"), 6)
    started = ~np.isnan(result.start)
    held_until = np.minimum(result.end, result.horizon) - result.start
    assert result.lost[started].sum() > 0
    for pool in result.centers:
        mine = started & (result.center == pool.index)
        expected = float(np.sum(result.demand.size[mine] * held_until[mine]))
        assert result.busy_area[pool.index, -1] == pytest.approx(expected, rel=1e-9)


def test_dispatch_estimates_see_planned_ends_not_failures_to_come(monkeypatch):
    """on-demand's backlog of a center counts each running job until start + run time, as the
    local schedulers plan; the failures a job will meet are drawn when it starts, and knowing
    them would be an oracle no real dispatcher has."""
    from sim import engine

    runs: list[Any] = []
    execute = engine._Run.execute

    def keep(self, progress):
        execute(self, progress)
        runs.append(self)

    monkeypatch.setattr(engine._Run, "execute", keep)
    result = simulate(two_pools({"enabled": True, "mtbf": {"h800": "500h"}}, "on-demand"), 4)
    run = runs[-1]
    started = ~np.isnan(result.start)
    running = started & (result.end > result.horizon)
    late = running & (result.lost > 0)
    assert late.sum() > 0, "some job still running at the horizon must have failed"
    for center in range(len(result.centers)):
        here = running & (result.center == center)
        planned = (result.demand.size * (result.start + result.duration))[here].sum()
        assert run.backlog.running_end[center] == pytest.approx(planned, rel=1e-9)

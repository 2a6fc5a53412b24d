"""Job-side metrics of every group at once equal, to the last bit, those of each group taken on
its own with a mask over every job (the straightforward computation, kept here)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.engine import RunResult, simulate
from sim.job_side import SLOWDOWN_THRESHOLD_S, job_tallies, queue_max
from sim.metrics import run_metrics
from tests.conftest import build, one_center


def network(horizon: str, *, drain: bool = False, dispatch: str = "on-demand") -> dict:
    """Three cities, a center of two pools, jobs that queue past the horizon and move."""
    data = one_center(8, rate="5/h", horizon=horizon, warmup="10h")
    data["run"]["drain"] = drain
    data["cities"]["a"]["centers"]["mixed"] = {
        "pools": [{"accelerator": "h800", "count": 4}, {"accelerator": "a100", "count": 2}]
    }
    data["cities"]["b"] = {"centers": {"b1": {"accelerator": "h100", "count": 6}}}
    data["cities"]["c"] = {"centers": {"c1": {"accelerator": "a100", "count": 4}}}
    data["workload"].append(
        {
            "name": "moving",
            "origin": {"a": 1, "b": 2, "c": 3},
            "arrival": {"kind": "poisson", "rate": "6/h"},
            "size": {"kind": "choice", "values": [1, 2, 4]},
            "duration": {"kind": "exponential", "mean": "2h"},
            "dataset": "1TB",
        }
    )
    data["network"] = [
        {"between": pair, "latency": "5ms", "bandwidth": "100Gbps"}
        for pair in (["a", "b"], ["a", "c"], ["b", "c"])
    ]
    data["dispatch"] = dispatch
    return data


def reference(result: RunResult, mask: np.ndarray) -> dict[str, float]:
    """The job-side metrics of the jobs in ``mask``, each taken with that mask."""
    t0, t1 = result.warmup, result.horizon
    arrival, start, end = result.demand.arrival, result.start, result.end
    started = ~np.isnan(start)
    ends_by = np.inf if result.drained else t1
    with np.errstate(invalid="ignore"):
        completed_in = (started & (end >= t0) & (end < ends_by))[mask]
        started_in = (started & (start >= t0))[mask]
        running_end = (started & (end >= ends_by))[mask]
    arrived = (arrival >= t0)[mask]
    completed = completed_in & arrived
    waits = np.maximum(np.where(started, start, t1) - arrival, 0.0)[mask][arrived]
    turnaround = end[mask][completed] - arrival[mask][completed]
    run_time = result.duration[mask][completed]
    slowdown = np.maximum(1.0, turnaround / np.maximum(run_time, SLOWDOWN_THRESHOLD_S))
    city = np.array([c.city_index for c in result.centers] + [-1])[result.center]
    moved = arrived & (city != result.demand.origin)[mask]
    transfer = result.ready[mask][moved] - arrival[mask][moved]
    transfer = transfer[~np.isnan(transfer)]
    p50, p95, p99 = np.percentile(waits, [50, 95, 99]) if len(waits) else (np.nan,) * 3

    def mean(values: np.ndarray) -> float:
        return float(values.mean()) if len(values) else math.nan

    return {
        "jobs_arrived": float(arrived.sum()),
        "jobs_started": float(started_in.sum()),
        "jobs_completed": float(completed_in.sum()),
        "jobs_queued_end": float((~started[mask]).sum()),
        "jobs_running_end": float(running_end.sum()),
        "wait_mean_s": mean(waits),
        "wait_p50_s": float(p50),
        "wait_p95_s": float(p95),
        "wait_p99_s": float(p99),
        "turnaround_mean_s": mean(turnaround),
        "slowdown_mean": mean(slowdown),
        "queue_len_max": float(replayed_queue_max(result, mask)),
        "jobs_moved": float(moved.sum()),
        "data_moved_tb": float(result.demand.dataset[mask][moved].sum() / 1e12),
        "transfer_mean_s": mean(transfer),
    }


def replayed_queue_max(result: RunResult, mask: np.ndarray) -> int:
    """The longest queue of ``mask``'s jobs in the window, by replaying every arrival (+1) and
    start (-1) in time order, a start before an arrival at the same instant."""
    arrivals = result.demand.arrival[mask]
    starts = np.where(np.isnan(result.start), np.inf, result.start)[mask]
    times = np.concatenate([arrivals, starts])
    steps = np.concatenate([np.ones(len(arrivals)), -np.ones(len(starts))])
    order = np.lexsort((steps, times))
    level, times = np.cumsum(steps[order]), times[order]
    inside = (times >= result.warmup) & (times < result.horizon)
    before = times < result.warmup
    at_start = level[before][-1] if before.any() else 0.0
    return int(max(at_start, level[inside].max(initial=0.0)))


def same(got: dict[str, float], expected: dict[str, float]) -> list[str]:
    """The metrics of ``expected`` whose values ``got`` does not have to the last bit."""
    return [name for name, value in expected.items() if got[name].hex() != value.hex()]


@pytest.mark.parametrize(
    ("seed", "drain", "dispatch"),
    [(1, False, "on-demand"), (2, True, "on-demand"), (3, False, "siloed")],
)
def test_every_group_has_the_metrics_of_a_mask_over_every_job(seed, drain, dispatch):
    result = simulate(build(network("80h", drain=drain, dispatch=dispatch)), seed)
    metrics = run_metrics(result)
    assert result.jobs > 500 and (np.isnan(result.start).sum() > 0 or drain)
    everyone = np.ones(result.jobs, bool)
    assert same(metrics["overall"], reference(result, everyone)) == []
    for index, city in enumerate(result.cities):
        got = metrics["cities"][city]
        assert same(got, reference(result, result.demand.origin == index)) == [], city
        for name, center in got["centers"].items():
            pools = [c.index for c in result.centers if c.name == name and c.city_index == index]
            assert same(center, reference(result, np.isin(result.center, pools))) == [], name
    moved = metrics["overall"]["jobs_moved"]
    assert moved > 0 if dispatch == "on-demand" else moved == (result.center < 0).sum()


def test_network_cost_charges_the_data_moved_to_each_city_and_center():
    result = simulate(build(network("60h")), 4)
    metrics = run_metrics(result)
    tallies = job_tallies(result)
    moved = np.zeros(result.jobs, bool)
    moved[tallies.moved] = True
    price = result.centers[0].costs.network_cny_per_tb
    at_city = np.array([c.city_index for c in result.centers] + [-1])[result.center]
    for index, city in enumerate(result.cities):
        jobs = moved & (at_city == index)
        tb = float(result.demand.dataset[jobs].sum() / 1e12)
        assert metrics["cities"][city]["network_cny"] == tb * price
    dispatched = moved & (result.center >= 0)
    tb = float(result.demand.dataset[dispatched].sum() / 1e12)
    assert metrics["overall"]["network_cny"] == tb * price > 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_longest_queue_matches_a_replay_of_every_arrival_and_start(seed):
    result = simulate(build(network("60h")), seed)
    arrival, start = result.demand.arrival, result.start
    for mask in [np.ones(result.jobs, bool), result.demand.origin == 1, result.center == 0]:
        starts = np.sort(start[mask & ~np.isnan(start)])
        got = queue_max(arrival[mask], starts, result.warmup, result.horizon)
        assert got == replayed_queue_max(result, mask) > 0

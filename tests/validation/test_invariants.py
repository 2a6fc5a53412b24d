"""Invariants every run must keep, on random small scenarios under every local policy:
capacity never exceeded, work conserved, queue time conserved, FIFO order, EASY reservations.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.engine import _Run, simulate
from sim.policies import LocalScheduler
from sim.resources import build_centers
from sim.streams import run_seed
from sim.workload import generate_demand
from tests.conftest import build, one_center

POLICIES = sorted(LocalScheduler.registry)


@st.composite
def scenarios(draw, local=None):
    capacity = draw(st.integers(1, 64))
    sizes = draw(st.lists(st.integers(1, capacity), min_size=1, max_size=4))
    load = draw(st.floats(0.3, 1.5))
    mean_size = sum(sizes) / len(sizes)
    rate = load * capacity / mean_size  # per hour, with 1 h mean run time
    data = one_center(
        capacity,
        rate=f"{rate}/h",
        size={"kind": "choice", "values": sizes},
        duration=draw(
            st.sampled_from(
                [
                    {"kind": "exponential", "mean": "1h"},
                    {"kind": "lognormal", "median": "30min", "sigma": 1.5},
                    {"kind": "choice", "values": ["10min", "1h", "4h"], "weights": [5, 3, 1]},
                ]
            )
        ),
        local=local or draw(st.sampled_from(POLICIES)),
        horizon="300h",
        warmup=f"{draw(st.integers(0, 100))}h",
    )
    data["scheduling"]["backfill_depth"] = draw(st.integers(1, 20))
    data["run"]["timeseries_step"] = draw(st.sampled_from(["1h", "7h", "1000h"]))
    return build(data), draw(st.integers(0, 2**32))


def busy_step_function(result, center=0):
    job, begin, end = result.segments()
    mask = result.center[job] == center
    size = result.demand.size[job[mask]]
    times = np.concatenate([begin[mask], end[mask]])
    delta = np.concatenate([size, -size])
    order = np.lexsort((delta, times))  # at equal times, ends (negative) before starts
    return times[order], np.cumsum(delta[order])


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scenarios())
def test_capacity_is_never_exceeded(case):
    scenario, seed = case
    result = simulate(scenario, seed)
    _, busy = busy_step_function(result)
    assert busy.max(initial=0) <= result.centers[0].count
    sampled = np.diff(result.busy_area[0]) / np.diff(result.edges)
    assert sampled.max() <= result.centers[0].count * (1 + 1e-9)


def inside_window(result, begin, end):
    """Length of each interval [begin, end) that lies inside the measured window [s]."""
    t0, t1 = result.warmup, result.horizon
    return np.clip(end, t0, t1) - np.clip(begin, t0, t1)


def level_in_window(result, area):
    """The engine's time-integral of a level over the measured window."""
    first = np.searchsorted(result.edges, result.warmup)
    return area[0, -1] - area[0, first]


@SETTINGS
@given(scenarios())
def test_work_is_conserved(case):
    """Σ accelerators × time held inside the window = ∫ busy accelerators dt (engine's level);
    a preempted job holds its accelerators for each of its runs."""
    result = simulate(*case)
    job, begin, end = result.segments()
    run = inside_window(result, begin, end)
    tallied = float(np.sum(result.demand.size[job] * run))
    level = level_in_window(result, result.busy_area)
    assert level == pytest.approx(tallied, rel=1e-9, abs=1e-6)


@SETTINGS
@given(scenarios())
def test_queue_time_is_conserved(case):
    """Σ over jobs of time spent waiting inside the window = ∫ queue length dt; a preempted
    job waits again from each stop to its next run."""
    result = simulate(*case)
    waited_until = np.where(np.isnan(result.start), result.horizon, result.start)
    tallied = float(np.sum(inside_window(result, result.demand.arrival, waited_until)))
    job, begin, end = result.segments()
    again = np.append(job[1:] == job[:-1], False)  # a run followed by another of its job
    tallied += float(np.sum(inside_window(result, end[again], begin[1:][again[:-1]])))
    waiting = ~again & np.isnan(result.end[job])  # stopped, not run again by the horizon
    tallied += float(np.sum(inside_window(result, end[waiting], result.horizon)))
    level = level_in_window(result, result.queue_area)
    assert level == pytest.approx(tallied, rel=1e-9, abs=1e-6)


@SETTINGS
@given(scenarios(local="fifo"))
def test_fifo_never_starts_a_job_ahead_of_an_earlier_one(case):
    scenario, seed = case
    result = simulate(scenario, seed)
    start = np.where(np.isnan(result.start), np.inf, result.start)  # jobs are in arrival order
    assert np.all(start[1:] >= start[:-1])


def run_tracing_reservations(scenario, seed):
    demand = generate_demand(scenario, run_seed(seed))
    run = _Run(scenario, build_centers(scenario), demand)
    scheduler = run.schedulers[0]
    scheduler.reservations = {}
    run.execute(None)
    return run, scheduler.reservations


def assert_reservations_kept(run, reservations):
    for job, reserved in reservations.items():
        started = run.start_time[job]
        # A head job whose reservation lies beyond the horizon may still be waiting.
        assert started <= reserved + 1e-6 or (np.isnan(started) and reserved >= run.horizon - 1e-6)


@SETTINGS
@given(scenarios(local="easy-backfill"))
def test_easy_backfill_never_delays_the_head_jobs_reservation(case):
    assert_reservations_kept(*run_tracing_reservations(*case))


def test_easy_backfill_backfills_and_fifo_does_not():
    """The same demand: backfilling starts small jobs early, so the mean wait drops, and every
    head job still starts by its first reservation."""
    waits = {}
    for local in ("fifo", "easy-backfill"):
        scenario = build(
            one_center(
                64,
                rate="2.5/h",
                size={"kind": "choice", "values": [1, 8, 64], "weights": [6, 3, 1]},
                local=local,
                horizon="2000h",
            )
        )
        result = simulate(scenario, 5)
        waits[local] = np.nanmean(result.start - result.demand.arrival)
    assert waits["easy-backfill"] < 0.8 * waits["fifo"]
    run, reservations = run_tracing_reservations(scenario, 5)
    assert len(reservations) > 100
    assert_reservations_kept(run, reservations)


@pytest.mark.parametrize("local", POLICIES)
def test_every_policy_sees_the_same_demand(local):
    """Common random numbers: arrivals, sizes and durations do not depend on the policy."""
    reference = simulate(build(one_center(8, rate="6/h", local="fifo")), 9).demand
    demand = simulate(build(one_center(8, rate="6/h", local=local)), 9).demand
    for column in ("arrival", "size", "duration", "job_class", "origin"):
        np.testing.assert_array_equal(getattr(reference, column), getattr(demand, column))

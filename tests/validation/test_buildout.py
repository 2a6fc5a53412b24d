"""Supply over time: build-out and retirement never let busy exceed installed, utilisation is
measured against what was installed, inference holds its profile ahead of training, and a
center whose supply does not change runs exactly as before."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim import run_metrics, simulate
from sim.analysis import mean_ci95
from sim.engine import _Run
from sim.levels import center_levels, training_steps
from sim.metrics import timeseries_table
from sim.policies import LocalScheduler
from sim.resources import build_centers
from sim.resources.supply import supply_schedule
from sim.streams import run_seed
from sim.workload import generate_demand
from tests.conftest import build, one_center
from tests.validation.test_invariants import SETTINGS

POLICIES = sorted(LocalScheduler.registry)
HOUR = 3600.0


@st.composite
def phased(draw):
    """A center of random phases (adds and removes), optionally with an inference load."""
    first = draw(st.integers(8, 48))
    phases, installed = [{"at": 0, "count": first}], first
    for at in sorted(draw(st.lists(st.integers(1, 290), min_size=1, max_size=5))):
        if draw(st.booleans()) and installed > 8:
            change = draw(st.integers(1, installed - 8))
            phases.append({"at": f"{at}h", "remove": change})
            installed -= change
        else:
            change = draw(st.integers(1, 32))
            phases.append({"at": f"{at}h", "add": change})
            installed += change
    data = one_center(
        rate=f"{draw(st.floats(5, 40))}/h",
        size={"kind": "choice", "values": [1, 2, 8]},
        duration={"kind": "lognormal", "median": "1h", "sigma": 1.0},
        local=draw(st.sampled_from(POLICIES)),
        horizon="300h",
        warmup=f"{draw(st.integers(0, 100))}h",
    )
    data["cities"]["a"]["centers"]["c"] = {"accelerator": "a100", "phases": phases}
    if draw(st.booleans()):
        # A scenario refuses numbers closer to 0 than 1e-30 (issue 11): draw 0 or a real share.
        share = st.one_of(st.just(0.0), st.floats(1e-6, 1))
        profile = draw(st.lists(share, min_size=24, max_size=24))
        data["inference"] = [{"name": "chat", "city": "a", "peak": 6, "profile": profile}]
    data["run"]["timeseries_step"] = draw(st.sampled_from(["1h", "7h"]))
    return build(data), draw(st.integers(0, 2**32))


@SETTINGS
@given(phased())
def test_no_job_starts_beyond_the_capacity_left_to_training(case):
    """At every start, training's busy accelerators (from the job records) fit within the
    installed target minus what inference wants, and so busy never exceeds installed."""
    scenario, seed = case
    result = simulate(scenario, seed)
    spec = result.centers[0]
    schedule = supply_schedule(spec, result.horizon)
    times, busy = training_steps(result, 0)
    started = result.start[~np.isnan(result.start)]
    at_start = busy[np.searchsorted(times, started, side="right") - 1]
    allowed = schedule.training[np.searchsorted(schedule.times, started, side="right") - 1]
    assert np.all(at_start <= allowed)

    grid, (installed, held, wanted) = center_levels(result, spec)
    busy_on_grid = busy[np.searchsorted(times, grid, side="right") - 1]
    assert np.all(busy_on_grid + held <= installed)
    assert np.all(held <= wanted)
    series = timeseries_table(result)
    assert np.all(series.busy_mean <= series.accelerators * (1 + 1e-9))


def test_utilisation_is_measured_against_installed_capacity():
    """Adds only: installed is the phase plan itself, 10 accelerators for 50 h then 30 for
    150 h, a mean of (10·50 + 30·150)/200 = 25; utilisation = ∫busy / ∫installed."""
    data = one_center(rate="12/h", duration={"kind": "exponential", "mean": "1h"})
    data["cities"]["a"]["centers"]["c"] = {
        "accelerator": "a100",
        "phases": [{"at": 0, "count": 10}, {"at": "50h", "add": 20}],
    }
    result = simulate(build(data), 3)
    metrics = run_metrics(result)["overall"]
    assert metrics["installed_accelerators_mean"] == pytest.approx(25.0)
    started = ~np.isnan(result.start)
    busy_s = np.sum(
        result.demand.size[started]
        * (np.minimum(result.end[started], 200 * HOUR) - result.start[started])
    )
    assert metrics["utilisation"] == pytest.approx(busy_s / (25.0 * 200 * HOUR))
    assert metrics["accelerators"] == 30
    # The first 50 h were loaded far above what an average over the full 30 would show.
    early = timeseries_table(result).query("t_end_s <= 50 * 3600")
    assert np.allclose(early.accelerators, 10) and early.utilisation.mean() > 0.9


def inference_case(seed_rate="35/h"):
    """100 accelerators; inference wants 60 from 08:00 to 20:00 and none otherwise; training
    of 1-accelerator, 1 h jobs at 35/h: light off peak (35/100), heavy at peak (35/40)."""
    profile = [0.0] * 8 + [1.0] * 12 + [0.0] * 4
    return build(
        one_center(
            100,
            rate=seed_rate,
            horizon="20d",
            warmup="1d",
            inference=[{"name": "chat", "city": "a", "peak": 60, "profile": profile}],
        )
    )


def test_inference_holds_its_profile_and_training_waits_more_at_peak():
    scenario = inference_case()
    peak_minus_off = []
    for replication in range(5):
        result = simulate(scenario, 11, replication=replication)
        metrics = run_metrics(result)["overall"]
        days = 19
        assert metrics["inference_demand_h"] == pytest.approx(60 * 12 * days)
        assert metrics["inference_served_h"] + metrics["inference_shortfall_h"] == pytest.approx(
            metrics["inference_demand_h"]
        )
        # Training holds accelerators at 08:00 and is not preempted: some inference waits.
        assert 0 < metrics["inference_shortfall_h"] < 0.1 * metrics["inference_demand_h"]
        series = timeseries_table(result)
        hour = (series.t_start_s // HOUR % 24).astype(int)
        off = series.inference_mean[(hour < 8) | (hour >= 20)]
        assert off.eq(0).all()
        held = series.inference_mean[(hour >= 10) & (hour < 20)]
        assert held.mean() > 59  # the shortfall is worked off within the first peak hours
        arrival_hour = result.demand.arrival // HOUR % 24
        wait = result.start - result.demand.arrival
        measured = result.demand.arrival >= scenario.run.warmup
        at_peak = measured & (arrival_hour >= 9) & (arrival_hour < 20)
        off_peak = measured & ((arrival_hour < 7) | (arrival_hour >= 21))
        peak_minus_off.append(np.nanmean(wait[at_peak]) - np.nanmean(wait[off_peak]))
    difference, half = mean_ci95(peak_minus_off)
    assert difference - half > 0


def test_supply_that_never_changes_runs_exactly_as_a_fixed_count():
    """A phase beyond the horizon takes the supply-over-time path but changes nothing."""
    fixed = build(one_center(6, rate="5/h", size={"kind": "choice", "values": [1, 2]}))
    data = one_center(6, rate="5/h", size={"kind": "choice", "values": [1, 2]})
    data["cities"]["a"]["centers"]["c"] = {
        "accelerator": "a100",
        "phases": [{"at": 0, "count": 6}, {"at": "400h", "add": 6}],
    }
    phased_scenario = build(data)
    a, b = simulate(fixed, 5), simulate(phased_scenario, 5)
    np.testing.assert_array_equal(a.start, b.start)
    ma, mb = run_metrics(a)["overall"], run_metrics(b)["overall"]
    for key in ("utilisation", "energy_mwh", "wait_mean_s", "accelerators"):
        assert mb[key] == pytest.approx(ma[key], rel=1e-12)


def test_a_static_center_schedules_no_capacity_events():
    scenario = build(one_center(6))
    run = _Run(scenario, build_centers(scenario), generate_demand(scenario, run_seed(1)))
    assert run.capacity_changes == {}


def test_dispatch_sees_the_capacity_inference_leaves():
    """On-demand dispatch from a city whose center inference fills from 08:00 to 20:00 sends
    most jobs away at those hours and keeps them at home otherwise (ties stay home)."""
    profile = [0.0] * 8 + [1.0] * 12 + [0.0] * 4
    data = one_center(
        100,
        rate="40/h",
        horizon="10d",
        inference=[{"name": "chat", "city": "a", "peak": 95, "profile": profile}],
    )
    data["cities"]["b"] = {"centers": {"d": {"accelerator": "a100", "count": 100}}}
    data["network"] = [{"between": ["a", "b"], "latency": "1ms", "bandwidth": "100Gbps"}]
    data["dispatch"] = "on-demand"
    result = simulate(build(data), 4)
    hour = result.demand.arrival // HOUR % 24
    moved = result.center == 1
    assert moved[(hour >= 9) & (hour < 20)].mean() > 0.5
    assert moved[(hour < 8) | (hour >= 21)].mean() < 0.1

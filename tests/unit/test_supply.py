"""Facility supply: cabinets and servers to accelerators, the power cap, build-out phases,
inference loads as scenario input, and schedulers whose capacity changes."""

from __future__ import annotations

import math

import pytest

from sim.policies import JobTable, local_policy
from sim.resources import build_centers
from sim.resources.supply import supply_schedule
from sim.scenario import ScenarioError
from sim.units import parse_power
from tests.conftest import build, one_center
from tests.unit.test_scenario_errors import GOOD, problems_of

A100_KW = 0.4


def center_with(**spec):
    data = one_center(16)
    data["cities"]["a"]["centers"]["c"] = {"accelerator": "a100", **spec}
    return data


def test_power_units():
    assert parse_power("120MW") == 120e6
    assert parse_power("10.2kW") == pytest.approx(10_200.0)
    assert parse_power(500) == 500.0
    with pytest.raises(ValueError, match="unknown unit"):
        parse_power("3 horses")


def test_cabinets_hold_whole_servers_of_their_it_power():
    """15,000 standard cabinets (2.5 kW each, DOMAIN.md) = 37.5 MW of IT power; 10.2 kW
    servers of 8 accelerators: floor(37,500 / 10.2) servers."""
    scenario = build(center_with(cabinets=15000, server={"accelerators": 8, "kw": 10.2}))
    (center,) = build_centers(scenario)
    assert center.count == math.floor(15000 * 2.5 / 10.2) * 8 == 29_408
    assert center.server_kw == pytest.approx(10.2)


def test_default_server_is_the_accelerators_plus_the_server_overhead():
    scenario = build(center_with(cabinets=100, kw_per_cabinet=40, server_overhead_kw=3.3))
    (center,) = build_centers(scenario)
    server_kw = 8 * A100_KW + 3.3
    assert center.count == math.floor(100 * 40 / server_kw) * 8


def test_cabinets_used_and_power_headroom_are_reported():
    from sim import run_metrics, simulate

    data = center_with(count=800, server={"accelerators": 8, "kw": 10.0}, pue=1.25)
    data["cities"]["a"]["centers"]["c"]["power_cap"] = "2MW"
    metrics = run_metrics(simulate(build(data), 1))["overall"]
    it_kw = 100 * 10.0  # 100 servers at full load
    assert metrics["cabinets_used"] == it_kw / 2.5
    assert metrics["power_headroom_mw"] == pytest.approx(2.0 - it_kw * 1.25 / 1000)
    uncapped = run_metrics(simulate(build(center_with(count=800)), 1))["overall"]
    assert math.isnan(uncapped["power_headroom_mw"])


@pytest.mark.parametrize(
    ("center", "expected"),
    [
        (
            "{accelerator: a100, count: 16, power_cap: 10kW}",
            "cities.a.centers.c1.power_cap: 16 accelerators draw 0.0169 MW of facility power "
            "at full load (PUE 1.3), above the cap of 0.01 MW; at most 8 fit",
        ),
        (
            "{accelerator: a100, count: 16, server: {accelerators: 8, kw: 2}}",
            "cities.a.centers.c1.server.kw: 2 kW is less than the board power of its 8 "
            "accelerators (3.2 kW)",
        ),
        (
            "{accelerator: a100, count: 16, server: {accelerators: 8, kw: 9}, "
            "accelerators_per_server: 4}",
            "give `server` or `accelerators_per_server`/`server_overhead_kw`, not both",
        ),
        (
            "{accelerator: a100, cabinets: 1}",
            "cities.a.centers.c1.cabinets: 1 cabinets of 2.5 kW hold less than one server (6.5 kW)",
        ),
        (
            "{accelerator: a100, phases: [{at: 1d, count: 16}]}",
            "the first phase must be at 0 and give `count`",
        ),
        (
            "{accelerator: a100, phases: [{at: 0d, count: 16}, {at: 2d, remove: 20}]}",
            "phase 1 removes more accelerators than are installed",
        ),
        (
            "{accelerator: a100, phases: [{at: 0d, count: 16}, {at: 2d, add: 2}, "
            "{at: 1d, add: 2}]}",
            "phase 2 comes before phase 1: order them in time",
        ),
        (
            "{accelerator: a100, phases: [{at: 0d, count: 16, add: 2}]}",
            "give exactly one of `count`, `add` or `remove`",
        ),
        (
            "{accelerator: a100, count: 16, phases: [{at: 0d, count: 16}]}",
            "give exactly one of `count`, `pflops`, `cabinets` or `phases`",
        ),
    ],
)
def test_bad_supply_is_named(tmp_path, center, expected):
    text = GOOD.replace("{accelerator: a100, count: 16}", center)
    problems = problems_of(tmp_path, text)
    assert any(expected in problem for problem in problems), problems


def test_the_power_cap_admits_exactly_what_fits():
    # 2 servers of 8 A100 at 6.5 kW and PUE 1.3 need 16.9 kW.
    data = center_with(count=16, power_cap="16.9kW")
    assert build(data).cities["a"].centers["c"].power_cap == pytest.approx(16_900.0)
    data["cities"]["a"]["centers"]["c"]["power_cap"] = "16.8kW"
    with pytest.raises(ScenarioError, match="at most 8 fit"):
        build(data)


def test_the_power_cap_holds_for_every_phase():
    phases = [{"at": 0, "count": 16}, {"at": "10h", "add": 16}, {"at": "20h", "remove": 8}]
    with pytest.raises(ScenarioError, match="32 accelerators draw"):
        build(center_with(phases=phases, power_cap="20kW"))


@pytest.mark.parametrize(
    ("inference", "expected"),
    [
        ({"name": "chat", "city": "b", "peak": 4}, "inference[0].city: unknown city 'b'"),
        (
            {"name": "chat", "city": "a", "center": "d", "peak": 4},
            "inference[0].center: unknown center 'd' in a; valid: c",
        ),
        ({"name": "chat", "city": "a", "peak": 4, "profile": [0.5] * 23}, "at least 24 items"),
        ({"name": "chat", "city": "a", "peak": 4, "profile": [2.0] * 24}, "less than or equal"),
    ],
)
def test_bad_inference_is_named(inference, expected):
    with pytest.raises(ScenarioError) as caught:
        build(one_center(16, inference=[inference]))
    assert any(expected in str(problem) for problem in caught.value.problems)


def test_schedule_merges_phases_and_the_daily_profile():
    profile = [0.25] * 8 + [1.0] * 16
    data = one_center(inference=[{"name": "chat", "city": "a", "peak": 8, "profile": profile}])
    data["cities"]["a"]["centers"]["c"] = {
        "accelerator": "a100",
        "phases": [{"at": 0, "count": 10}, {"at": "30h", "add": 6}],
    }
    (center,) = build_centers(build(data))
    schedule = supply_schedule(center, 48 * 3600.0)
    hours = (schedule.times / 3600).tolist()
    assert hours == [0, 8, 24, 30, 32]
    assert schedule.installed.tolist() == [10, 10, 10, 16, 16]
    assert schedule.inference.tolist() == [2, 8, 2, 2, 8]
    assert schedule.training.tolist() == [8, 2, 8, 14, 8]


@pytest.mark.parametrize("policy", ["fifo", "easy-backfill", "sjf", "priority"])
def test_a_capacity_cut_lets_running_jobs_finish_and_starts_nothing_until_they_have(policy):
    sizes, durations = [3, 3, 2, 1], [10.0, 10.0, 10.0, 10.0]
    started: list[int] = []
    jobs = JobTable(size=sizes, duration=durations, priority=[0] * 4)
    scheduler = local_policy(policy)(8, jobs, started.append, 8)
    for job in (0, 1):
        scheduler.submit(job, 0.0)
    scheduler.set_capacity(4, 1.0)  # 6 busy, 4 allowed
    assert scheduler.free == -2
    scheduler.submit(2, 2.0)
    scheduler.submit(3, 2.0)
    assert started == [0, 1]
    scheduler.release(0, 10.0)  # 3 busy: one accelerator free
    backfilled = started == [0, 1, 3]  # EASY may backfill the 1-accelerator job
    assert backfilled or started == [0, 1]
    assert backfilled == (policy == "easy-backfill")
    scheduler.set_capacity(8, 11.0)
    assert sorted(started) == [0, 1, 2, 3]
    assert scheduler.capacity - scheduler.free == sum(sizes) - sizes[0]
    scheduler.advance(12.0)
    # Busy: 6 from 0 to 10, then 3 (4 if backfilled) until 11, then 6 until 12.
    assert scheduler.busy_area == 6 * 10 + (4 if backfilled else 3) + 6


def test_inference_peak_from_request_rate_is_littles_law():
    """5,000 requests/s of 0.8 accelerator-seconds each hold 4,000 accelerators at the peak."""
    load = {"name": "chat", "city": "a", "peak_rate": "5000/s"}
    load["accelerator_time_per_request"] = "800ms"
    load["profile"] = [0.5] * 12 + [1.0] * 12
    (center,) = build_centers(build(one_center(8000, inference=[load])))
    assert center.inference_by_hour == (2000,) * 12 + (4000,) * 12


@pytest.mark.parametrize(
    "load",
    [
        {"peak": 4, "peak_rate": "10/s", "accelerator_time_per_request": 1},
        {"peak_rate": "10/s"},
        {},
    ],
)
def test_inference_needs_one_peak(load):
    with pytest.raises(ScenarioError, match="give `peak`, or both"):
        build(one_center(16, inference=[{"name": "chat", "city": "a", **load}]))


def test_a_static_and_a_phased_variant_share_the_output_files(tmp_path):
    import pandas as pd
    import yaml

    from sim.cli import main

    data = one_center(8, horizon="50h")
    phases = [{"at": 0, "count": 8}, {"at": "25h", "add": 3}]
    data["variants"] = {
        "static": {},
        "phased": {"cities": {"a": {"centers": {"c": {"count": None, "phases": phases}}}}},
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["run", str(path), "--quiet", "--out", str(tmp_path / "out")]) == 0
    series = pd.read_parquet(tmp_path / "out" / "timeseries.parquet")
    phased = series[series.variant == "phased"]
    assert phased.accelerators.iloc[0] == 8 and phased.accelerators.iloc[-1] == 11
    assert series[series.variant == "static"].accelerators.eq(8).all()

"""Accelerator pools combined with supply over time: phases per pool, a power cap shared by
the pools, inference held in a named pool, failures while capacity changes."""

from __future__ import annotations

import numpy as np
import pytest

from sim import run_metrics, simulate
from sim.metrics import timeseries_table
from sim.resources import build_centers
from sim.scenario import ScenarioError
from tests.conftest import build, one_center

DAY = 86400.0
GROWING = [{"at": "0d", "count": 32}, {"at": "10d", "add": 64}, {"at": "20d", "remove": 48}]


def mixed_center(**center):
    """One city whose center has an A100 pool of 64 and an H800 pool built out in phases."""
    data = one_center(
        rate="60/d",
        size={"kind": "choice", "values": [8, 16, 32]},
        duration={"kind": "lognormal", "median": "6h", "sigma": 1},
        horizon="30d",
        warmup="2d",
        local="easy-backfill",
    )
    pools = [{"accelerator": "a100", "count": 64}, {"accelerator": "h800", "phases": GROWING}]
    data["cities"]["a"]["centers"]["c"] = {"pools": pools, **center}
    return data


def test_each_pool_follows_its_own_phases_and_busy_stays_within_installed():
    data = mixed_center()
    data["failures"] = {"enabled": True, "mtbf": {"a100": "300h", "h800": "300h"}}
    data["workload"][0]["checkpoint"] = {"interval": "1h", "restart": "10min"}
    result = simulate(build(data), 3)
    a100, h800 = result.centers
    assert (a100.count, a100.installed_steps) == (64, ())
    assert (h800.count, h800.installed_steps) == (32, ((10 * DAY, 96), (20 * DAY, 48)))
    assert result.lost.sum() > 0  # failures lengthen holds while the H800 pool changes
    for spec in result.centers:
        # No job starts beyond the capacity in force: at each start, what runs fits the plan.
        # (`end` = start + duration + lost is rebuilt after the run and may differ from the
        # clock's release time by round-off: a job ending at another's start is not running.)
        steps = ((0.0, spec.count), *spec.installed_steps)
        mine = (result.center == spec.index) & ~np.isnan(result.start)
        for start in result.start[mine]:
            running = mine & (result.start <= start) & (result.end > start)
            target = [count for at, count in steps if at <= start][-1]
            assert result.demand.size[running].sum() <= target
    metrics = run_metrics(result)["cities"]["a"]["centers"]["c"]
    # Installed mean over [2 d, 30 d): 64 A100 + the H800 plan, plus any H800 retired while
    # still running a job (never less than the plan).
    plan = 64 + (32 * 8 + 96 * 10 + 48 * 10) / 28
    assert plan <= metrics["installed_accelerators_mean"] < plan + 48
    table = timeseries_table(result)
    assert (table["busy_mean"] <= table["accelerators"] + 1e-9).all()


def test_the_pools_share_the_power_cap_at_their_joint_peak():
    # A100 server 8 x 0.4 + 3.3 = 6.5 kW, H800 server 8 x 0.7 + 3.3 = 8.9 kW, PUE 1.3. The
    # pools peak together at day 10: 8 A100 servers and 12 H800 servers.
    peak_kw = (8 * 6.5 + 12 * 8.9) * 1.3
    result = simulate(build(mixed_center(power_cap="300kW")), 1)
    metrics = run_metrics(result)["overall"]
    assert metrics["power_headroom_mw"] == pytest.approx((300 - peak_kw) / 1000)
    assert metrics["cabinets_used"] == np.ceil(peak_kw / 1.3 / 2.5)
    with pytest.raises(ScenarioError) as caught:
        build(mixed_center(power_cap="150kW"))
    (problem,) = caught.value.problems
    message = f"cities.a.centers.c.power_cap: 160 accelerators draw {peak_kw / 1000:.4g} MW"
    assert message in str(problem)
    assert "(all pools together)" in str(problem)


@pytest.mark.parametrize(
    ("center", "key"),
    [({"cabinets": 100}, "cabinets"), ({"server": {"accelerators": 8, "kw": 10}}, "server")],
)
def test_single_type_keys_are_refused_on_a_center_with_pools(center, key):
    with pytest.raises(ScenarioError) as caught:
        build(mixed_center(**center))
    (problem,) = caught.value.problems
    assert f"cities.a.centers.c: give `pools` or `{key}`, not both" in str(problem)


def test_inference_holds_the_pool_it_names():
    data = mixed_center()
    data["inference"] = [{"name": "chat", "city": "a", "accelerator": "h800", "peak": 16}]
    a100, h800 = build_centers(build(data))
    assert a100.inference_by_hour == ()
    assert h800.inference_by_hour == (16,) * 24
    result = simulate(build(data), 2)
    metrics = run_metrics(result)["overall"]
    assert metrics["inference_served_h"] > 0
    assert metrics["inference_served_h"] <= metrics["inference_demand_h"] == 16 * 28 * 24
    data["inference"][0]["accelerator"] = "h100"
    with pytest.raises(ScenarioError) as caught:
        build(data)
    (problem,) = caught.value.problems
    assert "inference[0].accelerator: center 'c' has no pool of 'h100'" in str(problem)

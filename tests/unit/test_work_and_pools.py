"""Training work in FLOP (run time follows the pool's speed) and centers with several pools."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sim.engine import simulate
from sim.metrics import jobs_table, run_metrics, timeseries_table
from sim.scenario import ScenarioError
from tests.conftest import build, one_center

H800_FLOPS, ASCEND_FLOPS, A100_FLOPS = 989e12, 280e12, 312e12


def test_params_times_tokens_on_256_a100_at_mfu_04_lasts_the_closed_form():
    work = {"params": "7e9", "tokens": 1e12}
    data = one_center(256, horizon="120d")
    data["workload"] = [_work_class("llm", work=work, size=256, rate="1/30d")]
    scenario = build(data)
    result = simulate(scenario, 3)
    expected = 6 * 7e9 * 1e12 / (256 * A100_FLOPS * 0.4)  # 4.2e22 FLOP, ≈ 15.2 days
    assert len(result.demand) > 0
    assert np.all(result.duration == expected)
    assert expected == pytest.approx(15.2 * 86400, rel=0.01)  # DOMAIN.md: "≈ 15 days"
    table = jobs_table(result)
    started = ~np.isnan(result.start)
    assert np.array_equal(table["end_s"][started], result.start[started] + expected)


def test_a_mix_of_model_sizes_scales_the_run_time_with_parameters():
    params = {"kind": "choice", "values": [7e9, 70e9, 400e9]}
    work = {"params": params, "tokens": "1e11"}
    scenario = build(_pools_city([_work_class("mix", work=work, size=64, mfu=0.5)]))
    result = simulate(scenario, 5)
    run_time = result.duration * 64 * H800_FLOPS * 0.5 / (6 * 1e11)
    on_h800 = _accelerator_of(result) == "h800"
    assert on_h800.sum() > 30
    assert set(np.round(run_time[on_h800] / 1e9).astype(int)) == {7, 70, 400}


def test_a_class_restricted_to_h800_never_runs_on_other_pools():
    classes = [
        _work_class("h800-only", work="2e20 FLOP", size=8, accelerators=["h800"], rate="30/d"),
        _work_class("anywhere", work="2e20 FLOP", size=8, rate="30/d"),
    ]
    for dispatch in ("siloed", "on-demand", "cheapest"):
        result = simulate(build(_pools_city(classes, dispatch=dispatch)), 2)
        kind = _accelerator_of(result)
        restricted = result.demand.job_class == 0
        assert restricted.sum() > 100
        assert np.all(kind[restricted] == "h800"), dispatch
        if dispatch == "siloed":  # least loaded: the unrestricted class uses both pools
            assert set(kind[~restricted]) == {"h800", "ascend-910b"}


def test_jobs_on_a_faster_pool_finish_sooner():
    classes = [_work_class("anywhere", work="2e20 FLOP", size=8, rate="60/d")]
    result = simulate(build(_pools_city(classes, dispatch="siloed")), 4)
    kind = _accelerator_of(result)
    flop_per_accelerator = 2e20 / (8 * 0.4)
    fast, slow = kind == "h800", kind == "ascend-910b"
    assert fast.sum() > 50 and slow.sum() > 50
    assert np.all(result.duration[fast] == flop_per_accelerator / H800_FLOPS)
    assert np.all(result.duration[slow] == flop_per_accelerator / ASCEND_FLOPS)
    turnaround = result.end - result.demand.arrival
    assert np.nanmean(turnaround[fast]) < np.nanmean(turnaround[slow])


def test_on_demand_sends_work_to_the_pool_where_it_ends_first():
    # Light load: both pools are free at almost every arrival, so the faster one wins.
    classes = [_work_class("anywhere", work="2e20 FLOP", size=8, rate="5/d")]
    result = simulate(build(_pools_city(classes, dispatch="on-demand")), 1)
    kind = _accelerator_of(result)
    assert len(kind) > 50
    assert np.all(kind == "h800")


def test_a_center_with_pools_reports_their_sum_with_each_pools_power():
    classes = [_work_class("anywhere", work="2e20 FLOP", size=8, rate="60/d")]
    result = simulate(build(_pools_city(classes, dispatch="siloed")), 4)
    metrics = run_metrics(result)
    center = metrics["cities"]["a"]["centers"]["mixed"]  # type: ignore[index]
    assert set(metrics["cities"]["a"]["centers"]) == {"mixed"}  # type: ignore[index]
    assert center["accelerators"] == 64 + 256
    assert center["jobs_arrived"] == len(result.demand)
    hours = result.horizon / 3600.0
    expected_kwh = 0.0
    for pool in result.centers:
        busy_h = result.busy_area[pool.index, -1] / 3600.0
        board_kw = pool.watts / 1000.0
        it_kwh = (
            busy_h * board_kw
            + (pool.count * hours - busy_h) * board_kw * pool.idle_fraction
            + pool.servers * pool.server_overhead_kw * hours
        )
        expected_kwh += it_kwh * pool.pue
    assert center["energy_mwh"] == pytest.approx(expected_kwh / 1000.0, rel=1e-9)
    series = timeseries_table(result)
    assert set(series["center"]) == {"mixed"}
    assert np.all(series["accelerators"] == 64 + 256)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"duration": {"kind": "fixed", "value": 60}}, "give exactly one of `duration`"),
        ({"work": None}, "required key is missing (`duration` or `work`)"),
        ({"work": "3 GB"}, "unknown unit 'GB'"),
        ({"accelerators": ["h900"]}, "unknown accelerator 'h900'"),
        ({"accelerators": ["a100"]}, "fit no pool of type a100"),
    ],
)
def test_bad_work_and_pool_settings_are_reported(change: dict[str, Any], message: str):
    workload = _work_class("bad", work="1e20", size=8) | change
    data = _pools_city([{k: v for k, v in workload.items() if v is not None}])
    with pytest.raises(ScenarioError) as caught:
        build(data)
    assert message in str(caught.value)


def test_a_center_gives_pools_or_one_accelerator_not_both():
    data = _pools_city([_work_class("w", work="1e20", size=8)])
    data["cities"]["a"]["centers"]["mixed"]["accelerator"] = "h800"
    with pytest.raises(ScenarioError, match="give `pools` or `accelerator`, not both"):
        build(data)


def _work_class(
    name: str, *, work: object, size: int, rate: str = "20/d", **extra: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "origin": "a",
        "arrival": {"kind": "poisson", "rate": rate},
        "size": {"kind": "fixed", "value": size},
        "work": work,
        **extra,
    }


def _pools_city(workload: list[dict[str, Any]], dispatch: str = "siloed") -> dict[str, Any]:
    pools = [{"accelerator": "h800", "count": 64}, {"accelerator": "ascend-910b", "count": 256}]
    return {
        "name": "pools",
        "run": {"horizon": "20d", "seed": 1},
        "cities": {"a": {"centers": {"mixed": {"pools": pools}}}},
        "workload": workload,
        "scheduling": {"local": "fifo"},
        "dispatch": dispatch,
    }


def _accelerator_of(result: Any) -> np.ndarray:
    kinds = np.array([c.accelerator for c in result.centers])
    return kinds[result.center]


def test_on_demand_weighs_the_slow_pool_by_its_run_time_when_the_fast_one_queues():
    # One job's worth of accelerators in each pool; a job lasts 1 h on H800 and 989/280 =
    # 3.53 h on Ascend, and one arrives every 10 min (overload). Earliest expected finish sends
    # work to each pool in proportion to its throughput: 0.283 / 1.283 = 22% to Ascend.
    flop = 8 * H800_FLOPS * 0.4 * 3600
    data = _pools_city([_work_class("w", work=flop, size=8)], dispatch="on-demand")
    data["workload"][0]["arrival"] = {
        "kind": "renewal",
        "interarrival": {"kind": "fixed", "value": "10min"},
    }
    data["cities"]["a"]["centers"]["mixed"]["pools"] = [
        {"accelerator": "h800", "count": 8},
        {"accelerator": "ascend-910b", "count": 8},
    ]
    result = simulate(build(data), 1)
    kind = _accelerator_of(result)
    assert kind[0] == "h800" and np.all(kind[:4] == "h800")  # queueing 3 h still beats 3.5 h
    on_ascend = float(np.mean(kind == "ascend-910b"))
    assert on_ascend == pytest.approx((280 / 989) / (1 + 280 / 989), abs=0.03)

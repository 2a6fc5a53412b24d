"""Dispatch across cities: transfers, latency budgets, energy and cost."""

import numpy as np
import pytest
import simpy

from sim.engine import _Clock, _Wakeup, simulate
from sim.metrics import run_metrics
from sim.policies import Dispatcher, UnknownPolicyError, dispatcher
from sim.resources.transfers import SharedLink
from sim.scenario import expand_variants
from tests.conftest import build

TB = 1e12


def lone_transfers(sizes_and_starts, bandwidth_bytes, latency):
    """Run transfers on one link; return when each was delivered."""
    env = simpy.Environment()
    delivered = {}

    link = SharedLink(
        bandwidth_bytes, latency, _Clock(env), lambda job: delivered.update({job: env.now})
    )
    for job, (size, start) in enumerate(sizes_and_starts):
        _Wakeup(env, start, None, lambda event, job=job, size=size: link.send(job, size, env.now))
    env.run()
    return delivered


def test_a_lone_transfer_takes_size_over_bandwidth_plus_latency():
    delivered = lone_transfers([(20 * TB, 0.0)], bandwidth_bytes=50e9, latency=0.015)
    assert delivered[0] == pytest.approx(20 * TB / 50e9 + 0.015)


def test_concurrent_transfers_share_the_link_fairly():
    # Two equal transfers from t=0 each get b/2: at t=6 each has 1e9 bytes left. A third
    # starts then; all three get b/3, so the first two end at 6 + 1e9 / (b/3) = 9, when the
    # third has sent 1e9 bytes; it sends the other 3e9 alone at b and ends at 12.
    b, size = 1e9, 4e9
    delivered = lone_transfers([(size, 0.0), (size, 0.0), (size, 6.0)], b, 0.0)
    assert delivered[0] == pytest.approx(9.0)
    assert delivered[1] == pytest.approx(9.0)
    assert delivered[2] == pytest.approx(12.0)


def base(dispatch="on-demand", **extra):
    small = {"centers": {"dc": {"accelerator": "a100", "count": 2}}}
    big = {"centers": {"dc": {"accelerator": "h100", "count": 64, "pue": 1.2}}}
    data = {
        "name": "dispatch",
        "run": {"horizon": "500h", "warmup": "20h"},
        "cities": {"home": small, "far": big, "near": big},
        "network": [
            {"between": ["home", "far"], "latency": "30ms", "bandwidth": "100Gbps"},
            {"between": ["home", "near"], "latency": "3ms", "bandwidth": "100Gbps"},
        ],
        "workload": [
            {
                "name": "training",
                "origin": "home",
                "arrival": {"kind": "poisson", "rate": "4/h"},
                "size": {"kind": "choice", "values": [1, 8]},
                "duration": {"kind": "exponential", "mean": "2h"},
                "dataset": "1TB",
            },
            {
                "name": "inference",
                "origin": "home",
                "arrival": {"kind": "poisson", "rate": "3/h"},
                "size": {"kind": "fixed", "value": 1},
                "duration": {"kind": "exponential", "mean": "1h"},
                "max_latency": "5ms",
            },
        ],
        "scheduling": {"local": "fifo"},
        "dispatch": dispatch,
    }
    return build(data | extra)


def run(scenario, seed=2):
    result = simulate(scenario, seed)
    city_of = np.array([c.city_index for c in result.centers])
    return result, city_of[result.center]


@pytest.mark.parametrize("policy", ["on-demand", "cheapest", "greenest", "spillover"])
def test_latency_bound_work_never_leaves_its_budget(policy):
    result, city = run(base(policy))
    inference = result.demand.job_class == 1
    far = list(result.cities).index("far")
    assert inference.sum() > 100
    assert not np.any(city[inference] == far)
    assert np.any(city[~inference] != 0)  # training does move


def test_moved_jobs_wait_for_their_data():
    result, city = run(base())
    training = result.demand.job_class == 0
    moved = (city != result.demand.origin) & ~np.isnan(result.start) & training
    transfer = result.ready[moved] - result.demand.arrival[moved]
    assert moved.sum() > 100
    assert np.all(transfer >= 1e12 / (100e9 / 8) + 0.003 - 1e-9)
    assert np.all(result.start[moved] >= result.ready[moved])
    metrics = run_metrics(result)["cities"]["home"]
    assert metrics["jobs_moved"] > 0
    moved_training = metrics["data_moved_tb"] / 1.0
    assert 0 < moved_training <= metrics["jobs_moved"]


def test_siloed_never_moves_a_job():
    scenario = base("siloed", workload=[base().workload[1].model_dump()])
    result, city = run(scenario)
    assert np.all(city == result.demand.origin)
    assert run_metrics(result)["overall"]["jobs_moved"] == 0


def test_unknown_dispatch_policy_lists_the_valid_ones():
    with pytest.raises(
        UnknownPolicyError, match="cheapest, greenest, on-demand, siloed, spillover"
    ):
        dispatcher("nearest")
    assert issubclass(dispatcher("On-Demand"), Dispatcher)


def test_energy_matches_the_closed_form_and_sums_up():
    scenario = base("on-demand")
    metrics = run_metrics(simulate(scenario, 4))
    hours = (scenario.run.horizon - scenario.run.warmup) / 3600
    total = 0.0
    for city in metrics["cities"].values():
        for center in city["centers"].values():
            count = center["accelerators"]
            watts, pue = (400, 1.3) if count == 2 else (700, 1.2)  # a100 at home, h100 away
            busy = center["utilisation"] * count
            servers = np.ceil(count / 8)
            it_kw = busy * watts / 1000 + (count - busy) * watts / 1000 * 0.2 + servers * 3.3
            assert center["energy_mwh"] == pytest.approx(it_kw * pue * hours / 1000, rel=1e-9)
            assert center["cost_cny"] == pytest.approx(center["energy_mwh"] * 1000 * 0.63)
            assert center["co2_t"] == pytest.approx(center["energy_mwh"] * 0.5703)
            total += center["energy_mwh"]
        assert city["energy_mwh"] == pytest.approx(
            sum(c["energy_mwh"] for c in city["centers"].values())
        )
    assert metrics["overall"]["energy_mwh"] == pytest.approx(total)


def test_time_of_use_prices_apply_by_hour():
    prices = [0.3] * 8 + [0.9] * 16
    flat, tou = (
        run_metrics(simulate(base(cities=c), 4))["overall"]
        for c in (
            base().model_dump()["cities"],
            {
                name: city | {"price_by_hour": prices}
                for name, city in base().model_dump()["cities"].items()
            },
        )
    )
    expected_ratio = (0.3 * 8 + 0.9 * 16) / 24 / 0.63
    assert tou["cost_cny"] / flat["cost_cny"] == pytest.approx(expected_ratio, rel=0.02)


def test_dispatch_variants_see_identical_demand():
    scenario = base(
        variants={
            "siloed": {"dispatch": "siloed", "workload": [base().workload[1].model_dump()]},
            "a": {"dispatch": "on-demand"},
            "b": {"dispatch": "cheapest"},
        }
    )
    variants = expand_variants(scenario)
    demands = [simulate(variants[name], 8).demand for name in ("a", "b")]
    for column in ("arrival", "size", "duration", "origin", "job_class"):
        np.testing.assert_array_equal(getattr(demands[0], column), getattr(demands[1], column))


def green_and_cheap(dispatch, start_within="1h"):
    """Home (no capacity to spare) and three remote cities: one clean, one cheap, one neither.

    Energy per busy accelerator-second is the same everywhere (same accelerator and PUE), so
    `greenest` ranks centers by grid intensity alone and `cheapest` by price alone.
    """
    center = {"centers": {"dc": {"accelerator": "h100", "count": 64}}}
    cities = {
        "home": {"centers": {"dc": {"accelerator": "h100", "count": 8}}, "carbon_intensity": 0.8},
        "clean": center | {"carbon_intensity": 0.1, "electricity_price": 0.9},
        "cheap": center | {"carbon_intensity": 0.9, "electricity_price": 0.3},
        "plain": center | {"carbon_intensity": 0.5, "electricity_price": 0.6},
    }
    data = {
        "name": "green",
        "run": {"horizon": "300h", "warmup": "10h"},
        "cities": cities,
        "default_link": {"latency": "20ms", "bandwidth": "400Gbps"},
        "workload": [
            {
                "name": "training",
                "origin": "home",
                "arrival": {"kind": "poisson", "rate": "3/h"},
                "size": {"kind": "choice", "values": [1, 4, 8]},
                "duration": {"kind": "exponential", "mean": "2h"},
            }
        ],
        "dispatch": dispatch,
        "dispatch_options": {"start_within": start_within},
    }
    return build(data)


def test_greenest_and_cheapest_send_work_where_it_starts_in_time_and_costs_least():
    # Offered load 3/h x 4.3 accelerators x 2 h = 26 of a remote city's 64: the best city can
    # start almost every job within the hour. Same demand, opposite choices.
    shares = {}
    for policy in ("greenest", "cheapest"):
        result, city = run(green_and_cheap(policy))
        names = np.array(result.cities)[city]
        shares[policy] = {name: (names == name).mean() for name in result.cities}
    assert shares["greenest"]["clean"] > 0.9
    assert shares["cheapest"]["cheap"] > 0.9


def test_greenest_emits_less_than_on_demand_on_the_same_demand():
    co2 = {
        policy: run_metrics(simulate(green_and_cheap(policy), 3))["overall"]["co2_t"]
        for policy in ("on-demand", "greenest")
    }
    assert co2["greenest"] < co2["on-demand"]


def test_greenest_with_no_time_to_spare_starts_jobs_where_they_start_first():
    # start_within 0: only centers that can start a job at once qualify; the busy home center
    # rarely can, so jobs still start at once, wherever the cleanest free center is.
    result, _ = run(green_and_cheap("greenest", start_within=0))
    started = ~np.isnan(result.start)
    wait = result.start[started] - result.ready[started]
    assert np.quantile(wait, 0.99) == 0.0

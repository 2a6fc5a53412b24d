"""Random streams: reproducible per seed, independent per purpose, class and replication."""

import numpy as np

from sim.streams import run_seed, stream
from sim.workload import generate_demand
from tests.conftest import build, one_center


def test_same_seed_same_stream():
    a = stream(run_seed(3), "jobs", "arrivals").random(5)
    b = stream(run_seed(3), "jobs", "arrivals").random(5)
    np.testing.assert_array_equal(a, b)


def test_purposes_and_replications_are_independent():
    base = stream(run_seed(3), "jobs", "arrivals").random(5)
    assert not np.allclose(base, stream(run_seed(3), "jobs", "sizes").random(5))
    assert not np.allclose(base, stream(run_seed(3, 1), "jobs", "arrivals").random(5))
    assert not np.allclose(base, stream(run_seed(4), "jobs", "arrivals").random(5))


def test_adding_a_class_keeps_the_others_demand():
    data = one_center(8, rate="5/h")
    alone = generate_demand(build(data), run_seed(2))
    data["workload"].append({**data["workload"][0], "name": "extra"})
    both = generate_demand(build(data), run_seed(2))
    first = both.job_class == 0
    np.testing.assert_array_equal(alone.arrival, both.arrival[first])
    np.testing.assert_array_equal(alone.duration, both.duration[first])
    assert (both.job_class == 1).sum() > 0


def test_demand_is_sorted_and_within_the_horizon():
    scenario = build(one_center(8, rate="50/h", horizon="100h"))
    demand = generate_demand(scenario, run_seed(1))
    assert np.all(np.diff(demand.arrival) >= 0)
    assert demand.arrival[-1] < scenario.run.horizon
    assert abs(len(demand) - 5000) < 5 * np.sqrt(5000)

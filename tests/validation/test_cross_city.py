"""Cross-city dispatch against theory: pooling two unequally loaded cities."""

import functools

import numpy as np

from sim.engine import simulate
from sim.metrics import run_metrics
from sim.queueing import mmc_wait_mean
from tests.conftest import build

SERVERS = 8
REPLICATIONS = 10


def two_cities(dispatch):
    """Two cities of 8 accelerators, M/M/8 at rho 0.95 and 0.3, an instant link."""
    city = {"centers": {"dc": {"accelerator": "a100", "count": SERVERS}}}
    job = {
        "size": {"kind": "fixed", "value": 1},
        "duration": {"kind": "exponential", "mean": "1h"},
    }
    return build(
        {
            "name": "pooling",
            "run": {"horizon": "6000h", "warmup": "300h"},
            "cities": {"hot": city, "cold": city},
            "network": [{"between": ["hot", "cold"], "latency": 0, "bandwidth": "1000Tbps"}],
            "workload": [
                {"name": "h", "origin": "hot", "arrival": {"kind": "poisson", "rate": "7.6/h"}}
                | job,
                {"name": "c", "origin": "cold", "arrival": {"kind": "poisson", "rate": "2.4/h"}}
                | job,
            ],
            "scheduling": {"local": "fifo"},
            "dispatch": dispatch,
        }
    )


@functools.cache
def mean_wait(dispatch):
    scenario = two_cities(dispatch)
    waits = [
        run_metrics(simulate(scenario, 5, replication=r))["overall"]["wait_mean_s"]
        for r in range(REPLICATIONS)
    ]
    return float(np.mean(waits)), float(np.std(waits, ddof=1) / np.sqrt(REPLICATIONS))


def test_on_demand_cuts_the_wait_by_an_order_of_magnitude():
    siloed, _ = mean_wait("siloed")
    on_demand, _ = mean_wait("on-demand")
    assert on_demand * 10 < siloed


def test_on_demand_lies_between_the_pooled_and_the_siloed_queue():
    """Pooling is the best any dispatch can do (M/M/16 at the mean load); siloed is the worst
    of these: its wait is the arrival-weighted M/M/8 waits of the two cities."""
    pooled = mmc_wait_mean(10.0, 1.0, 2 * SERVERS) * 3600
    siloed_theory = (
        (7.6 * mmc_wait_mean(7.6, 1.0, SERVERS) + 2.4 * mmc_wait_mean(2.4, 1.0, SERVERS))
        / 10.0
        * 3600
    )
    on_demand, error = mean_wait("on-demand")
    siloed, siloed_error = mean_wait("siloed")
    assert abs(siloed - siloed_theory) < 4 * siloed_error  # the siloed run is itself M/M/8
    assert pooled - 4 * error <= on_demand < siloed

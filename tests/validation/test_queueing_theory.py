"""The engine against queueing theory: M/M/1 and M/M/c (Erlang C), Little's law, utilisation.

Each check runs independent replications and compares the theoretical value with the
replications' mean using a Student-t interval. The interval is at 99.9% so a correct engine
fails a check about once in a thousand seeds; the seeds are fixed, so the suite is repeatable.
Warm-up removes the empty-start bias; the horizon is long against the relaxation time.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from scipy import stats

from sim.engine import simulate
from sim.metrics import run_metrics
from sim.queueing import erlang_c, mmc_wait_mean
from tests.conftest import build, one_center

CONFIDENCE = 0.999
REPLICATIONS = 16


@functools.cache
def _runs(servers, rho, hours, replications):
    scenario, _ = mmc(servers, rho, hours)
    return [
        run_metrics(simulate(scenario, 11, replication=r))["overall"] for r in range(replications)
    ]


def replicate(case, metric, replications=REPLICATIONS):
    values = np.asarray([metric(overall) for overall in _runs(*case, replications)])
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, len(values) - 1) * values.std(ddof=1)
    return values.mean(), half / math.sqrt(len(values))


def mmc(servers, rho, services):
    """M/M/c with mean service 1 h, simulated for ``services`` mean service times."""
    rate = rho * servers  # per hour
    return build(
        one_center(
            servers,
            rate=f"{rate}/h",
            duration={"kind": "exponential", "mean": "1h"},
            horizon=f"{services}h",
            warmup=f"{services // 20}h",
        )
    ), rate


CASES = [  # servers, rho, simulated hours per replication (≥ 100 relaxation times)
    (1, 0.5, 20_000),
    (1, 0.9, 50_000),
    (2, 0.75, 10_000),
    (4, 0.9, 10_000),
    (16, 0.75, 2_000),
    (16, 0.9, 3_000),
]


@pytest.mark.parametrize(("servers", "rho", "hours"), CASES)
def test_mean_wait_matches_erlang_c(servers, rho, hours):
    theory = mmc_wait_mean(rho * servers, 1.0, servers) * 3600
    mean, half = replicate((servers, rho, hours), lambda m: m["wait_mean_s"])
    assert abs(mean - theory) <= half, (mean, half, theory)


@pytest.mark.parametrize(("servers", "rho", "hours"), CASES)
def test_utilisation_equals_rho(servers, rho, hours):
    mean, half = replicate((servers, rho, hours), lambda m: m["utilisation"])
    assert abs(mean - rho) <= half


def test_probability_of_waiting_matches_erlang_c():
    # P(W > 0) = C(c, a): the median wait is 0 exactly when C < 0.5.
    assert erlang_c(16, 0.75 * 16) < 0.5
    mean, _ = replicate((16, 0.75, 2_000), lambda m: m["wait_p50_s"])
    assert mean == 0.0


@pytest.mark.parametrize(("servers", "rho", "hours"), CASES)
def test_littles_law(servers, rho, hours):
    """L_q (time-weighted level) = λ · W_q (per-job tallies), from independent bookkeeping."""
    scenario, _ = mmc(servers, rho, hours)
    window = scenario.run.horizon - scenario.run.warmup

    def gap(m):
        return m["queue_len_mean"] - m["jobs_arrived"] / window * m["wait_mean_s"]

    mean, half = replicate((servers, rho, hours), gap)
    assert abs(mean) <= max(half, 1e-9)


def test_pooled_multi_server_job_stability_bound():
    """FCFS with 1- and 2-accelerator jobs on 2 accelerators is stable only below 2/(2 − p²).

    With p = 0.5 the bound is λ < 8/7 ≈ 1.143 per mean service, not the work-conserving 4/3
    (DOMAIN.md). Below the bound the queue settles; above it (but below 4/3) it grows.
    """

    def queue_at_end(rate):
        scenario = build(
            one_center(
                2,
                rate=f"{rate}/h",
                size={"kind": "choice", "values": [1, 2], "weights": [0.5, 0.5]},
                horizon="40000h",
            )
        )
        return run_metrics(simulate(scenario, 3))["overall"]["jobs_queued_end"]

    assert queue_at_end(0.95) < 200
    assert queue_at_end(1.25) > 2000

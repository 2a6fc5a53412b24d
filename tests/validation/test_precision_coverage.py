"""Law & Kelton's sequential procedure (run.precision) against a queue with a known answer:
over many independent seeds, the stopped estimate's 95% interval covers the true mean wait at
about the nominal rate.

Each replication is an M/M/c queue with c = 1, simulated exactly by Lindley's recursion
(vectorised, so eighty sequential experiments take seconds of CPU) and started in its stationary
state, so every wait has the stationary distribution and the replication's mean is unbiased:
what is tested is the procedure (rounds, stopping rule, intervals), run through the very
``replicate`` that ``capsim run`` uses. The engine itself is checked against Erlang C in
test_queueing_theory.py.
"""

import math

import numpy as np

from sim.batch.replicate import replicate
from sim.batch.work import metrics_rows
from sim.queueing import mmc_wait_mean
from sim.streams import run_seed, stream
from tests.conftest import build, one_center

CUSTOMERS = 2000
"""Waits averaged by one replication."""
EXPERIMENTS = 80
"""Independent runs of the whole sequential procedure, one seed each."""


def mm1_replication(scenario, variant, seed, replication):
    """Mean wait of CUSTOMERS successive jobs of the scenario's M/M/1 queue, from the stationary
    state: the first wait is 0 with probability 1 − ρ, else Exp(μ − λ) (Erlang C with c = 1)."""
    arrival = scenario.workload[0].arrival.rate
    service = 1.0 / scenario.workload[0].duration.mean
    rng = stream(run_seed(seed, replication), "mm1")
    first = rng.exponential(1 / (service - arrival)) if rng.random() < arrival / service else 0.0
    steps = rng.exponential(1 / service, CUSTOMERS - 1) - rng.exponential(
        1 / arrival, CUSTOMERS - 1
    )
    walk = np.concatenate([[first], first + np.cumsum(steps)])
    waits = walk - np.minimum(np.minimum.accumulate(walk), 0.0)  # Lindley: W = X − min(X, 0)
    flat = {"wait_mean_s": float(waits.mean())}
    return metrics_rows({"overall": flat, "cities": {"a": {**flat, "centers": {}}}})


def test_stopped_intervals_cover_the_erlang_c_mean_wait_at_about_95_percent():
    data = one_center(1, rate="0.5/h", duration={"kind": "exponential", "mean": "1h"})
    data["run"]["precision"] = {
        "metrics": ["wait_mean_s"],
        "relative": "5%",
        "per": "overall",
        "max_replications": 1000,
    }
    scenario = build(data)
    truth = mmc_wait_mean(0.5 / 3600, 1 / 3600, 1)  # ρ / (μ − λ) = 1 h
    covered, used = 0, []
    for seed in range(EXPERIMENTS):
        summary = replicate(
            scenario, seed=seed, precision=scenario.run.precision, function=mm1_replication
        )
        overall = summary["variants"]["base"]["overall"]
        mean, half = overall["wait_mean_s"], overall["wait_mean_s_ci95"]
        assert summary["precision"]["met"] and half <= 0.05 / 1.05 * abs(mean) + 1e-9
        covered += abs(mean - truth) <= half
        used.append(summary["replications"])
    # the procedure really was sequential: it stopped at different counts
    assert len(set(used)) > 3 and min(used) >= 10
    # binomial tolerance: three standard errors of a 95% rate over EXPERIMENTS experiments
    tolerance = 3 * math.sqrt(0.95 * 0.05 / EXPERIMENTS)
    assert covered / EXPERIMENTS >= 0.95 - tolerance, (covered, EXPERIMENTS, used)

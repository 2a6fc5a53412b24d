"""Metrics per reporting period: how waits evolve over a long run (growth, build-out).

The measured window [warm-up, horizon) is cut into periods of ``run.period``; each job counts
in the period of its arrival, per origin city and overall, with the wait it had (a job still
queued at the horizon with the wait so far, as in :mod:`sim.metrics`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sim.analysis import mean_ci95
from sim.engine import RunResult
from sim.job_side import job_waits

WAIT_ALARM_S = 86400.0
"""The p95 wait whose first crossing `capsim run` reports [s]: a day."""

PERIOD_METRICS = ("jobs_arrived", "wait_mean_s", "wait_p95_s")


def period_edges(result: RunResult, period: float) -> np.ndarray:
    """Period boundaries [s] from the warm-up end to the horizon (the last may be shorter)."""
    return np.unique(np.append(np.arange(result.warmup, result.horizon, period), result.horizon))


def period_metrics(result: RunResult, period: float) -> dict[str, Any]:
    """``{"start_s": [...], "overall": {metric: [...]}, "cities": {city: {metric: [...]}}}``."""
    edges = period_edges(result, period)
    arrival = result.demand.arrival
    wait = job_waits(result)
    which = np.searchsorted(edges, arrival, side="right") - 1
    inside = (arrival >= result.warmup) & (which < len(edges) - 1)

    def per_period(mask: np.ndarray) -> dict[str, list[float]]:
        # One stable sort by period instead of a pass over every job per period (hours for a
        # year of 1-hour periods at 10^6 jobs); each period keeps its jobs in arrival order.
        chosen = mask & inside
        order = np.argsort(which[chosen], kind="stable")
        grouped, period_of = wait[chosen][order], which[chosen][order]
        bounds = np.searchsorted(period_of, np.arange(len(edges)))
        rows: dict[str, list[float]] = {name: [] for name in PERIOD_METRICS}
        for index in range(len(edges) - 1):
            waits = grouped[bounds[index] : bounds[index + 1]]
            rows["jobs_arrived"].append(float(len(waits)))
            rows["wait_mean_s"].append(float(waits.mean()) if len(waits) else math.nan)
            rows["wait_p95_s"].append(float(np.percentile(waits, 95)) if len(waits) else math.nan)
        return rows

    return {
        "start_s": edges[:-1].tolist(),
        "end_s": edges[1:].tolist(),
        "overall": per_period(np.ones(len(arrival), dtype=bool)),
        "cities": {
            city: per_period(result.demand.origin == index)
            for index, city in enumerate(result.cities)
        },
    }


def summarise_periods(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Period metrics averaged over replications (``<metric>_ci95`` with more than one), and
    for each city the start of the first period whose mean p95 wait exceeds a day (null:
    never) in ``wait_p95_first_above_1d_s``."""
    first = runs[0]

    def combine(levels: Sequence[Mapping[str, list[float]]]) -> dict[str, list[float]]:
        combined: dict[str, list[float]] = {}
        for name in PERIOD_METRICS:
            pairs = [
                mean_ci95([level[name][i] for level in levels])
                for i in range(len(first["start_s"]))
            ]
            combined[name] = [mean for mean, _ in pairs]
            if len(levels) > 1:
                combined[f"{name}_ci95"] = [half for _, half in pairs]
        return combined

    cities = {city: combine([run["cities"][city] for run in runs]) for city in first["cities"]}
    return {
        "start_s": first["start_s"],
        "end_s": first["end_s"],
        "overall": combine([run["overall"] for run in runs]),
        "cities": cities,
        "wait_p95_first_above_1d_s": {
            city: first_above(first["start_s"], metrics["wait_p95_s"], WAIT_ALARM_S)
            for city, metrics in cities.items()
        },
    }


def first_above(starts: Sequence[float], values: Sequence[float], bound: float) -> float | None:
    """The start of the first period whose value exceeds ``bound``; None if none does."""
    for start, value in zip(starts, values, strict=True):
        if math.isfinite(value) and value > bound:
            return float(start)
    return None

"""How `capsim plan` judges one constraint at one place on a set of replications.

A quantile constraint on the wait, ``wait_pQ_s <= b`` ("p95 wait <= 1 h"), is read as a
planner means it: at most 1 − Q/100 of the place's jobs wait longer than b ("95% of the jobs
start within the hour"). It is judged by the **pooled share of jobs waiting longer than b**
over the replications (Σ jobs over b / Σ jobs, the exceedance probability of the p95 of the
pooled waits) with its ratio-estimator standard error across replications, not by the mean of
each replication's own p95. Why (measured on the national scenario, siloed, 60 replications
of a 24-day window at the siloed plan of 30,000 / 14,000 / 45,000 / 15,000 P): Horinger's
per-replication p95 wait has mean 748 s, standard deviation 2,635 s and maximum 15,333 s (7%
of replications above the hour: rare 4,096-accelerator jobs jam the city), so one jammed
replication in twenty moves the mean of p95s by ~750 s and the t bound on it certifies on one
seed and fails on another. The share over the hour is bounded in [0, 1]: a jammed replication
moves it by at most its own share / replications (there: mean 0.019, standard deviation 0.019,
maximum 0.09), so its replication means are close to normal at twenty replications and the t
bound on it holds on fresh seeds. Every other constraint (a mean, a utilisation, a p95 with
``>=``) is judged by the Student t bound on the mean of its per-replication values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from sim.batch.sizing import Target
from sim.batch.work import RunRows, run_one
from sim.engine import RunResult
from sim.job_side import job_waits
from sim.scenario.schema import Scenario

_QUANTILE = re.compile(r"^wait_p(\d+)_s$")


def allowed_share(target: Target) -> float | None:
    """The share of jobs a ``wait_pQ_s <= b`` target lets wait longer than b (1 − Q/100);
    None for any other target (judged by its mean)."""
    match = _QUANTILE.match(target.metric)
    if match is None or target.op != "<=":
        return None
    return (100 - int(match.group(1))) / 100.0


def over_column(bound: float) -> str:
    """The run rows' column of jobs waiting longer than ``bound`` [s]."""
    return f"waits_over_{bound:g}_s"


def run_plan(
    scenario: Scenario, variant: str, seed: int, replication: int, *, over: tuple[float, ...]
) -> RunRows:
    """:func:`sim.batch.work.run_one`, its rows with a column per wait in ``over`` [s]: the jobs
    that arrived in the window (those of ``jobs_arrived``, whose waits make ``wait_p95_s``)
    and waited longer, overall and per origin city (NaN at center rows)."""
    kept: list[RunResult] = []
    made = run_one(scenario, variant, seed, replication, keep=lambda _, r: kept.append(r))
    result = kept[0]
    demand = result.demand
    wait = job_waits(result)
    arrived = demand.arrival >= result.warmup
    rows = made.rows.copy()
    index = {city: i for i, city in enumerate(result.cities)}
    for bound in over:
        late = arrived & (wait > bound)
        per_city = np.bincount(demand.origin[late], minlength=len(result.cities))
        counts = [
            float(late.sum())
            if level == "overall"
            else float(per_city[index[city]])
            if level == "city"
            else math.nan
            for level, city in zip(rows["level"], rows["city"], strict=True)
        ]
        rows[over_column(bound)] = counts
    return RunRows(rows, made.periods, made.records)


def plan_function(targets: Sequence[Target]) -> Any:
    """The run function of a plan whose constraints are ``targets`` (picklable)."""
    over = sorted({t.bound for t in targets if allowed_share(t) is not None})
    return partial(run_plan, over=tuple(over))


@dataclass(frozen=True)
class Judged:
    """One constraint at one place, on a set of replications."""

    statistic: str
    """"share" (jobs waiting longer than the bound, pooled) or "mean" (of the metric)."""
    estimate: float
    """The pooled share, or the mean of the metric."""
    used: float
    """The estimate plus (minus, for ``>=``) t standard errors: what must meet ``allowed``."""
    allowed: float
    """The largest share allowed, or the target's bound."""
    meets: bool

    @property
    def gap(self) -> float:
        """How far ``used`` misses ``allowed``, relative to it; 0 when met."""
        if self.meets:
            return 0.0
        gap = abs(self.used - self.allowed)  # above a `<=`, or below a `>=`
        return gap / (abs(self.allowed) or 1.0) if math.isfinite(gap) else 1e12


def judge_bound(target: Target, city: str | None, runs: Sequence[pd.DataFrame], t: float) -> Judged:
    """Judge ``target`` at ``city`` (None: the network) on ``runs`` with ``t`` standard errors
    (0: by the estimate alone, as the search does)."""
    share = allowed_share(target)
    if share is None:
        mean, spread = mean_spread(metric_values(runs, target.metric, city))
        used = target.confidence_bound(mean, 0.0 if t == 0 else t * spread)
        return Judged("mean", mean, used, target.bound, target.met_by(used))
    late = metric_values(runs, over_column(target.bound), city)
    jobs = metric_values(runs, "jobs_arrived", city)
    estimate, spread = ratio_spread(late, jobs)
    used = estimate if t == 0 else estimate + t * spread
    return Judged("share", estimate, used, share, math.isfinite(used) and used <= share)


def ratio_spread(late: Sequence[float], jobs: Sequence[float]) -> tuple[float, float]:
    """Pooled share Σ late / Σ jobs and its standard error over replications (the ratio
    estimator's, from the residuals late_r − share · jobs_r); no jobs at all: share 0."""
    over, count = np.asarray(late, dtype=float), np.asarray(jobs, dtype=float)
    if not (np.isfinite(over).all() and np.isfinite(count).all()):
        return math.inf, math.inf
    if count.sum() == 0:
        return 0.0, 0.0
    share = float(over.sum() / count.sum())
    if len(count) < 2:
        return share, math.inf
    residuals = over - share * count
    spread = math.sqrt(float(residuals @ residuals) / (len(count) - 1) / len(count))
    return share, spread / float(count.mean())


def metric_values(runs: Sequence[pd.DataFrame], metric: str, city: str | None) -> list[float]:
    """A metric of each run, overall or in a city."""
    values = []
    for rows in runs:
        if city is None:
            selected = rows[rows["level"] == "overall"]
        else:
            selected = rows[(rows["level"] == "city") & (rows["city"] == city)]
        values.append(float(selected[metric].iloc[0]))
    return values


def mean_spread(values: list[float]) -> tuple[float, float]:
    """Mean and standard error; a non-finite value makes both infinite (it cannot be met)."""
    array = np.asarray(values, dtype=float)
    if not np.isfinite(array).all():
        return math.inf, math.inf
    spread = float(array.std(ddof=1) / math.sqrt(len(array))) if len(array) > 1 else math.inf
    return float(array.mean()), spread

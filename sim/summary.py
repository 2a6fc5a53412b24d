"""Replications of a scenario and the summary.json contract that reports and notebooks read.

``summary.json``::

    {"capsim_version": str, "scenario": str, "seed": int, "replications": int,
     "horizon_s": float, "warmup_s": float, "metric_docs": {name: meaning [unit]},
     "variants": {"base": {"overall": M,
                           "cities": {CITY: M + {"centers": {CENTER: M}}}}}}

where M is a flat object of metrics (:data:`sim.metrics.METRIC_DOCS`), each the mean over
replications, and with more than one replication a ``<name>_ci95`` 95% confidence half-width.
Undefined values (no job of a center completed, say) are null.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from sim.analysis import summarise_replications
from sim.engine import ProgressCallback, RunResult, simulate
from sim.metrics import METRIC_DOCS, run_metrics
from sim.scenario.schema import Scenario

BASE_VARIANT = "base"


def capsim_version() -> str:
    try:
        return version("capsim")
    except PackageNotFoundError:
        return "unknown"


def run_replications(
    scenario: Scenario,
    *,
    seed: int | None = None,
    replications: int | None = None,
    on_result: Callable[[RunResult], None] | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> dict[str, Any]:
    """Run every replication of a scenario and return its summary document.

    Parameters
    ----------
    scenario
        A validated scenario.
    seed, replications
        Override the scenario's ``run.seed`` and ``run.replications``.
    on_result
        Called with each replication's :class:`~sim.engine.RunResult` (to write its records).
    progress
        Called with (replication, fraction of simulated time done) during each run.
    """
    seed = scenario.run.seed if seed is None else seed
    replications = scenario.run.replications if replications is None else replications
    runs = []
    for replication in range(replications):
        report: ProgressCallback | None = None
        if progress is not None:
            report = _bind(progress, replication)
        result = simulate(scenario, seed, replication=replication, progress=report)
        runs.append(run_metrics(result))
        if on_result is not None:
            on_result(result)
    return {
        "capsim_version": capsim_version(),
        "scenario": scenario.name,
        "seed": seed,
        "replications": replications,
        "horizon_s": scenario.run.horizon,
        "warmup_s": scenario.run.warmup,
        "metric_docs": METRIC_DOCS,
        "variants": {BASE_VARIANT: summarise_replications(runs)},
    }


def _bind(progress: Callable[[int, float], None], replication: int) -> ProgressCallback:
    return lambda fraction: progress(replication, fraction)

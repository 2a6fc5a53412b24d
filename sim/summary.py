"""Replications of a scenario's variants and the summary.json document (docs/outputs.md).

Every replication runs every variant with the same seed, so all variants see the same demand
(common random numbers) and their differences can be paired replication by replication.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from sim.analysis import paired_differences, summarise_replications
from sim.engine import RunResult
from sim.metrics import METRIC_DOCS
from sim.scenario.schema import Precision, Scenario

RunMetrics = dict[str, Any]


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
    on_result: Callable[[str, RunResult], None] | None = None,
    precision: Precision | None = None,
) -> dict[str, Any]:
    """Run every replication of every variant, in this process, and return the summary document.

    Parameters
    ----------
    scenario
        A validated scenario.
    seed, replications
        Override the scenario's ``run.seed`` and ``run.replications``.
    on_result
        Called with (variant, :class:`~sim.engine.RunResult`) after each run (to write records).
    precision
        Add replications until this precision is met (see :mod:`sim.batch.precision`).

    ``capsim run`` runs the same through an executor: :func:`sim.batch.replicate.replicate`.
    """
    # Imported here: sim.batch builds on this module (summary_document, compare_variants).
    from sim.batch.replicate import replicate
    from sim.batch.work import run_one

    function = None if on_result is None else partial(run_one, keep=on_result)
    return replicate(
        scenario, seed=seed, replications=replications, precision=precision, function=function
    )


def summary_document(
    scenario: Scenario, seed: int, runs: Mapping[str, Sequence[RunMetrics]]
) -> dict[str, Any]:
    """The summary.json document from each variant's per-replication run metrics."""
    replications = len(next(iter(runs.values())))
    return {
        "capsim_version": capsim_version(),
        "scenario": scenario.name,
        "seed": seed,
        "replications": replications,
        "horizon_s": scenario.run.horizon,
        "warmup_s": scenario.run.warmup,
        "metric_docs": METRIC_DOCS,
        "variants": {name: summarise_replications(metrics) for name, metrics in runs.items()},
        "comparisons": compare_variants(runs),
    }


def compare_variants(runs: Mapping[str, Sequence[RunMetrics]]) -> dict[str, Any]:
    """Paired differences of every variant against the first, overall and per city."""
    names = list(runs)
    if len(names) < 2:
        return {}
    baseline = runs[names[0]]
    comparisons: dict[str, Any] = {}
    for name in names[1:]:
        variant = runs[name]
        cities = [c for c in variant[0]["cities"] if c in baseline[0]["cities"]]
        comparisons[name] = {
            "baseline": names[0],
            "overall": paired_differences(
                [r["overall"] for r in variant], [r["overall"] for r in baseline]
            ),
            "cities": {
                city: paired_differences(
                    [r["cities"][city] for r in variant], [r["cities"][city] for r in baseline]
                )
                for city in cities
            },
        }
    return comparisons

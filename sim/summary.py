"""Replications of a scenario's variants and the summary.json document (docs/outputs.md).

Every replication runs every variant with the same seed, so all variants see the same demand
(common random numbers) and their differences can be paired replication by replication.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from sim.analysis import paired_differences, summarise_replications
from sim.engine import ProgressCallback, RunResult, simulate
from sim.metrics import METRIC_DOCS, run_metrics
from sim.periods import period_metrics, summarise_periods
from sim.scenario import expand_variants
from sim.scenario.schema import Scenario

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
    progress: Callable[[int, float], None] | None = None,
) -> dict[str, Any]:
    """Run every replication of every variant and return the summary document.

    Parameters
    ----------
    scenario
        A validated scenario.
    seed, replications
        Override the scenario's ``run.seed`` and ``run.replications``.
    on_result
        Called with (variant, :class:`~sim.engine.RunResult`) after each run (to write records).
    progress
        Called with (replication, fraction of that replication done).
    """
    seed = scenario.run.seed if seed is None else seed
    replications = scenario.run.replications if replications is None else replications
    variants = expand_variants(scenario)
    runs: dict[str, list[RunMetrics]] = {name: [] for name in variants}
    periods: dict[str, list[RunMetrics]] = {
        name: [] for name, variant in variants.items() if variant.run.period is not None
    }
    for replication in range(replications):
        for index, (name, variant) in enumerate(variants.items()):
            report: ProgressCallback | None = None
            if progress is not None:
                report = _bind(progress, replication, index, len(variants))
            result = simulate(variant, seed, replication=replication, progress=report)
            runs[name].append(run_metrics(result))
            if variant.run.period is not None:
                periods[name].append(period_metrics(result, variant.run.period))
            if on_result is not None:
                on_result(name, result)
            del result  # before the next run: two runs' records at once would double the peak
    document = summary_document(scenario, seed, runs)
    if periods:
        document["periods"] = {name: summarise_periods(runs) for name, runs in periods.items()}
    return document


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


def _bind(
    progress: Callable[[int, float], None], replication: int, index: int, count: int
) -> ProgressCallback:
    return lambda fraction: progress(replication, (index + fraction) / count)

"""Tables → tables: means and 95% confidence half-widths over replications."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats


def mean_ci95(values: Sequence[float]) -> tuple[float, float]:
    """Mean and 95% confidence half-width (Student t) of independent replications.

    Non-finite values (a metric undefined in some replication) are left out. The half-width is
    NaN with fewer than two finite values.
    """
    finite = np.asarray([v for v in values if math.isfinite(v)], dtype=float)
    if len(finite) == 0:
        return math.nan, math.nan
    if len(finite) == 1:
        return float(finite[0]), math.nan
    half = stats.t.ppf(0.975, len(finite) - 1) * finite.std(ddof=1) / math.sqrt(len(finite))
    return float(finite.mean()), float(half)


def paired_differences(
    runs: Sequence[Mapping[str, Any]], baseline: Sequence[Mapping[str, Any]]
) -> dict[str, float]:
    """Mean and 95% half-width of (run − baseline) for every metric the two flat metric sets
    share, replication by replication (common random numbers make the pairs comparable)."""
    if len(runs) != len(baseline):
        raise ValueError("paired runs need as many replications as their baseline")
    shared = [
        key
        for key, value in runs[0].items()
        if not isinstance(value, Mapping)
        and not isinstance(baseline[0].get(key, {}), Mapping)
        and key in baseline[0]
    ]
    differences: dict[str, float] = {}
    for key in shared:
        diffs = [
            float(run[key]) - float(base[key]) for run, base in zip(runs, baseline, strict=True)
        ]
        mean, half = mean_ci95(diffs)
        differences[key] = mean
        if len(runs) > 1:
            differences[f"{key}_ci95"] = half
    return differences


def summarise_replications(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Average nested run metrics over replications.

    Each leaf metric becomes its mean; with more than one replication a ``<name>_ci95`` entry
    holds the 95% confidence half-width. Nested mappings (cities, centers) are kept.
    """
    if not runs:
        raise ValueError("no runs to summarise")
    first = runs[0]
    summary: dict[str, Any] = {}
    for key, value in first.items():
        if isinstance(value, Mapping):
            summary[key] = summarise_replications([run[key] for run in runs])
            continue
        mean, half = mean_ci95([float(run[key]) for run in runs])
        summary[key] = mean
        if len(runs) > 1:
            summary[f"{key}_ci95"] = half
    return summary


def replications_for(half: float, allowed: float, replications: int) -> int | None:
    """Replications that would bring a 95% half-width of ``half`` (from ``replications``) down
    to ``allowed``, at the same sample variance: the half-width shrinks as 1/√n. None when no
    finite number would (``allowed`` is zero, or ``half`` is undefined)."""
    if not (math.isfinite(half) and math.isfinite(allowed)) or allowed <= 0:
        return None
    if half <= allowed:
        return replications
    return math.ceil(replications * (half / allowed) ** 2)

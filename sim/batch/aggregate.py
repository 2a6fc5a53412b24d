"""Run rows → the batch summary: per point × variant, mean and 95% half-width of every metric,
paired comparisons against the first variant and, with ``run.period``, the period metrics
(docs/outputs.md, "capsim batch").

The per-variant summaries and comparisons are those of ``capsim run`` (:mod:`sim.summary`), so a
batch point and a plain run of the same scenario agree to the last digit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pandas as pd

from sim.analysis import summarise_replications
from sim.batch.grid import Axes, Point
from sim.batch.store import RUN_KEYS, RunId
from sim.batch.work import KEYS, METRICS, levels, nested_metrics
from sim.periods import summarise_periods
from sim.summary import compare_variants

RunsByReplication = dict[int, dict[str, Any]]


def group_runs(rows: pd.DataFrame) -> dict[tuple[int, str], RunsByReplication]:
    """Nested run metrics by (point, variant), then by replication."""
    grouped: dict[tuple[int, str], RunsByReplication] = {}
    if rows.empty:
        return grouped
    for (point, variant, replication), group in rows.groupby(RUN_KEYS, sort=True):
        key = (int(point), str(variant))
        grouped.setdefault(key, {})[int(replication)] = nested_metrics(group)
    return grouped


def point_entries(
    points: Sequence[Point],
    variants: Mapping[int, Sequence[str]],
    rows: pd.DataFrame,
    periods: Mapping[RunId, Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The ``points`` list of summary.json; ``periods`` are the runs' period metrics."""
    grouped = group_runs(rows)
    entries = []
    for point in points:
        runs = {v: grouped.get((point.index, v), {}) for v in variants[point.index]}
        present = {v: by_rep for v, by_rep in runs.items() if by_rep}
        entry = {
            "point": point.index,
            "params": point.params,
            "replications": {v: len(by_rep) for v, by_rep in runs.items()},
            "variants": {
                v: summarise_replications([by_rep[r] for r in sorted(by_rep)])
                for v, by_rep in present.items()
            },
            "comparisons": _comparisons(runs),
        }
        summarised = _periods(point.index, present, periods or {})
        if summarised:
            entry["periods"] = summarised
        entries.append(entry)
    return entries


def _periods(
    point: int,
    runs: Mapping[str, RunsByReplication],
    periods: Mapping[RunId, Mapping[str, Any]],
) -> dict[str, Any]:
    """Period metrics per variant, as ``capsim run`` gives them, for the variants whose every
    summarised replication has them (so they average the same runs as the variant's metrics)."""
    summarised = {}
    for variant, by_rep in runs.items():
        ids = [RunId(point, variant, r) for r in sorted(by_rep)]
        if all(run in periods for run in ids):
            summarised[variant] = summarise_periods([periods[run] for run in ids])
    return summarised


def _comparisons(runs: Mapping[str, RunsByReplication]) -> dict[str, Any]:
    """Paired comparisons over the replications every variant of the point finished."""
    if not runs or any(not by_rep for by_rep in runs.values()):
        return {}
    common = sorted(set.intersection(*(set(by_rep) for by_rep in runs.values())))
    if not common:
        return {}
    return compare_variants({v: [by_rep[r] for r in common] for v, by_rep in runs.items()})


def summary_table(axes: Axes, entries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """summary.parquet: one row per (point, variant, level, city, center)."""
    columns = ["point", *axes, "variant", *KEYS, "replications"]
    columns += [name for metric in METRICS for name in (metric, f"{metric}_ci95")]
    rows = [
        {
            "point": entry["point"],
            **entry["params"],
            "variant": variant,
            "replications": entry["replications"][variant],
            **row,
        }
        for entry in entries
        for variant, summary in entry["variants"].items()
        for row in _flat_rows(summary)
    ]
    table = pd.DataFrame(rows, columns=columns)
    for path in axes:
        table[path] = _axis_column([entry["params"][path] for entry in entries], table[path])
    table["point"] = table["point"].astype("int64")
    table["replications"] = table["replications"].astype("int64")
    metric_columns = columns[len(axes) + 6 :]
    table[metric_columns] = table[metric_columns].astype("float64")
    return table


def run_table(summary: Mapping[str, Any]) -> pd.DataFrame:
    """summary.parquet of ``capsim run``: the rows of :func:`summary_table` (one per variant,
    level, city and center) for a run's summary.json, without the sweep's ``point``."""
    entry = {
        "point": 0,
        "params": {},
        "replications": {variant: summary["replications"] for variant in summary["variants"]},
        "variants": summary["variants"],
    }
    return summary_table({}, [entry]).drop(columns="point")


def _flat_rows(summary: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for level, city, center, values in levels(summary):
        yield {"level": level, "city": city, "center": center, **_metrics(values)}


def _metrics(values: Mapping[str, Any]) -> dict[str, float]:
    flat: dict[str, float] = {}
    for metric in METRICS:
        for name in (metric, f"{metric}_ci95"):
            value = values.get(name)  # None: null in a summary.json read back
            flat[name] = math.nan if value is None else float(value)
    return flat


def _axis_column(values: Sequence[Any], column: pd.Series) -> pd.Series:
    """An axis column Parquet can hold: numbers, strings or booleans as they are; a mix, or
    lists and mappings, as their JSON text."""
    kinds = {type(value) for value in values}
    if kinds <= {int, float} or kinds in ({str}, {bool}):
        return column
    return column.map(lambda value: json.dumps(value, sort_keys=True))

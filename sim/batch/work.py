"""The unit of work of a batch: one run of one variant of one point, as tidy rows (and, when
the scenario sets ``run.period``, its period metrics).

:func:`run_one` is top-level and takes and returns only picklable values, so any executor
(a process pool, a Dask worker on another machine) can run it. It does no I/O.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.engine import RunResult, simulate
from sim.levels import supply_levels
from sim.metrics import (
    METRIC_DOCS,
    OPTIONAL_METRICS,
    jobs_table_chunks,
    run_metrics,
    timeseries_table,
)
from sim.periods import period_metrics
from sim.scenario.loader import expand_variants
from sim.scenario.schema import Scenario

KEYS = ["level", "city", "center"]
"""Columns that say where a row's metrics were measured."""

METRICS = [name for name in METRIC_DOCS if name not in OPTIONAL_METRICS]
"""The metric columns of a run's rows, in the documented order. The optional metrics of
servers, preemption and tenants are left out, so batch tables keep one set of columns
(`capsim run` reports them)."""


@dataclass(frozen=True)
class RunRows:
    """What one run of a batch gives: its metrics as tidy rows, and its period metrics
    (:func:`sim.periods.period_metrics`) when its scenario sets ``run.period``."""

    rows: pd.DataFrame
    periods: dict[str, Any] | None = None
    records: dict[str, Any] | None = None
    """With ``records``: the run's ``timeseries`` table and, if its scenario keeps one
    (``run.job_table``), its ``jobs`` table as a list of chunks (as timeseries.parquet and
    jobs.parquet hold them, with a ``variant`` column)."""


def run_one(
    scenario: Scenario,
    variant: str,
    seed: int,
    replication: int,
    *,
    records: bool = False,
    keep: Callable[[str, RunResult], None] | None = None,
) -> RunRows:
    """Run replication ``replication`` of ``variant`` and return its metrics as tidy rows.

    Parameters
    ----------
    scenario
        A validated scenario (one point of a sweep), with its variants.
    variant
        Which of its variants to run.
    seed
        The batch seed; the run uses ``run_seed(seed, replication)``, shared by every variant and
        every point (common random numbers).
    replication
        The replication number [-].
    records
        Also return the run's jobs and time-series tables (for ``capsim run --out``).
    keep
        Called with (variant, the run's :class:`~sim.engine.RunResult`), in this process (for
        in-memory callers that want the whole result).

    Returns
    -------
    RunRows
        ``rows``: one row overall, one per city and one per center, columns ``level``
        ("overall", "city", "center"), ``city``, ``center`` and every metric of
        :data:`sim.metrics.METRIC_DOCS`; ``periods``: the run's period metrics if the variant
        sets ``run.period``, else None.
    """
    chosen = expand_variants(scenario)[variant]
    result = simulate(chosen, seed, replication=replication)
    period = chosen.run.period
    periods = None if period is None else period_metrics(result, period)
    tables: dict[str, Any] | None = None
    levels = supply_levels(result)  # once for both tables
    if records:
        tables = {"timeseries": timeseries_table(result, levels).assign(variant=variant)}
        if chosen.run.job_table:
            tables["jobs"] = [c.assign(variant=variant) for c in jobs_table_chunks(result)]
    if keep is not None:
        keep(variant, result)
    return RunRows(metrics_rows(run_metrics(result, levels)), periods, tables)


def metrics_rows(metrics: Mapping[str, Any]) -> pd.DataFrame:
    """Nested run metrics (:func:`sim.metrics.run_metrics`) as tidy rows."""
    return pd.DataFrame(list(_rows(metrics)), columns=[*KEYS, *METRICS])


def levels(metrics: Mapping[str, Any]) -> Iterator[tuple[str, str, str, Mapping[str, Any]]]:
    """(level, city, center, flat metrics) of nested metrics: overall, then each city and its
    centers, in the order of the scenario."""
    yield "overall", "", "", metrics["overall"]
    for city, values in metrics["cities"].items():
        yield "city", city, "", values
        for center, center_values in values.get("centers", {}).items():
            yield "center", city, center, center_values


def _rows(metrics: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for level, city, center, values in levels(metrics):
        yield {"level": level, "city": city, "center": center, **_flat(values)}


def _flat(metrics: Mapping[str, Any]) -> dict[str, float]:
    return {key: float(metrics[key]) for key in METRICS if key in metrics}


def nested_metrics(rows: pd.DataFrame) -> dict[str, Any]:
    """Tidy rows of one run back to nested run metrics; the inverse of :func:`metrics_rows`."""
    present = [m for m in METRICS if m in rows.columns]
    nested: dict[str, Any] = {"overall": {}, "cities": {}}
    places = zip(
        rows["level"].tolist(), rows["city"].tolist(), rows["center"].tolist(), strict=True
    )
    # Plain lists, not DataFrame rows: this runs once per run when a batch is summarised.
    for (level, city, center), numbers in zip(
        places, rows[present].to_numpy().tolist(), strict=True
    ):
        values = dict(zip(present, numbers, strict=True))
        if level == "overall":
            nested["overall"] = values
        elif level == "city":
            nested["cities"].setdefault(city, {"centers": {}}).update(values)
        else:
            nested["cities"].setdefault(city, {"centers": {}})["centers"][center] = values
    for city in nested["cities"].values():
        city["centers"] = city.pop("centers")  # keep "centers" after the metrics, as run_metrics
    return nested


@dataclass(frozen=True)
class Outcome:
    """What came back from one task: its rows (and period metrics, if any), or the error it
    raised."""

    rows: pd.DataFrame | None
    error: str | None = None
    detail: str = ""
    """The traceback of the error, for the failure record."""
    periods: dict[str, Any] | None = None
    records: dict[str, Any] | None = None


def guarded(
    function: Callable[..., pd.DataFrame | RunRows],
    scenario: Scenario,
    variant: str,
    seed: int,
    replication: int,
) -> Outcome:
    """Call ``function`` and turn any exception into an :class:`Outcome` with its message,
    so a failed run is recorded and the batch goes on (exceptions need not be picklable).

    ``function`` returns a :class:`RunRows`, or bare rows for a run without period metrics
    (stand-ins in tests and sizing)."""
    try:
        made = function(scenario, variant, seed, replication)
    except Exception as error:
        message = f"{type(error).__name__}: {error}"
        return Outcome(None, message, traceback.format_exc())
    if isinstance(made, RunRows):
        return Outcome(made.rows, periods=made.periods, records=made.records)
    return Outcome(made)

"""Running a batch: the grid × variants × replications through an executor, every finished run
written at once, and the summary written from what is on disk.

A scenario (point) that sets ``run.period`` also gets its period metrics per point × variant,
as ``capsim run`` does.

Replication r of every point and every variant uses the seed ``run_seed(seed, r)`` (common
random numbers), so differences between points and variants are not noise of different demand,
and the numbers are the same whatever executor ran them.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.batch.aggregate import group_runs, point_entries, summary_table
from sim.batch.executors import Executor, RunFunction, Task
from sim.batch.grid import Axes, Point
from sim.batch.precision import next_total, precision_checks, precision_record
from sim.batch.progress import BatchProgress
from sim.batch.store import BatchStore, RunId
from sim.batch.work import run_one
from sim.metrics import METRIC_DOCS
from sim.output import SCENARIO_COPY, OutputFolder, open_folder
from sim.scenario.loader import expand_variants
from sim.scenario.schema import Precision, Scenario
from sim.summary import capsim_version


class BatchError(Exception):
    """A batch that cannot start (its folder holds another batch's runs)."""


@dataclass
class BatchResult:
    """What a batch did and produced."""

    summary: dict[str, Any]
    """The summary.json document."""
    table: pd.DataFrame
    """summary.parquet."""
    ran: int = 0
    skipped: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)


def run_batch(
    scenario_file: Path,
    base: Scenario,
    axes: Axes,
    points: Sequence[Point],
    *,
    out: Path,
    executor: Executor,
    seed: int | None = None,
    replications: int | None = None,
    resume: bool = False,
    function: RunFunction = run_one,
    progress: BatchProgress | bool = True,
    precision: Precision | None = None,
) -> BatchResult:
    """Run every (point, variant, replication) not yet on disk and summarise the batch.

    Parameters
    ----------
    scenario_file, base, axes, points
        The scenario file, its validated scenario and grid (:func:`sim.batch.grid.build_grid`).
    out
        The batch folder (see :mod:`sim.batch.store`).
    executor
        Where the runs happen.
    seed, replications
        Override ``run.seed`` and ``run.replications``.
    resume
        Skip runs already in ``out``; without it, ``out`` must not hold runs.
    function
        The unit of work (:func:`sim.batch.work.run_one`); tests pass others.
    progress
        A progress bar, ``True`` for one on stderr or ``False`` for none.
    precision
        After the first ``replications``, add rounds of replications to each point until its
        intervals meet this precision or its cap (:mod:`sim.batch.precision`); each point of
        summary.json then records its ``precision``.

    Raises
    ------
    BatchError
        If ``out`` holds runs and ``resume`` is false, or holds runs of a different batch.
    OutputError
        If ``out`` cannot be written, is locked by another command or holds another kind of
        output (:func:`sim.output.open_folder`); checked before any run.
    """
    seed = base.run.seed if seed is None else seed
    if replications is None:
        replications = base.run.replications if precision is None else precision.min_replications
    with open_folder(out, "batch") as folder:
        return _run_in(
            folder,
            scenario_file,
            base,
            axes,
            points,
            executor,
            seed,
            replications,
            resume,
            function,
            progress,
            precision,
        )


def _run_in(
    folder: OutputFolder,
    scenario_file: Path,
    base: Scenario,
    axes: Axes,
    points: Sequence[Point],
    executor: Executor,
    seed: int,
    replications: int,
    resume: bool,
    function: RunFunction,
    progress: BatchProgress | bool,
    precision: Precision | None,
) -> BatchResult:
    store = BatchStore(folder.root)
    expanded = {p.index: expand_variants(p.scenario) for p in points}
    variants = {index: list(named) for index, named in expanded.items()}
    manifest = _manifest(scenario_file, base, axes, seed, variants)
    done = _check_folder(store, manifest, resume)
    done -= _without_periods(store, done, expanded)
    every = [
        RunId(p.index, v, r) for r in range(replications) for p in points for v in variants[p.index]
    ]
    todo = todo_first = [run for run in every if run not in done]
    store.write_manifest(manifest)
    bar = progress if isinstance(progress, BatchProgress) else None
    if progress is True:
        bar = BatchProgress(len(every), len(every) - len(todo))
    scenarios = {p.index: p.scenario for p in points}
    started = time.perf_counter()
    ran, records = 0, dict[int, dict[str, Any]]()
    while todo:
        tasks = [Task(t.point, t.variant, t.replication, scenarios[t.point], seed) for t in todo]
        for task, outcome in executor.run(function, tasks):
            run = RunId(task.point, task.variant, task.replication)
            if outcome.rows is not None:
                store.write_run(run, outcome.rows, outcome.periods)
            else:
                record = _failure(run, points[task.point], seed, outcome.error, outcome.detail)
                store.write_failure(run, record)
            if bar is not None:
                bar.update(failed=outcome.rows is None)
        ran += len(todo)
        if precision is None:
            break
        todo, records = _next_round(store.read_runs(), variants, precision, records)
        replications = max([replications, *(r.replication + 1 for r in todo)])
        if bar is not None:
            bar.total += len(todo)
    if bar is not None:
        bar.close()
    elapsed = time.perf_counter() - started
    result = summarise(
        folder,
        store,
        scenario_file,
        base,
        axes,
        points,
        seed,
        replications,
        variants,
        elapsed,
        records,
    )
    result.ran, result.skipped = ran, len(every) - len(todo_first)
    return result


def _next_round(
    rows: pd.DataFrame,
    variants: Mapping[int, Sequence[str]],
    precision: Precision,
    records: Mapping[int, dict[str, Any]],
) -> tuple[list[RunId], dict[int, dict[str, Any]]]:
    """The runs of the next round of a precision target, per point (on the replications every
    variant of the point finished), and each point's precision record so far."""
    grouped = group_runs(rows)
    todo: list[RunId] = []
    updated: dict[int, dict[str, Any]] = {}
    for point, names in variants.items():
        by_variant = {v: grouped.get((point, v), {}) for v in names}
        common = sorted(set.intersection(*(set(by_rep) for by_rep in by_variant.values())))
        if not common:
            continue
        runs = {v: [by_rep[r] for r in common] for v, by_rep in by_variant.items()}
        checks = precision_checks(runs, precision)
        done = max(common) + 1
        rounds = [*records.get(point, {}).get("rounds", []), done]
        updated[point] = precision_record(checks, precision, rounds)
        total = next_total(checks, done, precision)
        todo += [RunId(point, v, r) for r in range(done, total) for v in names]
    return todo, updated


def summarise(
    folder: OutputFolder,
    store: BatchStore,
    scenario_file: Path,
    base: Scenario,
    axes: Axes,
    points: Sequence[Point],
    seed: int,
    replications: int,
    variants: dict[int, list[str]],
    elapsed: float = float("nan"),
    precision: Mapping[int, dict[str, Any]] | None = None,
) -> BatchResult:
    """Write ``summary.parquet``, ``summary.json`` and the scenario copy from the runs on disk,
    published together; ``elapsed`` is the time this session's runs took [s], ``precision``
    each point's precision record."""
    rows = store.read_runs()
    if not rows.empty:
        rows = rows[rows["replication"] < replications]
    periods = {r: p for r, p in store.read_periods().items() if r.replication < replications}
    entries = point_entries(points, variants, rows, periods)
    for entry in entries:
        if precision and entry["point"] in precision:
            entry["precision"] = precision[entry["point"]]
    failed = [
        {k: f[k] for k in ("point", "params", "variant", "replication", "seed", "error")}
        for f in store.failures()
    ]
    summary = {
        "capsim_version": capsim_version(),
        "scenario": base.name,
        "scenario_file": str(scenario_file),
        "scenario_sha256": _sha256(scenario_file),
        "seed": seed,
        "replications": replications,
        "horizon_s": base.run.horizon,
        "warmup_s": base.run.warmup,
        "metric_docs": METRIC_DOCS,
        "axes": axes,
        "points": entries,
        "failed": failed,
        "elapsed_s": elapsed,
    }
    table = summary_table(axes, entries)
    table.to_parquet(folder.stage("summary.parquet"), index=False)
    folder.stage_json("summary.json", summary)
    folder.stage_bytes(SCENARIO_COPY, Path(scenario_file).read_bytes())
    folder.publish()
    return BatchResult(summary, table, failed=failed)


def _manifest(
    scenario_file: Path, base: Scenario, axes: Axes, seed: int, variants: dict[int, list[str]]
) -> dict[str, Any]:
    manifest = {
        "scenario": base.name,
        "scenario_sha256": _sha256(scenario_file),
        "axes": axes,
        "seed": seed,
        "variants": {str(point): names for point, names in variants.items()},
    }
    normalised: dict[str, Any] = json.loads(json.dumps(manifest, default=str))
    return normalised  # as read back from batch.json, so the two compare equal


def _check_folder(store: BatchStore, manifest: dict[str, Any], resume: bool) -> set[RunId]:
    done = store.finished()
    if not done:
        return done
    if not resume:
        raise BatchError(
            f"{store.root} already holds {len(done)} runs: add --resume to finish that batch, "
            "or choose another --out"
        )
    previous = store.read_manifest()
    if previous is not None and previous != manifest:
        changed = [key for key in manifest if previous.get(key) != manifest[key]]
        raise BatchError(
            f"{store.root} holds runs of a different batch (its {', '.join(changed)} differ); "
            "choose another --out"
        )
    return done


def _without_periods(
    store: BatchStore, done: set[RunId], expanded: Mapping[int, Mapping[str, Scenario]]
) -> set[RunId]:
    """Runs on disk whose variant sets ``run.period`` but whose file has no period metrics
    (written before batches computed them): ``--resume`` runs them again, on the same seed, so
    every replication of a point counts in its periods and its metrics are unchanged."""
    periodic = {
        run
        for run in done
        if (variant := expanded.get(run.point, {}).get(run.variant)) is not None
        and variant.run.period is not None
    }
    return periodic - set(store.read_periods()) if periodic else set()


def _failure(run: RunId, point: Point, seed: int, error: str | None, detail: str) -> dict[str, Any]:
    return {
        "point": run.point,
        "params": point.params,
        "variant": run.variant,
        "replication": run.replication,
        "seed": seed,
        "error": error or "unknown error",
        "traceback": detail,
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()

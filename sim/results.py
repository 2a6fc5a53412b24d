"""Result tables in Python: read an output folder of ``capsim run``/``batch``/``size``, or run a
scenario, a sweep or a sizing search in memory, and get the same tables (docs/outputs.md).

These are the entry points of the notebooks and of the planning report (:mod:`sim.reporting`).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from sim.engine import RunResult
from sim.metrics import jobs_table, timeseries_table
from sim.output import SCENARIO_COPY, OutputError, verify_folder
from sim.scenario import Scenario, load_scenario
from sim.summary import run_replications

Kind = Literal["run", "batch", "size", "plan"]


class ResultsError(Exception):
    """A folder that is not (complete) capsim output; the message says what is wrong."""


@dataclass
class Results:
    """The tables of one ``capsim run``, ``batch`` or ``size`` (see docs/outputs.md)."""

    kind: Kind
    summary: dict[str, Any]
    """summary.json (for ``size``: a minimal one built from sizing.json)."""
    jobs: pd.DataFrame | None = None
    """jobs.parquet of a run (None when it has none: ``run.job_table: false``)."""
    timeseries: pd.DataFrame | None = None
    """timeseries.parquet of a run."""
    table: pd.DataFrame | None = None
    """summary.parquet of a batch."""
    sizing: dict[str, Any] | None = None
    """sizing.json, when the folder holds one."""
    plan: dict[str, Any] | None = None
    """plan.json of ``capsim plan``, when the folder holds one."""
    scenario_text: str | None = None
    """The scenario file as run (``DIR/scenario.yaml``), with its comments."""
    folder: Path | None = None


def read_results(folder: str | Path) -> Results:
    """Read the output folder of ``capsim run --out``, ``capsim batch --out`` or ``capsim size
    --out``.

    Raises
    ------
    ResultsError
        If the folder does not exist or holds no readable capsim output.
    """
    root = Path(folder)
    if not root.is_dir():
        problem = "does not exist" if not root.exists() else "is not a folder"
        raise ResultsError(f"{root} {problem}")
    try:
        verify_folder(root)
    except OutputError as error:
        raise ResultsError(str(error)) from None
    summary = _read_json(root / "summary.json")
    sizing = _read_json(root / "sizing.json")
    plan = _read_json(root / "plan.json")
    if plan is not None:
        text = _scenario_text(root, {})
        return Results(kind="plan", summary={}, plan=plan, folder=root, scenario_text=text)
    if summary is None and sizing is None:
        raise ResultsError(
            f"{root} holds no summary.json, sizing.json or plan.json: not the output folder "
            "of `capsim run --out`, `capsim batch --out`, `capsim size --out` or `capsim plan`"
        )
    results = Results(kind="size", summary={}, sizing=sizing, folder=root)
    if summary is not None:
        results.summary = summary
        if "points" in summary:
            results.kind = "batch"
            results.table = _read_parquet(root / "summary.parquet", required=True)
        elif "variants" in summary:
            results.kind = "run"
            results.jobs = _read_parquet(root / "jobs.parquet")
            results.timeseries = _read_parquet(root / "timeseries.parquet")
        else:
            raise ResultsError(
                f"{root / 'summary.json'}: neither a run (no 'variants') nor a batch"
            )
        _check_keys(root / "summary.json", summary)
    results.scenario_text = _scenario_text(root, results.summary)
    return results


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ResultsError(f"{path}: cannot read it as JSON: {error}") from None
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: expected a JSON object")
    return data


def _read_parquet(path: Path, required: bool = False) -> pd.DataFrame | None:
    if not path.exists():
        if required:
            raise ResultsError(f"{path} is missing")
        return None
    try:
        return pd.read_parquet(path)
    except Exception as error:  # pyarrow raises several unrelated types for a bad file
        raise ResultsError(f"{path}: cannot read it as Parquet: {error}") from None


_REQUIRED = ("scenario", "seed", "replications", "horizon_s", "warmup_s")


def _check_keys(path: Path, summary: Mapping[str, Any]) -> None:
    missing = [key for key in _REQUIRED if key not in summary]
    if missing:
        raise ResultsError(f"{path}: missing {', '.join(missing)}; not a capsim summary")


def _scenario_text(root: Path, summary: Mapping[str, Any]) -> str | None:
    """The stored copy of the scenario, else the original file if it is unchanged."""
    import hashlib

    candidates = [root / SCENARIO_COPY]
    if summary.get("scenario_file"):
        candidates.append(Path(summary["scenario_file"]))
    for path in candidates:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        expected = summary.get("scenario_sha256")
        if expected is None or hashlib.sha256(data).hexdigest() == expected:
            return data.decode("utf-8", errors="replace")
    return None


# --- running from Python ---------------------------------------------------------------------


def run_scenario(
    scenario: Scenario | str | Path,
    *,
    replications: int | None = None,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Results:
    """Run every variant and replication of a scenario in memory, like ``capsim run --out``.

    Parameters
    ----------
    scenario
        A scenario file or a loaded :class:`~sim.scenario.Scenario`.
    replications, seed
        Override ``run.replications`` and ``run.seed``.
    overrides
        Nested keys laid over the file before validation, e.g. ``{"run": {"horizon": "10d"}}``
        (only with a file).
    """
    text = None
    if not isinstance(scenario, Scenario):
        text = Path(scenario).read_text(encoding="utf-8")
        scenario = load_scenario(scenario, overrides=overrides)
    jobs: list[pd.DataFrame] = []
    series: list[pd.DataFrame] = []

    def keep(variant: str, result: RunResult) -> None:
        if scenario.run.job_table:
            jobs.append(jobs_table(result).assign(variant=variant))
        series.append(timeseries_table(result).assign(variant=variant))

    summary = run_replications(scenario, seed=seed, replications=replications, on_result=keep)
    return Results(
        kind="run",
        summary=summary,
        jobs=_concat(jobs) if jobs else None,
        timeseries=_concat(series),
        scenario_text=text,
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frame = pd.concat(frames, ignore_index=True)
    for column in ("class", "origin", "city", "center", "variant"):
        if column in frame:
            frame[column] = frame[column].astype(str).astype("category")
    return frame


def run_sweep(
    scenario: str | Path,
    sweep: Mapping[str, Sequence[Any]],
    *,
    out: str | Path | None = None,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
) -> Results:
    """Run a batch (``capsim batch``): every combination of the ``sweep`` axes × variants ×
    replications, on ``workers`` local processes (1: in this process).

    Parameters
    ----------
    sweep
        ``{dotted key path: [values]}``, e.g. ``{"cities.lab.centers.pool.count": [14, 16]}``;
        values as in YAML (``"6h"``, ``12``).
    out
        The batch folder; a temporary one (deleted afterwards) when omitted.
    """
    from sim.batch import ProcessExecutor, SerialExecutor, build_grid, run_batch

    axes = [f"{path}={','.join(map(str, values))}" for path, values in sweep.items()]
    base, grid_axes, points = build_grid(scenario, axes)
    executor = SerialExecutor() if workers == 1 else ProcessExecutor(workers)
    with tempfile.TemporaryDirectory(prefix="capsim-sweep-") as scratch:
        folder = Path(out) if out is not None else Path(scratch)
        with executor:
            run_batch(
                Path(scenario),
                base,
                grid_axes,
                points,
                out=folder,
                executor=executor,
                seed=seed,
                replications=replications,
                progress=False,
            )
        results = read_results(folder)
    if out is None:
        results.folder = None
    return results


def size_to_target(
    scenario: str | Path,
    vary: str,
    target: str,
    *,
    low: int | None = None,
    high: int | None = None,
    step: int = 1,
    replications: int = 10,
    seed: int | None = None,
    city: str | None = None,
) -> dict[str, Any]:
    """The smallest whole value of ``vary`` that meets ``target`` (e.g. ``"wait_p95_s <= 1h"``)
    with 95% confidence, as ``capsim size``: returns the sizing.json document."""
    from sim.batch import SerialExecutor
    from sim.batch.sizing import Target, size_capacity

    with SerialExecutor() as executor:
        sizing = size_capacity(
            Path(scenario),
            vary,
            Target.parse(target),
            executor=executor,
            city=city,
            low=low,
            high=high,
            replications=replications,
            seed=seed,
            step=step,
        )
    return sizing.document()


def plan_to_targets(
    scenario: str | Path,
    out: str | Path,
    *,
    overrides: Mapping[str, Any] | None = None,
    seed: int | None = None,
    resume: bool = True,
) -> dict[str, Any]:
    """Search the scenario's `plan:` section as ``capsim plan --out`` does, in this process:
    writes plan.json, plan.parquet and scenario.yaml (the scenario as planned, ``overrides``
    laid over it) to ``out`` for ``capsim report``, and returns plan.json's document."""
    import yaml

    from sim.batch import SerialExecutor
    from sim.batch.plan_answer import plan_capacity
    from sim.batch.plan_cli import write_plan
    from sim.batch.planning import Evaluator, load_plan
    from sim.output import open_folder

    setup = load_plan(Path(scenario), seed=seed, overrides=overrides)
    as_planned = (
        Path(scenario).read_bytes()
        if not overrides
        else yaml.safe_dump(setup.data, sort_keys=False).encode("utf-8")
    )
    with open_folder(Path(out), "plan") as folder, SerialExecutor() as executor:
        document, table = plan_capacity(Evaluator(setup, executor, folder.root, resume=resume))
        write_plan(folder, document, table, as_planned)
    return document

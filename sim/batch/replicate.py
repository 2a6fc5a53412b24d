"""The replications of ``capsim run``: every variant × replication as tasks of an executor (the
executors of ``capsim batch``), in rounds when a precision is asked for.

Replication r of every variant uses the seed ``run_seed(seed, r)`` whatever executor ran it,
and finished runs are taken in (replication, variant) order, so the summary and the records
are the same, to the last digit and row, with one worker or many.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Any

from sim.batch.executors import Executor, RunFunction, SerialExecutor, Task
from sim.batch.precision import Check, next_total, precision_checks, precision_record
from sim.batch.work import Outcome, nested_metrics, run_one
from sim.periods import summarise_periods
from sim.scenario.loader import expand_variants
from sim.scenario.schema import Precision, Scenario
from sim.summary import RunMetrics, summary_document

OnRun = Callable[[Task, Outcome], None]
"""Called with each finished run, in (replication, variant) order."""
Progress = Callable[[int, int], None]
"""Called with (runs done, runs planned so far)."""


class RunFailed(Exception):
    """A replication raised; the message names it and ends with the traceback."""


def replicate(
    scenario: Scenario,
    executor: Executor | None = None,
    *,
    seed: int | None = None,
    replications: int | None = None,
    precision: Precision | None = None,
    records: bool = False,
    function: RunFunction | None = None,
    on_run: OnRun | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run the variants' replications and return the summary.json document.

    Parameters
    ----------
    scenario
        A validated scenario.
    executor
        Where the runs happen (default: in this process).
    seed
        Overrides ``run.seed``.
    replications
        How many replications; with ``precision``, how many in the first round (default: its
        ``min_replications``); without, default ``run.replications``.
    precision
        Add rounds of replications until its targets are met or its cap reached
        (:mod:`sim.batch.precision`); the summary then holds a ``precision`` entry.
    records
        Ask each run for its jobs and time-series tables (``outcome.records`` in ``on_run``).
    function
        The unit of work (default :func:`sim.batch.work.run_one`).

    Raises
    ------
    RunFailed
        If a run raised.
    """
    seed = scenario.run.seed if seed is None else seed
    if replications is None:
        replications = (
            scenario.run.replications if precision is None else precision.min_replications
        )
    if precision is not None:
        replications = min(replications, precision.max_replications)
    work = function or (partial(run_one, records=True) if records else run_one)
    variants = expand_variants(scenario)
    runs: dict[str, list[RunMetrics]] = {name: [] for name in variants}
    periods: dict[str, list[RunMetrics]] = {}
    rounds: list[int] = []
    checks: list[Check] = []
    executor = executor or SerialExecutor()
    done, total = 0, replications
    while total > done:
        tasks = [Task(0, name, r, scenario, seed) for r in range(done, total) for name in variants]
        for task, outcome in _in_order(executor.run(work, tasks), tasks):
            if outcome.rows is None:
                raise RunFailed(
                    f"replication {task.replication} of variant {task.variant} failed: "
                    f"{outcome.error}\n{outcome.detail}"
                )
            runs[task.variant].append(nested_metrics(outcome.rows))
            if outcome.periods is not None:
                periods.setdefault(task.variant, []).append(outcome.periods)
            if on_run is not None:
                on_run(task, outcome)
            if progress is not None:
                progress(sum(map(len, runs.values())), total * len(variants))
        rounds.append(total)
        done = total
        if precision is not None:
            checks = precision_checks(runs, precision)
            total = next_total(checks, done, precision)
    document = summary_document(scenario, seed, runs)
    if periods:
        document["periods"] = {name: summarise_periods(p) for name, p in periods.items()}
    if precision is not None:
        document["precision"] = precision_record(checks, precision, rounds)
    return document


def _in_order(
    finished: Iterable[tuple[Task, Outcome]], tasks: Sequence[Task]
) -> Iterator[tuple[Task, Outcome]]:
    """The outcomes in task order, each as soon as every earlier one is in."""
    position = {(task.variant, task.replication): index for index, task in enumerate(tasks)}
    waiting: dict[int, tuple[Task, Outcome]] = {}
    following = 0
    for task, outcome in finished:
        waiting[position[(task.variant, task.replication)]] = (task, outcome)
        while following in waiting:
            yield waiting.pop(following)
            following += 1

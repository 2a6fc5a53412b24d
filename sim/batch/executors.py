"""Executors: where the runs of a batch happen, behind one interface.

- :class:`SerialExecutor`: in this process, one after another (tests, debugging).
- :class:`ProcessExecutor`: a pool of local processes (spawned, not forked) — the default.
- :class:`DaskExecutor`: a Dask distributed cluster, an existing one (``tcp://host:port``) or a
  LocalCluster it starts. Dask is an optional extra, imported only here and only when used.

Each yields (task, outcome) as runs finish, in whatever order they finish; the numbers do not
depend on the executor, because a run's seed depends only on its replication.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import pandas as pd

from sim.batch.work import Outcome, RunRows, guarded
from sim.scenario.schema import Scenario
from sim.workload.demand import share_demand_from_now, sharing_demand

RunFunction = Callable[[Scenario, str, int, int], pd.DataFrame | RunRows]


@dataclass(frozen=True)
class Task:
    """One run of a batch: a point's scenario, one variant, the batch seed, one replication."""

    point: int
    variant: str
    replication: int
    scenario: Scenario
    seed: int


class Executor:
    """Runs tasks and yields (task, outcome) as each finishes."""

    name = "executor"
    workers = 1

    def run(self, function: RunFunction, tasks: Sequence[Task]) -> Iterator[tuple[Task, Outcome]]:
        raise NotImplementedError

    def close(self) -> None:
        """Release workers and connections."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class SerialExecutor(Executor):
    """Every run in this process, in task order."""

    name = "serial"

    def run(self, function: RunFunction, tasks: Sequence[Task]) -> Iterator[tuple[Task, Outcome]]:
        with sharing_demand():  # a replication's variants, one after another
            for task in tasks:
                args = (task.scenario, task.variant, task.seed, task.replication)
                yield task, guarded(function, *args)


class ProcessExecutor(Executor):
    """A pool of ``workers`` spawned local processes (default: one per core).

    A worker that dies (killed, out of memory) breaks the whole pool and loses every run in
    it. The pool is then started again and only the lost runs are run again, one at a time
    until each has finished, so that a run that kills its worker is found alone: it fails after
    :data:`ATTEMPTS` such deaths, and the others are not failed with it. At most two runs per
    worker are queued at once, so a death loses few runs.
    """

    name = "processes"

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1
        self.restarts = 0
        """How many times a dead worker made the pool start again."""
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=share_demand_from_now,  # a worker runs its tasks one after another
        )

    def run(self, function: RunFunction, tasks: Sequence[Task]) -> Iterator[tuple[Task, Outcome]]:
        waiting, lost = deque(range(len(tasks))), deque[int]()
        deaths = [0] * len(tasks)
        pending: dict[Future[Outcome], int] = {}
        try:
            while waiting or lost or pending:
                if lost and not pending:
                    self._submit(function, tasks, lost.popleft(), pending)
                while waiting and not lost and len(pending) < 2 * self.workers:
                    self._submit(function, tasks, waiting.popleft(), pending)
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                if any(_died(future) for future in done):
                    done, _ = wait(pending)  # the pool is dead: every run in it is lost
                    self._pool.shutdown(wait=True)
                    self._pool = self._start()
                    self.restarts += 1
                alone = len(done) == 1
                for future in done:
                    index = pending.pop(future)
                    if _died(future) and alone:  # then this run killed its worker
                        deaths[index] += 1
                    if _died(future) and deaths[index] < ATTEMPTS:
                        lost.append(index)
                    else:
                        yield tasks[index], _outcome(future)
        finally:
            for future in pending:
                future.cancel()

    def _submit(
        self,
        function: RunFunction,
        tasks: Sequence[Task],
        index: int,
        pending: dict[Future[Outcome], int],
    ) -> None:
        task = tasks[index]
        future: Future[Outcome]
        try:
            future = self._pool.submit(
                guarded, function, task.scenario, task.variant, task.seed, task.replication
            )
        except BrokenProcessPool as error:  # a worker died since the last wait: lost as well
            future = Future()
            future.set_exception(error)
        pending[future] = index

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


ATTEMPTS = 3
"""How many times a run may kill its worker process (alone in the pool) before it fails."""


def _died(future: Future[Outcome]) -> bool:
    return isinstance(future.exception(), BrokenProcessPool)


def _outcome(future: Future[Outcome]) -> Outcome:
    try:
        return future.result()
    except BrokenProcessPool as error:
        return Outcome(None, f"a worker process died ({ATTEMPTS} times with this run): {error}")
    except Exception as error:  # e.g. the task could not be pickled
        return Outcome(None, f"{type(error).__name__}: {error}")


class DaskExecutor(Executor):
    """Runs on a Dask distributed cluster.

    Parameters
    ----------
    address
        Scheduler of an existing cluster (``tcp://host:port``); ``None`` starts a LocalCluster of
        ``workers`` single-threaded worker processes, closed with the executor.
    workers
        Workers of the LocalCluster (default: one per core); ignored with ``address``.
    """

    name = "dask"

    def __init__(self, address: str | None = None, workers: int | None = None):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise RuntimeError(
                "the Dask executor needs dask[distributed]: pip install 'capsim[dask]'"
            ) from None
        self._cluster: Any = None
        if address is None:
            self._cluster = LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=":0",  # any free port: never clash with another cluster
            )
            self._client = Client(self._cluster)
        else:
            self._client = Client(address, timeout=30)
        self.workers = len(self._client.scheduler_info().get("workers", {})) or 1

    def run(self, function: RunFunction, tasks: Sequence[Task]) -> Iterator[tuple[Task, Outcome]]:
        from dask.distributed import as_completed

        futures = {
            self._client.submit(
                guarded, function, t.scenario, t.variant, t.seed, t.replication, pure=False
            ): t
            for t in tasks
        }
        try:
            for future in as_completed(futures):
                task = futures.pop(future)
                try:
                    outcome = future.result()
                except Exception as error:  # e.g. KilledWorker after repeated worker deaths
                    outcome = Outcome(None, f"{type(error).__name__}: {error}")
                future.release()
                yield task, outcome
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(
    *,
    serial: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: bool = False,
) -> Executor:
    """The executor the command-line options ask for (processes unless told otherwise)."""
    if scheduler is not None:
        return DaskExecutor(scheduler)
    if dask_local:
        return DaskExecutor(None, workers)
    if serial:
        return SerialExecutor()
    return ProcessExecutor(workers)

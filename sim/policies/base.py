"""What a local scheduler and a dispatcher are, and the registries that find them by name.

A local scheduler is the run-time state of one center: its free accelerators, its queue and
its time-weighted levels (busy accelerators, queue length). The engine hands it jobs
(:meth:`LocalScheduler.submit`) and tells it when one ends (:meth:`LocalScheduler.release`);
the scheduler decides which queued jobs start and calls back the engine's ``start``.

Jobs are integers indexing the run's columnar job table (:class:`JobTable`). Subclasses register
themselves by their ``name``; adding a policy is writing one class in one file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Sized
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

StartCallback = Callable[[int], None]


@dataclass(frozen=True)
class JobTable:
    """Per-job attributes a scheduler may read, as plain lists for fast indexing."""

    size: Sequence[int]
    """Accelerators the job holds [-]."""
    duration: Sequence[float]
    """Run time [s] (known to the scheduler: capsim treats runtime estimates as exact)."""
    priority: Sequence[int]
    """Class priority; higher runs first under the `priority` policy."""


class UnknownPolicyError(KeyError):
    """A policy name that is not registered."""

    def __init__(self, kind: str, name: str, valid: Sequence[str]):
        self.message = f"unknown {kind} policy {name!r}; valid: {', '.join(sorted(valid))}"
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class LocalScheduler:
    """Base of local policies: capacity, free accelerators and time-weighted levels.

    Subclasses keep their queue in ``self.queue`` (anything with ``len``) and must call
    :meth:`advance` before changing ``free`` or the queue, so the levels stay exact.
    """

    registry: ClassVar[dict[str, type[LocalScheduler]]] = {}
    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            LocalScheduler.registry[cls.name.lower()] = cls

    def __init__(self, capacity: int, jobs: JobTable, start: StartCallback, backfill_depth: int):
        self.capacity = capacity
        self.free = capacity
        self.jobs = jobs
        self.sizes = jobs.size
        self.start = start
        self.backfill_depth = backfill_depth
        self.queue: Sized = ()
        self.queued_size = 0
        """Accelerators requested by the queued jobs [-]."""
        self.t_last = 0.0
        self.busy_area = 0.0
        """Integral of busy accelerators over time since t=0 [accelerator·s]."""
        self.queue_area = 0.0
        """Integral of the queue length over time since t=0 [job·s]."""
        self.queue_max = 0
        """Longest queue since the last :meth:`take_queue_max` [jobs]."""

    def submit(self, job: int, now: float) -> None:
        """A job arrives at this center at time ``now`` [s]."""
        raise NotImplementedError

    def release(self, job: int, now: float) -> None:
        """A running job ends at time ``now`` [s] and frees its accelerators."""
        raise NotImplementedError

    def advance(self, now: float) -> None:
        """Accumulate the time-weighted levels up to ``now`` [s]."""
        dt = now - self.t_last
        if dt > 0.0:
            self.busy_area += (self.capacity - self.free) * dt
            self.queue_area += len(self.queue) * dt
            self.t_last = now

    def take_queue_max(self) -> int:
        """The longest queue since the last call; restarts the count from the current queue."""
        longest = self.queue_max
        self.queue_max = len(self.queue)
        return longest


def local_policy(name: str) -> type[LocalScheduler]:
    """The local scheduler class registered under ``name`` (case-insensitive)."""
    try:
        return LocalScheduler.registry[name.lower()]
    except KeyError:
        raise UnknownPolicyError("local", name, list(LocalScheduler.registry)) from None


@dataclass(frozen=True)
class CenterView:
    """What a dispatcher knows of a center that does not change during a run."""

    index: int
    city: int
    capacity: int


class Dispatcher:
    """Base of cross-center dispatch policies: choose the center a new job joins."""

    registry: ClassVar[dict[str, type[Dispatcher]]] = {}
    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            Dispatcher.registry[cls.name.lower()] = cls

    def __init__(self, centers: Sequence[CenterView], schedulers: Sequence[LocalScheduler]):
        self.centers = centers
        self.schedulers = schedulers

    def static_choice(self, origins: np.ndarray, sizes: np.ndarray) -> np.ndarray | None:
        """Every job's center up front, for dispatchers whose choice ignores the state.

        Returns None (the default) when the choice must be made at each arrival.
        """
        return None

    def choose(self, origin: int, size: int, now: float) -> int:
        """The index of the center a job of ``size`` accelerators from city ``origin`` joins."""
        raise NotImplementedError

    @classmethod
    def eligible_cities(cls, origin: int, cities: int) -> Sequence[int]:
        """Cities whose centers may run a job from ``origin`` (used by the scenario checks)."""
        raise NotImplementedError


def dispatcher(name: str) -> type[Dispatcher]:
    """The dispatcher class registered under ``name`` (case-insensitive)."""
    try:
        return Dispatcher.registry[name.lower()]
    except KeyError:
        raise UnknownPolicyError("dispatch", name, list(Dispatcher.registry)) from None

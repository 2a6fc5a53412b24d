"""What a local scheduler and a dispatcher are, and the registries that find them by name.

A local scheduler is the run-time state of one center: its free accelerators, its queue and
its time-weighted levels (busy accelerators, queue length). The engine hands it jobs
(:meth:`LocalScheduler.submit`) and tells it when one ends (:meth:`LocalScheduler.release`);
the scheduler decides which queued jobs start and calls back the engine's ``start``.

Jobs are integers indexing the run's columnar job table (:class:`JobTable`). Subclasses register
themselves by their ``name``; adding a policy is writing one class in one file.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence, Sized
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np
from mypy_extensions import mypyc_attr

from sim.policies.search import CandidateSearch

if TYPE_CHECKING:
    from sim.policies.placement import Placement

StartCallback = Callable[[int], None]
StopCallback = Callable[[int], None]
"""The engine's hook for a running job its scheduler stops (preempts)."""


class JobProgress(Protocol):
    """What a preemptive scheduler reads of its jobs' progress (the engine keeps it)."""

    def remaining(self, job: int) -> float:
        """Useful work a queued job has left [s]."""
        ...

    def remaining_at(self, job: int, now: float) -> float:
        """Useful work a running job has left at ``now`` [s]."""
        ...

    def attained_at(self, job: int, now: float, running: bool) -> float:
        """Time the job has run so far [s]."""
        ...


@dataclass(frozen=True)
class JobTable:
    """Per-job attributes a scheduler may read, as plain lists for fast indexing."""

    size: Sequence[int]
    """Accelerators the job holds [-]."""
    duration: Sequence[float]
    """Run time [s] (known to the scheduler: capsim treats runtime estimates as exact)."""
    priority: Sequence[int]
    """Priority of each job (its trace's or its class's); higher runs first under `priority`."""
    estimate: Sequence[float] | None = None
    """Run time estimated at submission [s], NaN where none is given; None: no job has one.
    `sjf` and `srtf` order by it instead of the true run time."""

    def expected(self, job: int) -> float:
        """The run time [s] a scheduler plans with: the estimate if given, else the true one."""
        estimate = self.estimate
        if estimate is None or estimate[job] != estimate[job]:
            return self.duration[job]
        return estimate[job]


# Compiled (setup.py), an exception stays a Python class.
@mypyc_attr(native_class=False)
class UnknownPolicyError(KeyError):
    """A policy name that is not registered."""

    def __init__(self, kind: str, name: str, valid: Sequence[str]):
        self.message = f"unknown {kind} policy {name!r}; valid: {', '.join(sorted(valid))}"
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


# Compiled (setup.py), and still the base of the policies that are not.
@mypyc_attr(allow_interpreted_subclasses=True)
class LocalScheduler:
    """Base of local policies: capacity, free accelerators and time-weighted levels.

    Subclasses keep their queue in ``self.queue`` (anything with ``len``) and must call
    :meth:`advance` before changing ``free`` or the queue, so the levels stay exact.
    """

    registry: ClassVar[dict[str, type[LocalScheduler]]] = {}
    name: ClassVar[str] = ""
    preempts: ClassVar[bool] = False
    """Whether the policy itself stops running jobs (`srtf`, `las`, preemptive `priority`)."""
    preemptive: ClassVar[type[LocalScheduler] | None] = None
    """The form of the policy that preempts, for `scheduling.preempt: true`; None: none."""

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
        self.placement: Placement | None = None
        """Where jobs go on the center's servers; None: one pool (only ``free`` counts)."""
        self.queued_sizes: Counter[int] = Counter()
        """Queued jobs by size {accelerators: jobs}, kept only under a placement."""
        self.fragmented_area = 0.0
        """Integral of the free accelerators no queued job can use, while jobs queue, over
        time since t=0 [accelerator·s]; kept only under a placement."""

        self.stop: StopCallback | None = None
        self.progress: JobProgress | None = None
        self.running_jobs: dict[int, None] | None = None
        """The running jobs in the order they started, kept only when jobs may be stopped."""
        self.reclaims = False
        """Whether a capacity cut (inference, retirement) stops running jobs."""

    def use_placement(self, placement: Placement) -> None:
        """Place jobs on servers with ``placement`` (before any job arrives)."""
        self.placement = placement

    def use_preemption(self, stop: StopCallback, progress: JobProgress, reclaims: bool) -> None:
        """Let the scheduler stop running jobs (before any job arrives): ``stop`` tells the
        engine, ``progress`` says how far each job is; ``reclaims``: a capacity cut stops the
        jobs started last until the rest fit."""
        self.stop, self.progress, self.reclaims = stop, progress, reclaims
        self.running_jobs = {}

    def preempt(self, job: int, now: float) -> None:
        """Stop the running ``job`` at ``now`` [s]: it frees its accelerators and queues again."""
        assert self.stop is not None
        self.stop(job)
        self.give(job)
        self.requeue(job)
        if len(self.queue) > self.queue_max:
            self.queue_max = len(self.queue)

    def requeue(self, job: int) -> None:
        """Queue a stopped job again (where the policy puts it)."""
        raise NotImplementedError

    def fits(self, size: int) -> bool:
        """Whether a job of ``size`` accelerators can start now."""
        placement = self.placement
        return size <= self.free and (placement is None or placement.fits(size))

    def take(self, job: int) -> None:
        """``job`` starts: it holds its accelerators (on the servers the placement chooses)."""
        size = self.sizes[job]
        self.free -= size
        if self.placement is not None:
            self.placement.place(job, size)
        if self.running_jobs is not None:
            self.running_jobs[job] = None

    def give(self, job: int) -> None:
        """``job`` ends or stops: its accelerators are free again."""
        self.free += self.sizes[job]
        if self.placement is not None:
            self.placement.remove(job)
        if self.running_jobs is not None:
            del self.running_jobs[job]

    def enqueued(self, job: int) -> None:
        """``job`` joined the queue."""
        size = self.sizes[job]
        self.queued_size += size
        if self.placement is not None:
            self.queued_sizes[size] += 1

    def dequeued(self, job: int) -> None:
        """``job`` left the queue (to start)."""
        size = self.sizes[job]
        self.queued_size -= size
        if self.placement is not None:
            sizes = self.queued_sizes
            sizes[size] -= 1
            if not sizes[size]:
                del sizes[size]

    def submit(self, job: int, now: float) -> None:
        """A job arrives at this center at time ``now`` [s]."""
        raise NotImplementedError

    def release(self, job: int, now: float) -> None:
        """A running job ends at time ``now`` [s] and frees its accelerators."""
        raise NotImplementedError

    def set_capacity(self, capacity: int, now: float) -> None:
        """From ``now`` [s], at most ``capacity`` accelerators may be busy.

        Running jobs are not stopped unless the scheduler reclaims (``use_preemption``): after
        a cut, ``free`` is negative until enough of them have ended, and no queued job starts
        before that. After a rise, queued jobs start.
        """
        self.advance(now)
        self.free += capacity - self.capacity
        self.capacity = capacity
        if self.placement is not None:
            self.placement.set_capacity(capacity)
        if self.reclaims and self.running_jobs:
            self._reclaim(now)
        if self.free > 0 and len(self.queue):
            self.start_waiting(now)

    def _reclaim(self, now: float) -> None:
        """After a cut, stop the jobs started last until the others fit (on their servers)."""
        placement = self.placement
        for job in reversed(list(self.running_jobs or ())):
            if self.free >= 0 and (placement is None or not placement.overfull()):
                return
            if placement is None or placement.on_overfull(job):
                self.preempt(job, now)

    def start_waiting(self, now: float) -> None:
        """Start the queued jobs the policy would start now that more accelerators are free."""
        raise NotImplementedError

    def advance(self, now: float) -> None:
        """Accumulate the time-weighted levels up to ``now`` [s]."""
        dt = now - self.t_last
        if dt > 0.0:
            self.busy_area += (self.capacity - self.free) * dt
            self.queue_area += len(self.queue) * dt
            self.t_last = now
            if self.placement is not None and self.queued_sizes:
                self.fragmented_area += self.placement.fragmented(self.queued_sizes) * dt

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
    """The most accelerators the center (pool) ever has installed [-]."""
    peak_flops: float
    """Peak dense FP16/BF16 compute of one accelerator [FLOP/s]."""
    accelerator: str
    """Accelerator type of the center (of its pool, for a center with several)."""
    kwh_per_accelerator_s: float
    """Facility energy of one busy accelerator-second [kWh]."""
    price_by_hour: tuple[float, ...]
    """Electricity price in each hour of the day [CNY/kWh]."""
    carbon_intensity: float
    """Grid emission factor [kgCO2/kWh]."""


class JobCenters(Protocol):
    """Per job, a list of centers (see :mod:`sim.policies.candidates`)."""

    def __len__(self) -> int: ...

    def __getitem__(self, job: int) -> Sequence[int]: ...


class Link(Protocol):
    """What a dispatcher asks of the link a job's data would cross."""

    latency: float
    """Round-trip latency [s]."""
    bandwidth: float
    """Bandwidth [bytes/s]."""

    def expected_duration(self, size: float) -> float:
        """Time a new transfer of ``size`` bytes would take at the current sharing [s]:
        ``size × (transfers in progress + 1) / bandwidth + latency``."""
        ...


class Links(Protocol):
    """The links from one city, by destination city index."""

    uniform: tuple[float, float] | None
    """(latency [s], bandwidth [bytes/s]) of the link to every other city when they all
    share one (a network given by its default link alone); None otherwise."""

    def __getitem__(self, city: int) -> Link | None:
        """The link to ``city``; None within the city or when not connected."""
        ...

    def route(self, city: int) -> tuple[float, float] | None:
        """(latency [s], bandwidth [bytes/s]) of the link to ``city`` without making it;
        None within the city or when not connected."""
        ...


@dataclass(frozen=True)
class DispatchContext:
    """Everything a dispatcher may consult: static facts and the centers' live state."""

    centers: Sequence[CenterView]
    schedulers: Sequence[LocalScheduler]
    jobs: JobTable
    origin: Sequence[int]
    """Origin city of each job."""
    dataset: Sequence[float]
    """Bytes each job must move to run outside its origin city."""
    work: Sequence[float] | None
    """Per job, FLOP / (accelerators × MFU) for classes that give work, NaN for those that
    give a duration; None when no class gives work."""
    candidates: JobCenters
    """Per job, the centers it may run at (connected, within its latency budget, of a type its
    class accepts, big enough), those of its origin city first."""
    local_candidates: JobCenters
    """Per job, its candidates in its origin city."""
    allowed: JobCenters
    """Per job, the centers of its class and origin whatever their size: its candidates and
    those too small for it, in the same order (one list per class and origin)."""
    links: Sequence[Links]
    """The link from one city to another, by city index (None within a city or unconnected)."""
    start_within: float
    """Bound on the expected start for `cheapest` and `greenest` [s]."""
    spill_after: float
    """Expected local wait beyond which `spillover` looks elsewhere [s]."""


# Compiled (setup.py), and still the base of the dispatchers that are not.
@mypyc_attr(allow_interpreted_subclasses=True)
class Dispatcher:
    """Base of dispatch policies: choose the center a new job joins.

    Dispatchers that consult expected start times set ``tracks_backlog``; the engine then keeps
    each center's queued work and the end-weighted work of its running jobs up to date, from
    which :meth:`expected_start` estimates when a new job could start.
    """

    registry: ClassVar[dict[str, type[Dispatcher]]] = {}
    name: ClassVar[str] = ""
    moves_jobs: ClassVar[bool] = True
    """Whether jobs may run outside their origin city."""
    tracks_backlog: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            Dispatcher.registry[cls.name.lower()] = cls

    def __init__(self, context: DispatchContext):
        self.context = context
        self.centers = context.centers
        self.schedulers = context.schedulers
        self.queued_work = [0.0] * len(context.centers)
        """Σ accelerators × run time of the jobs queued at each center [accelerator·s]."""
        self.running_end = [0.0] * len(context.centers)
        """Σ accelerators × end time of the jobs running at each center [accelerator·s]."""
        self.search = CandidateSearch(self)

    def static_choice(self, origins: np.ndarray, sizes: np.ndarray) -> np.ndarray | None:
        """Every job's center up front, for dispatchers whose choice ignores the state.

        Returns None (the default) when the choice must be made at each arrival.
        """
        return None

    def choose(self, job: int, now: float) -> int:
        """The index of the center that ``job``, arriving at ``now`` [s], joins."""
        raise NotImplementedError

    def expected_start(self, center: int, size: int, ready: float) -> float:
        """When a job of ``size`` accelerators joining ``center`` at ``ready`` [s] (now, or once
        its data has moved there) is expected to start [s].

        At ``ready`` if it fits now and nobody queues; otherwise after the center has worked
        off, from ``ready``, the remaining work of its running jobs and the work queued ahead
        (a fluid estimate from the center's real state now: Σ size × planned end of the running
        jobs − busy × ``ready``, plus Σ size × run time of the queued ones, over the capacity).
        Never before ``ready``; inf while the center has no capacity left to training.
        """
        scheduler = self.schedulers[center]
        if size <= scheduler.free and not len(scheduler.queue):
            return ready
        capacity = scheduler.capacity
        if capacity <= 0:
            return math.inf
        busy = capacity - scheduler.free
        backlog = self.running_end[center] - busy * ready + self.queued_work[center]
        return ready + max(backlog, 0.0) / capacity

    def expected_starts(self, job: int, now: float, among: Sequence[int]) -> list[float]:
        """For each center of ``among``: when ``job`` would start there if sent now [s]: once
        its data has moved (at the link's current sharing), then :meth:`expected_start`.

        Dispatchers choose with :meth:`earliest_start` and :meth:`earliest_finish`, which give
        what the minimum of this list gives without computing all of it.
        """
        context = self.context
        size, data = context.jobs.size[job], context.dataset[job]
        links = context.links[context.origin[job]]
        starts = []
        for center in among:
            link = links[self.centers[center].city]
            ready = now if link is None else now + link.expected_duration(data)
            starts.append(self.expected_start(center, size, ready))
        return starts

    def run_time(self, job: int, center: int) -> float:
        """Run time of ``job`` at ``center`` [s]: its duration, or its work at the center's
        peak FLOPS."""
        work = self.context.work
        if work is not None and work[job] == work[job]:  # not NaN: the class gives work
            return work[job] / self.centers[center].peak_flops
        return self.context.jobs.duration[job]

    def earliest_start(self, job: int, now: float) -> int:
        """The candidate where ``job`` is expected to start first (the first listed on ties):
        what the minimum of :meth:`expected_starts` gives, found without computing all of it
        (see :mod:`sim.policies.search`)."""
        return self.search.earliest(job, now, finish=False)

    def earliest_finish(self, job: int, now: float) -> int:
        """The candidate where ``job`` is expected to end first (the first listed on ties):
        the earliest start, plus the run time there when that depends on the center (work
        given in FLOP)."""
        return self.search.earliest(job, now, finish=True)


def dispatcher(name: str) -> type[Dispatcher]:
    """The dispatcher class registered under ``name`` (case-insensitive)."""
    try:
        return Dispatcher.registry[name.lower()]
    except KeyError:
        raise UnknownPolicyError("dispatch", name, list(Dispatcher.registry)) from None

"""The engine: one SimPy run of a scenario for one seed. Pure mechanism, no I/O.

Demand is drawn up front (:mod:`sim.workload.demand`); the run steps SimPy's Environment
through timeouts with callbacks, not a process per job: an event per time-series bin edge,
capacity change and data transfer, while the sorted arrivals and a heap of the running jobs'
ends are merged into the event stream without an event of their own. Jobs are indices into
columnar arrays. Each center's local scheduler keeps exact time-weighted levels (busy
accelerators, queue length), sampled at the bin edges; per-job tallies (arrival, start,
center) are recorded separately, so the two can be checked against each other (conservation
of work, Little's law).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from heapq import heappop, heappush
from typing import Any

import numpy as np
import simpy
from mypy_extensions import mypyc_attr
from simpy.core import Environment
from simpy.events import NORMAL, Event

from sim.event_heap import EventHeap, new_heap
from sim.policies import placement_policy

# From the module, not the package: the compiled build then knows these types (what it imports
# from a module it does not compile is Any), so its calls to the policies are native ones.
from sim.policies.base import (
    JobTable,
    LocalScheduler,
    StartCallback,
    dispatcher,
    local_policy,
)
from sim.policies.tenants import TenantQueues
from sim.resources import CenterSpec, build_centers
from sim.resources.dispatch_setup import city_links, dispatch_context
from sim.resources.failures import FailureLog, Failures
from sim.resources.preemption import PreemptionLog, Preemptions
from sim.resources.supply import supply_schedule
from sim.scenario import expand_variants
from sim.scenario.schema import Scenario
from sim.streams import run_seed
from sim.workload import Demand, generate_demand, item_view

ProgressCallback = Callable[[float], None]
"""Called with the fraction of simulated time done, from 0 to 1."""

PROGRESS_STEPS = 20

COLLECT_AFTER_JOBS = 1_000_000
"""A run of at least this many jobs frees its state as it returns (see :func:`simulate`)."""


# Compiled (setup.py), a run's result stays a Python class: it pickles, as results must.
@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class RunResult:
    """Everything one run produced: per-job tallies and sampled time-weighted levels."""

    scenario: str
    seed: int
    replication: int
    horizon: float
    """Simulated time [s]."""
    warmup: float
    """Start of the measured window [s]."""
    centers: tuple[CenterSpec, ...]
    cities: tuple[str, ...]
    classes: tuple[str, ...]
    demand: Demand
    """The jobs that arrived, in arrival order."""
    center: np.ndarray
    """Index of the center (pool) each job was dispatched to [-]."""
    duration: np.ndarray
    """Useful run time of each job [s] at the pool it was dispatched to (its class's duration,
    or its work at that pool's speed); NaN if it was never dispatched."""
    lost: np.ndarray
    """Time each job lost to failures or preemptions [s]: work since its last checkpoint, and
    restarts."""
    interruptions: np.ndarray
    """Failures each job suffered [-]."""
    failures: FailureLog
    """Every failure of the run (empty when failures are off)."""
    start: np.ndarray
    """Start time of each job [s]; NaN if it had not started by the horizon."""
    ready: np.ndarray
    """When each job reached its center [s]: its arrival, or when its data had moved there;
    NaN while its data is still in transit at the horizon."""
    edges: np.ndarray
    """Time-series bin edges [s], from 0 to the horizon; the warm-up end is one of them."""
    busy_area: np.ndarray
    """Cumulative busy accelerator-seconds of each center at each edge, shape (centers, edges)."""
    queue_area: np.ndarray
    """Cumulative queued job-seconds of each center at each edge, shape (centers, edges)."""
    queue_max: np.ndarray
    """Longest queue of each center in each bin, shape (centers, edges - 1)."""
    preemptions: np.ndarray | None
    """Times each job was stopped by its scheduler [-]; None when no job can be."""
    preemption_log: PreemptionLog | None
    """Every preemption of the run; None when no job can be preempted."""
    fragmented_area: np.ndarray | None
    """Cumulative fragmented accelerator-seconds (free, but of no use to any queued job) of
    each center at each edge, shape (centers, edges); None under `pool` placement."""

    end: np.ndarray
    """End time of each job [s]: start + duration + lost, as the engine released it; NaN if not
    started. May lie beyond the horizon."""
    drained: bool
    """Whether the run went on past the horizon until every job had ended (`run.drain`)."""
    tenants: tuple[str, ...]
    """Every tenant of the scenario; ``demand.tenant`` indexes it (empty: no tenants)."""

    @property
    def jobs(self) -> int:
        return len(self.demand)

    def segments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(job, begin [s], end [s]) of every stretch a job held its accelerators, sorted by
        job and time: one per started job, or, for a job that was preempted, one per run
        between its stops. A run still going at the horizon ends at its planned end."""
        started = np.flatnonzero(~np.isnan(self.start))
        log = self.preemption_log
        if log is None or not log.stopped.any():
            return started, self.start[started], self.end[started]
        jobs = np.concatenate([started, log.restart_job])
        begins = np.concatenate([self.start[started], log.restart_time])
        # A job stopped and waiting to run again has no end (NaN): its last run ended at
        # its last stop.
        ended = started[~np.isnan(self.end[started])]
        ends_job = np.concatenate([log.job[log.stopped], ended])
        ends = np.concatenate([log.time[log.stopped], self.end[ended]])
        by_begin, by_end = np.lexsort((begins, jobs)), np.lexsort((ends, ends_job))
        return jobs[by_begin], begins[by_begin], ends[by_end]


def _variant(scenario: Scenario, name: str) -> Scenario:
    variants = expand_variants(scenario)
    if name not in variants:
        raise ValueError(f"no variant {name!r} in {scenario.name}; valid: {', '.join(variants)}")
    return variants[name]


def simulate(
    scenario: Scenario,
    seed: int | np.random.SeedSequence,
    *,
    replication: int = 0,
    progress: ProgressCallback | None = None,
    variant: str | None = None,
) -> RunResult:
    """Run one replication of a scenario (or of one of its variants).

    Parameters
    ----------
    scenario
        A validated scenario.
    seed
        The run's seed; every random stream is spawned from it by purpose.
    replication
        Which replication of the seed to run; each has independent streams.
    progress
        Optional callback receiving the fraction of simulated time done.
    variant
        The name of one of the scenario's ``variants`` to run instead of the base scenario;
        every variant run with the same seed sees the same demand.

    Returns
    -------
    RunResult
        Per-job records and time-weighted levels, for :mod:`sim.metrics`.

    Raises
    ------
    ValueError
        If ``variant`` names no variant of the scenario.
    """
    if variant is not None:
        scenario = _variant(scenario, variant)
    sequence = run_seed(seed, replication)
    demand = generate_demand(scenario, sequence)
    centers = build_centers(scenario)
    failures = Failures.of(scenario, centers, demand.job_class, sequence)
    run = _Run(scenario, centers, demand, failures)
    run.execute(progress)
    n = len(demand)
    # np.zeros maps untouched zero pages: no memory until something writes to them.
    lost = np.zeros(n) if failures is None else failures.lost
    interruptions = np.zeros(n, np.int32) if failures is None else failures.interruptions
    start = run.columns.start
    end = start + run.columns.duration
    ends = run.ends if failures is None else failures.ends
    if ends:
        # The release time itself: start + duration + lost can differ from it in the last bit.
        end[list(ends)] = list(ends.values())
    preemptions = run.preemptions
    if preemptions is not None:
        lost = np.array(preemptions.lost)
        started = ~np.isnan(start)
        end[started] = np.asarray(run.planned_end)[started]
        # A job stopped and still waiting to run again: no end yet (segment tokens are odd
        # while a job runs or after it ended, even after a stop).
        end[started & (np.asarray(preemptions.token) % 2 == 0)] = math.nan
    result = RunResult(
        scenario=scenario.name,
        seed=int(sequence.entropy),  # type: ignore[arg-type]
        replication=replication,
        horizon=scenario.run.horizon,
        warmup=scenario.run.warmup,
        centers=run.centers,
        cities=tuple(scenario.cities),
        classes=tuple(w.name for w in scenario.workload),
        demand=demand,
        center=run.columns.center,
        duration=run.columns.duration,
        lost=lost,
        interruptions=interruptions,
        failures=FailureLog.empty() if failures is None else failures.result(),
        start=start,
        end=end,
        ready=run.columns.ready,
        edges=run.edges,
        busy_area=run.busy_area,
        queue_area=run.queue_area,
        queue_max=run.queue_max,
        fragmented_area=run.fragmented_area,
        drained=scenario.run.drain,
        tenants=tuple(scenario.tenant_names()),
        preemptions=None if preemptions is None else np.array(preemptions.preemptions),
        preemption_log=None if preemptions is None else preemptions.result(),
    )
    if n >= COLLECT_AFTER_JOBS:
        # The run's state is a web of cycles (schedulers call back into the run, the
        # dispatcher and its search hold each other) that keeps its columns alive until the
        # collector's next full pass, which a compiled run may not trigger before the next
        # variant has built its own: measured 518 MB instead of 417 after two 60-day
        # variants of china-network. A big run frees it at once; a small one leaves it to
        # the collector rather than pay a full pass.
        del run, preemptions
        gc.collect()
    return result


class _Columns:
    """The per-job state a run writes, as numpy arrays of the narrowest type; the hot loop
    reads and writes them through :func:`~sim.workload.item_view`, and they become the run's
    result without a copy."""

    def __init__(self, demand: Demand, work: bool):
        n = len(demand)
        self.center: np.ndarray = np.full(n, -1, dtype=np.int16)
        """Index of the center each job was dispatched to; -1 until it is [-]."""
        self.duration = demand.duration.copy() if work else demand.duration
        """Run time of each job [s]; for work given in FLOP, set when the job is dispatched."""
        self.start = np.full(n, math.nan)
        """Start time of each job [s]; NaN until it starts."""
        self.ready = demand.arrival.copy()
        """When each job reached its center (after moving its data) [s]."""


def bin_edges(horizon: float, warmup: float, step: float) -> np.ndarray:
    """Time-series bin edges [s]: every ``step`` from 0, plus the warm-up end and the horizon."""
    return np.unique(np.concatenate([np.arange(0.0, horizon, step), [warmup, horizon]]))


# Compiled (setup.py), a subclass of SimPy's Event stays a Python class.
@mypyc_attr(native_class=False)
class _Alarm(Event):
    """A timeout at a given time carrying a value and its one callback: SimPy's Timeout
    without the extra ``callbacks.append`` per event and with ``Environment.schedule``
    inlined."""

    def __init__(
        self, env: Environment, time: float, value: object, callback: Callable[[Event], None]
    ):
        self.env = env
        self.callbacks = [callback]
        self._value = value
        self._ok = True
        heappush(env._queue, (time, NORMAL, next(env._eid), self))


@mypyc_attr(native_class=False)
class _Wakeup(_Alarm):
    """An :class:`_Alarm` after a delay (the engine makes one per bin edge and capacity
    change, and per run segment of a job that may be stopped)."""

    def __init__(
        self, env: Environment, delay: float, value: object, callback: Callable[[Event], None]
    ):
        super().__init__(env, env._now + delay, value, callback)


class _Clock:
    """A SimPy Environment's clock as the links see it
    (:class:`~sim.resources.transfers.Schedule`): a link's alarm is an :class:`_Alarm`. The
    engine gives the links an :class:`_Alarms` instead; this one drives links in tests."""

    def __init__(self, env: Environment):
        self.env = env

    @property
    def now(self) -> float:
        return self.env._now

    def at(self, time: float, value: object, callback: Callable[[Any], None]) -> None:
        _Alarm(self.env, time, value, lambda event: callback(event._value))


class _Alarms(_Clock):
    """The run's clock as the links see it: a link's alarm (a transfer's last byte, its
    delivery after the latency) is no SimPy event but an entry of the run's heap of job ends,
    (time, event id, -1), its callback and value kept by event id until it falls.

    A national year moves ~10^7 jobs' data between cities, one or two alarms each: an Event
    object and a step of SimPy's loop per alarm cost more than the transfer itself. The event
    ids come from SimPy's counter, as the job ends' do, so the order of everything at one
    instant is what it was with SimPy events (see :meth:`_Run._run_until`)."""

    def __init__(self, env: Environment, heap: EventHeap):
        super().__init__(env)
        self.heap, self.eid = heap, env._eid
        self.pending: dict[int, tuple[Callable[[Any], None], object]] = {}
        """Per event id of a pending alarm: its callback and the value it is called with."""

    def at(self, time: float, value: object, callback: Callable[[Any], None]) -> None:
        eid = next(self.eid)
        self.pending[eid] = (callback, value)
        self.heap.push(time, eid, -1)

    def ring(self, eid: int) -> None:
        """The alarm of event id ``eid`` falls now."""
        callback, value = self.pending.pop(eid)
        callback(value)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during a run.

    A run allocates millions of short-lived objects (jobs' ends, events) that reference
    counting frees at once (a processed SimPy event drops its callbacks, so no cycles are left
    behind); the collector's periodic scans of the large job lists only cost time (10-20%
    measured).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _scheduler(
    scenario: Scenario,
    center: CenterSpec,
    policy: type[LocalScheduler],
    capacity: int,
    jobs: JobTable,
    start: StartCallback,
    depth: int,
    tenant: np.ndarray,
) -> LocalScheduler:
    """The local scheduler of one center: its policy, or one queue per tenant if it has
    tenants."""
    tenants = scenario.cities[center.city].centers[center.name].tenants
    if not tenants:
        return policy(capacity, jobs, start, depth)
    local = {name: index for index, name in enumerate(tenants)}
    none = len(tenants)  # the queue of jobs of no tenant here
    mapping = np.array(
        [local.get(name, none) for name in scenario.tenant_names()] + [none], dtype=np.int64
    )
    specs = list(tenants.values())
    return TenantQueues(
        capacity,
        jobs,
        start,
        depth,
        tenant_of=mapping[tenant].tolist(),
        guaranteed=[t.guaranteed for t in specs] + [0],
        borrowing_limit=[
            math.inf if t.borrowing_limit is None else t.borrowing_limit for t in specs
        ]
        + [math.inf],
        reclaims=[t.reclaim for t in specs] + [False],
    )


class _Run:
    """The mutable state of one run; callbacks on SimPy timeouts drive it."""

    def __init__(
        self,
        scenario: Scenario,
        centers: tuple[CenterSpec, ...],
        demand: Demand,
        failures: Failures | None = None,
    ):
        self.env = simpy.Environment()
        self.centers = centers
        self.horizon = scenario.run.horizon
        self.drain = scenario.run.drain
        self.n = len(demand)
        gives_work = bool(np.isfinite(demand.work).any())
        self.columns = _Columns(demand, gives_work)
        self.arrival = item_view(demand.arrival)
        self.origin = item_view(demand.origin)
        self.size = item_view(demand.size)
        self.duration = item_view(self.columns.duration)
        self.work = item_view(demand.work) if gives_work else None
        """Per job, FLOP / (accelerators × MFU), NaN for classes that give a duration; None when
        no class gives work (then dispatch skips the per-pool run time)."""
        self.peak_flops = [c.tflops * 1e12 for c in centers]
        estimate = demand.estimate
        estimated = estimate is not None and bool(np.isfinite(estimate).any())
        jobs = JobTable(
            size=self.size,
            duration=self.duration,
            priority=item_view(demand.priority),
            estimate=item_view(estimate) if estimate is not None and estimated else None,
        )
        self.start_time = item_view(self.columns.start)
        policy = local_policy(scenario.scheduling.local)
        if scenario.scheduling.preempt and policy.preemptive is not None:
            policy = policy.preemptive
        depth = scenario.scheduling.backfill_depth
        self.failures = failures
        reclaims = scenario.scheduling.inference_preempts
        self.preemptions: Preemptions | None = None
        """Progress and losses of jobs that may be stopped; None when none can be."""
        self.ends: dict[int, float] = {}
        """Release time [s] of each job that was stopped on its way, as the engine scheduled it."""
        self.planned_end: list[float] = []
        # Chosen once, so a run without failures or preemption pays nothing for them.
        start = self._start if failures is None else self._start_failing
        tenant_reclaims = any(
            tenant.reclaim
            for city in scenario.cities.values()
            for center in city.centers.values()
            for tenant in (center.tenants or {}).values()
        )
        if policy.preempts or reclaims or tenant_reclaims:
            checkpoint = [(w.checkpoint.interval, w.checkpoint.restart) for w in scenario.workload]
            self.preemptions = Preemptions(
                self.duration, [checkpoint[k] for k in demand.job_class.tolist()]
            )
            self.planned_end = [math.nan] * self.n
            start = self._start_preemptible
        schedules = {c.index: supply_schedule(c, self.horizon) for c in centers if c.changes}
        self.capacity_changes = {
            index: (schedule.times.tolist(), schedule.training.tolist())
            for index, schedule in schedules.items()
        }
        """Per center whose supply changes: when, and to what, its training capacity changes."""
        self.schedulers = [
            _scheduler(
                scenario,
                c,
                policy,
                int(schedules[c.index].training[0]) if c.index in schedules else c.count,
                jobs,
                start,
                depth,
                demand.tenant,
            )
            for c in centers
        ]
        placement = placement_policy(scenario.scheduling.placement)
        if not placement.pooled:
            for c, scheduler in zip(centers, self.schedulers, strict=True):
                scheduler.use_placement(
                    placement(scheduler.capacity, c.accelerators_per_server, c.max_count)
                )
        self.placed = not placement.pooled
        if self.preemptions is not None:
            for scheduler in self.schedulers:
                scheduler.use_preemption(self._stop, self.preemptions, reclaims)
        self.finishes = new_heap()
        """The running jobs' ends, a heap of (time [s], event id, job) kept beside SimPy's
        queue, and the links' alarms, (time [s], event id, -1); see :meth:`_run_until`."""
        self.alarms = _Alarms(self.env, self.finishes)
        self.links = city_links(scenario, self.alarms, self._deliver)
        self.dispatcher = dispatcher(scenario.dispatch)(
            dispatch_context(
                scenario, centers, demand, self.schedulers, jobs, self.links, self.work
            )
        )
        self.backlog = self.dispatcher if self.dispatcher.tracks_backlog else None
        self.city_of = [c.city_index for c in centers]
        self.dataset = item_view(demand.dataset)
        self.ready = item_view(self.columns.ready)
        self.next_arrival = 0
        """Index of the next job to arrive."""
        self.eid = self.env._eid
        static = self.dispatcher.static_choice(demand.origin, demand.size)
        if static is not None:
            self.columns.center = static.astype(np.int16)
        self.center_of = item_view(self.columns.center)
        if static is not None and gives_work:
            peak = np.array(self.peak_flops)[static]
            # In place: the schedulers read the same column.
            self.columns.duration[:] = np.where(
                np.isnan(demand.work), demand.duration, demand.work / peak
            )
        self.edges = bin_edges(self.horizon, scenario.run.warmup, scenario.run.timeseries_step)
        shape = (len(centers), len(self.edges))
        self.busy_area = np.zeros(shape)
        self.queue_area = np.zeros(shape)
        self.queue_max: np.ndarray = np.zeros((len(centers), len(self.edges) - 1), dtype=np.int64)
        self.fragmented_area = np.zeros(shape) if self.placed else None

    def execute(self, progress: ProgressCallback | None) -> None:
        _Wakeup(self.env, float(self.edges[1]), 1, self._sample)
        for center, (times, _) in self.capacity_changes.items():
            if len(times) > 1:
                _Wakeup(self.env, times[1], 1, partial(self._change_capacity, center))
        with _collector_paused():
            if progress is None:
                self._run_until(self.horizon)
            else:
                for step in range(1, PROGRESS_STEPS + 1):
                    self._run_until(self.horizon * step / PROGRESS_STEPS)
                    progress(step / PROGRESS_STEPS)
        self._record(len(self.edges) - 1, self.horizon)
        if self.drain:
            with _collector_paused():
                self._run_until(math.inf)

    def _run_until(self, until: float) -> None:
        """Step SimPy's Environment to ``until``, merging the arrivals and the job ends into its
        event stream.

        Arrival times are known up front and sorted, so they need no SimPy event: the loop
        compares the next arrival with the earliest event and handles whichever is earlier (an
        event at the same instant as an arrival goes first, so a job ending at that instant
        frees its accelerators for the arriving one). This is ``Environment.run`` with one
        event and two heap operations fewer per job, and ``step`` inlined (measured together
        ~35% faster at 10^6 jobs).

        A job's end is no SimPy event either but a (time, event id, job) entry of
        :attr:`finishes` (:mod:`sim.event_heap`), its id drawn from SimPy's own counter, so
        ends and SimPy's events at one instant keep SimPy's order (its events here are all of
        NORMAL priority). A run with hundreds of centers has tens of thousands of jobs
        running: a heap of its own beside a short SimPy queue, and no Event object per job,
        measured 1.2x faster at 1 center and 1.3x at 300 (``benchmarks/bench_scale.py``,
        siloed) when it was a heap of tuples. The links' alarms ride in the same heap, with
        -1 for a job (:class:`_Alarms`).
        Like ``run(until=...)``, nothing at or after ``until`` is processed.
        """
        env, arrival, n = self.env, self.arrival, self.n
        queue, finishes = env._queue, self.finishes
        arrive, finish, ring = self._arrive, self._finish, self.alarms.ring
        job = self.next_arrival
        next_time = arrival[job] if job < n else math.inf
        while True:
            end_time = finishes.next_time()
            event_time = queue[0][0] if queue else math.inf
            if next_time < end_time and next_time < event_time:
                if next_time >= until:
                    break
                env._now = next_time
                job = arrive(job)
                next_time = arrival[job] if job < n else math.inf
            elif end_time < event_time or (
                end_time == event_time != math.inf and finishes.next_eid() < queue[0][2]
            ):
                if end_time >= until:
                    break
                env._now = end_time
                ended = finishes.pop()
                if ended >= 0:
                    finish(ended)
                else:
                    ring(finishes.popped_eid)
            elif event_time < until:
                # Environment.step, inlined.
                env._now, _, _, event = heappop(queue)
                callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
                for callback in callbacks:
                    callback(event)
                if not event._ok:
                    raise event._value
            else:
                break
        self.next_arrival = job
        env._now = until

    def _arrive(self, job: int) -> int:
        """Dispatch and submit every job arriving at this instant; return the next one."""
        arrival, center_of, schedulers = self.arrival, self.center_of, self.schedulers
        now: float = self.env._now
        instant = arrival[job]
        while True:
            center: int = center_of[job]
            if center >= 0:
                schedulers[center].submit(job, now)
            else:  # dispatch depends on the state: decide now
                self._dispatch(job, now)
            job += 1
            if job == self.n or arrival[job] > instant:
                return job

    def _dispatch(self, job: int, now: float) -> None:
        """Choose the job's center; send its data there first if it is in another city."""
        center = self.dispatcher.choose(job, now)
        self.center_of[job] = center
        if self.work is not None:
            work = self.work[job]
            if work == work:  # not NaN: the class gives work, the run time follows the pool
                self.duration[job] = work / self.peak_flops[center]
        origin, city = self.origin[job], self.city_of[center]
        link = self.links[origin][city]
        if link is None:
            self._submit(job, center, now)
        else:
            self.ready[job] = math.nan  # in transit until delivered
            link.send(job, self.dataset[job], now)

    def _submit(self, job: int, center: int, now: float) -> None:
        if self.backlog is not None:
            size: int = self.size[job]
            duration: float = self.duration[job]
            self.backlog.queued_work[center] += size * duration
        self.schedulers[center].submit(job, now)

    def _deliver(self, job: int) -> None:
        """A job's data has arrived at its center: it joins the center's queue."""
        now = self.env._now
        self.ready[job] = now
        self._submit(job, self.center_of[job], now)

    def _start(self, job: int) -> None:
        now: float = self.env._now
        self.start_time[job] = now
        duration: float = self.duration[job]
        if self.backlog is not None:
            center: int = self.center_of[job]
            size: int = self.size[job]
            work = size * duration
            self.backlog.queued_work[center] -= work
            self.backlog.running_end[center] += work + size * now
        self.finishes.push(now + duration, next(self.eid), job)

    def _start_failing(self, job: int) -> None:
        """:meth:`_start` under failures: the job holds its accelerators for its run time plus
        the time its failures cost (drawn now, see :mod:`sim.resources.failures`)."""
        assert self.failures is not None
        env = self.env
        now = env._now
        self.start_time[job] = now
        center, size = self.center_of[job], self.size[job]
        duration = self.duration[job]
        placement = self.schedulers[center].placement
        nodes = 0 if placement is None else placement.servers_of(job)
        held = self.failures.held_time(job, center, size, duration, now, nodes)
        if self.backlog is not None:
            # Dispatch sees the planned end, start + run time, as the local schedulers do:
            # failures still to come are not known when estimating where a job starts first.
            self.backlog.queued_work[center] -= size * duration
            self.backlog.running_end[center] += size * (duration + now)
        self.finishes.push(now + held, next(self.eid), job)

    def _start_preemptible(self, job: int) -> None:
        """:meth:`_start` for a job that may be stopped: it runs what it has left from its
        last checkpoint, after its restart overhead if it was stopped before."""
        assert self.preemptions is not None
        env = self.env
        now = env._now
        if self.start_time[job] != self.start_time[job]:  # NaN: its first start
            self.start_time[job] = now
        size, remaining = self.size[job], self.preemptions.remaining(job)
        held = self.preemptions.begin(job, now)
        self.planned_end[job] = now + held
        if self.backlog is not None:
            center = self.center_of[job]
            self.backlog.queued_work[center] -= size * remaining
            self.backlog.running_end[center] += size * (now + held)
        _Wakeup(env, held, (job, self.preemptions.token[job]), self._finish_preemptible)

    def _stop(self, job: int) -> None:
        """A scheduler stops the running ``job`` now: it falls back to its last checkpoint."""
        assert self.preemptions is not None
        self.preemptions.stop(job, self.env._now)
        if self.backlog is not None:
            center, size = self.center_of[job], self.size[job]
            self.backlog.running_end[center] -= size * self.planned_end[job]
            self.backlog.queued_work[center] += size * self.preemptions.remaining(job)

    def _finish_preemptible(self, event: Event) -> None:
        job, token = event._value
        assert self.preemptions is not None
        if token != self.preemptions.token[job]:
            return  # the end of a run segment that was stopped
        now = self.env._now
        self.preemptions.finish(job, now)
        center = self.center_of[job]
        if self.preemptions.preemptions[job]:
            self.ends[job] = now
        if self.backlog is not None:
            self.backlog.running_end[center] -= self.size[job] * self.planned_end[job]
        self.schedulers[center].release(job, now)

    def _finish(self, job: int) -> None:
        center: int = self.center_of[job]
        now: float = self.env._now
        if self.backlog is not None:
            # Take back the planned end the job was counted with: ``now`` itself, to the last
            # bit, unless failures made it hold its accelerators longer.
            start: float = self.start_time[job]
            duration: float = self.duration[job]
            size: int = self.size[job]
            self.backlog.running_end[center] -= size * (start + duration)
        self.schedulers[center].release(job, now)

    def _change_capacity(self, center: int, event: Event) -> None:
        """Step ``event.value`` of a center's supply begins: a build-out phase or an hour of
        its inference profile; the training capacity follows."""
        step = event._value
        times, capacity = self.capacity_changes[center]
        self.schedulers[center].set_capacity(capacity[step], self.env._now)
        if step + 1 < len(times):
            delay = times[step + 1] - self.env._now
            _Wakeup(self.env, delay, step + 1, partial(self._change_capacity, center))

    def _sample(self, event: Event) -> None:
        edge = event._value
        self._record(edge, self.edges[edge])
        if edge + 1 < len(self.edges) - 1:
            _Wakeup(self.env, self.edges[edge + 1] - self.env.now, edge + 1, self._sample)

    def _record(self, edge: int, time: float) -> None:
        """Every center's levels at a bin edge, a column at a time: at hundreds of centers
        and a bin an hour, element-wise stores into the arrays cost more than the run's
        events between two edges (measured 2.7x slower at 300 centers)."""
        schedulers = self.schedulers
        for scheduler in schedulers:
            scheduler.advance(time)
        self.busy_area[:, edge] = [scheduler.busy_area for scheduler in schedulers]
        self.queue_area[:, edge] = [scheduler.queue_area for scheduler in schedulers]
        self.queue_max[:, edge - 1] = [scheduler.take_queue_max() for scheduler in schedulers]
        if self.fragmented_area is not None:
            self.fragmented_area[:, edge] = [scheduler.fragmented_area for scheduler in schedulers]

"""The demand of one run: every job's arrival, class, origin, size and duration, drawn up front.

Demand depends only on the scenario's workload and the run's seed, never on how it is served,
so every policy and variant of a replication sees identical jobs (common random numbers). A
replayed trace does not depend on the seed at all (except origins drawn from a class's mix of
cities for jobs of unmapped clusters).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from sim.scenario.schema import ModelWork, Scenario, TraceArrival, WorkloadClass
from sim.streams import stream
from sim.workload.arrivals import arrival_times, replay_rows
from sim.workload.distributions import from_spec
from sim.workload.trace import loaded_trace


@dataclass(frozen=True)
class Demand:
    """Jobs in arrival order, as columns."""

    arrival: np.ndarray
    """Arrival time [s]."""
    job_class: np.ndarray
    """Index of the workload class in the scenario [-]."""
    origin: np.ndarray
    """Index of the origin city in the scenario [-]."""
    size: np.ndarray
    """Accelerators the job holds [-]."""
    duration: np.ndarray
    """Run time [s] of classes that give a duration; NaN for classes that give work."""
    work: np.ndarray
    """Work per accelerator at peak compute: FLOP / (accelerators × MFU) [FLOP] of classes that
    give work; NaN for those that give a duration. The run time on a pool is this divided by
    the pool's peak FLOPS per accelerator."""
    dataset: np.ndarray
    """Bytes the job must move to run outside its origin city [bytes]."""
    priority: np.ndarray
    """Priority of each job [-]: its trace's, or its class's."""
    estimate: np.ndarray | None
    """Run time estimated at submission [s], from a trace; NaN where none is given; None when
    no class gives one (8 bytes a job saved, see the memory budget in :mod:`sim.memory`)."""
    tenant: np.ndarray
    """Index of each job's tenant in ``Scenario.tenant_names()`` [-]; -1: none."""

    def __len__(self) -> int:
        return len(self.arrival)


def item_view(column: np.ndarray) -> memoryview[Any]:
    """A memoryview of a numpy column, for reading and writing it one job at a time.

    Its items are plain Python floats and ints, read about as fast as a list's (a numpy
    scalar is several times slower), while the column costs its dtype's width a job instead of
    a list's 8-byte pointer plus a 24-byte boxed float: at 10^7 jobs that is the difference
    between a run fitting in memory or not.
    """
    return memoryview(column)  # type: ignore[arg-type]  # numpy arrays are buffers


_DrawnFor = tuple[Any, ...]
"""What a run's demand is drawn from (:func:`_drawn_for`)."""
_shared: list[tuple[_DrawnFor, Demand]] | None = None
"""The last demand drawn while :func:`sharing_demand` is on (at most one), else None."""


@contextmanager
def sharing_demand() -> Iterator[None]:
    """Within, a run whose demand is drawn from the same workload, cities, horizon and seed
    as the run before it takes that run's demand instead of drawing it again.

    Variants of one replication differ in how jobs are served, not in the jobs, so this is
    every variant after the first: at 10^7 jobs each draw costs ~4 s. The columns of every
    demand are read-only, so runs cannot change what they share. One demand is kept, and only
    until a run needs another (dropped before that one is drawn), so a run's peak memory is
    what it was: hence only where runs follow one another in a process of their own (the
    executors of :mod:`sim.batch.executors`), not in a notebook that would keep it alive.
    """
    global _shared
    outer = _shared
    _shared = []
    try:
        yield
    finally:
        _shared = outer


def share_demand_from_now() -> None:
    """:func:`sharing_demand` for the rest of this process: a worker process of a pool."""
    global _shared
    _shared = []


def generate_demand(scenario: Scenario, seed: np.random.SeedSequence) -> Demand:
    """Draw all jobs arriving before the horizon, each class from its own streams (or, within
    :func:`sharing_demand`, take the last run's when drawn from the same)."""
    if _shared is None:
        return _draw(scenario, seed)
    drawn_for = _drawn_for(scenario, seed)
    if _shared and _shared[0][0] == drawn_for:
        return _shared[0][1]
    _shared.clear()  # before drawing the next: never two at once
    demand = _draw(scenario, seed)
    _shared.append((drawn_for, demand))
    return demand


def _drawn_for(scenario: Scenario, seed: np.random.SeedSequence) -> _DrawnFor:
    """Everything :func:`_draw` reads: two runs with equal keys draw identical demand."""
    return (
        seed.entropy,
        tuple(seed.spawn_key),
        seed.pool_size,
        scenario.run.horizon,
        tuple(scenario.cities),
        tuple(scenario.tenant_names()),
        tuple(workload.model_dump_json() for workload in scenario.workload),
    )


def _draw(scenario: Scenario, seed: np.random.SeedSequence) -> Demand:
    cities = list(scenario.cities)
    tenants = {name: index for index, name in enumerate(scenario.tenant_names())}
    parts = []
    for index, workload in enumerate(scenario.workload):
        jobs = _class_jobs(workload, cities, seed, scenario.run.horizon)
        n = len(jobs["arrival"])
        own = tenants.get(workload.tenant or "", -1)
        named = jobs.pop("tenant_names")
        jobs["tenant"] = (
            np.full(n, own, dtype=np.int16)
            if named is None
            else np.array([tenants.get(name, own) for name in named], dtype=np.int16)
        )
        jobs["job_class"] = np.full(n, index, dtype=np.int16)
        jobs["dataset"] = np.full(n, workload.dataset)
        if jobs["priority"] is None:
            jobs["priority"] = np.full(n, workload.priority, dtype=np.int32)
        parts.append(jobs)
    if all(jobs["estimate"] is None for jobs in parts):
        for jobs in parts:
            del jobs["estimate"]
    else:
        for jobs in parts:
            if jobs["estimate"] is None:
                jobs["estimate"] = np.full(len(jobs["arrival"]), np.nan)
    # Column by column, dropping each class's part once merged and each merged column once
    # ordered: at 10^7 jobs, holding every copy at once would double the peak memory.
    merged: dict[str, Any] = {
        name: np.concatenate([jobs.pop(name) for jobs in parts]) if name in parts[0] else None
        for name in Demand.__dataclass_fields__
    }
    if len(parts) > 1:  # one class's arrivals are already in order
        order = np.argsort(merged["arrival"], kind="stable")
        merged = {
            name: None if column is None else column[order] for name, column in merged.items()
        }
    for name in ("work", "dataset"):
        merged[name] = _shared_if_constant(merged[name])
    demand = Demand(**merged)
    for field in fields(Demand):
        column = getattr(demand, field.name)
        if column is not None:
            column.flags.writeable = False  # the engine copies a column it writes to
    return demand


def _shared_if_constant(column: np.ndarray) -> np.ndarray:
    """``column``, or one value broadcast over its length (no memory a job) when every job has
    the same value: work is NaN for every job of a run whose classes all give durations, and
    one data size is common."""
    if len(column) == 0:
        return column
    first = column[:1].copy()  # not a view: that would keep the whole column alive
    if (np.isnan(first[0]) and np.isnan(column).all()) or (column == first[0]).all():
        return np.broadcast_to(first, column.shape)
    return column


def _class_jobs(
    workload: WorkloadClass, cities: list[str], seed: np.random.SeedSequence, horizon: float
) -> dict[str, Any]:
    """Arrival, origin, size and duration of one class's jobs, in arrival order."""
    spec = workload.arrival
    rows = None
    if isinstance(spec, TraceArrival):
        times, rows = replay_rows(spec, horizon)
    else:
        times = arrival_times(spec, stream(seed, workload.name, "arrivals"), horizon)
    n = len(times)
    mix = workload.origin_weights()
    origin_ids = np.array([cities.index(city) for city in mix], dtype=np.int16)
    if len(origin_ids) == 1:
        origins = np.full(n, origin_ids[0], dtype=np.int16)
    else:
        pick = stream(seed, workload.name, "origins").choice(
            len(origin_ids), size=n, p=np.array(list(mix.values()))
        )
        origins = origin_ids[pick]
    size = duration = priority = tenant_names = None
    estimate = None
    if isinstance(spec, TraceArrival) and rows is not None:
        trace = loaded_trace(spec)
        if trace.cluster is not None and spec.clusters:
            ids = {cluster: cities.index(city) for cluster, city in spec.clusters.items()}
            mapped = np.array([ids.get(c, -1) for c in trace.cluster[rows]], dtype=np.int16)
            origins = np.where(mapped >= 0, mapped, origins).astype(np.int16)
        size = None if trace.size is None else trace.size[rows]
        duration = None if trace.duration is None else trace.duration[rows]
        priority = None if trace.priority is None else trace.priority[rows]
        tenant_names = None if trace.tenant is None else trace.tenant[rows]
        if trace.estimate is not None:
            estimate = trace.estimate[rows]
    if size is None:
        size = from_spec(workload.size).sample(stream(seed, workload.name, "sizes"), n)
    size = size.astype(np.int32)
    work = np.full(n, np.nan)
    if duration is None:
        if workload.duration is not None:
            duration = from_spec(workload.duration).sample(
                stream(seed, workload.name, "durations"), n
            )
        else:
            duration = np.full(n, np.nan)
            work = _flop(workload, seed, n) / (size * workload.mfu)
    return {
        "arrival": times,
        "origin": origins,
        "size": size,
        "duration": duration.astype(np.float64),
        "work": work,
        "priority": priority,
        "estimate": estimate,
        "tenant_names": tenant_names,
    }


def _flop(workload: WorkloadClass, seed: np.random.SeedSequence, n: int) -> np.ndarray:
    """Training work of ``n`` jobs [FLOP]: given, or 6 × parameters × tokens (DOMAIN.md)."""
    work = workload.work
    if isinstance(work, ModelWork):
        params = from_spec(work.params).sample(stream(seed, workload.name, "params"), n)
        tokens = from_spec(work.tokens).sample(stream(seed, workload.name, "tokens"), n)
        return 6.0 * np.asarray(params, dtype=np.float64) * tokens
    return np.asarray(from_spec(work).sample(stream(seed, workload.name, "work"), n), np.float64)

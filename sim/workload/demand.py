"""The demand of one run: every job's arrival, class, origin, size and duration, drawn up front.

Demand depends only on the scenario's workload and the run's seed, never on how it is served,
so every policy and variant of a replication sees identical jobs (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.schema import ModelWork, Scenario, WorkloadClass
from sim.streams import stream
from sim.workload.arrivals import interarrival_distribution, renewal_times
from sim.workload.distributions import from_spec


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

    def __len__(self) -> int:
        return len(self.arrival)


def generate_demand(scenario: Scenario, seed: np.random.SeedSequence) -> Demand:
    """Draw all jobs arriving before the horizon, each class from its own streams."""
    horizon = scenario.run.horizon
    cities = list(scenario.cities)
    columns: dict[str, list[np.ndarray]] = {name: [] for name in Demand.__dataclass_fields__}
    for index, workload in enumerate(scenario.workload):
        gaps = interarrival_distribution(workload.arrival)
        times = renewal_times(gaps, stream(seed, workload.name, "arrivals"), horizon)
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
        columns["arrival"].append(times)
        columns["job_class"].append(np.full(n, index, dtype=np.int16))
        columns["origin"].append(origins)
        columns["size"].append(
            from_spec(workload.size)
            .sample(stream(seed, workload.name, "sizes"), n)
            .astype(np.int64)
        )
        sizes = columns["size"][-1]
        if workload.duration is not None:
            columns["duration"].append(
                from_spec(workload.duration)
                .sample(stream(seed, workload.name, "durations"), n)
                .astype(np.float64)
            )
            columns["work"].append(np.full(n, np.nan))
        else:
            flop = _flop(workload, seed, n)
            columns["duration"].append(np.full(n, np.nan))
            columns["work"].append(flop / (sizes * workload.mfu))
        columns["dataset"].append(np.full(n, workload.dataset))
    merged = {name: np.concatenate(parts) for name, parts in columns.items()}
    order = np.argsort(merged["arrival"], kind="stable")
    return Demand(**{name: column[order] for name, column in merged.items()})


def _flop(workload: WorkloadClass, seed: np.random.SeedSequence, n: int) -> np.ndarray:
    """Training work of ``n`` jobs [FLOP]: given, or 6 × parameters × tokens (DOMAIN.md)."""
    work = workload.work
    if isinstance(work, ModelWork):
        params = from_spec(work.params).sample(stream(seed, workload.name, "params"), n)
        tokens = from_spec(work.tokens).sample(stream(seed, workload.name, "tokens"), n)
        return 6.0 * np.asarray(params, dtype=np.float64) * tokens
    return np.asarray(from_spec(work).sample(stream(seed, workload.name, "work"), n), np.float64)

"""Node failures and checkpoint/restart: how long a job holds its accelerators.

The model (one, documented in README and docs/scenario.md):

- The nodes a job holds fail as a Poisson process. A node has ``node_size`` accelerators (by
  default the center's server) and fails at rate ``node_size / MTBF`` (the MTBF is per
  accelerator, of the pool's type); a job of ``size`` accelerators holds
  ``ceil(size / node_size)`` nodes, whatever else runs on them, or, under a placement other
  than `pool`, the servers it was placed on (a job spread over more servers fails more often).
- The job saves a checkpoint after every ``interval`` of useful progress (at no cost). When a
  node fails, the job loses the work since its last checkpoint and restarts at once on spare
  nodes, keeping its allocation, after a fixed restart overhead; a failure during a restart
  starts the restart over. Without checkpoints a failure loses all the work done so far.
- So the job holds its accelerators for its run time plus the lost work and the restarts, and
  failures keep arriving over that whole held time (which is why a job sees slightly more
  interruptions than rate × run time).

Failure times are drawn per job, from streams spawned by purpose (``"failures"``) and job
index, in units of the job's mean time between failures: they do not touch the other streams
and are identical whatever the policy, variant or executor (common random numbers).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from sim.resources.centers import CenterSpec
from sim.scenario.schema import Scenario
from sim.streams import stream
from sim.workload import item_view

GAPS_PER_DRAW = 64
"""Later failure gaps of a job are drawn in blocks of this many."""


@dataclass(frozen=True)
class FailureLog:
    """Every failure of a run, in the order the jobs started."""

    time: np.ndarray
    """When the failure happened [s] (may lie beyond the horizon)."""
    job: np.ndarray
    """The job it interrupted [-]."""
    lost: np.ndarray
    """Time the job lost to it [s]: work since its last checkpoint plus the restart."""

    @classmethod
    def empty(cls) -> FailureLog:
        return cls(np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0))


def held_time(
    duration: float,
    rate: float,
    interval: float | None,
    restart: float,
    gaps: Iterator[float],
    limit: float = math.inf,
) -> tuple[float, list[list[float]]]:
    """How long a job holds its accelerators under failures, and its failures.

    Parameters
    ----------
    duration
        Useful run time [s].
    rate
        Failure rate of the job's nodes together [1/s].
    interval
        Useful progress between checkpoints [s]; None: no checkpoints.
    restart
        Restart overhead after each failure [s].
    gaps
        Standard exponential variates: the times between failures in units of ``1 / rate``.
    limit
        Stop drawing failures once this much time has been held [s] (the rest of the run
        ends beyond the horizon); the held time returned then assumes no further failures.

    Returns
    -------
    tuple
        The held time [s] and, per failure, [offset from the start [s], time lost [s]]. The
        times lost add up to the held time minus ``duration``.
    """
    failures: list[list[float]] = []
    held = saved = pending = 0.0  # time held, progress checkpointed, restart still to pay
    while True:
        needed = pending + duration - saved
        gap = next(gaps) / rate
        if gap >= needed or held > limit:
            if failures:
                failures[-1][1] += pending
            return held + needed, failures
        if gap > pending:
            progress = saved + gap - pending
            checkpoint = saved if interval is None else math.floor(progress / interval) * interval
            lost, restarting = progress - checkpoint, pending
            saved = checkpoint
        else:  # failed again while restarting
            lost, restarting = 0.0, gap
        if failures:
            failures[-1][1] += restarting
        held += gap
        failures.append([held, lost])
        pending = restart


class Failures:
    """Failure draws of one run and the held time of each job that starts."""

    def __init__(
        self,
        seed: np.random.SeedSequence,
        jobs: int,
        node_size: Sequence[int],
        node_rate: Sequence[float],
        checkpoint: Sequence[tuple[float | None, float]],
        job_class: np.ndarray,
        horizon: float,
    ):
        """
        Parameters
        ----------
        seed
            The run's seed sequence.
        jobs
            Number of jobs of the run.
        node_size
            Accelerators per node of each center [-].
        node_rate
            Failure rate of one node of each center [1/s].
        checkpoint
            (interval [s] or None, restart overhead [s]) of each workload class.
        job_class
            Workload class of each job [-].
        horizon
            End of the run [s]: failures beyond it are not drawn.
        """
        self.seed = seed
        # Most jobs never fail: one vectorised draw covers every job's first failure.
        self.first = item_view(stream(seed, "failures").standard_exponential(jobs))
        self.node_size = node_size
        self.node_rate = node_rate
        self.checkpoint = checkpoint
        self.job_class = item_view(job_class)
        self.horizon = horizon
        self.lost = np.zeros(jobs)
        """Time each job lost to failures [s]."""
        self.interruptions = np.zeros(jobs, dtype=np.int32)
        """Failures each job suffered [-]."""
        self.ends: dict[int, float] = {}
        """Release time [s] of each job that failed, exactly as the engine schedules it."""
        self.log: list[tuple[float, int, float]] = []

    @classmethod
    def of(
        cls,
        scenario: Scenario,
        centers: Sequence[CenterSpec],
        job_class: np.ndarray,
        seed: np.random.SeedSequence,
    ) -> Failures | None:
        """The failures of a run of ``scenario``, or None when they are off."""
        settings = scenario.failures
        if not settings.enabled:
            return None
        by_class = [(w.checkpoint.interval, w.checkpoint.restart) for w in scenario.workload]
        node_size = [settings.node_size or c.accelerators_per_server for c in centers]
        return cls(
            seed,
            len(job_class),
            node_size,
            node_rate=[size / c.mtbf for size, c in zip(node_size, centers, strict=True)],
            checkpoint=by_class,
            job_class=job_class,
            horizon=scenario.run.horizon,
        )

    def held_time(
        self, job: int, center: int, size: int, duration: float, now: float, nodes: int = 0
    ) -> float:
        """Time [s] ``job``, starting at ``now`` at ``center``, holds its accelerators; its
        failures are recorded. ``nodes``: the servers it was placed on; 0: as many as its
        size needs."""
        nodes = nodes or math.ceil(size / self.node_size[center])
        rate = nodes * self.node_rate[center]
        interval, restart = self.checkpoint[self.job_class[job]]
        held, failures = held_time(
            duration, rate, interval, restart, self._gaps(job), limit=self.horizon - now
        )
        if failures:
            self.lost[job] = held - duration
            self.interruptions[job] = len(failures)
            self.ends[job] = now + held
            self.log.extend((now + offset, job, lost) for offset, lost in failures)
        return held

    def _gaps(self, job: int) -> Iterator[float]:
        yield self.first[job]
        rng = stream(self.seed, "failures", str(job))
        while True:
            yield from rng.standard_exponential(GAPS_PER_DRAW).tolist()

    def result(self) -> FailureLog:
        if not self.log:
            return FailureLog.empty()
        time, job, lost = zip(*self.log, strict=True)
        return FailureLog(np.array(time), np.array(job, dtype=np.int64), np.array(lost))

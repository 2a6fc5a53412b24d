"""Preemption: what a job that is stopped before its end loses, and what it has left to do.

The model (the same checkpoints as :mod:`sim.resources.failures`):

- A job saves a checkpoint after every ``checkpoint.interval`` of useful progress, at no cost.
  When its scheduler stops it (a preemptive policy gives its accelerators to another job, or
  inference takes them back), it loses the work since its last checkpoint (all its work, if it
  takes no checkpoints), gives back its accelerators and queues again.
- When it starts again it first pays its class's ``checkpoint.restart`` overhead, then runs
  the work it has left. A stop during that restart loses the part of the restart paid so far.
- So a job's accelerator time adds up to its run time + the work it lost + the restarts it
  paid, and the scheduler's busy accelerator-seconds equal the sum of that over its jobs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PreemptionLog:
    """Every loss to preemption of a run, in time order: each stop, and the restart a stopped
    job paid in its last run (logged when it ends)."""

    time: np.ndarray
    """When the job was stopped, or ended [s]."""
    job: np.ndarray
    """The job [-]."""
    lost_work: np.ndarray
    """Useful work since its last checkpoint, lost at a stop [s] (0 at an end)."""
    lost_restart: np.ndarray
    """Restart overhead paid in the run that stopped or ended [s]."""
    stopped: np.ndarray
    """True for a stop (a preemption), False for the end of a stopped job."""
    restart_time: np.ndarray
    """When a stopped job started again [s], one per restart."""
    restart_job: np.ndarray
    """The job that started again [-]."""


class Preemptions:
    """Progress of every job of a run that may be preempted, and the cost of each stop."""

    def __init__(self, duration: Sequence[float], checkpoint: Sequence[tuple[float | None, float]]):
        """
        Parameters
        ----------
        duration
            Useful run time of each job [s] (the engine's list: it may be filled in later).
        checkpoint
            (interval [s] or None, restart overhead [s]) of each job.
        """
        n = len(duration)
        self.duration = duration
        self.checkpoint = checkpoint
        self.saved = [0.0] * n
        """Useful progress at the last checkpoint [s]."""
        self.segment_start = [math.nan] * n
        """When the job last (re)started [s]."""
        self.overhead = [0.0] * n
        """Restart overhead the current or next run segment begins with [s]."""
        self.token = [0] * n
        """Counts the job's run segments, so an end scheduled for a stopped segment is ignored."""
        self.executed = [0.0] * n
        """Time each job ran in its stopped segments [s]."""
        self.preemptions = [0] * n
        self.lost = [0.0] * n
        """Time each job lost to preemptions: work since its checkpoints plus restarts [s]."""
        self.log: list[tuple[float, int, float, float, bool]] = []
        self.restarts: list[tuple[float, int]] = []

    def remaining(self, job: int) -> float:
        """Useful work the job has left from its last checkpoint [s]."""
        return self.duration[job] - self.saved[job]

    def begin(self, job: int, now: float) -> float:
        """The job (re)starts at ``now``: how long it will hold its accelerators if not stopped
        [s]."""
        self.segment_start[job] = now
        self.token[job] += 1
        if self.preemptions[job]:
            self.restarts.append((now, job))
        return self.overhead[job] + self.remaining(job)

    def progress(self, job: int, now: float) -> float:
        """Useful progress of the running job at ``now`` since its last checkpoint [s]."""
        return max(now - self.segment_start[job] - self.overhead[job], 0.0)

    def remaining_at(self, job: int, now: float) -> float:
        """Useful work the running job has left at ``now`` [s]."""
        return self.remaining(job) - self.progress(job, now)

    def attained_at(self, job: int, now: float, running: bool) -> float:
        """Time the job has run so far, all its segments [s] (Tiresias' attained service, per
        accelerator), counting the current one if ``running``."""
        return self.executed[job] + (now - self.segment_start[job] if running else 0.0)

    def stop(self, job: int, now: float) -> None:
        """The running job is stopped at ``now``: it falls back to its last checkpoint."""
        elapsed = now - self.segment_start[job]
        self.executed[job] += elapsed
        restart_paid = min(elapsed, self.overhead[job])
        done = self.saved[job] + elapsed - restart_paid
        interval, restart = self.checkpoint[job]
        saved = 0.0 if interval is None else math.floor(done / interval) * interval
        lost_work = done - saved
        self.saved[job] = saved
        self.overhead[job] = restart
        self.token[job] += 1
        self.preemptions[job] += 1
        self.lost[job] += lost_work + restart_paid
        self.log.append((now, job, lost_work, restart_paid, True))

    def finish(self, job: int, now: float) -> None:
        """The job ended at ``now``: the restart it paid last is lost time too."""
        if self.preemptions[job]:
            self.lost[job] += self.overhead[job]
            self.log.append((now, job, 0.0, self.overhead[job], False))

    def result(self) -> PreemptionLog:
        time, job, work, restart, stopped = (
            zip(*self.log, strict=True) if self.log else ((), (), (), (), ())
        )
        restart_time, restart_job = zip(*self.restarts, strict=True) if self.restarts else ((), ())
        return PreemptionLog(
            np.array(time, dtype=np.float64),
            np.array(job, dtype=np.int64),
            np.array(work, dtype=np.float64),
            np.array(restart, dtype=np.float64),
            np.array(stopped, dtype=bool),
            np.array(restart_time, dtype=np.float64),
            np.array(restart_job, dtype=np.int64),
        )

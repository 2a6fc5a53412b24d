"""Shortest remaining time first (preemptive)."""

from __future__ import annotations

from sim.policies.preemptive import Preemptive


class ShortestRemainingTimeFirst(Preemptive):
    """The jobs with the least work left run; a new job shorter than what a running job has
    left stops it (the job loses the work since its last checkpoint and queues again). Work
    left counts from the last checkpoint, as the job would resume."""

    name = "srtf"

    def queued_key(self, job: int) -> float:
        assert self.progress is not None
        return self.progress.remaining(job)

    def running_key(self, job: int, now: float) -> float:
        assert self.progress is not None
        return self.progress.remaining_at(job, now)

"""Shortest remaining time first (preemptive)."""

from __future__ import annotations

from sim.policies.preemptive import Preemptive


class ShortestRemainingTimeFirst(Preemptive):
    """The jobs with the least work left run; a new job shorter than what a running job has
    left stops it (the job loses the work since its last checkpoint and queues again). Work
    left counts from the last checkpoint, as the job would resume; where a trace gives an
    estimated run time, the work left is the estimate less the work done (at least 0)."""

    name = "srtf"

    def queued_key(self, job: int) -> float:
        assert self.progress is not None
        return self._expected_left(job, self.progress.remaining(job))

    def running_key(self, job: int, now: float) -> float:
        assert self.progress is not None
        return self._expected_left(job, self.progress.remaining_at(job, now))

    def _expected_left(self, job: int, left: float) -> float:
        """Work left as the scheduler believes it [s], from the true work ``left``."""
        if self.jobs.estimate is None:
            return left
        done = self.jobs.duration[job] - left
        return max(self.jobs.expected(job) - done, 0.0)

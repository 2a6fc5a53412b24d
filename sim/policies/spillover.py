"""Spillover dispatch: stay local unless the local queue is too long."""

from __future__ import annotations

from sim.policies.siloed import Siloed


class Spillover(Siloed):
    """Run in the origin city (least loaded center) unless the expected wait there exceeds
    `dispatch_options.spill_after`; then go wherever the job is expected to finish earliest."""

    name = "spillover"
    moves_jobs = True
    tracks_backlog = True

    def choose(self, job: int, now: float) -> int:
        local = self.least_loaded(job)
        if local >= 0:
            start = self.expected_start(local, self.context.jobs.size[job], now)
            if start - now <= self.context.spill_after:
                return local
        return self.earliest_finish(job, now)

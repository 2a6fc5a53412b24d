"""Least attained service (preemptive), as Tiresias."""

from __future__ import annotations

from sim.policies.preemptive import Preemptive


class LeastAttainedService(Preemptive):
    """The jobs that have received the least service run first, service being accelerators ×
    time run so far (Tiresias' two-dimensional LAS, Gu et al., NSDI'19, without its discrete
    queues): no run time needs to be known, and a new job stops the longest-served ones. Keys
    are compared at arrivals and ends only, so two equal jobs do not take turns between them.
    """

    name = "las"

    def queued_key(self, job: int) -> float:
        assert self.progress is not None
        return self.sizes[job] * self.progress.attained_at(job, 0.0, running=False)

    def running_key(self, job: int, now: float) -> float:
        assert self.progress is not None
        return self.sizes[job] * self.progress.attained_at(job, now, running=True)

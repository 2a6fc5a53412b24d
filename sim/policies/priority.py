"""Priority by workload class (higher first), first-come-first-served within a priority."""

from __future__ import annotations

from sim.policies.ordered import OrderedQueue
from sim.policies.preemptive import Preemptive


class PreemptivePriority(Preemptive):
    """`priority` with `scheduling.preempt: true`: a job of a higher class stops running jobs
    of lower classes when it would not fit otherwise (lowest priority, then latest job first).
    """

    def queued_key(self, job: int) -> float:
        return -self.jobs.priority[job]


class Priority(OrderedQueue):
    """The queued job of the highest class priority starts first; ties by arrival. With
    `scheduling.preempt: true` it also stops running jobs of lower classes to make room."""

    name = "priority"
    preemptive = PreemptivePriority

    def key(self, job: int) -> float:
        return -self.jobs.priority[job]

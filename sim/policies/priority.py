"""Priority by workload class (higher first), first-come-first-served within a priority."""

from __future__ import annotations

from sim.policies.ordered import OrderedQueue


class Priority(OrderedQueue):
    """The queued job of the highest class priority starts first; ties by arrival."""

    name = "priority"

    def key(self, job: int) -> float:
        return -self.jobs.priority[job]

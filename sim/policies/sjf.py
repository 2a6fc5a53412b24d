"""Shortest job first (non-preemptive, by run time; the shortest waiting job blocks the rest)."""

from __future__ import annotations

from sim.policies.ordered import OrderedQueue


class ShortestJobFirst(OrderedQueue):
    """The queued job with the shortest run time starts first (its estimate, where a trace
    gives one)."""

    name = "sjf"

    def key(self, job: int) -> float:
        return self.jobs.expected(job)

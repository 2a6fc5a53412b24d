"""Policies that keep the queue sorted by a key and start strictly in that order."""

from __future__ import annotations

import heapq

from sim.policies.base import JobTable, LocalScheduler, StartCallback


class OrderedQueue(LocalScheduler):
    """Start jobs in the order of :meth:`key` (ties by arrival); the head blocks the rest."""

    def __init__(self, capacity: int, jobs: JobTable, start: StartCallback, backfill_depth: int):
        super().__init__(capacity, jobs, start, backfill_depth)
        self.queue: list[tuple[float, int]] = []

    def key(self, job: int) -> float:
        """Smaller keys run first."""
        raise NotImplementedError

    def submit(self, job: int, now: float) -> None:
        self.advance(now)
        heapq.heappush(self.queue, (self.key(job), job))
        self.enqueued(job)
        if len(self.queue) > self.queue_max:
            self.queue_max = len(self.queue)
        self._start_heads()

    def requeue(self, job: int) -> None:
        heapq.heappush(self.queue, (self.key(job), job))
        self.enqueued(job)

    def release(self, job: int, now: float) -> None:
        self.advance(now)
        self.give(job)
        self._start_heads()

    def _start_heads(self) -> None:
        queue, sizes = self.queue, self.sizes
        while queue and self.fits(sizes[queue[0][1]]):
            _, head = heapq.heappop(queue)
            self.dequeued(head)
            self.take(head)
            self.start(head)

    def start_waiting(self, now: float) -> None:
        self._start_heads()

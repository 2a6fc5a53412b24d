"""Strict first-come-first-served: the head job blocks the queue until it fits."""

from __future__ import annotations

from collections import deque

from sim.policies.base import JobTable, LocalScheduler, StartCallback


class Fifo(LocalScheduler):
    """Jobs start in arrival order; nothing overtakes a head job that does not fit yet."""

    name = "fifo"

    def __init__(self, capacity: int, jobs: JobTable, start: StartCallback, backfill_depth: int):
        super().__init__(capacity, jobs, start, backfill_depth)
        self.queue: deque[int] = deque()

    # The hottest code in capsim: `advance` is inlined in submit and release (measured ~10%).

    def submit(self, job: int, now: float) -> None:
        queue = self.queue
        dt = now - self.t_last
        if dt > 0.0:
            self.busy_area += (self.capacity - self.free) * dt
            self.queue_area += len(queue) * dt
            self.t_last = now
        size = self.sizes[job]
        if not queue and size <= self.free:
            self.free -= size
            self.start(job)
            return
        queue.append(job)
        self.queued_size += size
        if len(queue) > self.queue_max:
            self.queue_max = len(queue)

    def release(self, job: int, now: float) -> None:
        queue = self.queue
        dt = now - self.t_last
        if dt > 0.0:
            self.busy_area += (self.capacity - self.free) * dt
            self.queue_area += len(queue) * dt
            self.t_last = now
        sizes = self.sizes
        self.free += sizes[job]
        # start_waiting's loop, inlined: release runs once per job, on the hot path.
        while queue and sizes[queue[0]] <= self.free:
            head = queue.popleft()
            self.free -= sizes[head]
            self.queued_size -= sizes[head]
            self.start(head)

    def start_waiting(self, now: float) -> None:
        queue, sizes = self.queue, self.sizes
        while queue and sizes[queue[0]] <= self.free:
            head = queue.popleft()
            self.free -= sizes[head]
            self.queued_size -= sizes[head]
            self.start(head)

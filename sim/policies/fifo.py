"""Strict first-come-first-served: the head job blocks the queue until it fits."""

from __future__ import annotations

from collections import deque

from sim.policies.base import JobProgress, JobTable, LocalScheduler, StartCallback, StopCallback
from sim.policies.placement import Placement


class Fifo(LocalScheduler):
    """Jobs start in arrival order; nothing overtakes a head job that does not fit yet."""

    name = "fifo"

    def __init__(self, capacity: int, jobs: JobTable, start: StartCallback, backfill_depth: int):
        super().__init__(capacity, jobs, start, backfill_depth)
        self.queue: deque[int] = deque()
        self.general = False
        """Whether jobs go on servers or may be stopped: then :meth:`submit` and
        :meth:`release` take the general path (a flag, not methods assigned to the instance,
        which the compiled build's classes do not allow)."""

    def use_placement(self, placement: Placement) -> None:
        super().use_placement(placement)
        self._use_general_path()

    def use_preemption(self, stop: StopCallback, progress: JobProgress, reclaims: bool) -> None:
        super().use_preemption(stop, progress, reclaims)
        self._use_general_path()

    def _use_general_path(self) -> None:
        # submit and release below count free accelerators only (a pool that never stops a
        # job: capsim's hot path); on servers, or when jobs may be stopped, they hand over
        # to the general versions.
        self.general = True

    def requeue(self, job: int) -> None:
        self.queue.appendleft(job)  # it was ahead of every job still queued
        self.enqueued(job)

    def _submit_placed(self, job: int, now: float) -> None:
        self.advance(now)
        queue = self.queue
        if not queue and self.fits(self.sizes[job]):
            self.take(job)
            self.start(job)
            return
        queue.append(job)
        self.enqueued(job)
        if len(queue) > self.queue_max:
            self.queue_max = len(queue)

    def _release_placed(self, job: int, now: float) -> None:
        self.advance(now)
        self.give(job)
        self.start_waiting(now)

    # The hottest code in capsim: `advance` is inlined in submit and release (measured ~10%).

    def submit(self, job: int, now: float) -> None:
        if self.general:
            self._submit_placed(job, now)
            return
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
        if self.general:
            self._release_placed(job, now)
            return
        queue = self.queue
        dt = now - self.t_last
        if dt > 0.0:
            self.busy_area += (self.capacity - self.free) * dt
            self.queue_area += len(queue) * dt
            self.t_last = now
        sizes = self.sizes
        self.free += sizes[job]
        # start_waiting's loop for a pool, inlined: release runs once per job, on the hot path.
        while queue and sizes[queue[0]] <= self.free:
            head = queue.popleft()
            self.free -= sizes[head]
            self.queued_size -= sizes[head]
            self.start(head)

    def start_waiting(self, now: float) -> None:
        queue, sizes = self.queue, self.sizes
        while queue and self.fits(sizes[queue[0]]):
            head = queue.popleft()
            self.dequeued(head)
            self.take(head)
            self.start(head)

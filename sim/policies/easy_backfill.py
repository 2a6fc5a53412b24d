"""EASY backfilling: first-come-first-served, but later jobs may use idle accelerators as long
as they do not delay the reservation of the job at the head of the queue.

The head job's reservation (its *shadow time*) is the earliest moment enough accelerators are
free for it, from the end times of the running jobs. A later job within ``backfill_depth`` of
the head may start now if it fits in the free accelerators and either ends by the shadow time or
uses only accelerators the head will not need (the *extra* ones). Run times are known exactly to
the scheduler, so the head job never starts later than its first reservation, unless something
the scheduler could not foresee intervenes: a node failure that makes a running job hold its
accelerators past its planned end, or a capacity cut (build-out phases, inference peaks). The
shadow time is then recomputed from the new state.
"""

from __future__ import annotations

import math
from collections import deque
from itertools import islice

from sim.policies.base import JobTable, LocalScheduler, StartCallback


class EasyBackfill(LocalScheduler):
    """FCFS with EASY backfilling over the first ``backfill_depth`` queued jobs."""

    name = "easy-backfill"

    def __init__(self, capacity: int, jobs: JobTable, start: StartCallback, backfill_depth: int):
        super().__init__(capacity, jobs, start, backfill_depth)
        self.queue: deque[int] = deque()
        self.running: list[int] = []
        """The running jobs, latest planned end first (then the highest job): the job that
        ends next is last, where removing it moves nothing, and a short job starting goes
        near the end (a national center runs thousands of jobs; kept in ascending order,
        moving the list's items on each start and end took ~6% of a national year)."""
        self.ends: list[float] = []
        """Their planned end times [s], in the same order. Two lists rather than one of (end,
        job) tuples: no tuple per start, and the searches below compare floats natively when
        compiled (the sorted tuples' comparisons were ~10% of a national year)."""
        self.durations = jobs.duration
        self.shadow = math.inf
        """Reservation of the head job [s]; valid while ``self.shadow_valid``."""
        self.extra = 0
        """Accelerators free at the shadow time that the head job does not need [-]."""
        self.shadow_valid = False
        self.reservations: dict[int, float] | None = None
        """If set to a dict, the first reservation of each head job is recorded (for tests)."""

    def submit(self, job: int, now: float) -> None:
        self.advance(now)
        queue = self.queue
        size = self.sizes[job]
        if not queue and self.fits(size):
            self._start(job, now)
            return
        queue.append(job)
        self.enqueued(job)
        if len(queue) > self.queue_max:
            self.queue_max = len(queue)
        if len(queue) == 1:
            self._schedule(now)
        elif len(queue) <= self.backfill_depth + 1 and self.fits(size):
            # Nothing but the new job changed: it is the only new backfill candidate.
            self._reserve(now)
            if now + self.durations[job] <= self.shadow or size <= self.extra:
                queue.pop()
                self.dequeued(job)
                self._start(job, now)

    def release(self, job: int, now: float) -> None:
        self.advance(now)
        self.give(job)
        running, ends = self.running, self.ends
        index = len(running) - 1
        if running[index] != job:  # not the job planned to end first: search for (now, job)
            index = self._above(now, job)
            if index == len(running) or running[index] != job:
                # The end was stored as start + duration; find the job however it rounded.
                index = running.index(job)
        del running[index]
        del ends[index]
        self.shadow_valid = False
        if self.queue:
            self._schedule(now)

    def preempt(self, job: int, now: float) -> None:
        index = self.running.index(job)
        del self.running[index]
        del self.ends[index]
        self.shadow_valid = False
        super().preempt(job, now)

    def requeue(self, job: int) -> None:
        self.queue.appendleft(job)  # it was ahead of every job still queued
        self.enqueued(job)

    def set_capacity(self, capacity: int, now: float) -> None:
        self.shadow_valid = False  # the reservation counted on the old capacity
        super().set_capacity(capacity, now)

    def start_waiting(self, now: float) -> None:
        self._schedule(now)

    def _start(self, job: int, now: float) -> None:
        end = now + self.durations[job]
        size = self.sizes[job]
        self.take(job)
        if end > self.shadow:
            self.extra -= size
        index = self._above(end, job)
        self.running.insert(index, job)
        self.ends.insert(index, end)
        self.start(job)

    def _above(self, end: float, job: int) -> int:
        """How many running (planned end, job) pairs lie above (``end``, ``job``): where that
        pair stands or would go in the descending lists (pairs are distinct: jobs are)."""
        running, ends = self.running, self.ends
        low, high = 0, len(running)
        while low < high:
            middle = (low + high) // 2
            other = ends[middle]
            if other > end or (other == end and running[middle] > job):
                low = middle + 1
            else:
                high = middle
        return low

    def _reserve(self, now: float) -> None:
        """Compute the head job's shadow time and the extra accelerators, if out of date."""
        if self.shadow_valid:
            return
        head = self.queue[0]
        need = self.sizes[head]
        available = self.free
        shadow = now
        if available < need:
            sizes = self.sizes
            running = self.running
            for index in range(len(running) - 1, -1, -1):  # the next to end first
                available += sizes[running[index]]
                if available >= need:
                    shadow = self.ends[index]
                    break
        self.shadow, self.extra, self.shadow_valid = shadow, available - need, True
        if self.reservations is not None and head not in self.reservations:
            self.reservations[head] = shadow

    def _schedule(self, now: float) -> None:
        queue, sizes = self.queue, self.sizes
        while queue and self.fits(sizes[queue[0]]):
            head = queue.popleft()
            self.dequeued(head)
            self.shadow_valid = False
            self._start(head, now)
        if len(queue) < 2 or self.free == 0:
            return
        self.shadow_valid = False
        self._reserve(now)
        started = []
        for position, job in enumerate(islice(queue, 1, self.backfill_depth + 1), start=1):
            size = sizes[job]
            if self.fits(size) and (now + self.durations[job] <= self.shadow or size <= self.extra):
                started.append(position)
                self.dequeued(job)
                self._start(job, now)
                if self.free == 0:
                    break
        for position in reversed(started):
            del queue[position]

"""Policies that stop running jobs: at every arrival and end, the jobs with the smallest keys
run, running or queued.

At each event the running and queued jobs are taken in key order (ties: running jobs first,
so a tie never stops a job, then by job index); each runs if it fits in the accelerators the
jobs before it left, and a job that does not fit is skipped (a large job does not hold back
smaller ones behind it). Running jobs left out are stopped (they lose the work since their
last checkpoint, see :mod:`sim.resources.preemption`) and queue again; queued jobs chosen
start. The scan of the queue stops when no accelerator is left, or after skipping
``backfill_depth`` queued jobs that do not fit. Under a placement with servers the choice
counts accelerators; a chosen job that the placement cannot fit waits.
"""

from __future__ import annotations

import heapq

from sim.policies.base import JobTable, LocalScheduler, StartCallback


class Preemptive(LocalScheduler):
    """Base of the preemptive policies: subclasses give :meth:`key`."""

    preempts = True

    def __init__(self, capacity: int, jobs: JobTable, start: StartCallback, backfill_depth: int):
        super().__init__(capacity, jobs, start, backfill_depth)
        self.queue: list[tuple[float, int]] = []
        """Heap of (key, job) of the queued jobs: a queued job's key does not change."""

    def queued_key(self, job: int) -> float:
        """Key of a queued job; smaller keys run first."""
        raise NotImplementedError

    def running_key(self, job: int, now: float) -> float:
        """Key of a running job at ``now`` [s]."""
        return self.queued_key(job)

    def submit(self, job: int, now: float) -> None:
        self.advance(now)
        if not self.queue and self.fits(self.sizes[job]):
            self.take(job)
            self.start(job)
            return
        self.requeue(job)
        if len(self.queue) > self.queue_max:
            self.queue_max = len(self.queue)
        self._reschedule(now)

    def requeue(self, job: int) -> None:
        heapq.heappush(self.queue, (self.queued_key(job), job))
        self.enqueued(job)

    def release(self, job: int, now: float) -> None:
        self.advance(now)
        self.give(job)
        if self.queue:
            self._reschedule(now)

    def start_waiting(self, now: float) -> None:
        self._reschedule(now)

    def _reschedule(self, now: float) -> None:
        running = self.running_jobs
        assert running is not None, "a preemptive policy needs use_preemption"
        sizes, queue = self.sizes, self.queue
        busy = self.capacity - self.free
        budget = self.capacity if self.reclaims else max(self.capacity, busy)
        ahead = sorted((self.running_key(job, now), job) for job in running)
        keep: list[int] = []
        stop: list[int] = []
        chosen: list[tuple[float, int]] = []
        skipped: list[tuple[float, int]] = []
        index = 0
        while budget > 0 and queue and len(skipped) <= self.backfill_depth:
            if index < len(ahead) and ahead[index][0] <= queue[0][0]:  # ties: keep running
                job = ahead[index][1]
                index += 1
                if sizes[job] <= budget:
                    budget -= sizes[job]
                    keep.append(job)
                else:
                    stop.append(job)
                continue
            item = heapq.heappop(queue)
            if sizes[item[1]] <= budget:
                budget -= sizes[item[1]]
                chosen.append(item)
            else:
                skipped.append(item)
        for _, job in ahead[index:]:
            if sizes[job] <= budget:
                budget -= sizes[job]
            else:
                stop.append(job)
        for item in skipped:
            heapq.heappush(queue, item)
        if not chosen:
            return  # stopping jobs would free accelerators for nobody
        for job in stop:
            self.preempt(job, now)
        for key, job in chosen:
            if self.fits(sizes[job]):
                self.dequeued(job)
                self.take(job)
                self.start(job)
            else:
                heapq.heappush(queue, (key, job))

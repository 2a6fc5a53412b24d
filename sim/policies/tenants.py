"""Tenants sharing a center, with guaranteed shares and borrowing, after Kubernetes Kueue.

Kueue (kueue.sigs.k8s.io, "Cluster Queue" and "Preemption"): each tenant is a ClusterQueue of
one cohort (the center). Its *nominal quota* is guaranteed; it may *borrow* the unused quota
of the others, up to its `borrowingLimit`; with `reclaimWithinCohort: Any` it takes lent
quota back by preempting the borrowers' workloads. Here:

- each tenant has its own first-come-first-served queue (Kueue's StrictFIFO);
- at every arrival and end, each tenant first starts its head jobs while they stay within its
  guarantee; if one does not fit and the tenant reclaims, running jobs of tenants above their
  guarantee are stopped (started last first) until it fits;
- then jobs borrow: the head of the tenant holding least beyond its guarantee starts if it
  fits in the free accelerators and within its borrowing limit, until no head can.

With guarantees that add up to at most the center and jobs of one accelerator, a tenant that
reclaims therefore always holds min(its guarantee, what it asks for) (tested over a long run).
Jobs of no tenant form one more queue with no guarantee and no borrowing limit.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from sim.policies.base import JobTable, LocalScheduler, StartCallback


class _Queues:
    """All tenants' queues, as one sized queue for the base class's levels."""

    def __init__(self, queues: list[deque[int]]):
        self.queues = queues

    def __len__(self) -> int:
        return sum(len(queue) for queue in self.queues)


class TenantQueues(LocalScheduler):
    """One fifo queue per tenant, guaranteed shares first, then borrowing (see module)."""

    def __init__(
        self,
        capacity: int,
        jobs: JobTable,
        start: StartCallback,
        backfill_depth: int,
        *,
        tenant_of: Sequence[int],
        guaranteed: Sequence[int],
        borrowing_limit: Sequence[float],
        reclaims: Sequence[bool],
    ):
        """``tenant_of``: each job's tenant at this center, ``len(guaranteed)`` for none;
        the other sequences are per tenant, plus one entry for jobs of no tenant."""
        super().__init__(capacity, jobs, start, backfill_depth)
        self.tenant_of = tenant_of
        self.guaranteed = list(guaranteed)
        self.ceiling = [g + b for g, b in zip(guaranteed, borrowing_limit, strict=True)]
        self.reclaim_flags = list(reclaims)
        self.usage = [0] * len(self.guaranteed)
        self.queues: list[deque[int]] = [deque() for _ in self.guaranteed]
        self.queue = _Queues(self.queues)

    def take(self, job: int) -> None:
        super().take(job)
        self.usage[self.tenant_of[job]] += self.sizes[job]

    def give(self, job: int) -> None:
        super().give(job)
        self.usage[self.tenant_of[job]] -= self.sizes[job]

    def requeue(self, job: int) -> None:
        self.queues[self.tenant_of[job]].appendleft(job)  # ahead of its tenant's queue
        self.enqueued(job)

    def submit(self, job: int, now: float) -> None:
        self.advance(now)
        self.queues[self.tenant_of[job]].append(job)
        self.enqueued(job)
        if len(self.queue) > self.queue_max:
            self.queue_max = len(self.queue)
        self._schedule(now)

    def release(self, job: int, now: float) -> None:
        self.advance(now)
        self.give(job)
        self._schedule(now)

    def start_waiting(self, now: float) -> None:
        self._schedule(now)

    def _run(self, tenant: int) -> None:
        head = self.queues[tenant].popleft()
        self.dequeued(head)
        self.take(head)
        self.start(head)

    def _schedule(self, now: float) -> None:
        sizes, usage = self.sizes, self.usage
        for tenant, queue in enumerate(self.queues):
            while queue and usage[tenant] + sizes[queue[0]] <= self.guaranteed[tenant]:
                size = sizes[queue[0]]
                if not self.fits(size) and not (
                    self.reclaim_flags[tenant] and self._make_room(size, now)
                ):
                    break
                self._run(tenant)
        while True:
            ready = [
                tenant
                for tenant, queue in enumerate(self.queues)
                if queue
                and usage[tenant] + sizes[queue[0]] <= self.ceiling[tenant]
                and self.fits(sizes[queue[0]])
            ]
            if not ready:
                return
            self._run(min(ready, key=lambda t: (usage[t] - self.guaranteed[t], t)))

    def _make_room(self, size: int, now: float) -> bool:
        """Stop borrowers' jobs (started last first) until ``size`` fits; False if the
        borrowed accelerators could not make room."""
        sizes, usage, guaranteed = self.sizes, self.usage, self.guaranteed
        borrowed = sum(max(u - g, 0) for u, g in zip(usage, guaranteed, strict=True))
        if self.running_jobs is None or self.free + borrowed < size:
            return False
        for job in reversed(list(self.running_jobs)):
            if self.fits(size):
                break
            tenant = self.tenant_of[job]
            if usage[tenant] - sizes[job] >= guaranteed[tenant]:  # only what it borrowed
                self.preempt(job, now)
        return self.fits(size)

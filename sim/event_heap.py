"""The run's pending job ends and link alarms: a binary heap of (time, event id, job), earliest
first (ties by event id, which no two entries share).

Two implementations with the same methods, and the same order of entries, to the bit:

- :class:`EventHeap`, for the compiled build (setup.py): the three fields in three unboxed
  vectors (``librt.vecs``, mypyc's native arrays), the sift loops compiled. No tuple, boxed
  float or int per entry: measured 4x faster than ``heapq`` on tuples at 10^3 entries, 15x at
  2.4 x 10^5 (300 centers' running jobs), where the tuples' pointers miss the cache.
- :class:`TupleHeap`, for the Python sources: ``heapq`` on tuples, C code there too (the sift
  loops above, interpreted, would be several times slower).

:func:`new_heap` gives the one that suits how this module runs.
"""

from __future__ import annotations

import math
from heapq import heappop, heappush

from librt.vecs import append, pop, vec
from mypy_extensions import i64

INF = math.inf


class EventHeap:
    """(time [s], event id, job) entries in three vectors kept in heap order."""

    def __init__(self) -> None:
        self.time = vec[float]()
        self.eid = vec[i64]()
        self.job = vec[i64]()
        self.popped_eid = 0
        """Event id of the entry :meth:`pop` removed last."""

    def next_time(self) -> float:
        """Time of the earliest entry [s]; inf when there is none."""
        return self.time[0] if len(self.time) else INF

    def next_eid(self) -> int:
        """Event id of the earliest entry (the heap must not be empty)."""
        return self.eid[0]

    def push(self, time: float, eid: int, job: int) -> None:
        self.time = append(self.time, time)
        self.eid = append(self.eid, eid)
        self.job = append(self.job, job)
        times, eids, jobs = self.time, self.eid, self.job
        position: i64 = len(times) - 1
        while position > 0:
            parent = (position - 1) >> 1
            above = times[parent]
            if time < above or (time == above and eid < eids[parent]):
                times[position], eids[position] = above, eids[parent]
                jobs[position] = jobs[parent]
                position = parent
            else:
                break
        times[position], eids[position], jobs[position] = time, eid, job

    def pop(self) -> int:
        """Remove the earliest entry and return its job."""
        times, eids, jobs = self.time, self.eid, self.job
        first, self.popped_eid = jobs[0], eids[0]
        self.time, time = pop(times)  # the last entry, to put back from the top down
        self.eid, eid = pop(eids)
        self.job, job = pop(jobs)
        times, eids, jobs = self.time, self.eid, self.job
        size: i64 = len(times)
        if size == 0:
            return first
        # The last entry goes down from the top to where it belongs.
        position: i64 = 0
        while True:
            child = 2 * position + 1
            if child >= size:
                break
            below, below_eid = times[child], eids[child]
            right = child + 1
            if right < size:
                other = times[right]
                if other < below or (other == below and eids[right] < below_eid):
                    child, below, below_eid = right, other, eids[right]
            if below < time or (below == time and below_eid < eid):
                times[position], eids[position] = below, below_eid
                jobs[position] = jobs[child]
                position = child
            else:
                break
        times[position], eids[position], jobs[position] = time, eid, job
        return first


class TupleHeap:
    """:class:`EventHeap` with ``heapq`` on (time, event id, job) tuples."""

    def __init__(self) -> None:
        self.items: list[tuple[float, int, int]] = []
        self.popped_eid = 0

    def next_time(self) -> float:
        items = self.items
        return items[0][0] if items else INF

    def next_eid(self) -> int:
        return self.items[0][1]

    def push(self, time: float, eid: int, job: int) -> None:
        heappush(self.items, (time, eid, job))

    def pop(self) -> int:
        _, self.popped_eid, job = heappop(self.items)
        return job


def new_heap() -> EventHeap:
    """An :class:`EventHeap` where this module is compiled, else a :class:`TupleHeap` (typed
    as the other: they have the same methods)."""
    if __file__.endswith(".py"):
        return TupleHeap()  # type: ignore[return-value]
    return EventHeap()

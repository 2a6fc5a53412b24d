"""Siloed dispatch: a job runs in its origin city, at the least loaded center that can hold it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.policies.base import CenterView, Dispatcher, LocalScheduler


class Siloed(Dispatcher):
    """Each city serves only its own demand; within a city, join the least loaded center.

    Load is (busy + queued accelerators) / capacity, so a center that can start the job now is
    preferred over one with a queue.
    """

    name = "siloed"

    def __init__(self, centers: Sequence[CenterView], schedulers: Sequence[LocalScheduler]):
        super().__init__(centers, schedulers)
        cities = max((c.city for c in centers), default=-1) + 1
        self.by_city: list[list[CenterView]] = [[] for _ in range(cities)]
        for center in centers:
            self.by_city[center.city].append(center)

    def static_choice(self, origins: np.ndarray, sizes: np.ndarray) -> np.ndarray | None:
        if any(len(centers) > 1 for centers in self.by_city):
            return None
        only = np.array([centers[0].index if centers else -1 for centers in self.by_city])
        return only[origins]

    def choose(self, origin: int, size: int, now: float) -> int:
        candidates = self.by_city[origin]
        if len(candidates) == 1:
            return candidates[0].index
        best, best_load = -1, float("inf")
        for center in candidates:
            if size > center.capacity:
                continue
            scheduler = self.schedulers[center.index]
            load = (center.capacity - scheduler.free + scheduler.queued_size) / center.capacity
            if load < best_load:
                best, best_load = center.index, load
        return best

    @classmethod
    def eligible_cities(cls, origin: int, cities: int) -> Sequence[int]:
        return (origin,)

"""Siloed dispatch: a job runs in its origin city, at the least loaded center that can hold it."""

from __future__ import annotations

import math

import numpy as np
from mypy_extensions import mypyc_attr

from sim.policies.base import DispatchContext, Dispatcher


# Compiled (setup.py), and still the base of `spillover`, which is not.
@mypyc_attr(allow_interpreted_subclasses=True)
class Siloed(Dispatcher):
    """Each city serves only its own demand; within a city, join the least loaded center.

    Load is (busy + queued accelerators) / capacity, so a center that can start the job now is
    preferred over one with a queue. No job ever leaves its origin city.
    """

    name = "siloed"
    moves_jobs = False

    def __init__(self, context: DispatchContext):
        super().__init__(context)
        cities = max((c.city for c in self.centers), default=-1) + 1
        self.by_city: list[list[int]] = [[] for _ in range(cities)]
        for center in self.centers:
            self.by_city[center.city].append(center.index)

    def static_choice(self, origins: np.ndarray, sizes: np.ndarray) -> np.ndarray | None:
        if self.moves_jobs or any(len(centers) > 1 for centers in self.by_city):
            return None
        only = np.array([centers[0] if centers else -1 for centers in self.by_city])
        return only[origins]

    def choose(self, job: int, now: float) -> int:
        return self.least_loaded(job)

    def least_loaded(self, job: int) -> int:
        """The center of the job's origin city it may run at with the lowest load."""
        best, best_load = -1, float("inf")
        for index in self.context.local_candidates[job]:
            scheduler = self.schedulers[index]
            capacity = scheduler.capacity  # less than installed while inference holds some
            used = capacity - scheduler.free + scheduler.queued_size
            load = used / capacity if capacity > 0 else math.inf
            if best < 0 or load < best_load:
                best, best_load = index, load
        return best

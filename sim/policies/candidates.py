"""Per job, the centers a dispatcher may send it to: one list per (class, origin city), or per
(class, origin, size) for those big enough, made when first asked for.

A dispatcher asks at every job it places (10^7 in a national year), so the look-up is compiled
with the dispatchers (setup.py) and keyed by one integer, not a tuple: measured 10% of a
siloed year when it was a Python method.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

SIZE_BITS = 32
"""Bits of a key that hold the job's size (sizes are at most a center's accelerators)."""


class AllowedCenters:
    """Per job, the centers allowed for its class and origin city, whatever their size: one
    list per (class, origin), shared by every job that has both."""

    def __init__(
        self,
        lists: Callable[[int, int], list[int]],
        job_class: Sequence[int],
        origin: Sequence[int],
        cities: int,
    ):
        self.lists = lists
        """The allowed centers of a (class, origin city index)."""
        self.job_class = job_class
        self.origin = origin
        self.cities = cities
        self.found: dict[int, list[int]] = {}
        """Per key (class × cities + origin): its list."""

    def __len__(self) -> int:
        return len(self.origin)

    def __getitem__(self, job: int) -> list[int]:
        job_class, origin = self.job_class[job], self.origin[job]
        key = job_class * self.cities + origin
        found = self.found.get(key)
        if found is None:
            found = self.found[key] = self.lists(job_class, origin)
        return found


class CandidateCenters(AllowedCenters):
    """Per job, the centers it may run at: allowed for its class and origin and big enough for
    it; one list per (class, origin, size)."""

    def __init__(
        self,
        lists: Callable[[int, int], list[int]],
        job_class: Sequence[int],
        origin: Sequence[int],
        cities: int,
        size: Sequence[int],
        capacity: list[int],
    ):
        super().__init__(lists, job_class, origin, cities)
        self.size = size
        self.capacity = capacity
        """The most accelerators each center ever has [-]."""
        # Keys here: ((class × cities + origin) << SIZE_BITS) | size.

    def __getitem__(self, job: int) -> list[int]:
        job_class, origin, size = self.job_class[job], self.origin[job], self.size[job]
        key = ((job_class * self.cities + origin) << SIZE_BITS) | size
        found = self.found.get(key)
        if found is None:
            capacity = self.capacity
            found = [c for c in self.lists(job_class, origin) if capacity[c] >= size]
            self.found[key] = found
        return found

"""Cheapest and greenest dispatch: lowest energy cost or carbon among centers that can start
the job soon enough."""

from __future__ import annotations

import math
from collections.abc import Sequence

from sim.policies.base import DispatchContext, Dispatcher


class Cheapest(Dispatcher):
    """Among the job's candidates (reachable within its latency budget, of a type it accepts)
    expected to start it within `dispatch_options.start_within`, pick the one where its energy
    costs least (price at the arrival hour × PUE × board power, × run time there for work given
    in FLOP; ties: the first listed, origin city first); if none can, the one expected to start
    it first."""

    name = "cheapest"
    tracks_backlog = True
    hourly = True
    """Whether :meth:`score` depends on the hour of the day."""

    def __init__(self, context: DispatchContext):
        super().__init__(context)
        self.by_score: dict[int, list[tuple[float, int]]] = {}
        """Per hour of the day (one entry if :attr:`hourly` is False): (score, center) of
        every center by increasing score, ties in file order."""
        self.masks: dict[int, tuple[Sequence[int], bytearray]] = {}
        """Per id of an allowed list: the list (kept alive so its id stays its own) and a
        flag per center, set if the center is in it."""
        self.city = [view.city for view in self.centers]
        self.capacity = [view.capacity for view in self.centers]

    def score(self, center: int, now: float) -> float:
        """Energy cost [CNY] of one busy accelerator-second at ``center`` at ``now``."""
        view = self.centers[center]
        hour = int(now // 3600) % 24
        return view.kwh_per_accelerator_s * view.price_by_hour[hour]

    def job_score(self, job: int, center: int, now: float) -> float:
        """:meth:`score` of the job's whole run where its run time depends on the center
        (work in FLOP: a faster pool busies its accelerators for less time)."""
        work = self.context.work
        if work is not None and work[job] == work[job]:
            return self.score(center, now) * self.run_time(job, center)
        return self.score(center, now)

    def choose(self, job: int, now: float) -> int:
        work = self.context.work
        if work is not None and work[job] == work[job]:
            return self.choose_by_scan(job, now, self.context.candidates[job])
        # The score does not depend on the job: the best candidate of the origin city (listed
        # first), then the others by increasing score until one is in time and beats it.
        context, size, origin = self.context, self.context.jobs.size[job], self.context.origin[job]
        deadline = now + context.start_within
        data, links = context.dataset[job], context.links[origin]

        def in_time(center: int) -> bool:
            link = links[self.centers[center].city]
            ready = now if link is None else now + link.expected_duration(data)
            return self.expected_start(center, size, ready) <= deadline

        local, local_score = -1, math.inf
        for center in context.local_candidates[job]:
            score = self.score(center, now)
            if score < local_score and in_time(center):
                local, local_score = center, score
        allowed, city, capacity = self.mask(context.allowed[job]), self.city, self.capacity
        for score, center in self.best_first(now):
            if score >= local_score:
                break  # ties go to the origin city, listed first
            movable = allowed[center] and city[center] != origin and capacity[center] >= size
            if movable and in_time(center):
                return center
        return local if local >= 0 else self.earliest_start(job, now)

    def best_first(self, now: float) -> list[tuple[float, int]]:
        """(score at ``now``, center) of every center by increasing score, ties in file
        order."""
        hour = int(now // 3600) % 24 if self.hourly else 0
        found = self.by_score.get(hour)
        if found is None:
            found = sorted((self.score(center, now), center) for center in range(len(self.city)))
            self.by_score[hour] = found
        return found

    def mask(self, allowed: Sequence[int]) -> bytearray:
        """A flag per center, set for the centers of ``allowed``."""
        found = self.masks.get(id(allowed))
        if found is None or found[0] is not allowed:
            flags = bytearray(len(self.city))
            for center in allowed:
                flags[center] = 1
            found = self.masks[id(allowed)] = (allowed, flags)
        return found[1]

    def choose_by_scan(self, job: int, now: float, candidates: Sequence[int]) -> int:
        """:meth:`choose` for a job whose score depends on the center's speed: every
        candidate's expected start, then the lowest :meth:`job_score` among those in time."""
        starts = self.expected_starts(job, now, candidates)
        deadline = now + self.context.start_within
        soon = [
            center for center, start in zip(candidates, starts, strict=True) if start <= deadline
        ]
        if not soon:
            return candidates[starts.index(min(starts))]
        return min(soon, key=lambda center: self.job_score(job, center, now))


class Greenest(Cheapest):
    """Like `cheapest`, but minimising the job's emissions: among candidates expected to start
    it within `dispatch_options.start_within`, the lowest grid carbon intensity × PUE × board
    power (× run time there for work given in FLOP); if none can, the one expected to start it
    first."""

    name = "greenest"
    hourly = False

    def score(self, center: int, now: float) -> float:
        """Emissions [kgCO2] of one busy accelerator-second at ``center``."""
        view = self.centers[center]
        return view.kwh_per_accelerator_s * view.carbon_intensity

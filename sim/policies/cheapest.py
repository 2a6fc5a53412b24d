"""Cheapest and greenest dispatch: lowest energy cost or carbon among centers that can start
the job soon enough."""

from __future__ import annotations

from collections.abc import Sequence

from sim.policies.base import DispatchContext, Dispatcher

_Plan = tuple[Sequence[int], list[tuple[int, int, int]]]
"""For one allowed list, origin city and tariff: the list (kept alive so its id stays its own)
and its centers as (center, city, capacity) in the order :meth:`Cheapest.choose` prefers them:
by increasing score, ties to the origin city's (in list order), then to the first in file
order."""


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
        self.city = [view.city for view in self.centers]
        self.capacity = [view.capacity for view in self.centers]
        centers = range(len(self.centers))
        by_hour = [
            tuple(self.score(center, hour * 3600.0) for center in centers)
            for hour in range(24 if self.hourly else 1)
        ]
        distinct: dict[tuple[float, ...], int] = {}
        self.tariff = [distinct.setdefault(scores, len(distinct)) for scores in by_hour]
        """Per hour of the day (one entry if :attr:`hourly` is False): which of the distinct
        score lists holds (hours of equal prices share one, and their plans)."""
        self.scores = list(distinct)
        """Per tariff: :meth:`score` of every center."""
        self.plans: list[dict[tuple[int, int], _Plan]] = [{} for _ in distinct]
        """Per tariff, per (id of an allowed list, origin city): its :data:`_Plan`."""

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
        context = self.context
        work = context.work
        if work is not None and work[job] == work[job]:
            return self.choose_by_scan(job, now, context.candidates[job])
        # The score does not depend on the job: the first center in the order of preference
        # that is big enough and in time.
        origin, allowed = context.origin[job], context.allowed[job]
        plan = self.plans[self.tariff[int(now // 3600) % 24 if self.hourly else 0]].get(
            (id(allowed), origin)
        )
        if plan is None or plan[0] is not allowed:
            plan = self.plan(allowed, origin, now)
        size, deadline = context.jobs.size[job], now + context.start_within
        data, links = context.dataset[job], context.links[origin]
        for center, city, capacity in plan[1]:
            if capacity >= size:
                link = links[city]
                ready = now if link is None else now + link.expected_duration(data)
                if self.expected_start(center, size, ready) <= deadline:
                    return center
        return self.earliest_start(job, now)

    def plan(self, allowed: Sequence[int], origin: int, now: float) -> _Plan:
        """The :data:`_Plan` of an allowed list from ``origin`` at ``now``'s tariff, made
        once."""
        tariff = self.tariff[int(now // 3600) % 24 if self.hourly else 0]
        plans, key = self.plans[tariff], (id(allowed), origin)
        found = plans.get(key)
        if found is None or found[0] is not allowed:
            scores, city, capacity = self.scores[tariff], self.city, self.capacity

            def preference(listed: tuple[int, int]) -> tuple[float, bool, int]:
                position, center = listed
                away = city[center] != origin
                return scores[center], away, center if away else position

            preferred = [
                (center, city[center], capacity[center])
                for _, center in sorted(enumerate(allowed), key=preference)
            ]
            found = plans[key] = (allowed, preferred)
        return found

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

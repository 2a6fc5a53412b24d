"""Cheapest and greenest dispatch: lowest energy cost or carbon among centers that can start
the job soon enough."""

from __future__ import annotations

from sim.policies.base import Dispatcher


class Cheapest(Dispatcher):
    """Among the job's candidates (reachable within its latency budget, of a type it accepts)
    expected to start it within `dispatch_options.start_within`, pick the one where its energy
    costs least (price at the arrival hour × PUE × board power, × run time there for work given
    in FLOP; ties: the first listed, origin city first); if none can, the one expected to start
    it first."""

    name = "cheapest"
    tracks_backlog = True

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
        candidates = self.context.candidates[job]
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

    def score(self, center: int, now: float) -> float:
        """Emissions [kgCO2] of one busy accelerator-second at ``center``."""
        view = self.centers[center]
        return view.kwh_per_accelerator_s * view.carbon_intensity

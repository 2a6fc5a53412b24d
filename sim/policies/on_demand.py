"""On-demand dispatch: compute "like water and electricity", wherever it is free soonest."""

from __future__ import annotations

from sim.policies.base import Dispatcher


class OnDemand(Dispatcher):
    """Send each job to the center where it is expected to finish earliest, counting the time
    to move its data there, the center's queue and running work (ties: the first listed)."""

    name = "on-demand"
    tracks_backlog = True

    def choose(self, job: int, now: float) -> int:
        return self.earliest_finish(job, now)

"""Spread placement: a job goes where the most accelerators are free (least allocated first)."""

from __future__ import annotations

from sim.policies.placement import Placement, take_in_order


class Spread(Placement):
    """A job takes accelerators from the servers with the most free first (worst fit, as
    Kubernetes' LeastAllocated scoring), spanning several servers when no one server holds it.
    Any free accelerators will do, as in `pool`, but a job is spread over more servers, so it
    is exposed to more server failures and leaves fewer whole servers free.
    """

    name = "spread"

    def choose(self, size: int) -> list[tuple[int, int]] | None:
        by_free = [server for bucket in reversed(self.buckets[1:]) for server in sorted(bucket)]
        return take_in_order(self, size, by_free)

    def usable_from(self, size: int) -> int:
        return 1

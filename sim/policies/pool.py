"""Pool placement: a center is one pool of interchangeable accelerators."""

from __future__ import annotations

from sim.policies.placement import Placement, take_in_order


class Pool(Placement):
    """Any free accelerators will do, whatever server they sit on (the default: capsim's
    results before servers were modelled). The scheduler then only counts free accelerators,
    so this placement object is never consulted at run time and fragmentation is not measured.
    """

    name = "pool"
    pooled = True

    def choose(self, size: int) -> list[tuple[int, int]] | None:
        return take_in_order(self, size, range(self.servers))

    def usable_from(self, size: int) -> int:
        return 1

"""Consolidate placement: the gang scheduler's rule of Helios and Philly — a job uses as few
servers as it can."""

from __future__ import annotations

from sim.policies.placement import Placement


class Consolidate(Placement):
    """A job of at most one server's accelerators runs inside one server, the one with the
    fewest free accelerators that can hold it (best fit); a larger job takes whole free servers,
    plus, when its size is not a multiple of the server size, the remainder on one more server
    (best fit again). Ties go to the lowest-numbered server.

    This is the placement of the Helios simulator (SC'21 artifact, `consolidate`) and of the
    gang schedulers it models: a job never spans more servers than it must, so idle
    accelerators scattered over partly used servers cannot serve a job larger than the biggest
    scatter (fragmentation).
    """

    name = "consolidate"

    def choose(self, size: int) -> list[tuple[int, int]] | None:
        per_server, buckets = self.per_server, self.buckets
        whole, rest = divmod(size, per_server)
        if whole and len(buckets[per_server]) < whole:
            return None
        chosen = [(server, per_server) for server in sorted(buckets[per_server])[:whole]]
        if rest:
            partial = self._best_fit(rest, taken=len(chosen))
            if partial is None:
                return None
            chosen.append((partial, rest))
        return chosen

    def _best_fit(self, size: int, taken: int) -> int | None:
        """The server with the fewest free accelerators >= ``size``, skipping the ``taken``
        lowest-numbered whole free servers already chosen."""
        buckets = self.buckets
        for free in range(size, self.per_server):
            if buckets[free]:
                return min(buckets[free])
        spare = sorted(buckets[self.per_server])[taken : taken + 1]
        return spare[0] if spare else None

    def usable_from(self, size: int) -> int:
        rest = size % self.per_server
        return size if size < self.per_server else rest or self.per_server

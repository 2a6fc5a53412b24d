"""Finding the candidate where a job starts (or ends) first without looking at every candidate.

A job's expected start at a center (:meth:`Dispatcher.expected_start`, after its data has
moved) is never earlier than ``now + size / bandwidth + latency`` of the link to the center's
city: the transfer alone at full bandwidth. The candidates are kept in groups of equal link
(latency, bandwidth), nearest first, each in candidate order; the search visits the groups
in that order and stops as soon as no center left could beat the best found, counting ties
by candidate order. In a network where the first centers looked at can start the job now or
soon, a job looks at a few centers whatever their number; when every center has a queue it
looks at all of them, as a plain scan does.

The bounds are taken with the same floating-point operations as the estimates, which are
monotone in each operand, so a bound is never above the estimate it bounds and the choice is
the plain scan's to the last bit (``tests/unit/test_dispatch_search.py`` checks it against
one).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.policies.base import Dispatcher


@dataclass(frozen=True)
class _Group:
    """Candidates behind links of the same latency and bandwidth (or in the origin city)."""

    latency: float
    """Round-trip latency [s]; 0 within the origin city."""
    bandwidth: float
    """Bandwidth [bytes/s]; inf within the origin city."""
    members: tuple[tuple[int, int, int], ...]
    """(position among the candidates, center, city), in candidate order."""
    fastest: float
    """Highest peak FLOP/s of an accelerator among the members [FLOP/s]."""


class CandidateSearch:
    """The earliest expected start (or end) among a job's candidates, nearest groups first.

    Works on the centers allowed for the job's class and origin (one list, and one grouping,
    per class and origin, whatever the job's size) and passes over those too small for the
    job: they are not candidates, and the others keep their order.
    """

    def __init__(self, dispatcher: Dispatcher):
        self.dispatcher = dispatcher
        context = dispatcher.context
        self.allowed = context.allowed
        self.links = context.links
        self.origin = context.origin
        self.dataset = context.dataset
        self.work = context.work
        self.size = context.jobs.size
        self.city = [view.city for view in context.centers]
        self.capacity = [view.capacity for view in context.centers]
        self.peak_flops = [view.peak_flops for view in context.centers]
        self.groups: dict[tuple[int, int], tuple[Sequence[int], list[_Group], float]] = {}
        """Per (id of an allowed list, origin city): the list (kept alive so its id stays its
        own), its groups nearest first and the fastest peak FLOP/s among them."""
        self.members: list[tuple[int, int, int]] | None = None
        """Per center, its member of a group in a uniform network (see :meth:`_group_uniform`)."""

    def earliest(self, job: int, now: float, finish: bool) -> int:
        """The candidate where ``job`` is expected to start first or, with ``finish`` and a
        job given in FLOP, to end first (the first listed on ties): the center that the
        minimum of :meth:`Dispatcher.expected_starts` (plus the run time there) gives."""
        origin = self.origin[job]
        groups, fastest = self._groups(origin, self.allowed[job])
        work = self.work[job] if finish and self.work is not None else math.nan
        timed = work == work  # not NaN: the job's run time depends on the center
        data, size = self.dataset[job], self.size[job]
        links, peak_flops, capacity = self.links[origin], self.peak_flops, self.capacity
        expected_start = self.dispatcher.expected_start
        best_key, best_position, best = math.inf, sys.maxsize, -1  # no position is listed later
        for group in groups:
            floor = now + group.latency
            if timed:
                floor = floor + work / fastest
            if floor > best_key:
                break  # later groups are no nearer
            if group.bandwidth == math.inf:  # the origin city: no data to move
                bound = now
            else:
                bound = now + (data / group.bandwidth + group.latency)
            if timed:
                bound = bound + work / group.fastest
            if bound > best_key:
                continue
            for position, center, city in group.members:
                if bound == best_key and position > best_position:
                    break  # the rest of the group can at best tie, listed later
                if capacity[center] < size:
                    continue
                link = links[city]
                ready = now if link is None else now + link.expected_duration(data)
                key = expected_start(center, size, ready)
                if timed:
                    key = key + work / peak_flops[center]
                if key < best_key or (key == best_key and position < best_position):
                    best_key, best_position, best = key, position, center
        return best

    def _groups(self, origin: int, allowed: Sequence[int]) -> tuple[list[_Group], float]:
        key = (id(allowed), origin)
        found = self.groups.get(key)
        if found is None or found[0] is not allowed:
            found = (allowed, *self._group(origin, allowed))
            self.groups[key] = found
        return found[1], found[2]

    def _group(self, origin: int, allowed: Sequence[int]) -> tuple[list[_Group], float]:
        uniform = self.links[origin].uniform
        if uniform is not None:
            shared = self._group_uniform(origin, allowed, uniform)
            if shared is not None:
                return shared
        route, city_of, peak_flops = self.links[origin].route, self.city, self.peak_flops
        local = (0.0, math.inf)
        members: dict[tuple[float, float], list[tuple[int, int, int]]] = {}
        for position, center in enumerate(allowed):
            city = city_of[center]
            link = route(city) or local
            found = members.get(link)
            if found is None:
                found = members[link] = []
            found.append((position, center, city))
        # Nearest first; among equal latencies, the widest link (the lowest bound) first.
        order = sorted(members, key=lambda link: (link[0], -link[1]))
        groups = [
            _Group(
                latency=link[0],
                bandwidth=link[1],
                members=tuple(members[link]),
                fastest=max(peak_flops[center] for _, center, _ in members[link]),
            )
            for link in order
        ]
        fastest = max((group.fastest for group in groups), default=math.inf)
        return groups, fastest

    def _group_uniform(
        self, origin: int, allowed: Sequence[int], link: tuple[float, float]
    ) -> tuple[list[_Group], float] | None:
        """:meth:`_group` when every other city is behind the same ``link``: the origin's
        centers, then one group of all the others, built from members shared by every origin
        (a member's position is its center's index past every local one, so the order, all a
        position is used for, stays the candidates' order). At 1,000 cities, one tuple per
        (origin, center) cost seconds and hundreds of MB. None when ``allowed`` is not the
        origin's centers followed by the others in file order (then :meth:`_group` groups)."""
        city_of = self.city
        local = 0
        while local < len(allowed) and city_of[allowed[local]] == origin:
            local += 1
        others = allowed[local:]
        if origin in map(city_of.__getitem__, others) or others != sorted(others):
            return None
        if self.members is None:
            offset = len(city_of)
            self.members = [(offset + c, c, city) for c, city in enumerate(city_of)]
        peak_flops = self.peak_flops.__getitem__
        groups = []
        if local:
            members = tuple((p, c, origin) for p, c in enumerate(allowed[:local]))
            groups.append(_Group(0.0, math.inf, members, max(map(peak_flops, allowed[:local]))))
        if others:
            shared = tuple(map(self.members.__getitem__, others))
            groups.append(_Group(*link, shared, max(map(peak_flops, others))))
        fastest = max((group.fastest for group in groups), default=math.inf)
        return groups, fastest

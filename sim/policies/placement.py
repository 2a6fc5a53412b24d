"""What a placement policy is: where, on a center's servers, a job that is next in line runs.

The local scheduler decides which job is next; the placement decides whether it fits and on
which servers. A center's accelerators sit ``per_server`` to a server (`accelerators_per_server`
of the scenario). `pool` ignores servers (any free accelerators will do: capsim's behaviour
before servers existed, and the default); the others keep each server's free accelerators and
place a job on some of them. A failure of one server interrupts every job placed on it, so the
failure model counts the servers a job was placed on (:meth:`Placement.servers_of`).

Placements register themselves by ``name``, like the local policies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar

from sim.policies.base import UnknownPolicyError


class Placement:
    """Servers of one center and the jobs placed on them.

    Each server has a *limit* (accelerators it may use now: ``per_server``, less for the last
    server of an odd count or while capacity is cut) and *used* accelerators; servers are kept
    in buckets by their free accelerators, so a fit is found in O(``per_server``).
    """

    registry: ClassVar[dict[str, type[Placement]]] = {}
    name: ClassVar[str] = ""
    pooled: ClassVar[bool] = False
    """True for `pool`: the scheduler then counts free accelerators only (its fast path)."""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            Placement.registry[cls.name.lower()] = cls

    def __init__(self, capacity: int, per_server: int, installed: int):
        """
        Parameters
        ----------
        capacity
            Accelerators that may be busy at the start [-].
        per_server
            Accelerators per server [-].
        installed
            The most accelerators the center ever has [-]: the servers that exist.
        """
        self.per_server = per_server
        self.servers = max(math.ceil(max(installed, capacity) / per_server), 1)
        self.limit = [0] * self.servers
        self.used = [0] * self.servers
        self.buckets: list[set[int]] = [set() for _ in range(per_server + 1)]
        """Servers by their free accelerators (0 for a server over its limit)."""
        self.buckets[0].update(range(self.servers))
        self.placed: dict[int, list[tuple[int, int]]] = {}
        """(server, accelerators) of each placed job."""
        self.set_capacity(capacity)

    def free_on(self, server: int) -> int:
        return max(self.limit[server] - self.used[server], 0)

    def _move(self, server: int, used: int) -> None:
        self.buckets[self.free_on(server)].discard(server)
        self.used[server] = used
        self.buckets[self.free_on(server)].add(server)

    def set_capacity(self, capacity: int) -> None:
        """From now at most ``capacity`` accelerators may be used: the servers fill in index
        order, so a cut takes servers from the end (their running jobs run on)."""
        for server in range(self.servers):
            self.buckets[self.free_on(server)].discard(server)
            self.limit[server] = min(max(capacity - server * self.per_server, 0), self.per_server)
            self.buckets[self.free_on(server)].add(server)

    def fits(self, size: int) -> bool:
        """Whether a job of ``size`` accelerators can be placed now."""
        return self.choose(size) is not None

    def choose(self, size: int) -> list[tuple[int, int]] | None:
        """(server, accelerators) to place a job of ``size`` on, or None if it does not fit."""
        raise NotImplementedError

    def place(self, job: int, size: int) -> None:
        chosen = self.choose(size)
        assert chosen is not None, "placed a job that does not fit"
        for server, count in chosen:
            self._move(server, self.used[server] + count)
        self.placed[job] = chosen

    def remove(self, job: int) -> None:
        for server, count in self.placed.pop(job):
            self._move(server, self.used[server] - count)

    def overfull(self) -> bool:
        """Whether a capacity cut left some server with more jobs on it than it may hold."""
        return any(used > limit for used, limit in zip(self.used, self.limit, strict=True))

    def on_overfull(self, job: int) -> bool:
        """Whether the running ``job`` sits on a server that is over its limit."""
        return any(self.used[server] > self.limit[server] for server, _ in self.placed[job])

    def servers_of(self, job: int) -> int:
        """Servers the running ``job`` is placed on [-]."""
        return len(self.placed[job])

    def usable_from(self, size: int) -> int:
        """The fewest free accelerators a server needs for a job of ``size`` that fits now to
        use it [-]."""
        raise NotImplementedError

    def fragmented(self, queued: Mapping[int, int]) -> int:
        """Free accelerators that no queued job can use now [-]: those of servers with fewer
        free than any job of ``queued`` ({size: jobs}) that fits could use."""
        threshold = min(
            (self.usable_from(size) for size, count in queued.items() if count and self.fits(size)),
            default=self.per_server + 1,
        )
        buckets = self.buckets
        return sum(free * len(buckets[free]) for free in range(1, min(threshold, len(buckets))))


def take_in_order(
    placement: Placement, size: int, servers: range | list[int]
) -> list[tuple[int, int]] | None:
    """Take free accelerators server after server, in the order given, until ``size``."""
    chosen, need = [], size
    for server in servers:
        free = placement.free_on(server)
        if free:
            take = min(free, need)
            chosen.append((server, take))
            need -= take
            if not need:
                return chosen
    return None


def placement_policy(name: str) -> type[Placement]:
    """The placement class registered under ``name`` (case-insensitive)."""
    try:
        return Placement.registry[name.lower()]
    except KeyError:
        raise UnknownPolicyError("placement", name, list(Placement.registry)) from None

"""Data transfers over the links between cities.

Each direction of a link is a processor-sharing server: the transfers on it at the same time
share its bandwidth equally, and a transfer ends ``latency`` after its last byte has gone
through. A lone transfer of S bytes on a link of bandwidth B [bytes/s] and round-trip latency L
therefore takes S / B + L.
"""

from __future__ import annotations

from collections.abc import Callable

Schedule = Callable[[float, Callable[[], None]], None]
"""Call the function after a delay [s]; provided by the engine."""

FINISHED_SECONDS = 1e-6
"""A transfer with less than this much time left at full bandwidth counts as done [s]
(absorbs floating-point residue)."""


class SharedLink:
    """One direction of a link: concurrent transfers share its bandwidth equally."""

    def __init__(
        self,
        bandwidth_bytes: float,
        latency: float,
        schedule: Schedule,
        done: Callable[[int], None],
    ):
        self.bandwidth = bandwidth_bytes
        self.latency = latency
        self.schedule = schedule
        self.done = done
        self.remaining: dict[int, float] = {}
        """Bytes still to send, per job."""
        self.t_last = 0.0
        self.version = 0
        """Bumped at every change, so wake-ups planned before it are recognised as stale."""

    @property
    def active(self) -> int:
        """Transfers in progress [-]."""
        return len(self.remaining)

    def expected_duration(self, size: float) -> float:
        """Time a new transfer of ``size`` bytes would take at the current sharing [s]."""
        return size * (self.active + 1) / self.bandwidth + self.latency

    def send(self, job: int, size: float, now: float) -> None:
        """Start moving ``size`` bytes for ``job`` at ``now``."""
        self._advance(now)
        if size <= self.bandwidth * FINISHED_SECONDS:
            self._deliver(job)
            return
        self.remaining[job] = size
        self._plan(now)

    def _advance(self, now: float) -> None:
        if self.remaining:
            sent = self.bandwidth / len(self.remaining) * (now - self.t_last)
            for job in self.remaining:
                self.remaining[job] -= sent
        self.t_last = now

    def _plan(self, now: float) -> None:
        self.version += 1
        if not self.remaining:
            return
        rate = self.bandwidth / len(self.remaining)
        first = min(self.remaining, key=self.remaining.__getitem__)
        delay = max(self.remaining[first], 0.0) / rate
        version = self.version
        self.schedule(delay, lambda: self._wake(version, first, now + delay))

    def _wake(self, version: int, first: int, now: float) -> None:
        if version != self.version:
            return  # the sharing changed since this wake-up was planned
        self._advance(now)
        self.remaining[first] = 0.0
        residue = self.bandwidth * FINISHED_SECONDS
        finished = [job for job, left in self.remaining.items() if left <= residue]
        for job in finished:
            del self.remaining[job]
            self._deliver(job)
        self._plan(now)

    def _deliver(self, job: int) -> None:
        if self.latency > 0:
            self.schedule(self.latency, lambda: self.done(job))
        else:
            self.done(job)

"""Data transfers over the links between cities.

Each direction of a link is a processor-sharing server: the transfers on it at the same time
share its bandwidth equally, and a transfer ends ``latency`` after its last byte has gone
through. A lone transfer of S bytes on a link of bandwidth B [bytes/s] and round-trip latency L
therefore takes S / B + L.

A link plans one wake-up at a time, for the transfer that will finish first at the current
sharing; a change of sharing (a transfer starts or ends) plans a new one, and the wake-ups
planned before it are recognised as stale by the link's version. The wake-ups and deliveries
are scheduled with their callback and value, not a closure each: the national year moves
~10^7 jobs' data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class Fired(Protocol):
    """What a scheduled callback receives from the engine: the event that fired, whose
    ``_value`` is the value it was scheduled with."""

    _value: Any


Schedule = Callable[[float, object, Callable[[Fired], None]], object]
"""``schedule(delay, value, callback)``: call ``callback`` after ``delay`` [s] with an event
carrying ``value`` (what it returns is not used); provided by the engine."""

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
        self.first = -1
        """The job the latest wake-up is planned for: the first to finish [-]."""
        self.wake_time = 0.0
        """When the latest wake-up is planned [s]."""
        # Bound once: a bound method made per transfer costs measurable time at 10^7 jobs.
        self._on_wake = self._wake
        self._on_arrival = self._arrival

    @property
    def active(self) -> int:
        """Transfers in progress [-]."""
        return len(self.remaining)

    def expected_duration(self, size: float) -> float:
        """Time a new transfer of ``size`` bytes would take at the current sharing [s]."""
        return size * (len(self.remaining) + 1) / self.bandwidth + self.latency

    def send(self, job: int, size: float, now: float) -> None:
        """Start moving ``size`` bytes for ``job`` at ``now``."""
        remaining = self.remaining
        if remaining:
            self._advance(now)
        else:
            self.t_last = now
        if size <= self.bandwidth * FINISHED_SECONDS:
            self._deliver(job)
        elif remaining:
            remaining[job] = size
            self._plan(now)
        else:  # alone on the link: _plan's wake-up, without the search for the first to end
            remaining[job] = size
            self.version += 1
            delay = size / self.bandwidth
            self.first, self.wake_time = job, now + delay
            self.schedule(delay, self.version, self._on_wake)

    def _advance(self, now: float) -> None:
        remaining = self.remaining
        if remaining:
            sent = self.bandwidth / len(remaining) * (now - self.t_last)
            for job in remaining:
                remaining[job] -= sent
        self.t_last = now

    def _plan(self, now: float) -> None:
        self.version += 1
        remaining = self.remaining
        if not remaining:
            return
        rate = self.bandwidth / len(remaining)
        if len(remaining) == 1:
            first = next(iter(remaining))
        else:
            first = min(remaining, key=remaining.__getitem__)
        delay = max(remaining[first], 0.0) / rate
        self.first, self.wake_time = first, now + delay
        self.schedule(delay, self.version, self._on_wake)

    def _wake(self, event: Fired) -> None:
        if event._value != self.version:
            return  # the sharing changed since this wake-up was planned
        now, remaining = self.wake_time, self.remaining
        if len(remaining) == 1:  # the lone transfer ends: nothing else to bring up to date
            remaining.clear()
            self.t_last = now
            self._deliver(self.first)
        else:
            self._advance(now)
            remaining[self.first] = 0.0
            residue = self.bandwidth * FINISHED_SECONDS
            finished = [job for job, left in remaining.items() if left <= residue]
            for job in finished:
                del remaining[job]
                self._deliver(job)
        self._plan(now)

    def _deliver(self, job: int) -> None:
        if self.latency > 0:
            self.schedule(self.latency, job, self._on_arrival)
        else:
            self.done(job)

    def _arrival(self, event: Fired) -> None:
        self.done(event._value)

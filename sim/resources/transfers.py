"""Data transfers over the links between cities.

Each direction of a link is a processor-sharing server: the transfers on it at the same time
share its bandwidth equally, and a transfer ends ``latency`` after its last byte has gone
through. A lone transfer of S bytes on a link of bandwidth B [bytes/s] and round-trip latency L
therefore takes S / B + L.

How it runs (the national year moves ~10^7 jobs' data, most of them alone on their link):
a transfer that starts on an idle link schedules its delivery at once, S / B + L ahead, and
nothing else; the link only notes when its last byte goes. If another transfer starts before
then, the two share the link from that moment: the delivery planned is called off, and the
link plans one wake-up at a time, for the transfer that will finish first at the current
sharing (a change of sharing plans a new one, the link's version marking the ones before it
stale), each finished transfer scheduling its delivery ``latency`` later.

Every time is the same float the step-by-step model gives (an end is the time of the change
before it plus the remaining bytes over the rate, a delivery the end plus the latency). The
one thing that can differ is the order of two events at exactly the same instant: a lone
transfer's delivery is scheduled when it starts rather than when its last byte goes, so it
goes before an event for that very instant scheduled in between.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol


class Schedule(Protocol):
    """The run's clock, as the engine gives it to the links."""

    @property
    def now(self) -> float:
        """The current simulated time [s]."""
        ...

    def at(self, time: float, value: Any, callback: Callable[[Any], None]) -> None:
        """Call ``callback(value)`` at ``time`` [s]."""
        ...


NONE = -math.inf
"""The end of the lone transfer when there is none [s]."""

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
        self.clock = schedule
        self.at = schedule.at
        self.done = done
        self.remaining: dict[int, float] = {}
        """Bytes still to send, per job, while transfers share the link."""
        self.t_last = 0.0
        self.version = 0
        """Bumped at every change, so wake-ups planned before it are recognised as stale."""
        self.first = -1
        """The job the latest wake-up is planned for: the first to finish [-]."""
        self.wake_time = 0.0
        """When the latest wake-up is planned [s]."""
        self.lone = -1
        """The job of the transfer that started alone on the idle link [-]."""
        self.lone_left = 0.0
        """Its bytes still to send at :attr:`t_last` [bytes]."""
        self.lone_end = NONE
        """When its last byte goes, unless another transfer starts before [s]; :data:`NONE`
        once it shares the link or has been delivered."""
        self.called_off: set[int] = set()
        """Jobs whose delivery was planned alone but that came to share the link."""
        # Bound once: a bound method made per transfer costs measurable time at 10^7 jobs.
        self._on_wake = self._wake
        self._on_arrival = self._arrival
        self._on_lone_arrival = self._lone_arrival

    @property
    def active(self) -> int:
        """Transfers in progress [-]."""
        lone_end = self.lone_end
        # The clock is read only while a lone transfer's delivery is pending.
        return len(self.remaining) or int(lone_end > NONE and lone_end > self.clock.now)

    def expected_duration(self, size: float) -> float:
        """Time a new transfer of ``size`` bytes would take at the current sharing [s]."""
        lone_end = self.lone_end  # inline :attr:`active`: dispatchers ask at every job
        active = len(self.remaining) or (lone_end > NONE and lone_end > self.clock.now)
        return size * (active + 1) / self.bandwidth + self.latency

    def send(self, job: int, size: float, now: float) -> None:
        """Start moving ``size`` bytes for ``job`` at ``now``."""
        remaining = self.remaining
        if self.lone_end > now:  # a transfer is under way alone
            # What _advance does with one transfer (bandwidth / 1 is the bandwidth exactly).
            self.lone_left -= self.bandwidth * (now - self.t_last)
            self.t_last = now
            if size <= self.bandwidth * FINISHED_SECONDS:
                self._deliver(job, now)
                return
            # The two share the link from now on.
            remaining[self.lone] = self.lone_left
            self.called_off.add(self.lone)
            self.lone_end = NONE
            remaining[job] = size
            self._plan(now)
            return
        if remaining:
            self._advance(now)
        else:
            self.t_last = now
        if size <= self.bandwidth * FINISHED_SECONDS:
            self._deliver(job, now)
        elif remaining:
            remaining[job] = size
            self._plan(now)
        else:  # alone on the idle link: its delivery is known unless another one starts
            self.lone, self.lone_left = job, size
            self.lone_end = now + size / self.bandwidth
            self.at(self.lone_end + self.latency, job, self._on_lone_arrival)

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
        self.at(self.wake_time, self.version, self._on_wake)

    def _wake(self, version: int) -> None:
        if version != self.version:
            return  # the sharing changed since this wake-up was planned
        now, remaining = self.wake_time, self.remaining
        if len(remaining) == 1:  # the last transfer ends: nothing else to bring up to date
            remaining.clear()
            self.t_last = now
            self._deliver(self.first, now)
        else:
            self._advance(now)
            remaining[self.first] = 0.0
            residue = self.bandwidth * FINISHED_SECONDS
            finished = [job for job, left in remaining.items() if left <= residue]
            for job in finished:
                del remaining[job]
                self._deliver(job, now)
        self._plan(now)

    def _deliver(self, job: int, now: float) -> None:
        if self.latency > 0:
            self.at(now + self.latency, job, self._on_arrival)
        else:
            self.done(job)

    def _arrival(self, job: int) -> None:
        self.done(job)

    def _lone_arrival(self, job: int) -> None:
        if self.called_off and job in self.called_off:
            self.called_off.remove(job)
            return
        if job == self.lone:
            self.lone_end = NONE
        self.done(job)

"""The shared links deliver every transfer when the step-by-step processor-sharing model does,
to the last bit, though a transfer alone on its link has a single event."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import simpy

from sim.engine import _Clock, _Wakeup
from sim.resources.transfers import FINISHED_SECONDS, SharedLink


class StepByStepLink:
    """The reference: every change of sharing brings every transfer up to date and plans a
    wake-up for the first to finish; a finished transfer is delivered ``latency`` later."""

    def __init__(self, env: simpy.Environment, bandwidth: float, latency: float, done):
        self.env, self.bandwidth, self.latency, self.done = env, bandwidth, latency, done
        self.remaining: dict[int, float] = {}
        self.t_last = 0.0
        self.version = 0

    def schedule(self, delay: float, action: Callable[[], None]) -> None:
        _Wakeup(self.env, delay, 0, lambda event: action())

    def expected_duration(self, size: float) -> float:
        return size * (len(self.remaining) + 1) / self.bandwidth + self.latency

    def send(self, job: int, size: float, now: float) -> None:
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
            return
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


def run(make, sends: list[tuple[float, float]], probes: list[float]):
    """Deliveries (job, time) in the order they happen, and the expected duration of a 1 GB
    transfer at each probe time (taken as a dispatcher does: after the events of that instant)."""
    env = simpy.Environment()
    delivered: list[tuple[int, float]] = []
    link = make(env, lambda job: delivered.append((job, env.now)))
    expected: list[float] = []

    def at(time: float, action: Callable[[], None]) -> None:
        # After the events of the instant, as the engine's loop takes arrivals (priority 2).
        event = simpy.Event(env)
        event.callbacks.append(lambda _: action())
        event._ok, event._value = True, None
        env.schedule(event, priority=2, delay=time)

    for job, (start, size) in enumerate(sends):
        at(start, lambda job=job, size=size: link.send(job, size, env.now))
    for probe in probes:
        at(probe, lambda: expected.append(link.expected_duration(1e9)))
    env.run()
    return delivered, expected


@pytest.mark.parametrize("latency", [0.0, 0.02])
@pytest.mark.parametrize("seed", range(6))
def test_same_deliveries_as_the_step_by_step_model(seed, latency):
    rng = np.random.default_rng(seed)
    bandwidth = 50e9
    n = 300
    # Busy and idle stretches, ties in start times, tiny transfers that take no bandwidth.
    gaps = rng.exponential(rng.choice([0.5, 5.0, 50.0]), n)
    gaps[rng.random(n) < 0.1] = 0.0
    starts = np.cumsum(gaps)
    sizes = rng.choice([1e3, 5e10, 5e11, 2e13], n, p=[0.1, 0.5, 0.3, 0.1])
    sends = list(zip(starts.tolist(), sizes.tolist(), strict=True))
    probes = np.sort(rng.uniform(0, starts[-1], 200)).tolist() + starts[::7].tolist()
    fast = run(lambda env, done: SharedLink(bandwidth, latency, _Clock(env), done), sends, probes)
    reference = run(lambda env, done: StepByStepLink(env, bandwidth, latency, done), sends, probes)
    assert len(fast[0]) == n
    assert fast == reference


@pytest.mark.parametrize("latency", [0.0, 1.0])
def test_same_deliveries_when_transfers_start_as_others_end(latency):
    """Whole seconds and sizes: transfers start at the very instant others send their last
    byte (the link is then idle), and end together."""
    rng = np.random.default_rng(1)
    n = 300
    starts = np.cumsum(rng.choice([0, 1, 2, 3, 5], n)).astype(float)
    sizes = rng.choice([1e9, 2e9, 3e9, 5e9], n)
    sends = list(zip(starts.tolist(), sizes.tolist(), strict=True))
    probes = starts.tolist()
    fast = run(lambda env, done: SharedLink(1e9, latency, _Clock(env), done), sends, probes)
    reference = run(lambda env, done: StepByStepLink(env, 1e9, latency, done), sends, probes)
    assert fast == reference


def test_a_lone_transfer_counts_until_its_last_byte_goes():
    env = simpy.Environment()
    delivered: dict[int, float] = {}
    link = SharedLink(1e9, 0.5, _Clock(env), lambda job: delivered.update({job: env.now}))
    link.send(0, 4e9, 0.0)  # its last byte goes at 4 s
    env.run(until=1.0)
    assert link.active == 1
    assert link.expected_duration(1e9) == 2.0 + 0.5
    env.run(until=4.0)  # a dispatcher at 4 s sees the link idle
    assert link.active == 0
    assert link.expected_duration(1e9) == 1.0 + 0.5
    env.run()
    assert delivered == {0: 4.5}

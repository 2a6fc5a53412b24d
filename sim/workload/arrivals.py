"""Arrival processes: the arrival times of one workload class over a horizon."""

from __future__ import annotations

import math

import numpy as np

from sim.scenario import schema
from sim.workload.distributions import Distribution, Exponential, from_spec


def interarrival_distribution(spec: schema.PoissonArrival | schema.RenewalArrival) -> Distribution:
    """The distribution of the time between arrivals [s]."""
    if isinstance(spec, schema.PoissonArrival):
        return Exponential(1.0 / spec.rate)
    return from_spec(spec.interarrival)


def expected_arrivals(spec: schema.PoissonArrival | schema.RenewalArrival, horizon: float) -> float:
    """Mean number of arrivals in ``horizon`` seconds (infinite if arrivals never space out)."""
    mean_gap = interarrival_distribution(spec).mean
    return horizon / mean_gap if mean_gap > 0 else math.inf


def renewal_times(gaps: Distribution, rng: np.random.Generator, horizon: float) -> np.ndarray:
    """Arrival times in [0, horizon) of a renewal process with the given gaps [s].

    Gaps are drawn in chunks sized from the expected count, so the work is a few vectorised
    calls whatever the horizon.
    """
    expected = horizon / gaps.mean
    chunk = int(expected + 6 * math.sqrt(expected) + 16)
    chunks = []
    t = 0.0
    while t < horizon:
        times = t + np.cumsum(gaps.sample(rng, chunk))
        chunks.append(times)
        t = float(times[-1])
        chunk = int((horizon - t) / gaps.mean * 1.1) + 16
    times = np.concatenate(chunks)
    return times[: np.searchsorted(times, horizon, side="left")]

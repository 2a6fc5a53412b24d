"""Distributions that know how to sample and what their mean is (after Ciw).

Each distribution samples many values at once from a :class:`numpy.random.Generator`, so the
demand of a whole run is drawn in a few vectorised calls. :func:`from_spec` builds one from its
validated scenario spec.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from sim.scenario import schema


class Distribution(Protocol):
    """What the engine needs of a distribution."""

    @property
    def mean(self) -> float: ...

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray: ...


@dataclass(frozen=True)
class Fixed:
    value: float

    @property
    def mean(self) -> float:
        return float(self.value)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value)


@dataclass(frozen=True)
class Exponential:
    mean_value: float

    @property
    def mean(self) -> float:
        return self.mean_value

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean_value, n)


@dataclass(frozen=True)
class Lognormal:
    median: float
    sigma: float

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.lognormal(math.log(self.median), self.sigma, n)


@dataclass(frozen=True)
class Uniform:
    low: float
    high: float

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)


@dataclass(frozen=True)
class UniformInt:
    """Whole numbers from ``low`` to ``high`` inclusive."""

    low: int
    high: int

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.integers(self.low, self.high + 1, n)


@dataclass(frozen=True)
class Choice:
    """``values`` with probabilities proportional to ``weights``; also used for empirical data."""

    values: np.ndarray
    probabilities: np.ndarray = field(repr=False)

    @classmethod
    def of(cls, values: list[float] | list[int], weights: list[float] | None = None) -> Choice:
        array = np.asarray(values)
        p = np.ones(len(array)) if weights is None else np.asarray(weights, dtype=float)
        return cls(array, p / p.sum())

    @property
    def mean(self) -> float:
        return float(np.dot(self.values, self.probabilities))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.values[rng.choice(len(self.values), size=n, p=self.probabilities)]


@dataclass(frozen=True)
class Empirical:
    """Observed values resampled with replacement (the empirical distribution)."""

    samples: np.ndarray

    @property
    def mean(self) -> float:
        return float(self.samples.mean())

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.samples[rng.integers(0, len(self.samples), n)]


def from_spec(spec: object) -> Distribution:
    """Build the distribution a validated scenario spec describes."""
    match spec:
        case (
            schema.FixedSize(value=value)
            | schema.FixedDuration(value=value)
            | schema.FixedAmount(value=value)
        ):
            return Fixed(value)
        case schema.ExponentialDuration(mean=mean):
            return Exponential(mean)
        case (
            schema.LognormalDuration(median=median, sigma=sigma)
            | schema.LognormalAmount(median=median, sigma=sigma)
        ):
            return Lognormal(median, sigma)
        case schema.UniformSize(low=low, high=high):
            return UniformInt(low, high)
        case schema.UniformDuration(low=low, high=high) | schema.UniformAmount(low=low, high=high):
            return Uniform(low, high)
        case (
            schema.ChoiceSize(values=values, weights=weights)
            | schema.ChoiceDuration(values=values, weights=weights)
            | schema.ChoiceAmount(values=values, weights=weights)
        ):
            return Choice.of(values, weights)
        case schema.EmpiricalSize(samples=samples) | schema.EmpiricalDuration(samples=samples):
            if samples is None:
                raise ValueError("empirical samples were not loaded from their file")
            return Empirical(np.asarray(samples))
    raise TypeError(f"not a distribution spec: {spec!r}")


@dataclass(frozen=True)
class BatchGaps:
    """Gaps between jobs that arrive in geometric batches (compound Poisson), mean 1.

    A gap is 0 (the next job of the same batch) with probability 1 - p, else exponential with
    mean 1/p (the next batch). Mean 1 and CV² = 2/p - 1, so ``p = 2 / (1 + cv²)``.
    """

    p: float

    @classmethod
    def with_cv(cls, cv: float) -> BatchGaps:
        return cls(2.0 / (1.0 + cv * cv))

    @property
    def mean(self) -> float:
        return 1.0

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        new_batch = rng.random(n) < self.p
        return np.where(new_batch, rng.exponential(1.0 / self.p, n), 0.0)


@dataclass(frozen=True)
class Hyperexponential:
    """Exponential with mean ``m1`` w.p. ``p``, else with mean ``m2``.

    :meth:`with_cv` fits mean 1 and a CV >= 1 with balanced means (p·m1 = (1 - p)·m2 = 1/2):
    p = (1 + sqrt((cv² - 1)/(cv² + 1)))/2. These are the gaps of an interrupted Poisson
    process (a two-state MMPP with a silent state; Kuczura 1973) with on-rate
    λ = p/m1 + (1 - p)/m2, off→on rate β = 1/(m1·m2·λ) and on→off rate 1/m1 + 1/m2 - λ - β.
    """

    p: float
    m1: float
    m2: float

    @classmethod
    def with_cv(cls, cv: float) -> Hyperexponential:
        p = (1.0 + math.sqrt((cv * cv - 1.0) / (cv * cv + 1.0))) / 2.0
        return cls(p, 1.0 / (2.0 * p), 1.0 / (2.0 * (1.0 - p)))

    @property
    def mean(self) -> float:
        return self.p * self.m1 + (1.0 - self.p) * self.m2

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        means = np.where(rng.random(n) < self.p, self.m1, self.m2)
        return rng.exponential(1.0, n) * means

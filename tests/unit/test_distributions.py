"""Each distribution's sample mean agrees with its stated mean, within sampling error."""

import math

import numpy as np
import pytest

from sim.scenario import schema
from sim.workload.distributions import from_spec

N = 200_000
SPECS = [
    schema.FixedDuration(kind="fixed", value="2h"),
    schema.ExponentialDuration(kind="exponential", mean="3h"),
    schema.LognormalDuration(kind="lognormal", median="6h", sigma=1.2),
    schema.UniformDuration(kind="uniform", low="1h", high="5h"),
    schema.ChoiceDuration(kind="choice", values=["1h", "10h"], weights=[3, 1]),
    schema.EmpiricalDuration(kind="empirical", samples=[1, 2, 3, 100]),
    schema.FixedSize(kind="fixed", value=8),
    schema.UniformSize(kind="uniform", low=1, high=8),
    schema.ChoiceSize(kind="choice", values=[8, 64, 512], weights=[0.7, 0.25, 0.05]),
    schema.EmpiricalSize(kind="empirical", samples=[1, 1, 2, 8]),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: type(s).__name__)
def test_sample_mean_matches_stated_mean(spec):
    dist = from_spec(spec)
    values = dist.sample(np.random.default_rng(7), N)
    assert len(values) == N
    standard_error = values.std() / math.sqrt(N)
    # 5 standard errors: a correct sampler fails this about once in 3 million seeds.
    assert abs(values.mean() - dist.mean) <= 5 * standard_error + 1e-9 * abs(dist.mean)


def test_known_means():
    assert from_spec(SPECS[2]).mean == pytest.approx(6 * 3600 * math.exp(1.2**2 / 2))
    assert from_spec(SPECS[4]).mean == pytest.approx((3 * 3600 + 36000) / 4)
    assert from_spec(SPECS[8]).mean == pytest.approx(0.7 * 8 + 0.25 * 64 + 0.05 * 512)


def test_integer_uniform_covers_both_ends():
    values = from_spec(SPECS[7]).sample(np.random.default_rng(1), 10_000)
    assert set(np.unique(values)) == set(range(1, 9))

"""Tenants with guaranteed shares and borrowing (Kueue ClusterQueues in one cohort)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine import simulate
from sim.metrics import run_metrics
from sim.scenario.errors import ScenarioError
from tests.conftest import build, one_center


def two_tenants(
    borrowing_limit: int | None = None, reclaim: bool = True, horizon: str = "3000h"
) -> dict:
    """16 accelerators, each tenant guaranteed 8; tenant a asks for more than its share
    (10/h of 1 h jobs), tenant b less (5/h) but in bursts, so a borrows what b leaves idle."""
    data = one_center(16, horizon=horizon, warmup="100h")
    base = data["workload"][0] | {"checkpoint": {"interval": "10min", "restart": "1min"}}
    data["workload"] = [
        base | {"name": "a", "tenant": "a", "arrival": {"kind": "poisson", "rate": "10/h"}},
        base
        | {
            "name": "b",
            "tenant": "b",
            "arrival": {"kind": "bursty", "rate": "5/h", "cv": 3, "model": "batch"},
        },
    ]
    tenant = {"guaranteed": 8, "borrowing_limit": borrowing_limit, "reclaim": reclaim}
    data["cities"]["a"]["centers"]["c"]["tenants"] = {"a": dict(tenant), "b": dict(tenant)}
    return data


def held_and_asked(result, tenant: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At every instant something changes: accelerators the tenant's jobs hold, and those its
    arrived, unfinished jobs ask for (all jobs are of one accelerator here)."""
    job, begin, end = result.segments()
    mine = result.demand.tenant[job] == tenant
    ours = result.demand.tenant == tenant
    arrivals = result.demand.arrival[ours]
    ends = result.end[ours]
    ends = ends[~np.isnan(ends)]
    times = np.unique(np.concatenate([begin[mine], end[mine], arrivals, ends]))
    times = times[times < result.horizon]

    def count_at(starts, stops):
        return np.searchsorted(np.sort(starts), times, side="right") - np.searchsorted(
            np.sort(stops), times, side="right"
        )

    return times, count_at(begin[mine], end[mine]), count_at(arrivals, ends)


def test_guaranteed_shares_hold_at_every_instant():
    """Over 3,000 h and ~45,000 jobs: at every instant, a tenant that reclaims holds at least
    min(its guarantee, what it asks for), even while the other borrows all it can. Without
    reclaiming it does not: it waits for the borrower's jobs to end."""
    result = simulate(build(two_tenants()), 1)
    assert result.preemptions.sum() > 100  # the guarantee was defended by preemption
    for tenant in (0, 1):
        _, held, asked = held_and_asked(result, tenant)
        assert (held >= np.minimum(8, asked)).all()
        assert (held <= 16).all()
    waiting = simulate(build(two_tenants(reclaim=False)), 1)
    _, held, asked = held_and_asked(waiting, 1)
    assert (held < np.minimum(8, asked)).any()


def test_borrowing_raises_utilisation_over_strict_partitioning():
    """The docs example (README, Tenants): the same demand on the same 16 accelerators, with
    strict partitions (borrowing_limit 0) and with borrowing. Tenant a's excess runs on b's
    idle share, so utilisation rises and a's waits fall, while b keeps its guarantee."""
    strict = run_metrics(simulate(build(two_tenants(borrowing_limit=0)), 1))
    shared = run_metrics(simulate(build(two_tenants()), 1))
    assert strict["tenants"]["a"]["accelerators_held_mean"] == pytest.approx(8.0, abs=0.05)
    assert shared["overall"]["utilisation"] > strict["overall"]["utilisation"] + 0.1
    assert shared["tenants"]["a"]["wait_mean_s"] < strict["tenants"]["a"]["wait_mean_s"] / 10
    b_strict, b_shared = strict["tenants"]["b"], shared["tenants"]["b"]
    assert b_shared["accelerators_held_mean"] == pytest.approx(
        b_strict["accelerators_held_mean"], rel=0.02
    )


def test_a_borrowing_limit_caps_what_a_tenant_holds():
    result = simulate(build(two_tenants(borrowing_limit=2, horizon="500h")), 1)
    _, held, _ = held_and_asked(result, 0)
    assert held.max() == 10


def test_bad_tenants_are_named():
    data = two_tenants()
    data["workload"][0]["tenant"] = "c"
    with pytest.raises(ScenarioError, match="unknown tenant 'c'; valid: a, b"):
        build(data)
    data = two_tenants()
    data["cities"]["a"]["centers"]["c"]["tenants"]["a"]["guaranteed"] = 9
    with pytest.raises(ScenarioError, match="guarantees add up to 17, more than the 16"):
        build(data)
    data = two_tenants()
    data["scheduling"]["local"] = "sjf"
    with pytest.raises(ScenarioError, match=r"set scheduling\.local to fifo"):
        build(data)

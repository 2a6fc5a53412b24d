"""The fast candidate search chooses exactly what a plain scan of every candidate chooses.

The reference dispatchers below are the straightforward definitions: every candidate's
expected start (its data moved at the link's current sharing, then the center's fluid
backlog), then the minimum, ties to the first listed. A many-center network with distinct
and shared links, busy links (datasets), a latency budget, mixed pools, work given in FLOP,
inference taking capacity by the hour and time-of-use prices must give the same center for
every job, and so the same run, bit for bit.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from sim.engine import simulate
from sim.policies import Dispatcher
from sim.policies.cheapest import Cheapest, Greenest
from sim.policies.on_demand import OnDemand
from sim.policies.search import CandidateSearch
from sim.policies.spillover import Spillover
from tests.conftest import build


def reference_starts(dispatcher: Dispatcher, job: int, now: float) -> tuple[list[int], list[float]]:
    """Every candidate of ``job`` and its expected start, computed one by one."""
    context = dispatcher.context
    candidates = list(context.candidates[job])
    size, data = context.jobs.size[job], context.dataset[job]
    starts = []
    for center in candidates:
        link = context.links[context.origin[job]][context.centers[center].city]
        ready = now if link is None else now + link.expected_duration(data)
        scheduler = context.schedulers[center]
        if size <= scheduler.free and not len(scheduler.queue):
            starts.append(ready)
        elif scheduler.capacity <= 0:
            starts.append(math.inf)
        else:
            busy = scheduler.capacity - scheduler.free
            backlog = dispatcher.running_end[center] - busy * ready + dispatcher.queued_work[center]
            starts.append(ready + max(backlog, 0.0) / scheduler.capacity)
    return candidates, starts


def reference_finish(dispatcher: Dispatcher, job: int, now: float) -> int:
    candidates, keys = reference_starts(dispatcher, job, now)
    work = dispatcher.context.work
    if work is not None and not math.isnan(work[job]):
        keys = [
            start + work[job] / dispatcher.context.centers[center].peak_flops
            for start, center in zip(keys, candidates, strict=True)
        ]
    return candidates[keys.index(min(keys))]


# name = "": the references must not register themselves over the real dispatchers.


class ReferenceOnDemand(OnDemand):
    name = ""

    def choose(self, job: int, now: float) -> int:
        return reference_finish(self, job, now)


class ReferenceSpillover(Spillover):
    name = ""

    def earliest_finish(self, job, now):
        return reference_finish(self, job, now)


class ReferenceCheapest(Cheapest):
    name = ""

    def choose(self, job: int, now: float) -> int:
        candidates, starts = reference_starts(self, job, now)
        deadline = now + self.context.start_within
        soon = [c for c, start in zip(candidates, starts, strict=True) if start <= deadline]
        if not soon:
            return candidates[starts.index(min(starts))]
        return min(soon, key=lambda center: self.job_score(job, center, now))


class ReferenceGreenest(ReferenceCheapest, Greenest):
    pass


REFERENCES = {
    "on-demand": ReferenceOnDemand,
    "spillover": ReferenceSpillover,
    "cheapest": ReferenceCheapest,
    "greenest": ReferenceGreenest,
}


def network(dispatch: str) -> dict[str, Any]:
    """24 cities, 1-3 centers each (one with two pools), links of four kinds, load ~0.8."""
    rng = np.random.default_rng(7)
    cities: dict[str, Any] = {}
    for index in range(24):
        centers = {
            f"dc{k}": {"accelerator": ["h100", "a100", "h800"][(index + k) % 3], "count": 16}
            for k in range(1 + index % 3)
        }
        city: dict[str, Any] = {"centers": centers, "carbon_intensity": float(index % 5) / 10}
        city["price_by_hour"] = [0.3 + 0.1 * ((index + hour) % 4) for hour in range(24)]
        cities[f"c{index:02d}"] = city
    cities["c05"]["centers"]["dc0"] = {
        "pools": [{"accelerator": "h800", "count": 16}, {"accelerator": "ascend-910b", "count": 32}]
    }
    names = list(cities)
    pairs = {frozenset(pair) for pair in rng.integers(0, 24, (60, 2)).tolist()}
    links = [
        {
            "between": [names[a] for a in sorted(pair)],
            "latency": f"{rng.choice([2, 5, 5, 30])}ms",
            "bandwidth": f"{rng.choice([10, 100])}Gbps",
        }
        for pair in sorted(pairs, key=sorted)
        if len(pair) == 2
    ]
    origins = {name: float(weight) for name, weight in zip(names, rng.random(24), strict=True)}
    return {
        "name": "many-centers",
        "run": {"horizon": "6d", "warmup": "1d", "seed": 3},
        "cities": cities,
        "network": links,
        "default_link": {"latency": "20ms", "bandwidth": "100Gbps"},
        "inference": [
            {"name": "chat", "city": "c01", "peak": 12, "profile": [0.1] * 12 + [0.9] * 12}
        ],
        "workload": [
            {
                "name": "training",
                "origin": origins,
                "arrival": {"kind": "poisson", "rate": "25/h"},
                "size": {"kind": "choice", "values": [1, 2, 4, 8, 16]},
                "duration": {"kind": "exponential", "mean": "3h"},
                "dataset": "200GB",
            },
            {
                "name": "llm",
                "origin": origins,
                "arrival": {"kind": "poisson", "rate": "2/h"},
                "size": {"kind": "fixed", "value": 8},
                "work": {"params": 7e9, "tokens": 3e9},
            },
            {
                "name": "no-data",
                "origin": origins,
                "arrival": {"kind": "poisson", "rate": "20/h"},
                "size": {"kind": "choice", "values": [1, 4]},
                "duration": {"kind": "exponential", "mean": "30min"},
            },
            {
                "name": "serving",
                "origin": origins,
                "arrival": {"kind": "poisson", "rate": "30/h"},
                "size": {"kind": "fixed", "value": 1},
                "duration": {"kind": "exponential", "mean": "20min"},
                "max_latency": "6ms",
            },
        ],
        "scheduling": {"local": "fifo"},
        "dispatch": dispatch,
        "dispatch_options": {"start_within": "20min", "spill_after": "10min"},
    }


@pytest.mark.parametrize("policy", sorted(REFERENCES))
def test_every_job_goes_where_the_plain_scan_sends_it(policy, monkeypatch):
    scenario = build(network(policy))
    assert Dispatcher.registry[policy] is not REFERENCES[policy]
    fast = simulate(scenario, 3)
    monkeypatch.setitem(Dispatcher.registry, policy, REFERENCES[policy])
    plain = simulate(scenario, 3)
    moved = fast.center != fast.demand.origin  # (a center per city index would not do)
    assert len(set(fast.center.tolist())) > 30
    assert moved.sum() > 100
    assert np.array_equal(fast.center, plain.center)
    for column in ("start", "end", "ready"):
        np.testing.assert_array_equal(getattr(fast, column), getattr(plain, column))
    np.testing.assert_array_equal(fast.busy_area, plain.busy_area)


def default_link_only(dispatch: str, list_every_pair: bool) -> dict[str, Any]:
    """The network above with no listed link: every pair of cities behind the default link,
    or each pair listed with the default link's figures (the same network, spelled out)."""
    data = network(dispatch)
    names = list(data["cities"])
    default = data["default_link"]
    pairs = [[a, b] for i, a in enumerate(names) for b in names[i + 1 :]]
    data["network"] = [{"between": pair, **default} for pair in pairs] if list_every_pair else []
    # Within the default link's latency, of two accelerator types (the others are local).
    near = {**data["workload"][2], "name": "near", "max_latency": "25ms"}
    data["workload"].append(near | {"accelerators": ["h100", "h800"], "dataset": "10GB"})
    return data


@pytest.mark.parametrize("policy", sorted(REFERENCES))
def test_a_network_of_its_default_link_alone_dispatches_as_the_plain_scan_of_every_pair(
    policy, monkeypatch
):
    """The candidates and their groups are cut from lists shared by every origin when no
    link is listed; the plain scan over a network listing every pair must agree."""
    shared = []
    group_uniform = CandidateSearch._group_uniform

    def counted(self, *args):
        found = group_uniform(self, *args)
        shared.append(found is not None)
        return found

    monkeypatch.setattr(CandidateSearch, "_group_uniform", counted)
    fast = simulate(build(default_link_only(policy, list_every_pair=False)), 3)
    assert shared and all(shared)
    monkeypatch.setitem(Dispatcher.registry, policy, REFERENCES[policy])
    plain = simulate(build(default_link_only(policy, list_every_pair=True)), 3)
    city = np.array([center.city_index for center in fast.centers])
    assert (city[fast.center] != fast.demand.origin).sum() > 100
    assert np.array_equal(fast.center, plain.center)
    for column in ("start", "end", "ready"):
        np.testing.assert_array_equal(getattr(fast, column), getattr(plain, column))
    np.testing.assert_array_equal(fast.busy_area, plain.busy_area)


@pytest.mark.parametrize("budget", [None, 0.006, 0.025])
def test_the_cities_in_reach_of_a_default_link_alone_are_those_of_every_pair_listed(budget):
    alone = build(default_link_only("on-demand", list_every_pair=False))
    listed = build(default_link_only("on-demand", list_every_pair=True))
    for origin in alone.cities:
        reachable = alone.reachable_cities(origin, budget)
        assert reachable == listed.reachable_cities(origin, budget)
        assert len(reachable) == (1 if budget == 0.006 else len(alone.cities))

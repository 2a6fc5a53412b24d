"""Placement on servers: which jobs fit where, and what that costs (fragmentation)."""

import numpy as np
import pytest

from sim import simulate
from sim.metrics import run_metrics
from sim.policies import UnknownPolicyError, placement_policy
from sim.resources import build_centers
from sim.resources.failures import Failures
from sim.scenario.errors import ScenarioError
from sim.streams import run_seed
from tests.conftest import build, one_center


def most_at_once(result) -> int:
    """The most jobs running at one instant (a job ending frees its place first)."""
    started = ~np.isnan(result.start)
    events = sorted(
        [(t, 1) for t in result.start[started]] + [(t, -1) for t in result.end[started]]
    )
    running = most = 0
    for _, step in events:
        running += step
        most = max(most, running)
    return most


def servers_of_8(placement: str, *, size: int = 5, local: str = "fifo", **extra) -> dict:
    """Two servers of 8 accelerators under heavy load of jobs of ``size``."""
    return one_center(
        16,
        rate="20/h",
        size={"kind": "fixed", "value": size},
        duration={"kind": "fixed", "value": "1h"},
        local=local,
        horizon="48h",
        scheduling={"placement": placement},
        cities={"a": {"centers": {"c": {"accelerators_per_server": 8}}}},
        **extra,
    )


def test_jobs_of_5_on_two_servers_of_8_run_two_at_once_not_three():
    """By hand: 16 accelerators hold three jobs of 5 as a pool, but a job of 5 must sit inside
    one server of 8, and no server holds two, so only two run; the other 6 accelerators (3
    per server) are fragmented the whole time a job waits."""
    pool = simulate(build(servers_of_8("pool")), 1)
    consolidate = simulate(build(servers_of_8("consolidate")), 1)
    assert most_at_once(pool) == 3
    assert most_at_once(consolidate) == 2
    metrics = run_metrics(consolidate)["overall"]
    waiting = _time_with_a_queue(consolidate)
    assert metrics["fragmented_accelerators_mean"] == pytest.approx(6 * waiting / 48 / 3600)
    assert metrics["utilisation"] == pytest.approx(10 / 16, rel=0.02)
    assert "fragmented_accelerators_mean" not in run_metrics(pool)["overall"]


def _time_with_a_queue(result) -> float:
    """Length of the union of the jobs' waits [s], within the horizon."""
    waits = sorted(
        (a, min(s if s == s else result.horizon, result.horizon))
        for a, s in zip(result.demand.arrival, result.start, strict=True)
        if (s != s or s > a)
    )
    total, reach = 0.0, 0.0
    for begin, end in waits:
        begin = max(begin, reach)
        if end > begin:
            total += end - begin
            reach = end
    return total


@pytest.mark.parametrize("local", ["fifo", "easy-backfill", "sjf", "priority"])
def test_servers_of_one_accelerator_consolidate_exactly_as_a_pool(local):
    """With one accelerator per server, consolidate takes `size` whole servers, which is any
    `size` free accelerators: the same start times as the pool, through the placed code path
    of every local policy. Spread fits wherever the pool does, whatever the server size."""
    sizes = {"kind": "choice", "values": [1, 2, 3, 5, 8], "weights": [4, 2, 2, 1, 1]}
    duration = {"kind": "exponential", "mean": "1h"}
    base = one_center(16, rate="4/h", size=sizes, duration=duration, local=local, horizon="300h")
    pool = simulate(build(base), 3)
    for placement, per_server in (("consolidate", 1), ("spread", 8)):
        data = base | {"scheduling": {"local": local, "placement": placement}}
        data["cities"] = {
            "a": {
                "centers": {
                    "c": {"accelerator": "a100", "count": 16, "accelerators_per_server": per_server}
                }
            }
        }
        placed = simulate(build(data), 3)
        np.testing.assert_array_equal(placed.start, pool.start)


def test_consolidate_best_fit_whole_servers_and_one_partial():
    placement = placement_policy("consolidate")(capacity=32, per_server=8, installed=32)
    placement.place(0, 5)  # server 0: 3 free
    placement.place(1, 2)  # best fit: the 3 free of server 0, not an empty server
    assert placement.placed[1] == [(0, 2)]
    placement.place(2, 12)  # one whole server and 4 on a third
    assert placement.placed[2] == [(1, 8), (2, 4)]
    assert placement.choose(16) is None  # only server 3 is whole
    assert placement.fits(9) and not placement.fits(13)
    placement.remove(2)
    assert placement.choose(16) == [(1, 8), (2, 8)]


def test_spread_takes_the_emptiest_servers_first():
    placement = placement_policy("spread")(capacity=16, per_server=8, installed=16)
    placement.place(0, 5)
    placement.place(1, 5)
    assert placement.placed[1] == [(1, 5)]
    placement.place(2, 6)  # 3 + 3
    assert placement.placed[2] == [(0, 3), (1, 3)]
    assert placement.servers_of(2) == 2


def test_a_capacity_cut_takes_servers_from_the_end():
    placement = placement_policy("consolidate")(capacity=16, per_server=8, installed=24)
    assert placement.fits(16) and not placement.fits(17)
    placement.set_capacity(12)  # server 0 whole, 4 of server 1, none of server 2
    assert placement.choose(12) == [(0, 8), (1, 4)] and not placement.fits(13)


def test_fragmented_counts_free_accelerators_no_waiting_job_can_use():
    placement = placement_policy("consolidate")(capacity=24, per_server=8, installed=24)
    for job in range(3):
        placement.place(job, 5)  # 3 free on each server
    assert placement.fragmented({5: 1}) == 9
    assert placement.fragmented({3: 1, 5: 2}) == 0
    placement.remove(2)  # server 2 whole: a job of 5 fits there, the 3+3 elsewhere do not
    assert placement.fragmented({5: 1}) == 6
    assert placement.fragmented({10: 1}) == 0  # 8 on server 2 and 2 of the 3 on server 0
    assert placement.fragmented({12: 1}) == 8 + 6  # 8 + 4: fits nowhere, all free is idle


def test_failures_count_the_servers_a_job_was_placed_on():
    """A job placed on two servers holds two nodes: on the same failure draws (its own
    stream) its first failure comes at half the time it would on one server."""
    data = servers_of_8("spread", size=6, failures={"enabled": True})
    scenario = build(data)
    assert scenario.failures.node_size is None  # a node is a server
    centers = build_centers(scenario)
    classes = np.zeros(1, dtype=np.int64)
    first = []
    for nodes in (1, 2):
        failures = Failures.of(scenario, centers, classes, run_seed(1, 0))
        failures.held_time(0, 0, 6, duration=1e9, now=0.0, nodes=nodes)
        first.append(failures.log[0][0])
    assert first[1] == pytest.approx(first[0] / 2)
    with pytest.raises(ScenarioError, match="node_size 4 differs from the 8 accelerators"):
        build(servers_of_8("consolidate", failures={"enabled": True, "node_size": 4}))


def test_unknown_placement_lists_the_valid_ones():
    with pytest.raises(UnknownPolicyError, match="valid: consolidate, pool, spread"):
        placement_policy("binpack")
    with pytest.raises(ScenarioError, match=r"scheduling\.placement"):
        build(servers_of_8("binpack"))

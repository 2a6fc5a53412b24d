"""Local policies on hand-made demand: who starts when."""

import numpy as np
import pytest

from sim.policies import JobTable, UnknownPolicyError, local_policy


def replay(policy, capacity, jobs, depth=8):
    """Submit jobs (arrival, size, duration, priority) and run completions in time order."""
    table = JobTable(
        size=[j[1] for j in jobs], duration=[j[2] for j in jobs], priority=[j[3] for j in jobs]
    )
    started = {}
    pending = []  # (end, job)
    clock = [0.0]

    def start(job):
        started[job] = clock[0]
        pending.append((clock[0] + table.duration[job], job))

    scheduler = local_policy(policy)(capacity, table, start, depth)
    events = sorted([(a, 1, i) for i, (a, *_) in enumerate(jobs)])
    while events or pending:
        pending.sort()
        if pending and (not events or pending[0][0] <= events[0][0]):
            clock[0], job = pending.pop(0)
            scheduler.release(job, clock[0])
        else:
            clock[0], _, job = events.pop(0)
            scheduler.submit(job, clock[0])
    return started


# job = (arrival, size, duration, priority); capacity 4
JOBS = [(0, 3, 10, 0), (1, 4, 5, 0), (2, 1, 2, 1), (3, 1, 20, 2)]


def test_fifo_head_blocks_the_queue():
    assert replay("fifo", 4, JOBS) == {0: 0, 1: 10, 2: 15, 3: 15}


def test_easy_backfill_fills_without_delaying_the_head():
    started = replay("easy-backfill", 4, JOBS)
    # Job 2 (1 accelerator, 2 s) fits in the idle accelerator and ends before job 1's
    # reservation at t=10; job 3 (20 s) would delay it, so it waits.
    assert started == {0: 0, 1: 10, 2: 2, 3: 15}


def test_sjf_and_priority_order():
    jobs = [(0, 4, 10, 0), (1, 2, 8, 0), (2, 2, 3, 0), (3, 2, 1, 5)]
    assert replay("sjf", 4, jobs) == {0: 0, 3: 10, 2: 10, 1: 11}
    assert replay("priority", 4, jobs) == {0: 0, 3: 10, 1: 10, 2: 11}


def test_unknown_policy_lists_the_valid_ones():
    with pytest.raises(
        UnknownPolicyError, match="valid: easy-backfill, fifo, las, priority, sjf, srtf"
    ):
        local_policy("round-robin")


def test_policy_names_are_case_insensitive():
    assert local_policy("FIFO") is local_policy("fifo")


@pytest.mark.parametrize("policy", ["fifo", "easy-backfill", "sjf", "priority"])
def test_levels_are_time_weighted(policy):
    table = JobTable(size=[2, 2], duration=[10.0, 10.0], priority=[0, 0])
    scheduler = local_policy(policy)(2, table, lambda job: None, 4)
    scheduler.submit(0, 0.0)
    scheduler.submit(1, 4.0)
    scheduler.release(0, 10.0)
    scheduler.advance(20.0)
    assert scheduler.busy_area == pytest.approx(2 * 20)
    assert scheduler.queue_area == pytest.approx(6.0)
    assert np.isclose(scheduler.take_queue_max(), 1)

"""capsim's callback engine against the textbook SimPy model of the same queue, job by job.

The textbook model is a process per job taking its accelerators from a ``simpy.Container``,
whose gets are served strictly in order: FCFS gang scheduling, i.e. capsim's ``fifo``. Given the
same demand, both must start every job at the same moment.
"""

import numpy as np
import simpy

from sim.engine import simulate
from tests.conftest import build, one_center


def textbook_starts(demand, capacity, horizon):
    env = simpy.Environment()
    pool = simpy.Container(env, capacity=capacity, init=capacity)
    starts = np.full(len(demand), np.nan)

    def job(i):
        yield pool.get(int(demand.size[i]))
        starts[i] = env.now
        yield env.timeout(demand.duration[i])
        yield pool.put(int(demand.size[i]))

    def source():
        for i, t in enumerate(demand.arrival):
            yield env.timeout(t - env.now)
            env.process(job(i))

    env.process(source())
    env.run(until=horizon)
    return starts


def test_fifo_matches_the_textbook_model_job_by_job():
    scenario = build(
        one_center(
            64,
            rate="5.5/h",
            size={"kind": "choice", "values": [1, 4, 16, 64], "weights": [5, 3, 2, 1]},
            duration={"kind": "lognormal", "median": "1h", "sigma": 1.0},
            horizon="4000h",
        )
    )
    result = simulate(scenario, 21)
    expected = textbook_starts(result.demand, 64, scenario.run.horizon)
    assert len(result.demand) > 15_000
    assert np.isnan(expected).sum() == np.isnan(result.start).sum()
    np.testing.assert_allclose(result.start, expected, rtol=0, atol=1e-6, equal_nan=True)

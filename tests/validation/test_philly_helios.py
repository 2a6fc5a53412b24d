"""The Philly trace as the Helios simulator replays it: 11 virtual clusters, consolidate
placement, fifo / sjf / srtf, every job run to its end (tests/data/philly_helios.yaml, README
"Helios comparison").

Print the README table with ``python -m tests.validation.test_philly_helios``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, simulate
from sim.engine import RunResult
from sim.scenario import expand_variants

SCENARIO = Path(__file__).parents[1] / "data" / "philly_helios.yaml"
JOBS = 68_503
"""GPU jobs of the 11 virtual clusters submitted in Oct-Nov 2017 (the Helios study's count)."""


@functools.cache
def replay(variant: str, placement: str = "consolidate") -> RunResult:
    scenario = expand_variants(load_scenario(SCENARIO))[variant]
    if placement != "consolidate":
        scenario = scenario.model_copy(
            update={"scheduling": scenario.scheduling.model_copy(update={"placement": placement})}
        )
    return simulate(scenario, 1)


def per_virtual_cluster(result: RunResult) -> pd.DataFrame:
    """Average JCT and queueing [s] per virtual cluster and overall, as Helios reports them:
    JCT = end - submit; queueing = every wait, also after a preemption (JCT - run time - time
    lost to preemptions)."""
    jct = result.end - result.demand.arrival
    queueing = jct - result.duration - result.lost
    frame = pd.DataFrame(
        {
            "vc": np.array(result.cities)[result.demand.origin],
            "jct": jct,
            "queueing": queueing,
        }
    )
    table = frame.groupby("vc")[["jct", "queueing"]].mean()
    table.loc["all"] = frame[["jct", "queueing"]].mean()
    table["jobs"] = frame.groupby("vc").size().reindex(table.index).fillna(len(frame))
    return table


@pytest.mark.parametrize("variant", ["fifo", "sjf", "srtf"])
def test_every_job_of_the_window_runs_to_its_end(variant):
    result = replay(variant)
    assert result.jobs == JOBS
    assert not np.isnan(result.end).any()
    assert (result.start >= result.demand.arrival).all()
    table = per_virtual_cluster(result)
    assert len(table) == 12 and (table["queueing"] >= -1e-6).all()


def test_shorter_first_lowers_the_mean_jct_and_preemption_lowers_it_further():
    jct = {v: per_virtual_cluster(replay(v)).loc["all", "jct"] for v in ("fifo", "sjf", "srtf")}
    assert jct["srtf"] < jct["sjf"] < jct["fifo"]
    assert replay("srtf").preemptions.sum() > 0


def test_consolidate_queues_more_than_a_pool():
    """Fragmentation: under consolidate a job waits for room inside servers, not just for
    free GPUs, so FIFO queueing is higher than on a plain pool of the same GPUs."""
    consolidate = per_virtual_cluster(replay("fifo"))
    pool = per_virtual_cluster(replay("fifo", "pool"))
    assert consolidate.loc["all", "queueing"] > pool.loc["all", "queueing"]


def markdown_table() -> str:
    columns = {
        "fifo": replay("fifo"),
        "sjf": replay("sjf"),
        "srtf": replay("srtf"),
        "fifo, pool": replay("fifo", "pool"),
    }
    tables = {name: per_virtual_cluster(result) for name, result in columns.items()}
    names = list(tables)
    header = "| virtual cluster | GPUs | jobs | " + " | ".join(
        f"{name} JCT h | {name} queue min" for name in names
    )
    servers = pd.read_csv(SCENARIO.parent / "helios_philly_vc.csv").set_index("vc")["servers"]
    lines = [header + " |", "|" + "---|" * (3 + 2 * len(names))]
    for vc in tables["fifo"].index:
        key = vc.removeprefix("vc_")
        gpus = int(servers.sum() * 8) if vc == "all" else int(servers[key] * 8)
        cells = [key, str(gpus), f"{int(tables['fifo'].loc[vc, 'jobs']):,}"]
        for name in names:
            row = tables[name].loc[vc]
            cells += [f"{row['jct'] / 3600:.2f}", f"{row['queueing'] / 60:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())

"""capsim: a capacity-planning simulator for AI compute centers.

The public API::

    import sim
    scenario = sim.load_scenario("scenarios/qianhai-phase1.yaml")
    result = sim.simulate(scenario, seed=1)          # one replication, no I/O
    metrics = sim.run_metrics(result)                # nested per center, city, overall
    summary = sim.run_replications(scenario, replications=5)   # the summary.json document

Result tables, for notebooks (see docs/outputs.md)::

    results = sim.run_scenario("scenarios/two-cities.yaml")   # summary, jobs, timeseries
    results = sim.read_results("out")                         # a capsim run/batch/size folder
    batch = sim.run_sweep(path, {"cities.lab.centers.pool.count": [14, 16, 18]})
    sizing = sim.size_to_target(path, "cities.lab.centers.pool.count", "wait_p95_s <= 30min")
    plan = sim.plan_to_targets("scenarios/china-national.yaml", "plan-out")  # its plan: section
    print(sim.summary_table(results.summary, "siloed"))

Figures are in :mod:`sim.plots`, the planning report and its findings in :mod:`sim.reporting`,
the M/M/c formulas (Erlang C) in :mod:`sim.queueing`.
"""

from sim.engine import RunResult, simulate
from sim.metrics import METRIC_DOCS, jobs_table, run_metrics, timeseries_table
from sim.report import comparison_table, summary_table, variants_table
from sim.results import (
    Results,
    ResultsError,
    plan_to_targets,
    read_results,
    run_scenario,
    run_sweep,
    size_to_target,
)
from sim.scenario import Scenario, ScenarioError, load_scenario, parse_scenario
from sim.summary import capsim_version, run_replications

__version__ = capsim_version()

__all__ = [
    "METRIC_DOCS",
    "Results",
    "ResultsError",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "comparison_table",
    "jobs_table",
    "load_scenario",
    "parse_scenario",
    "plan_to_targets",
    "read_results",
    "run_metrics",
    "run_replications",
    "run_scenario",
    "run_sweep",
    "simulate",
    "size_to_target",
    "summary_table",
    "timeseries_table",
    "variants_table",
]

"""capsim: a capacity-planning simulator for AI compute centers.

The bundled scenarios (and the trace excerpt under their ``data/``) ship with the package::

    sim.scenario_names()                         # ['china-national', ..., 'two-cities']
    path = sim.bundled_scenario("two-cities")    # its path; sim.scenarios_folder() for all
    sim.copy_scenario_out("two-cities", "my-study")   # a copy to edit (= capsim init)

The public API::

    import sim
    scenario = sim.load_scenario(sim.bundled_scenario("qianhai-phase1"))
    result = sim.simulate(scenario, seed=1)          # one replication, no I/O
    result = sim.simulate(scenario, seed=1, variant="on-demand")   # one of its variants
    metrics = sim.run_metrics(result)                # nested per center, city, overall
    summary = sim.run_replications(scenario, replications=5)   # the summary.json document

Result tables, for notebooks (see docs/outputs.md)::

    results = sim.run_scenario(sim.bundled_scenario("two-cities"))  # summary, jobs, timeseries
    results = sim.read_results("out")                         # a capsim run/batch/size folder
    batch = sim.run_sweep(path, {"cities.lab.centers.pool.count": [14, 16, 18]})
    sizing = sim.size_to_target(path, "cities.lab.centers.pool.count", "wait_p95_s <= 30min")
    plan = sim.plan_to_targets(sim.bundled_scenario(), "plan-out")  # its plan: section
    print(sim.summary_table(results.summary))                 # the first variant; or name one

Figures are in :mod:`sim.plots`, the planning report and its findings in :mod:`sim.reporting`,
the M/M/c formulas (Erlang C) in :mod:`sim.queueing`.
"""

from sim.bundled import bundled_scenario, copy_scenario_out, scenario_names, scenarios_folder
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


def compiled() -> bool:
    """Whether this installation runs the mypyc-compiled event loop, schedulers and dispatchers
    (a regular ``pip install .``) rather than their Python sources (an editable install, or
    where mypyc could not build them; see setup.py). The results are the same either way."""
    import sim.engine

    return not sim.engine.__file__.endswith(".py")


__all__ = [
    "METRIC_DOCS",
    "Results",
    "ResultsError",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "bundled_scenario",
    "comparison_table",
    "compiled",
    "copy_scenario_out",
    "jobs_table",
    "load_scenario",
    "parse_scenario",
    "plan_to_targets",
    "read_results",
    "run_metrics",
    "run_replications",
    "run_scenario",
    "run_sweep",
    "scenario_names",
    "scenarios_folder",
    "simulate",
    "size_to_target",
    "summary_table",
    "timeseries_table",
    "variants_table",
]

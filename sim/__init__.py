"""capsim: a capacity-planning simulator for AI compute centers.

The public API::

    import sim
    scenario = sim.load_scenario("scenarios/qianhai-phase1.yaml")
    result = sim.simulate(scenario, seed=1)          # one replication, no I/O
    metrics = sim.run_metrics(result)                # nested per center, city, overall
    summary = sim.run_replications(scenario, replications=5)   # the summary.json document
"""

from sim.engine import RunResult, simulate
from sim.metrics import METRIC_DOCS, jobs_table, run_metrics, timeseries_table
from sim.scenario import Scenario, ScenarioError, load_scenario, parse_scenario
from sim.summary import capsim_version, run_replications

__version__ = capsim_version()

__all__ = [
    "METRIC_DOCS",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "jobs_table",
    "load_scenario",
    "parse_scenario",
    "run_metrics",
    "run_replications",
    "simulate",
    "timeseries_table",
]

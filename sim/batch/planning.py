"""`capsim plan`: the scenario's `plan:` section checked, and its candidates run and judged.

Every candidate runs on the same seeds (replication r of every candidate and variant uses
``run_seed(seed, r)``: common random numbers). The search screens candidates on replications
0 … n−1 by their estimates; the final check runs the finalists on fresh replications
n … n+m−1 and accepts a plan only if the one-sided Student t bound of every constraint at every
place holds, each at level 1 − (1 − confidence) / places (Bonferroni), so that all hold together
at the stated confidence. A wait quantile (``wait_p95_s <= 1h``) is judged by the pooled share
of jobs waiting longer than its bound (:mod:`sim.batch.plan_bounds` says why), any other
constraint by its mean. Runs go through the batch executors and are written to the plan folder as
a batch's are (:class:`sim.batch.store.BatchStore`), so an interrupted plan resumes.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.batch.executors import Executor, RunFunction, Task
from sim.batch.grid import load_raw, point_scenario, walk
from sim.batch.plan_bounds import (
    Judged,
    allowed_share,
    judge_bound,
    metric_values,
    plan_function,
)
from sim.batch.plan_search import Candidate, Verdict
from sim.batch.sizing import Target
from sim.batch.store import BatchStore, RunId
from sim.metrics import METRIC_DOCS
from sim.output import write_json
from sim.resources import build_centers
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.loader import deep_merge, expand_variants, validate_data
from sim.scenario.schema import Plan, Scenario


class PlanError(Exception):
    """A plan that cannot go on: a run failed."""


class PlanFolderError(PlanError):
    """The plan folder holds another plan's runs, or runs without ``--resume``."""


@dataclass(frozen=True)
class Bound:
    """One constraint at one place (a city, or None for the whole network)."""

    target: Target
    city: str | None

    def label(self) -> str:
        return f"{self.target} ({self.city or 'overall'})"


@dataclass
class PlanSetup:
    """A scenario with a checked `plan:` section, ready to search."""

    path: Path
    data: dict[str, Any]
    base: Scenario
    plan: Plan
    values: list[list[float]]
    """Each knob's values, from least capacity to most."""
    bounds: list[Bound]
    variants: list[str]
    seed: int
    node: Any = None

    @property
    def sizes(self) -> list[int]:
        return [len(v) for v in self.values]

    def params(self, candidate: Candidate) -> dict[str, float]:
        return {
            knob.path: values[i]
            for knob, values, i in zip(self.plan.knobs, self.values, candidate, strict=True)
        }

    def scenario(self, candidate: Candidate, variant: str | None = None) -> Scenario:
        """The candidate's scenario; with ``variant``, that variant alone, its settings made the
        base's, so that only what the variant runs must validate (on demand, a center may be
        too small for its own city's largest job, which siloed dispatch could not place).
        A variant runs the same either way, bit for bit."""
        data, node = (self.data, self.node) if variant is None else (self._alone(variant), None)
        return point_scenario(data, self.params(candidate), str(self.path), node, self.path.parent)

    def _alone(self, variant: str) -> dict[str, Any]:
        deltas = self.data.get("variants") or {}
        if variant not in deltas:
            return self.data
        base = {key: value for key, value in self.data.items() if key != "variants"}
        return {**deep_merge(base, deltas[variant]), "variants": {variant: deltas[variant]}}


def load_plan(
    path: Path, *, seed: int | None = None, overrides: Mapping[str, Any] | None = None
) -> PlanSetup:
    """Load a scenario and check its `plan:` section against it.

    Raises
    ------
    ScenarioError
        With every problem of the file and of its plan (unknown paths, metrics, cities,
        variants; the most of the knobs that does not validate in a planned variant, the least
        that validates in none).
    """
    data, node = load_raw(path)
    if overrides:
        data, node = deep_merge(data, overrides), None
    file = str(path)
    base = validate_data(data, file, node, path.parent)
    plan = base.plan
    if plan is None:
        raise ScenarioError([Problem(file, ("plan",), "no `plan:` section: nothing to plan")])
    problems, bounds = _check_plan(plan, base, data, file)
    ScenarioError.collect(problems)
    setup = PlanSetup(
        path=path,
        data=data,
        base=base,
        plan=plan,
        values=[knob.values() for knob in plan.knobs],
        bounds=bounds,
        variants=plan.variants or list(expand_variants(base)),
        seed=base.run.seed if seed is None else seed,
        node=node,
    )
    _check_corners(setup)
    return setup


def _check_corners(setup: PlanSetup) -> None:
    """The most of every knob must validate in every planned variant, the least in one at
    least (a candidate a variant cannot run is one its plan cannot choose; one no variant can
    run is a range in error)."""
    for variant in setup.variants:
        setup.scenario(tuple(n - 1 for n in setup.sizes), variant)
    refused = []
    for variant in setup.variants:
        try:
            setup.scenario(tuple(0 for _ in setup.sizes), variant)
            return
        except ScenarioError as error:
            refused.append(error)
    raise refused[0]


def _check_plan(
    plan: Plan, base: Scenario, data: Mapping[str, Any], file: str
) -> tuple[list[Problem], list[Bound]]:
    problems: list[Problem] = []

    def problem(loc: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(file, ("plan", *loc), message))

    for index, knob in enumerate(plan.knobs):
        reached, missing = walk(data, knob.path)
        a_time = knob.earlier_is_more and isinstance(reached, str)  # a phase's `at: 180d`
        number = isinstance(reached, int | float) and not isinstance(reached, bool)
        if missing or not (number or a_time):
            problem(("knobs", index, "path"), f"{knob.path}: not a number in the scenario file")
    cities = list(base.cities)
    bounds: list[Bound] = []
    for index, constraint in enumerate(plan.constraints):
        try:
            target = Target.parse(constraint.target)
        except ValueError as error:
            problem(("constraints", index, "target"), str(error))
            continue
        if constraint.city not in (None, "*", *cities):
            problem(
                ("constraints", index, "city"),
                f"no city {constraint.city!r}; cities: {', '.join(cities)} (or '*' for every city)",
            )
            continue
        places = cities if constraint.city == "*" else [constraint.city]
        bounds += [Bound(target, city) for city in places]
    if plan.objective.minimise not in METRIC_DOCS:
        problem(("objective", "minimise"), f"unknown metric {plan.objective.minimise!r}")
    if plan.objective.city is not None and plan.objective.city not in cities:
        problem(("objective", "city"), f"no city {plan.objective.city!r}")
    names = list(expand_variants(base))
    for name in plan.variants or []:
        if name not in names:
            problem(("variants",), f"no variant {name!r}; variants: {', '.join(names)}")
    return problems, bounds


def full_load_power_w(scenario: Scenario) -> float:
    """Facility power at full load of the most accelerators each center ever has [W]."""
    return sum(float(s.full_load_kw(s.max_count)) * 1000.0 for s in build_centers(scenario))


@dataclass
class Evaluation:
    """One candidate of one variant on a range of replications."""

    candidate: Candidate
    variant: str
    stage: str
    """"screen" (search replications) or "final" (fresh replications)."""
    verdict: Verdict
    frontier_wait: float
    """Mean of the frontier's wait metric at its worst place."""
    runs: list[pd.DataFrame] = field(repr=False, default_factory=list)


class Evaluator:
    """Runs candidates (only the runs not yet on disk) and judges them."""

    def __init__(
        self,
        setup: PlanSetup,
        executor: Executor,
        out: Path,
        *,
        resume: bool = False,
        function: RunFunction | None = None,
        on_runs: Callable[[int], None] | None = None,
    ):
        self.setup, self.executor = setup, executor
        self.function = function or plan_function([b.target for b in setup.bounds])
        self.on_runs = on_runs
        self.store = BatchStore(out)
        self.ids_path = out / "candidates.json"
        self.ids: dict[Candidate, int] = {}
        self.rows: dict[RunId, pd.DataFrame] = {}
        self.invalid: dict[tuple[Candidate, str], str] = {}
        """Why a candidate does not validate in a variant, by (candidate, variant)."""
        self.power: dict[tuple[Candidate, str], float] = {}
        self.log: list[Evaluation] = []
        self.ran = 0
        self._open(resume)

    def _open(self, resume: bool) -> None:
        manifest = plan_manifest(self.setup)
        found = self.store.read_manifest()
        if found is not None and found != manifest:
            raise PlanFolderError(f"{self.store.root} holds the runs of another plan or scenario")
        if self.store.finished() and not resume:
            raise PlanFolderError(f"{self.store.root} holds runs: pass --resume to reuse them")
        if self.ids_path.is_file():
            saved = json.loads(self.ids_path.read_text(encoding="utf-8"))
            self.ids = {tuple(c): i for c, i in saved}
        table = self.store.read_runs()
        for (point, variant, replication), rows in (
            table.groupby(["point", "variant", "replication"], sort=False) if len(table) else []
        ):
            run = RunId(int(point), str(variant), int(replication))
            self.rows[run] = rows.drop(columns=["point", "variant", "replication"])
        self.store.write_manifest(manifest)

    def _id(self, candidate: Candidate) -> int:
        if candidate not in self.ids:
            self.ids[candidate] = len(self.ids)
            write_json(self.ids_path, [[list(c), i] for c, i in self.ids.items()])
        return self.ids[candidate]

    def judge(
        self, variant: str, replications: range, stage: str
    ) -> Callable[[Sequence[Candidate]], list[Verdict]]:
        """The judge of the search (screen: means) or of the final check (fresh replications,
        Bonferroni one-sided t bounds)."""

        def judge(candidates: Sequence[Candidate]) -> list[Verdict]:
            return [e.verdict for e in self.evaluate(candidates, variant, replications, stage)]

        return judge

    def evaluate(
        self, candidates: Sequence[Candidate], variant: str, replications: range, stage: str
    ) -> list[Evaluation]:
        self._run_missing(candidates, variant, replications)
        evaluations = [self._evaluation(c, variant, replications, stage) for c in candidates]
        self.log += evaluations
        return evaluations

    def _run_missing(
        self, candidates: Sequence[Candidate], variant: str, replications: range
    ) -> None:
        tasks = []
        for candidate in dict.fromkeys(candidates):
            scenario = self._scenario(candidate, variant)
            if scenario is None:
                continue
            point = self._id(candidate)
            tasks += [
                Task(point, variant, r, scenario, self.setup.seed)
                for r in replications
                if RunId(point, variant, r) not in self.rows
            ]
        for task, outcome in self.executor.run(self.function, tasks):
            if outcome.rows is None:
                raise PlanError(
                    f"{self.setup.params(self._candidate(task.point))}, variant {task.variant}, "
                    f"replication {task.replication}: {outcome.error}"
                )
            run = RunId(task.point, task.variant, task.replication)
            self.store.write_run(run, outcome.rows)
            self.rows[run] = outcome.rows
            self.ran += 1
        if tasks and self.on_runs is not None:
            self.on_runs(self.ran)

    def _candidate(self, point: int) -> Candidate:
        return next(c for c, i in self.ids.items() if i == point)

    def runnable(self, candidate: Candidate, variant: str) -> bool:
        """Whether the candidate validates in the variant (one that does not is never run)."""
        return self._scenario(candidate, variant) is not None

    def _scenario(self, candidate: Candidate, variant: str) -> Scenario | None:
        """The candidate's scenario for a variant; None (and the reason kept) if it does not
        validate."""
        key = (candidate, variant)
        if key in self.invalid:
            return None
        try:
            scenario = self.setup.scenario(candidate, variant)
        except ScenarioError as error:
            self.invalid[key] = "; ".join(p.message for p in error.problems)
            return None
        self.power[key] = full_load_power_w(scenario)
        return scenario

    def runs(self, candidate: Candidate, variant: str, replications: range) -> list[pd.DataFrame]:
        point = self.ids[candidate]
        return [self.rows[RunId(point, variant, r)] for r in replications]

    def _evaluation(
        self, candidate: Candidate, variant: str, replications: range, stage: str
    ) -> Evaluation:
        if (candidate, variant) in self.invalid:
            places = len(self.setup.bounds)
            verdict = Verdict(
                False, math.inf, math.inf, math.inf, False, (math.inf,) * places, (True,) * places
            )
            return Evaluation(candidate, variant, stage, verdict, math.nan)
        runs = self.runs(candidate, variant, replications)
        plan = self.setup.plan
        judged = self.judged(runs, stage)
        shortfall = sum(j.gap for j in judged)
        objective = float(
            np.mean(metric_values(runs, plan.objective.minimise, plan.objective.city))
        )
        cost = float(np.mean(metric_values(runs, "tco_cny", None)))
        allowed = (plan.budget_cny is None or cost <= plan.budget_cny) and (
            plan.power_cap is None or self.power[(candidate, variant)] <= plan.power_cap
        )
        verdict = Verdict(
            all(j.meets for j in judged),
            shortfall,
            objective,
            cost,
            allowed,
            tuple(j.estimate for j in judged),
            tuple(not j.meets for j in judged),
        )
        return Evaluation(candidate, variant, stage, verdict, self._frontier_wait(runs), runs)

    def judged(self, runs: Sequence[pd.DataFrame], stage: str) -> list[Judged]:
        """Every constraint at every place on ``runs``: by its estimate while screening, by
        its one-sided t bound at the Bonferroni level in the final check."""
        level = 1 - (1 - self.setup.plan.confidence) / max(len(self.setup.bounds), 1)
        t = 0.0 if stage == "screen" else float(stats.t.ppf(level, len(runs) - 1))
        return [judge_bound(b.target, b.city, runs, t) for b in self.setup.bounds]

    def _frontier_wait(self, runs: list[pd.DataFrame]) -> float:
        """The frontier's wait at its worst place: the pooled share of jobs waiting over the
        first constraint's bound if that is a wait quantile (as the constraint is judged),
        else the mean of the metric."""
        metric, places = frontier_metric(self.setup)
        if self.setup.bounds and allowed_share(self.setup.bounds[0].target) is not None:
            target = self.setup.bounds[0].target
            return max(judge_bound(target, city, runs, 0.0).estimate for city in places)
        return max(float(np.mean(metric_values(runs, metric, city))) for city in places)


def frontier_metric(setup: PlanSetup) -> tuple[str, list[str | None]]:
    """The wait of the cost-versus-wait frontier and where it is judged: the first constraint's
    metric at its places (the worst counts), else the objective's, else the network's p95."""
    if setup.bounds:
        metric = setup.bounds[0].target.metric
        return metric, [b.city for b in setup.bounds if b.target.metric == metric]
    objective = setup.plan.objective
    if not objective.minimise.endswith("_cny"):
        return objective.minimise, [objective.city]
    return "wait_p95_s", [None]


def plan_manifest(setup: PlanSetup) -> dict[str, Any]:
    """What a plan folder's runs belong to: the scenario's data besides the plan's settings,
    the knobs' values (candidates are indices into them) and the seed."""
    scenario = {key: value for key, value in setup.data.items() if key != "plan"}
    knobs = [
        [knob.path, values] for knob, values in zip(setup.plan.knobs, setup.values, strict=True)
    ]
    text = json.dumps([scenario, knobs], sort_keys=True, default=str)
    return {
        "kind": "plan",
        "scenario_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "seed": setup.seed,
        "rows": "waits over each quantile bound",  # runs before it lack those columns
    }

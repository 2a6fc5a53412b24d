"""Capacity sizing: the smallest whole value of a scenario path whose metric meets a target with
95% confidence.

"Meets" uses the confidence bound, not the mean: for ``metric <= bound`` the upper bound
mean + ci95 must be within it, for ``metric >= bound`` the lower bound mean − ci95. Every value
is run with the same seeds (common random numbers), so the curve is smooth and monotone far more
often than independent runs would be. The search assumes that more of the varied quantity never
makes the metric worse; it gallops from the scenario's value (steps 1, 2, 4, …) or tests the
top of ``--range``, then bisects: about 2·log2(distance) evaluations instead of a grid.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis import mean_ci95
from sim.batch.executors import Executor, RunFunction, Task
from sim.batch.grid import load_raw, point_scenario, walk
from sim.batch.precision import next_total, precision_checks
from sim.batch.work import nested_metrics, run_one
from sim.formatting import format_target
from sim.metrics import METRIC_DOCS
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.loader import expand_variants, validate_data
from sim.scenario.schema import Precision, Scenario
from sim.units import parse_duration

MAX_VALUE = 2**40
"""Galloping up stops here: the target is taken as out of reach [-]."""

_TARGET = re.compile(r"^\s*([a-z0-9_]+)\s*(<=|>=)\s*(\S+)\s*$")


class SizingError(Exception):
    """Runs of an evaluation failed, so no answer can be trusted."""


@dataclass(frozen=True)
class Target:
    """A bound on a metric: ``wait_p95_s <= 86400``."""

    metric: str
    op: str
    bound: float

    @classmethod
    def parse(cls, text: str) -> Target:
        """Parse ``METRIC <= BOUND`` or ``METRIC >= BOUND``; a ``_s`` metric takes a duration
        (``1d``).

        Raises
        ------
        ValueError
            With what is wrong and what is valid.
        """
        match = _TARGET.match(text)
        if match is None:
            raise ValueError(f"expected 'METRIC <= BOUND' or 'METRIC >= BOUND', got {text!r}")
        metric, op, bound_text = match.groups()
        if metric not in METRIC_DOCS:
            raise ValueError(f"unknown metric {metric!r}; valid: {', '.join(METRIC_DOCS)}")
        try:
            bound = parse_duration(bound_text) if metric.endswith("_s") else float(bound_text)
        except ValueError as error:
            raise ValueError(f"bad bound {bound_text!r}: {error}") from None
        if not math.isfinite(bound):
            raise ValueError(f"bad bound {bound_text!r}: the bound must be a finite number")
        return cls(metric, op, bound)

    def confidence_bound(self, mean: float, ci95: float) -> float:
        """The side of the 95% interval that must meet the bound."""
        return mean + ci95 if self.op == "<=" else mean - ci95

    def met_by(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        return value <= self.bound if self.op == "<=" else value >= self.bound

    def __str__(self) -> str:
        """The machine form, as stored in sizing.json and plan.json: ``wait_p95_s <= 3600``."""
        return f"{self.metric} {self.op} {self.bound:g}"

    def human(self) -> str:
        """The target in the reader's units, as ``capsim size`` echoes it: ``wait_p95_s <= 1 h``."""
        return format_target(self.metric, self.op, self.bound)


@dataclass(frozen=True)
class Evaluation:
    """The target metric at one value of the varied path."""

    value: int
    mean: float
    ci95: float
    bound_used: float
    """mean + ci95 for ``<=``, mean − ci95 for ``>=``."""
    meets: bool
    replications: int
    precision_met: bool | None = None
    """With a precision target: whether its intervals met it (else the cap was reached)."""


@dataclass
class Sizing:
    """The answer and every evaluation that led to it (in the order made)."""

    vary: str
    target: Target
    city: str | None
    variant: str
    answer: int | None = None
    evaluations: list[Evaluation] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """sizing.json (docs/outputs.md)."""
        return {
            "vary": self.vary,
            "target": str(self.target),
            "metric": self.target.metric,
            "op": self.target.op,
            "bound": self.target.bound,
            "city": self.city,
            "variant": self.variant,
            "answer": self.answer,
            "evaluations": [asdict(e) for e in sorted(self.evaluations, key=lambda e: e.value)],
        }

    def table(self) -> pd.DataFrame:
        """sizing.parquet: the curve, one row per evaluated value, by value."""
        rows = [asdict(e) for e in sorted(self.evaluations, key=lambda e: e.value)]
        return pd.DataFrame(rows, columns=list(Evaluation.__dataclass_fields__))


class _Evaluator:
    """Runs the replications of one value of the path and judges the target on them."""

    def __init__(
        self,
        path: Path,
        vary: str,
        sizing: Sizing,
        *,
        replications: int,
        seed: int,
        executor: Executor,
        function: RunFunction,
        on_evaluation: Callable[[Evaluation], None] | None,
        precision: Precision | None = None,
    ):
        self.data, self.node = load_raw(path)
        self.on_evaluation = on_evaluation
        self.file, self.base_dir = str(path), Path(path).parent
        self.vary, self.sizing = vary, sizing
        self.replications, self.seed = replications, seed
        self.executor, self.function = executor, function
        self.precision = precision
        self.cache: dict[int, Evaluation] = {}

    def __call__(self, value: int) -> bool:
        if value not in self.cache:
            self.cache[value] = self._evaluate(value)
            self.sizing.evaluations.append(self.cache[value])
            if self.on_evaluation is not None:
                self.on_evaluation(self.cache[value])
        return self.cache[value].meets

    def _evaluate(self, value: int) -> Evaluation:
        scenario = point_scenario(
            self.data, {self.vary: value}, self.file, self.node, self.base_dir
        )
        rows: dict[int, pd.DataFrame] = {}
        done, total, met = 0, self.replications, None
        while total > done:
            tasks = [
                Task(value, self.sizing.variant, r, scenario, self.seed) for r in range(done, total)
            ]
            for task, outcome in self.executor.run(self.function, tasks):
                if outcome.rows is None:
                    raise SizingError(
                        f"{self.vary}={value}, replication {task.replication}: {outcome.error}"
                    )
                rows[task.replication] = outcome.rows
            done = total
            if self.precision is not None:
                runs = {self.sizing.variant: [nested_metrics(rows[r]) for r in sorted(rows)]}
                checks = precision_checks(runs, self.precision)
                met = all(check.met for check in checks)
                total = next_total(checks, done, self.precision)
        mean, ci95 = mean_ci95([_metric(rows[r], self.sizing) for r in sorted(rows)])
        target = self.sizing.target
        bound_used = target.confidence_bound(mean, ci95)
        meets = target.met_by(bound_used)
        return Evaluation(value, mean, ci95, bound_used, meets, len(rows), met)


def _metric(rows: pd.DataFrame, sizing: Sizing) -> float:
    if sizing.city is None:
        selected = rows[rows["level"] == "overall"]
    else:
        selected = rows[(rows["level"] == "city") & (rows["city"] == sizing.city)]
    return float(selected[sizing.target.metric].iloc[0])


def size_capacity(
    path: Path,
    vary: str,
    target: Target,
    *,
    executor: Executor,
    city: str | None = None,
    variant: str | None = None,
    low: int | None = None,
    high: int | None = None,
    replications: int = 10,
    seed: int | None = None,
    step: int = 1,
    function: RunFunction = run_one,
    on_evaluation: Callable[[Evaluation], None] | None = None,
    precision: Precision | None = None,
) -> Sizing:
    """Find the smallest value of ``vary`` in [low, high] whose ``target`` holds with 95%
    confidence.

    Parameters
    ----------
    path
        The scenario file.
    vary
        Dotted key path of a whole-number setting (e.g. a center's ``count``).
    target
        The bound on a metric, overall or in ``city``.
    low, high
        The search range; without ``high`` the search gallops from the scenario's value.
    replications, seed
        Replications per evaluated value (>= 2 for a confidence bound) and the batch seed.
    step
        Resolution of the answer: only multiples of ``step`` are tried (e.g. 1000 P).
    on_evaluation
        Called after each evaluation (to print progress).
    precision
        Replicate each value in rounds until its intervals meet this precision (from
        ``replications``, at most its ``max_replications``; :mod:`sim.batch.precision`).

    Raises
    ------
    ScenarioError
        If the scenario, the path, ``city`` or ``variant`` is invalid.
    SizingError
        If a run fails.
    """
    base = _checked_base(path, vary, city, variant, low, high, step)
    names = list(expand_variants(base))
    sizing = Sizing(vary, target, city, variant or names[0])
    evaluator = _Evaluator(
        path,
        vary,
        sizing,
        replications=replications,
        seed=base.run.seed if seed is None else seed,
        executor=executor,
        function=function,
        on_evaluation=on_evaluation,
        precision=precision,
    )
    start = _current_value(evaluator.data, vary)
    found = search(
        lambda multiple: evaluator(multiple * step),
        max(1, -(-(1 if low is None else low) // step)),  # the first multiple at or above low
        None if high is None else high // step,
        None if start is None else max(1, round(start / step)),
    )
    sizing.answer = None if found is None else found * step
    return sizing


def search(
    meets: Callable[[int], bool], low: int, high: int | None, start: int | None
) -> int | None:
    """The smallest value in [low, high] for which ``meets`` holds, ``meets`` being monotone.

    With ``high`` it tests ``high`` and bisects; without, it gallops from ``start`` (down while
    the target holds, up while it does not, in steps 1, 2, 4, …) and bisects the last step.
    None if the target is not met at ``high`` (or below :data:`MAX_VALUE`).
    """
    if high is not None:
        if not meets(high):
            return None
        bad, good = low - 1, high
    else:
        origin = max(low, start if start is not None else low)
        found = _gallop(meets, origin, low)
        if found is None:
            return None
        bad, good = found
    while good - bad > 1:
        middle = (good + bad) // 2
        if meets(middle):
            good = middle
        else:
            bad = middle
    return good


def _gallop(meets: Callable[[int], bool], origin: int, low: int) -> tuple[int, int] | None:
    """(a value that fails or low − 1, a value that meets), at most one gallop step apart."""
    step = 1
    if meets(origin):
        good = origin
        while good > low:
            value = max(origin - step, low)
            if not meets(value):
                return value, good
            good, step = value, step * 2
        return low - 1, low
    bad = origin
    while origin + step <= MAX_VALUE:
        value = origin + step
        if meets(value):
            return bad, value
        bad, step = value, step * 2
    return None


def _current_value(data: dict[str, Any], vary: str) -> int | None:
    """The whole number at ``vary`` in the file, if there is one."""
    current, missing = walk(data, vary)
    if missing:
        return None
    is_whole = isinstance(current, int) and not isinstance(current, bool)
    return current if is_whole else None


def _checked_base(
    path: Path,
    vary: str,
    city: str | None,
    variant: str | None,
    low: int | None,
    high: int | None,
    step: int,
) -> Scenario:
    """The validated scenario, after checking the options against it."""
    data, node = load_raw(path)
    base = validate_data(data, str(path), node, Path(path).parent)
    problems: list[str] = []
    if city is not None and city not in base.cities:
        problems.append(f"--city: no city {city!r}; cities: {', '.join(base.cities)}")
    names = list(expand_variants(base))
    if variant is not None and variant not in names:
        problems.append(f"--variant: no variant {variant!r}; variants: {', '.join(names)}")
    if high is None and _current_value(data, vary) is None:
        problems.append(f"--vary {vary}: the file holds no whole number there; give --range LO:HI")
    if low is not None and high is not None and not 0 <= low <= high:
        problems.append(f"--range {low}:{high}: need 0 <= LO <= HI")
    if high is not None and high < step:
        problems.append(f"--range: HI ({high}) is below --step ({step})")
    ScenarioError.collect(Problem(str(path), (), message) for message in problems)
    return base

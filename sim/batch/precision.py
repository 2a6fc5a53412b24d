"""How many replications are enough: Law & Kelton's sequential procedure for relative precision.

Law & Kelton (*Simulation Modeling and Analysis*, 5th ed., 2015, §9.4.1) run n₀ replications,
then add replications until the 95% confidence half-width δ of the mean X̄ satisfies
δ / |X̄| ≤ γ' = γ / (1 + γ); the interval X̄ ± δ then has a relative error of at most γ with
about 95% probability. Here the rule is applied to every named metric, per variant and per
place (overall, each city, each center as asked), and to every paired difference between a
variant and the baseline; replications are added in rounds (run in parallel) whose size is what
the observed variance says is still missing, at most doubling the count, until every check is
met or the cap is reached. A metric whose mean is near zero never meets a relative target, so
a check also passes when the half-width is within the metric's ``absolute`` half-width.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from sim.analysis import mean_ci95, replications_for
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.schema import Precision, Scenario

RunMetrics = Mapping[str, Any]


@dataclass(frozen=True)
class Check:
    """One interval that must be narrow enough: a metric at a place, for a variant or for a
    paired difference ("on-demand − siloed")."""

    of: str
    place: str
    metric: str
    mean: float
    ci95: float
    allowed: float
    """The half-width that meets the target: γ'·|mean|, or the absolute one if larger."""
    met: bool
    needed: int | None
    """Replications that would meet it at the observed variance; None: no finite number."""


PRECISION_HELP = (
    "replicate until the 95%% CIs meet a precision, as run.precision in YAML, e.g. "
    '"{metrics: [wait_p95_s], relative: 5%%, per: city, max_replications: 200}"; laid over '
    "the scenario's run.precision; 'off' turns it off"
)
"""The help of ``--precision`` (``%`` doubled for argparse)."""


def precision_option(text: str) -> dict[str, Any] | None:
    """The value of ``--precision``: a YAML mapping of :class:`Precision` keys, or None for
    ``off``."""
    if text.strip().lower() in ("off", "none"):
        return None
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = None
    if not isinstance(value, dict):
        raise ValueError(
            f"expected a mapping such as '{{metrics: [wait_p95_s], relative: 5%}}' or 'off', "
            f"got {text!r}"
        )
    return value


def chosen_precision(
    scenario: Scenario, option: dict[str, Any] | bool | None, replications: int | None
) -> Precision | None:
    """The precision to replicate to: ``--precision`` (``option``; False when not given) laid
    over the scenario's ``run.precision``; ``--replications`` alone turns the scenario's off.

    Raises
    ------
    ScenarioError
        If the result is not a valid precision, naming ``--precision`` and the key.
    """
    if option is False:
        return None if replications is not None else scenario.run.precision
    if option is None or option is True:
        return None
    base = scenario.run.precision.model_dump() if scenario.run.precision else {}
    try:
        return Precision.model_validate({**base, **option})
    except ValidationError as error:
        raise ScenarioError(
            [
                Problem("--precision", ("run", "precision", *e["loc"]), e["msg"])
                for e in error.errors()
            ]
        ) from None


def precision_checks(runs: Mapping[str, Sequence[RunMetrics]], precision: Precision) -> list[Check]:
    """Every check of ``precision`` on per-replication nested metrics (the first variant is the
    baseline of the paired differences)."""
    names = list(runs)
    checks: list[Check] = []
    for name in names:
        for place, values in _places(runs[name], precision.per):
            checks += _checks(name, place, values, precision)
    for name in names[1:]:
        baseline = dict(_places(runs[names[0]], precision.per))
        for place, values in _places(runs[name], precision.per):
            if place in baseline:
                paired = _paired(values, baseline[place], precision.metrics)
                checks += _checks(f"{name} − {names[0]}", place, paired, precision)
    return checks


def next_total(checks: Sequence[Check], done: int, precision: Precision) -> int:
    """Replications to have after the next round; ``done`` when every check is met or the cap
    is reached. The next round adds what the worst unmet check needs, at most ``done`` more."""
    unmet = [check for check in checks if not check.met]
    if not unmet or done >= precision.max_replications:
        return done
    wanted = [check.needed for check in unmet]
    worst = 2 * done if None in wanted else max(n for n in wanted if n is not None)
    return min(precision.max_replications, max(done + 1, min(worst, 2 * done)))


def precision_record(
    checks: Sequence[Check], precision: Precision, rounds: Sequence[int]
) -> dict[str, Any]:
    """The ``precision`` entry of summary.json: the target, the replications used (after each
    round), whether every check was met, and each check."""
    return {
        **precision.model_dump(),
        "relative_adjusted": _adjusted(precision.relative),
        "replications": rounds[-1],
        "rounds": list(rounds),
        "met": all(check.met for check in checks),
        "checks": [asdict(check) for check in checks],
    }


def _adjusted(relative: float) -> float:
    """γ' = γ / (1 + γ): the half-width over |mean| that gives a relative error of γ."""
    return relative / (1.0 + relative)


def _checks(
    of: str, place: str, values: Mapping[str, Sequence[float]], precision: Precision
) -> Iterator[Check]:
    gamma = _adjusted(precision.relative)
    for metric in precision.metrics:
        series = values.get(metric)
        if series is None or not any(math.isfinite(v) for v in series):
            continue  # undefined at this place (no jobs there): nothing to estimate
        mean, half = mean_ci95(series)
        allowed = max(gamma * abs(mean), precision.absolute.get(metric, 0.0))
        met = math.isfinite(half) and half <= allowed
        needed = len(series) if met else replications_for(half, allowed, len(series))
        yield Check(of, place, metric, mean, half, allowed, met, needed)


def _places(runs: Sequence[RunMetrics], per: str) -> Iterator[tuple[str, dict[str, list[float]]]]:
    """(place, {metric: one value per replication}) at the levels ``per`` asks for."""
    yield "overall", _series([run["overall"] for run in runs])
    if per == "overall":
        return
    for city in runs[0]["cities"]:
        yield city, _series([run["cities"][city] for run in runs])
        if per == "center":
            for center in runs[0]["cities"][city].get("centers", {}):
                rows = [run["cities"][city]["centers"][center] for run in runs]
                yield f"{city}/{center}", _series(rows)


def _series(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[float]]:
    return {
        key: [float(row[key]) for row in rows]
        for key, value in rows[0].items()
        if not isinstance(value, Mapping)
    }


def _paired(
    values: Mapping[str, Sequence[float]],
    baseline: Mapping[str, Sequence[float]],
    metrics: Sequence[str],
) -> dict[str, list[float]]:
    return {
        metric: [a - b for a, b in zip(values[metric], baseline[metric], strict=True)]
        for metric in metrics
        if metric in values and metric in baseline
    }

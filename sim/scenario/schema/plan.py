"""The `plan:` section: the decisions `capsim plan` searches (knobs), what it optimises and the
constraints a plan must meet with a stated confidence."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PositiveInt, WithJsonSchema, model_validator

from sim.scenario.schema.base import Name, Section, Watts
from sim.units import parse_duration

CONSTRAINT_PATTERN = r"^\s*[a-z0-9_]+\s*(<=|>=)\s*\S+\s*$"


def _number_or_duration(value: Any) -> Any:
    return parse_duration(value) if isinstance(value, str) else value


KnobValue = Annotated[
    float,
    BeforeValidator(_number_or_duration),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number"}, {"type": "string"}],
            "description": "A number (accelerators, PFLOPS, cabinets), or for a phase's `at` a "
            "duration such as '90d'.",
        }
    ),
]


class Knob(Section):
    """One decision: a whole-number setting of the scenario, tried from `from` to `to` in steps
    of `step`. More capacity must never make a wait worse: a count, `pflops` or `cabinets` of
    a center or pool, a phase's `count` or `add` (more is more capacity), or a phase's `at`
    (earlier is more capacity)."""

    path: str = Field(
        min_length=1,
        description="Dotted key path in the scenario, e.g. "
        "cities.shenzhen.centers.qianhai.pflops, cities.guian.centers.c.pools.0.count or "
        "cities.beijing.centers.aicc.phases.1.at.",
    )
    start: KnobValue = Field(alias="from", description="First value tried [unit of the key].")
    to: KnobValue = Field(description="Last value tried (included if a step lands on it).")
    step: KnobValue = Field(gt=0, description="Step between values tried [unit of the key].")

    @model_validator(mode="after")
    def _ordered(self) -> Knob:
        if self.to < self.start:
            raise ValueError(f"`to` ({self.to:g}) is below `from` ({self.start:g})")
        if (self.to - self.start) / self.step > 10_000:
            raise ValueError("more than 10,000 values between `from` and `to`: take a larger step")
        return self

    @property
    def earlier_is_more(self) -> bool:
        """Whether a smaller value means more capacity (a phase's time)."""
        return self.path.rsplit(".", 1)[-1] == "at"

    def values(self) -> list[float]:
        """The values tried, from least capacity to most."""
        count = int((self.to - self.start) / self.step + 1e-9) + 1
        values = [self.start + i * self.step for i in range(count)]
        whole = all(float(v).is_integer() for v in (self.start, self.step))
        ordered = [int(v) if whole else v for v in values]
        return ordered[::-1] if self.earlier_is_more else ordered


class Constraint(Section):
    """A service level every recommended plan must meet at the plan's confidence."""

    target: str = Field(
        pattern=CONSTRAINT_PATTERN,
        description="`METRIC <= BOUND` or `METRIC >= BOUND`, a metric of docs/outputs.md; a "
        "`_s` metric takes a duration, e.g. 'wait_p95_s <= 1h'.",
    )
    city: str | None = Field(
        None,
        description="Where it is judged: a city name, '*' for every city (each one must meet "
        "it), or None (default) for the whole network.",
    )


class Objective(Section):
    """What the plan minimises."""

    minimise: str = Field(
        "tco_cny",
        description="A metric (docs/outputs.md): a cost (`tco_cny`, `build_cny`) to find the "
        "cheapest plan meeting the constraints, or a wait (`wait_p95_s`, ...) to find the "
        "shortest within `budget_cny`.",
    )
    city: Name | None = Field(None, description="Judged in this city; None: the whole network.")


class Plan(Section):
    """Decisions for `capsim plan`: knobs, an objective, constraints and how sure to be.
    `capsim run` and `capsim batch` ignore this section."""

    knobs: list[Knob] = Field(min_length=1, description="The decisions searched.")
    objective: Objective = Field(
        default_factory=lambda: Objective(), description="What to minimise (default tco_cny)."
    )
    constraints: list[Constraint] = Field(
        default_factory=list, description="Service levels the plan must meet."
    )
    budget_cny: float | None = Field(
        None,
        gt=0,
        description="A plan's mean `tco_cny` (the whole network, over the window) must not "
        "exceed this [CNY]. None: no budget.",
    )
    power_cap: Annotated[Watts, Field(gt=0)] | None = Field(
        None,
        description="Facility power at full load of the most accelerators every center ever has "
        "installed, all centers together, must fit under this [W], e.g. '2GW'. None: no cap.",
    )
    confidence: float = Field(
        0.95,
        gt=0.5,
        lt=1,
        description="Confidence that the recommended plan meets every constraint together [-] "
        "(one-sided Student t bounds, Bonferroni over the constraints' places).",
    )
    variants: list[Name] | None = Field(
        None,
        description="Variants to plan for, each on its own (e.g. [siloed, on-demand] for what "
        "pooling saves). None: every variant.",
    )
    replications: PositiveInt = Field(
        5, ge=2, le=1000, description="Replications per plan while searching [-]."
    )
    final_replications: PositiveInt = Field(
        20,
        ge=2,
        le=10_000,
        description="Fresh replications (new seeds) run for the finalists to choose and "
        "certify the recommended plan [-].",
    )
    finalists: PositiveInt = Field(
        3, le=50, description="Best plans of the search that go to the final check [-]."
    )

    @model_validator(mode="after")
    def _distinct_knobs(self) -> Plan:
        paths = [knob.path for knob in self.knobs]
        if len(set(paths)) < len(paths):
            raise ValueError("each knob must have a different path")
        return self

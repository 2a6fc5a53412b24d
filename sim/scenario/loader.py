"""Loading a scenario: YAML text → validated :class:`Scenario`, or every problem at once."""

from __future__ import annotations

import difflib
import functools
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.scenario import checks
from sim.scenario.errors import Loc, Problem, ScenarioError
from sim.scenario.reading import child_node, number_problems, read_text, read_yaml
from sim.scenario.schema import Scenario
from sim.units import brief

BASE_VARIANT = "base"
"""The name of the only variant of a scenario that declares none."""


def deep_merge(base: Mapping[str, Any], delta: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` with ``delta`` laid over it; mappings merge, anything else replaces."""
    merged = dict(base)
    for key, value in delta.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    path
        The scenario YAML file.
    overrides
        Nested keys laid over the file's content before validation (e.g. ``{"run": {"seed": 3}}``).

    Raises
    ------
    ScenarioError
        With every problem found, each naming the file, key path and line.
    """
    text = read_text(path)
    return parse_scenario(text, file=str(path), base_dir=Path(path).parent, overrides=overrides)


def parse_scenario(
    text: str,
    file: str = "<scenario>",
    base_dir: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Scenario:
    """Validate scenario YAML text; see :func:`load_scenario`."""
    data, node = read_yaml(text, file)
    if not isinstance(data, Mapping):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(
            [Problem(file, (), f"expected a mapping of scenario keys, found {found}")]
        )
    if overrides:
        data = deep_merge(data, overrides)
    return validate_data(data, file, node, base_dir or Path("."))


def validate_data(
    data: Mapping[str, Any], file: str, node: yaml.Node | None = None, base_dir: Path = Path(".")
) -> Scenario:
    """Validate already-parsed scenario data and every variant of it, with the cross-checks."""
    scenario = _validate_one(data, file, node, base_dir)
    base = {key: value for key, value in data.items() if key != "variants"}
    expanded: dict[str, Scenario] = {}
    problems: list[Problem] = []
    for name, delta in scenario.variants.items():
        where = ("variants", name)
        line = _line_of(node, data, where)
        if "variants" in delta:
            problems.append(Problem(file, where, "a variant cannot declare variants", line))
            continue
        try:
            expanded[name] = _validate_one(deep_merge(base, delta), file, None, base_dir)
        except ScenarioError as error:
            problems += [Problem(file, (*where, *p.loc), p.message, line) for p in error.problems]
    ScenarioError.collect(problems)
    scenario._expanded = expanded
    return scenario


def expand_variants(scenario: Scenario) -> dict[str, Scenario]:
    """The scenario's variants as whole scenarios, in declaration order.

    A scenario without variants is its own single variant, ``base``.
    """
    if not scenario.variants:
        return {BASE_VARIANT: scenario}
    if scenario._expanded:
        return dict(scenario._expanded)
    base = scenario.model_dump(exclude={"variants"})
    return {
        name: Scenario.model_validate(deep_merge(base, delta))
        for name, delta in scenario.variants.items()
    }


def _validate_one(
    data: Mapping[str, Any], file: str, node: yaml.Node | None, base_dir: Path
) -> Scenario:
    """Validate one scenario's data, reporting every problem at once.

    Numbers no quantity can take are refused first and left out of the schema validation.
    When the schema finds problems, the cross-checks still run on what is left once the keys
    in error are set aside (see :func:`_salvage`), and their findings are reported too.
    """
    numbers = number_problems(data)
    problems = [Problem(file, loc, message, _line_of(node, data, loc)) for loc, message in numbers]
    refused = [loc for loc, _ in numbers]
    usable = _without(data, refused)
    try:
        scenario: Scenario | None = Scenario.model_validate(usable)
    except ValidationError as error:
        found = [_problem_from_pydantic(item, usable, file, node) for item in error.errors()]
        problems += [problem for problem in found if problem.loc not in refused]
        scenario, set_aside = _salvage(usable, error)
        refused += set_aside
    if scenario is not None:
        scenario, cross = _cross_checks(scenario, base_dir)
        problems += [
            Problem(file, loc, message, _line_of(node, data, loc))
            for loc, message in cross
            if not _touches(loc, message, refused)
        ]
    ScenarioError.collect(sorted(problems, key=lambda problem: problem.line or 0))
    assert scenario is not None  # no problem was found, so the data validated
    return scenario


def _cross_checks(scenario: Scenario, base_dir: Path) -> tuple[Scenario, list[tuple[Loc, str]]]:
    """Read the sample and trace files a scenario names, then run every cross-check: the
    scenario with its samples loaded, and the problems found."""
    scenario, problems = checks.load_sample_files(scenario, base_dir)
    problems += checks.load_traces(scenario, base_dir)
    problems += checks.run_all(scenario)
    return scenario, problems


SALVAGE_ROUNDS = 4
"""Rounds of setting keys aside to find a part of a faulty scenario the cross-checks can use."""


def _salvage(data: Mapping[str, Any], error: ValidationError) -> tuple[Scenario | None, list[Loc]]:
    """The scenario without the keys the schema refused (a key missing: its parent), and
    the key paths set aside; None if that would remove an entry of a list or the whole file."""
    usable: Any = data
    set_aside: list[Loc] = []
    for _ in range(SALVAGE_ROUNDS):
        targets = []
        for item in error.errors():
            loc = tuple(p for p in _data_loc(tuple(item["loc"]), usable) if p != "[key]")
            target = loc[:-1] if item["type"] == "missing" else loc
            if not target or isinstance(target[-1], int):
                return None, set_aside
            targets.append(target)
        set_aside += targets
        usable = _without(usable, targets)
        try:
            return Scenario.model_validate(usable), set_aside
        except ValidationError as again:
            error = again
        except (ValueError, TypeError, ArithmeticError):
            return None, set_aside
    return None, set_aside


def _without(data: Any, locs: list[Loc]) -> Any:
    """A copy of ``data`` without the mapping keys at ``locs`` (other locations are kept)."""
    if not locs:
        return data
    by_head: dict[Any, list[Loc]] = {}
    for loc in locs:
        if loc:
            by_head.setdefault(loc[0], []).append(loc[1:])
    if isinstance(data, Mapping):
        return {
            key: _without(value, by_head[key]) if key in by_head else value
            for key, value in data.items()
            if key not in by_head or () not in by_head[key]
        }
    if isinstance(data, list):
        return [
            _without(value, by_head[index]) if index in by_head else value
            for index, value in enumerate(data)
        ]
    return data


def _touches(loc: Loc, message: str, set_aside: list[Loc]) -> bool:
    """Whether a cross-check finding may come from keys set aside: it is at, above or below
    one of them, or names one (a city set aside makes references to it look unknown)."""
    for other in set_aside:
        shared = min(len(loc), len(other))
        if loc[:shared] == other[:shared]:
            return True
        if other and f"'{other[-1]}'" in message:
            return True
    return False


# --- turning pydantic errors into problems -------------------------------------------------


def _problem_from_pydantic(item: Any, data: Any, file: str, node: yaml.Node | None) -> Problem:
    loc = _data_loc(tuple(item["loc"]), data)
    kind = item["type"]
    message = str(item["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        message = _unknown_key_message(tuple(item["loc"]), str(loc[-1]))
    elif kind == "missing":
        message = "required key is missing"
    elif kind == "union_tag_invalid":
        expected = item.get("ctx", {}).get("expected_tags", "")
        message = f"unknown kind {item['input'].get('kind')!r}; valid kinds: {expected}"
    elif kind == "union_tag_not_found":
        message = "a `kind` is required"
    value = item.get("input")  # quoted if a short plain value, never a section (may be huge)
    quoted = kind not in ("missing", "extra_forbidden", "value_error") and "input" in item
    if quoted and not isinstance(value, dict | list) and "…" not in (shown := brief(value, 60)):
        message += f" (got {shown})"
    line = _line_of(node, data, loc)
    if len(item["loc"]) > 1 and item["loc"][-1] == "[key]" and kind != "extra_forbidden":
        name = item["loc"][-2]  # a bad name as a key: in the message, not the path
        loc = tuple(part for part in loc if part not in ("[key]", name))
        message = f"the name {brief(name)}: {message}"
    return Problem(file, loc, message, line)


def _data_loc(loc: Loc, data: Any) -> Loc:
    """Drop the parts of a pydantic location that are not keys of the data (union tags)."""
    kept: list[str | int] = []
    current = data
    for index, part in enumerate(loc):
        if isinstance(current, Mapping) and current.get("kind") == part and part not in current:
            continue  # the tag pydantic adds for the member of a discriminated union
        in_mapping = isinstance(current, Mapping) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and part < len(current)
        if in_mapping or in_list:
            kept.append(part)
            current = current[part]
        elif index == len(loc) - 1 or part == "[key]":
            kept.append(part)
            current = None
    return tuple(kept)


def _line_of(node: yaml.Node | None, data: Any, loc: Loc) -> int | None:
    """The 1-based line of the deepest node of ``loc`` present in the YAML file."""
    if node is None:
        return None
    line = node.start_mark.line
    for part in loc:
        found = child_node(node, part)
        if found is None:
            break
        node, line = found
    return line + 1


def _unknown_key_message(loc: Loc, key: str) -> str:
    valid = _fields_at(loc[:-1])
    if not valid:
        return f"unknown key {key!r}"
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    if close:
        return f"unknown key {key!r}; did you mean {close[0]!r}?"
    return f"unknown key {key!r}; valid keys: {', '.join(valid)}"


@functools.lru_cache(maxsize=256)
def _fields_at(loc: Loc) -> tuple[str, ...]:
    """The field names of the model a pydantic location points into (none if it is not a model).

    Cached: a file with thousands of unknown keys asks about the same few models each time.
    """
    current: Any = Scenario
    for part in loc:
        current = _strip(current)
        members = _union_members(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            current = field.annotation if field else None
        elif members:  # a discriminated union: pydantic puts the member's tag in the location
            current = next((m for m in members if _kind_of(m) == part), None)
        elif typing.get_origin(current) in (dict, list):
            current = typing.get_args(current)[-1]
        else:
            current = None
        if current is None:
            return ()
    current = _strip(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return tuple(name for name in current.model_fields if name != "kind")
    return ()


def _strip(annotation: Any) -> Any:
    """Unwrap ``Annotated[...]`` and ``X | None`` down to X."""
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        members = [m for m in _union_members(annotation) if m is not type(None)]
        if members and len(members) == 1:
            annotation = members[0]
            continue
        return annotation


def _union_members(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [_strip(member) for member in typing.get_args(annotation)]
    return []


def _kind_of(model: Any) -> str | None:
    if isinstance(model, type) and issubclass(model, BaseModel) and "kind" in model.model_fields:
        args = typing.get_args(model.model_fields["kind"].annotation)
        return str(args[0]) if args else None
    return None

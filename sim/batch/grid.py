"""The grid of a batch: sweep axes over dotted key paths, each point validated before any run.

A point is the scenario with one value of every axis laid over the file's data, validated
exactly as a file would be, so a bad path or value is reported with the scenario's own located
problems before anything runs.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sim import memory
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.loader import validate_data
from sim.scenario.reading import read_text, read_yaml
from sim.scenario.schema import Scenario

Axes = dict[str, list[Any]]
"""Sweep axes: {dotted key path: values}, in the order the axes vary (the last fastest)."""


@dataclass(frozen=True)
class Point:
    """One point of the sweep grid: its index, the value of every axis and its scenario."""

    index: int
    params: dict[str, Any]
    scenario: Scenario

    def label(self) -> str:
        """``path=value, ...``, or ``(base)`` for the grid of no axes."""
        return ", ".join(f"{path}={value}" for path, value in self.params.items()) or "(base)"


def parse_sweep(text: str) -> tuple[str, list[Any]]:
    """Parse ``PATH=V1,V2,...``; each value is read as a YAML scalar (``8`` is a number).

    Raises
    ------
    ValueError
        If the text has no ``=``, an empty path or no values.
    """
    path, sep, values = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise ValueError(f"expected PATH=V1,V2,... , got {text!r}")
    parts = [part.strip() for part in values.split(",")]
    if not parts or any(not part for part in parts):
        raise ValueError(f"{path}: empty value in {values!r}")
    parsed = []
    for part in parts:
        try:
            parsed.append(yaml.safe_load(part))
        except yaml.YAMLError:
            parsed.append(part)
    return path, parsed


def split_path(path: str) -> list[str | int]:
    """A dotted key path as keys and list indices: ``workload.0.rate`` → ['workload', 0, 'rate']."""
    parts: list[str | int] = []
    for part in path.split("."):
        if not part:
            raise ValueError(f"empty key in the path {path!r}")
        parts.append(int(part) if part.isdigit() else part)
    return parts


def set_path(data: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``data`` with the key at ``path`` set to ``value``.

    Missing mapping keys are created (the schema then says whether they are valid); a list
    index must exist.

    Raises
    ------
    ValueError
        If the path runs into a list with a key that is not an index in range, or into a value
        that is neither a mapping nor a list.
    """
    result = copy.deepcopy(dict(data))
    current: Any = result
    parts = split_path(path)
    for depth, part in enumerate(parts):
        here = ".".join(str(p) for p in parts[:depth]) or "(top level)"
        last = depth == len(parts) - 1
        if isinstance(current, list):
            if not isinstance(part, int) or part >= len(current):
                raise ValueError(
                    f"{path}: {here} is a list of {len(current)} entries; "
                    f"{part!r} is not an index in it (0 to {len(current) - 1})"
                )
        elif isinstance(current, dict):
            if not last and part not in current:
                current[part] = {}
        else:
            raise ValueError(f"{path}: {here} is a value, not a mapping or a list")
        if last:
            current[part] = value
        else:
            current = current[part]
    return result


def grid_axes(scenario_axes: Mapping[str, Sequence[Any]], cli_axes: Sequence[str]) -> Axes:
    """The axes of a batch: the scenario's ``sweep:`` block, then ``--sweep`` arguments (which
    replace an axis of the same path)."""
    axes: Axes = {path: list(values) for path, values in scenario_axes.items()}
    for text in cli_axes:
        path, values = parse_sweep(text)
        axes[path] = values
    return axes


def build_grid(
    path: str | Path, cli_axes: Sequence[str] = ()
) -> tuple[Scenario, Axes, list[Point]]:
    """Load a scenario and validate every point of its sweep grid.

    Returns
    -------
    (base scenario, axes, points)
        Points in grid order: the product of the axes, the last axis varying fastest.

    Raises
    ------
    ScenarioError
        With every problem of the file, of an axis or of a point, each naming the path and value.
    """
    data, node = load_raw(path)
    file, base_dir = str(path), Path(path).parent
    base = validate_data(data, file, node, base_dir)
    try:
        axes = grid_axes(base.sweep, cli_axes)
    except ValueError as error:
        raise ScenarioError([Problem(file, ("sweep",), str(error))]) from None
    memory.require_points(math.prod(len(values) for values in axes.values()), file)
    points: list[Point] = []
    problems: list[Problem] = []
    for index, values in enumerate(itertools.product(*axes.values())):
        params = dict(zip(axes, values, strict=True))
        try:
            points.append(Point(index, params, point_scenario(data, params, file, node, base_dir)))
        except ScenarioError as error:
            problems += error.problems
    ScenarioError.collect(dict.fromkeys(problems))  # one line for a problem all points share
    return base, axes, points


def load_raw(path: str | Path) -> tuple[dict[str, Any], yaml.Node | None]:
    """The scenario file's data (not yet validated) and its YAML node tree (for line numbers)."""
    file = str(path)
    data, node = read_yaml(read_text(path), file)
    if not isinstance(data, Mapping):
        raise ScenarioError([Problem(file, (), "expected a mapping of scenario keys")])
    return dict(data), node


def point_scenario(
    data: Mapping[str, Any],
    params: Mapping[str, Any],
    file: str,
    node: yaml.Node | None,
    base_dir: Path,
) -> Scenario:
    """The scenario with every ``params`` path set to its value, validated.

    Raises
    ------
    ScenarioError
        With the problems of the merged scenario, each marked with the point's values.
    """
    label = ", ".join(f"{path}={value!r}" for path, value in params.items())
    merged: dict[str, Any] = dict(data)
    try:
        for path, value in params.items():
            merged = set_path(merged, path, value)
    except ValueError as error:
        raise ScenarioError([Problem(file, ("sweep",), str(error))]) from None
    try:
        return validate_data(merged, file, node, base_dir)
    except ScenarioError as error:
        # A typo in a path leads, once (the grid drops repeats), with its "did you mean";
        # the unknown-key problem it causes at every point would only repeat it.
        hinted = {path: hint for path in params if (hint := _hint(data, path))}
        typos = [tuple(split_path(path)) for path in hinted]
        raise ScenarioError(
            [Problem(file, ("sweep",), hint) for hint in hinted.values()]
            + [
                Problem(p.file, p.loc, f"{p.message} [sweep point {label}]", p.line)
                for p in error.problems
                if not (
                    p.message.startswith("unknown key")
                    and any(typo[: len(p.loc)] == p.loc for typo in typos)
                )
            ]
        ) from None


def walk(data: Any, path: str) -> tuple[Any, list[str | int]]:
    """Follow ``path`` into ``data`` as far as it exists: (the value reached, the parts left)."""
    parts = split_path(path)
    current = data
    while parts:
        part = parts[0]
        in_list = isinstance(current, list) and isinstance(part, int) and part < len(current)
        if not (in_list or (isinstance(current, Mapping) and part in current)):
            break
        current = current[part]
        parts.pop(0)
    return current, parts


def _hint(data: Mapping[str, Any], path: str) -> str | None:
    """Say which key of ``path`` is not in the file, with the closest one that is."""
    reached, missing = walk(data, path)
    if not missing or not isinstance(reached, Mapping):
        return None
    close = difflib.get_close_matches(str(missing[0]), [str(k) for k in reached], n=1)
    guess = f"; did you mean {close[0]!r}?" if close else ""
    return f"{path}: {missing[0]!r} is not in the scenario file{guess}"

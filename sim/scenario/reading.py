"""Reading a scenario file safely: a bounded regular file, then bounded YAML.

Scenarios come from people and from scripts run unattended, so nothing in a file may hang
capsim or exhaust memory before validation can say what is wrong: the file must be a regular
file of at most :data:`MAX_FILE_BYTES`, and its YAML may nest at most :data:`MAX_DEPTH` levels
and expand (aliases included) to at most :data:`MAX_NODES` values.
"""

from __future__ import annotations

import math
import os
import stat
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from sim.scenario.errors import Loc, Problem, ScenarioError
from sim.units import brief

MAX_FILE_BYTES = 16 * 2**20
"""Largest scenario file read [bytes]; shipped scenarios are under 10 KB (samples go in files)."""
MAX_NODES = 1_000_000
"""Most values a scenario may expand to, counting every use of a YAML alias (a "billion
laughs" file of 600 bytes expands to 10^9)."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists; a real scenario nests about 8 levels."""


def read_text(path: str | Path) -> str:
    """The text of a scenario file: a regular file, UTF-8, at most :data:`MAX_FILE_BYTES`.

    Opened without blocking, so a FIFO given by mistake is refused instead of waited on.

    Raises
    ------
    ScenarioError
        If the file is missing, not a regular file, too large, unreadable or not UTF-8.
    """
    file = str(path)

    def refuse(message: str) -> ScenarioError:
        return ScenarioError([Problem(file, (), message)])

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise refuse("no such file") from None
    except OSError as error:
        raise refuse(f"cannot read the file: {error.strerror or error}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "a device, FIFO or socket"
            raise refuse(f"not a regular file ({kind}); give a scenario YAML file")
        raw = _read_at_most(fd, MAX_FILE_BYTES + 1)
    except OSError as error:
        raise refuse(f"cannot read the file: {error.strerror or error}") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:
        raise refuse(
            f"the file is larger than {MAX_FILE_BYTES // 2**20} MB; a scenario is a few KB "
            "(put long sample lists in a CSV file and give its `path`)"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ScenarioError(
            [Problem(file, (), f"the file is not UTF-8 text (byte {error.start + 1})", line)]
        ) from None


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(fd, min(left, 2**20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class _Loader(yaml.SafeLoader):
    """A safe YAML loader that bounds nesting and rejects duplicate and non-scalar keys."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"the data nests deeper than {MAX_DEPTH} levels",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    "a key must be a plain name or number, not a list or mapping",
                    key_node.start_mark,
                )
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first on line {seen[key] + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def read_yaml(text: str, file: str) -> tuple[Any, yaml.Node | None]:
    """Parse YAML text into data and its node tree (for line numbers).

    Raises
    ------
    ScenarioError
        If the text is not YAML, nests too deep or expands to too many values.
    """
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_size(node, file)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(error, "problem", None) or str(error)
        message = f"this is not valid YAML: {reason}"
        if mark is not None:
            message += f" (column {mark.column + 1})"
        raise ScenarioError([Problem(file, (), message, line)]) from None
    return data, node


def _check_size(root: yaml.Node, file: str) -> None:
    """Refuse a node tree that expands to more than :data:`MAX_NODES` values.

    Counted on the composed nodes, where an alias is the same node object as its anchor, so
    the count costs one visit per distinct node however large the expansion.
    """
    sizes: dict[int, int] = {}
    visiting: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in visiting:
            raise ScenarioError(
                [Problem(file, (), "an alias refers to itself", node.start_mark.line + 1)]
            )
        visiting.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        visiting.discard(key)
        sizes[key] = total
        return total

    total = size(root)
    if total > MAX_NODES:
        raise ScenarioError(
            [
                Problem(
                    file,
                    (),
                    f"the data expands to {total:.3g} values (limit {MAX_NODES:.0e}); "
                    "aliases (*name) repeat what they refer to",
                )
            ]
        )


_KEYED: weakref.WeakKeyDictionary[yaml.MappingNode, dict[str, tuple[yaml.Node, yaml.Node]]] = (
    weakref.WeakKeyDictionary()
)


def child_node(node: yaml.Node, part: str | int) -> tuple[yaml.Node, int] | None:
    """The node under key or index ``part`` of ``node``, with the 0-based line of its key.

    Mappings are indexed once, so locating every problem of a file costs one pass over it.
    """
    if isinstance(node, yaml.MappingNode):
        keyed = _KEYED.get(node)
        if keyed is None:
            keyed = {}
            for key_node, value_node in node.value:
                keyed.setdefault(str(key_node.value), (key_node, value_node))
            _KEYED[node] = keyed
        found = keyed.get(str(part))
        return (found[1], found[0].start_mark.line) if found else None
    in_range = isinstance(part, int) and 0 <= part < len(node.value)
    if isinstance(node, yaml.SequenceNode) and in_range:
        child = node.value[part]
        return child, child.start_mark.line
    return None


LARGEST_NUMBER = 1e30
"""Largest magnitude of a plain number in a scenario (work in FLOP reaches ~1e26); the smallest
non-zero one is its inverse. Each quantity has its own, narrower range in the schema."""
LARGEST_WHOLE = 2**53
"""Largest whole number a float holds exactly; counts beyond it are typos."""


def number_problems(data: Any, loc: Loc = ()) -> list[tuple[Loc, str]]:
    """Plain numbers that no quantity of a scenario can take: infinities, NaN, whole numbers of
    more than 2^53, magnitudes beyond :data:`LARGEST_NUMBER` or below its inverse.

    Checked on the data before validation, so every key (even an unknown one) is covered and
    no validator meets a number it cannot convert.
    """
    problems: list[tuple[Loc, str]] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            problems += number_problems(value, (*loc, key if isinstance(key, int) else str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            problems += number_problems(value, (*loc, index))
    elif isinstance(data, bool):
        pass
    elif isinstance(data, int) and abs(data) > LARGEST_WHOLE:
        problems.append(
            (loc, f"{brief(data)} is too large (whole numbers up to {LARGEST_WHOLE:.2g})")
        )
    elif isinstance(data, float) and not math.isfinite(data):
        problems.append((loc, f"{brief(data)} is not a finite number"))
    elif isinstance(data, float) and data != 0 and not abs(data) >= 1 / LARGEST_NUMBER:
        problems.append((loc, f"{data:g} is too close to 0 (smallest {1 / LARGEST_NUMBER:g})"))
    elif isinstance(data, float) and abs(data) > LARGEST_NUMBER:
        problems.append((loc, f"{data:g} is too large (largest {LARGEST_NUMBER:g})"))
    return problems

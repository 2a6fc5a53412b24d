"""Scenario problems: where they are (file, key path, line) and what is wrong."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Loc = tuple[str | int, ...]


def format_path(loc: Loc) -> str:
    """Render a key path as a user would write it: ``workload[0].size.weights``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario."""

    file: str
    loc: Loc
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        if not self.loc:
            return f"{where}: {self.message}"
        return f"{where}: {format_path(self.loc)}: {self.message}"


class ScenarioError(Exception):
    """A scenario that cannot be run, with every problem found in it."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the scenario:"
        return "\n".join([head, *(f"  {problem}" for problem in self.problems)])

    @classmethod
    def collect(cls, problems: Iterable[Problem]) -> None:
        """Raise with all the given problems, if there are any."""
        found = list(problems)
        if found:
            raise cls(found)

"""The scenarios shipped with capsim, and copying one out to edit (``capsim scenarios``,
``capsim init``).

Installed, they are package data (``sim.bundled_scenarios``, built from ``scenarios/``); when
``sim`` is imported from a source checkout, they are that checkout's ``scenarios/``.
"""

from __future__ import annotations

import re
import shutil
from importlib.resources import files
from pathlib import Path

import yaml

DEFAULT_SCENARIO = "china-national"
"""The scenario ``capsim run`` runs without one."""


def scenarios_folder() -> Path:
    """The folder of the bundled scenario files (and their ``data/``)."""
    checkout = Path(__file__).resolve().parents[1] / "scenarios"
    if (checkout / "__init__.py").is_file():
        return checkout
    return Path(str(files("sim.bundled_scenarios")))


def scenario_names() -> list[str]:
    """Names of the bundled scenarios (file names without ``.yaml``), sorted."""
    return sorted(path.stem for path in scenarios_folder().glob("*.yaml"))


def bundled_scenario(name: str = DEFAULT_SCENARIO) -> Path:
    """The path of a bundled scenario, by name (``two-cities`` or ``two-cities.yaml``).

    Raises
    ------
    ValueError
        For an unknown name, listing the valid ones.
    """
    stem = name.removesuffix(".yaml")
    path = scenarios_folder() / f"{stem}.yaml"
    if not path.is_file():
        raise ValueError(f"no bundled scenario {name!r}; valid: {', '.join(scenario_names())}")
    return path


def describe_scenarios() -> list[tuple[str, str]]:
    """(name, first sentence of the description) of every bundled scenario."""
    rows = []
    for name in scenario_names():
        data = yaml.safe_load(bundled_scenario(name).read_text(encoding="utf-8")) or {}
        text = " ".join(str(data.get("description") or "").split())
        rows.append((name, re.split(r"(?<=\.)\s", text, maxsplit=1)[0]))
    return rows


def data_files(path: Path) -> list[Path]:
    """Files under the bundled ``data/`` folder that a scenario names (traces, samples)."""
    text = path.read_text(encoding="utf-8")
    found = re.findall(r"\bdata/[\w.\-/]+", text)
    return sorted({path.parent / item for item in found if (path.parent / item).is_file()})


def copy_scenario_out(name: str, folder: Path) -> list[Path]:
    """Copy bundled scenario ``name`` and the data files it names into ``folder`` (created if
    needed), keeping their relative paths so the copy runs as is; return the files written.

    Raises
    ------
    ValueError
        For an unknown name.
    FileExistsError
        If a file to write is already there: nothing is overwritten, nothing is copied.
    """
    source = bundled_scenario(name)
    pairs = [(source, folder / source.name)]
    pairs += [(data, folder / data.relative_to(source.parent)) for data in data_files(source)]
    existing = [target for _, target in pairs if target.exists()]
    if existing:
        raise FileExistsError(", ".join(str(target) for target in existing))
    for origin, target in pairs:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(origin, target)
    return [target for _, target in pairs]

"""Every package under sim/ is in the wheel: pyproject.toml lists packages by hand, and the tests
import the checkout, so a package missing from the list would pass here and fail installed."""

import pkgutil
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_pyproject_lists_every_sim_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {"sim"} | {
        module.name for module in pkgutil.walk_packages([str(ROOT / "sim")], "sim.") if module.ispkg
    }
    assert found <= listed, sorted(found - listed)

"""The compiled build runs every shipped scenario exactly as the Python sources do.

`pip install .` compiles the per-job path of a run with mypyc (setup.py); the tests import the
checkout's sources. Here the installed package runs in another interpreter, away from the
checkout, and every column of every run of every shipped scenario and variant (shortened to
ten days) must be the same, bit for bit, as the sources give. Skipped where the installed
package is not compiled (an editable install, CAPSIM_PURE_PYTHON=1) or is another version
of the sources; CI sets CAPSIM_REQUIRE_COMPILED=1, so there it must run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]

RUNS = r"""
import dataclasses, hashlib, json, pickle, sys
from pathlib import Path

import numpy as np

import sim
from sim.scenario import load_scenario


def digest(value, h):
    if isinstance(value, np.ndarray):
        h.update(str(value.dtype).encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            h.update(field.name.encode())
            digest(getattr(value, field.name), h)
    elif isinstance(value, (tuple, list)):
        for item in value:
            digest(item, h)
    elif isinstance(value, dict):
        for key in sorted(value, key=repr):
            h.update(repr(key).encode())
            digest(value[key], h)
    else:
        h.update(repr(value).encode())


def about():
    package = Path(sim.__file__).parent
    sources = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        if path.parent.name == "bundled_scenarios":
            continue  # installed from scenarios/, not from sim/
        sources.update(str(path.relative_to(package)).encode() + path.read_bytes())
    return {"compiled": sim.compiled(), "sources": sources.hexdigest()}


def runs(folder):
    found = {}
    short = {"run": {"horizon": "10d", "warmup": "1d"}}
    for path in sorted(Path(folder).glob("*.yaml")):
        scenario = load_scenario(path, overrides=short)
        for variant in [None, *(scenario.variants or {})]:
            h = hashlib.sha256()
            result = sim.simulate(scenario, 11, variant=variant)
            digest(pickle.loads(pickle.dumps(result)), h)  # and a result pickles
            found[f"{path.name} {variant}"] = h.hexdigest()
    return found

def policies(folder):
    # two-cities under every local policy, on servers and pooled, with and without
    # jobs that may be stopped: what no shipped scenario combines (fifo on servers once
    # failed compiled)
    from sim.policies.base import LocalScheduler
    from sim.policies.placement import Placement
    found = {}
    path = Path(folder) / "two-cities.yaml"
    for local in sorted(LocalScheduler.registry):
        for placement in sorted(Placement.registry):
            for preempt in (False, True):
                scheduling = {"local": local, "placement": placement}
                scheduling["inference_preempts"] = preempt  # jobs may be stopped
                short = {"run": {"horizon": "4d", "warmup": "1d"}, "scheduling": scheduling}
                scenario = load_scenario(path, overrides=short)
                h = hashlib.sha256()
                digest(sim.simulate(scenario, 5, variant="on-demand"), h)
                found[f"{local} {placement} {preempt}"] = h.hexdigest()
    return found
"""


def _python(python: list[str], cwd: Path, call: str) -> dict:
    code = RUNS + f"\nprint(json.dumps({call}))"
    done = subprocess.run([*python, "-c", code], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


# -I: the installed package, not the checkout (nor PYTHONPATH, nor the current folder)
INSTALLED = [sys.executable, "-I"]
CHECKOUT = [sys.executable]  # run from the checkout's folder, which it then sees first


def _compiled_from_these_sources(tmp_path: Path) -> None:
    """Skip (fail under CAPSIM_REQUIRE_COMPILED=1) unless the installed package is compiled
    from the checkout's sources: only then is a difference in results the compiler's."""
    installed = _python(INSTALLED, tmp_path, "about()")
    checkout = _python(CHECKOUT, ROOT, "about()")
    required = os.environ.get("CAPSIM_REQUIRE_COMPILED") == "1"
    if not installed["compiled"]:
        if required:
            pytest.fail("the installed capsim is not compiled (see setup.py)")
        pytest.skip("the installed capsim is not compiled (editable or CAPSIM_PURE_PYTHON)")
    assert not checkout["compiled"]
    if installed["sources"] != checkout["sources"]:
        if required:
            pytest.fail("the installed capsim was built from other sources than the checkout")
        pytest.skip("the installed capsim was built from other sources than this checkout")


def test_the_compiled_build_gives_the_sources_results_bit_for_bit(tmp_path):
    _compiled_from_these_sources(tmp_path)
    runs = f"runs({str(ROOT / 'scenarios')!r})"
    compiled, sources = _python(INSTALLED, tmp_path, runs), _python(CHECKOUT, ROOT, runs)
    assert len(sources) >= 15  # every shipped scenario and variant ran
    assert compiled == sources


def test_the_compiled_build_runs_every_local_policy_as_the_sources_do(tmp_path):
    _compiled_from_these_sources(tmp_path)
    runs = f"policies({str(ROOT / 'scenarios')!r})"
    compiled, sources = _python(INSTALLED, tmp_path, runs), _python(CHECKOUT, ROOT, runs)
    assert len(sources) >= 6 * 3 * 2
    assert compiled == sources


def test_the_compiled_build_writes_what_the_sources_write(tmp_path):
    """The whole of `capsim run`, replications on two worker processes included."""
    _compiled_from_these_sources(tmp_path)
    scenario = str(ROOT / "scenarios" / "two-cities.yaml")
    written = {}
    for name, python, cwd in [("compiled", INSTALLED, tmp_path), ("sources", CHECKOUT, ROOT)]:
        out = tmp_path / name
        command = [*python, "-m", "sim", "run", scenario, "--replications", "2", "--workers", "2"]
        done = subprocess.run(
            [*command, "--out", str(out), "--quiet"], cwd=cwd, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        written[name] = json.loads((out / "summary.json").read_text())
        assert written[name].pop("elapsed_s") > 0  # the one thing that may differ
    assert written["compiled"] == written["sources"]

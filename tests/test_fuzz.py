"""A seeded mutation fuzzer over the shipped scenarios and the CLI (issue 11, "Done when").

Each input is a shipped scenario (or the bundled trace) mutated at random: values replaced by
hostile ones (huge, tiny, infinite, negative, wrong type, odd names and units), keys dropped,
misspelt or added, structure nested or flattened, or the text itself cut, doubled or
corrupted; and the CLI is called on it with hostile arguments. Every input must end in one of
capsim's own errors or a success, within a time limit, and a run must stay within capsim's
own memory estimate.

The fuzzer runs for ``CAPSIM_FUZZ_SECONDS`` (default 60) from ``CAPSIM_FUZZ_SEED`` (default
1); each input runs in a forked worker process, so a hang is caught by its timeout (the worker
is then replaced) and cannot stop the suite. A failure names the seed and input number and
keeps the input under the test's tmp folder to reproduce it. By hand, for longer::

    CAPSIM_FUZZ_SECONDS=900 nice python -m pytest -q -s tests/test_fuzz.py
"""

from __future__ import annotations

import contextlib
import copy
import io
import multiprocessing
import os
import random
import re
import shutil
import time
import traceback
from pathlib import Path
from typing import Any

import yaml

from sim import memory
from sim.cli import main
from sim.scenario import ScenarioError, expand_variants, load_scenario

SCENARIOS = sorted((Path(__file__).parents[1] / "scenarios").glob("*.yaml"))
TRACE = Path(__file__).parents[1] / "scenarios" / "data" / "philly_excerpt.csv"
SECONDS = float(os.environ.get("CAPSIM_FUZZ_SECONDS", "60"))
SEED = int(os.environ.get("CAPSIM_FUZZ_SEED", "1"))
TIMEOUT_S = float(os.environ.get("CAPSIM_FUZZ_TIMEOUT_S", "60"))
"""Longest an input may take before it counts as a hang (generous: CI machines are shared)."""
RUN_BYTES = 8 * 2**20
"""Only inputs whose estimated run peak is below this are simulated, so each stays quick."""
FIXED_RUN_BYTES = 16 * 2**20
"""Fixed cost of any run (SimPy, the tables' frames) not counted per job, bin or event; it lies
within :data:`sim.memory.BYTES_PER_PROCESS`, which exceeds the measured process by 60 MB."""

HOSTILE: list[Any] = [
    0, -1, 1, 2**63, 10**400, -(10**30), 1e308, -1e308, 1e-320, float("inf"), float("-inf"),
    float("nan"), True, None, "", " ", "x" * 5000, "深圳", "前海 1", "a/b", "..", "-lead",
    "\x00", "\u202e", "1e400s", "-5h", "0s", "1e-320s", "0/d", "1/0s", "5/-1h", "200/fortnight",
    "1e309/h", "100%/y", "1e308%/y", "-100%/y", "1e30 ZFLOP", "120MW", "-3kW", "20TB", "400Gbps",
    "$\\frac{a}{b}$", "=HYPERLINK(\"http://x\")", "{{7*7}}", "<script>", [], {}, [1, 2, 3],
    {"kind": "fixed", "value": 1}, {"kind": "nope"}, [[[[[]]]]], "a100", "fifo", "on-demand",
]  # fmt: skip
GARBLE = ["&a ", "*a", ": ", "- ", "{", "]", "\t", "!!python/object:os.system ", "\x00", "%"]
KEYS = ["horizon", "horizn", "count", "pflops", "kind", "rate", "name", "origin", "sweep",
        "variants", "period", "mtbf", "enabled", "<<", "[key]", "深圳", "1"]  # fmt: skip


BOUNDS = ["0.8", "nan", "1d", "-inf", "1e400", "x"]
SWEEP_VALUES = ["1", "0", "-1", "1e400", "nan", "2h", "x", "深圳", "[1]", "{}", "1" + "0" * 400]

# --- mutations -----------------------------------------------------------------------------


def _places(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in ``data`` (mappings and lists), the root included."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _places(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _places(value, (*path, index))
    return found


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


def mutate_data(data: Any, rng: random.Random) -> Any:
    """``data`` with one mutation, or a few: half of them plausible (a number scaled, a value
    borrowed from elsewhere in the file), so inputs get past validation into the runs too."""
    data = copy.deepcopy(data)
    values = [_at(data, place) for place in _places(data)]
    leaves = [value for value in values if not isinstance(value, dict | list)]
    for _ in range(1 if rng.random() < 0.6 else rng.randint(2, 4)):
        places = [p for p in _places(data) if p]
        if not places:
            return rng.choice(HOSTILE)
        action = rng.random()
        numbers = [p for p in places if _scaled(_at(data, p), 1) is not None]
        path = rng.choice(numbers if action < 0.35 and numbers else places)
        parent, key = _parent(data, path), path[-1]
        value = parent[key]
        if action < 0.35 and numbers:
            parent[key] = _scaled(value, rng.choice([0, 0.5, 2, 10, 1000, -1, 10**6, 1e-9]))
        elif action < 0.45 and leaves:
            parent[key] = copy.deepcopy(rng.choice(leaves))
        elif action < 0.65:
            parent[key] = copy.deepcopy(rng.choice(HOSTILE))
        elif action < 0.72 and isinstance(parent, dict):
            del parent[key]
        elif action < 0.79 and isinstance(parent, dict):
            parent[rng.choice(KEYS)] = parent.pop(key)
        elif action < 0.84 and isinstance(parent, dict):
            parent[rng.choice(KEYS)] = copy.deepcopy(rng.choice(HOSTILE))
        elif action < 0.9:
            parent[key] = [value] * rng.randint(2, 50)
        elif action < 0.95:
            for _ in range(rng.randint(1, 100)):
                value = [value] if rng.random() < 0.5 else {"k": value}
            parent[key] = value
        else:
            parent[key] = str(value)[: rng.randint(0, 8)]
    return data


def _scaled(value: Any, factor: float) -> Any:
    """A number, or the number in a quantity such as '12/h' or '30d', times ``factor``; None
    for anything else."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value * factor
    if isinstance(value, str) and (match := re.match(r"\s*(\d+\.?\d*)(.*)", value)):
        return f"{float(match.group(1)) * factor:g}{match.group(2)}"
    return None


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def mutate_text(text: str, rng: random.Random) -> str:
    """``text`` with lines dropped, doubled or garbled, or bytes cut."""
    lines = text.splitlines(keepends=True)
    for _ in range(rng.randint(1, 3)):
        if not lines:
            break
        at = rng.randrange(len(lines))
        action = rng.random()
        if action < 0.3:
            del lines[at]
        elif action < 0.5:
            lines.insert(at, lines[at])
        elif action < 0.7:
            line = lines[at]
            cut = rng.randrange(len(line) + 1)
            lines[at] = line[:cut] + rng.choice(GARBLE) + line[cut:]
        elif action < 0.85:
            lines = lines[:at]
        else:
            lines.insert(at, "x: &a [" + ", ".join(["*a"] * 3) + "]\n")
    return "".join(lines)


def shrink(data: Any) -> Any:
    """A shipped scenario made quick to run: a few days, one replication, no sweep."""
    if not isinstance(data, dict):
        return data
    data = copy.deepcopy(data)
    run = data.setdefault("run", {})
    if isinstance(run, dict):
        run.update({"horizon": "3d", "warmup": "1h", "replications": 1})
        run.pop("period", None)
    data.pop("sweep", None)
    return data


# --- one input, in the worker ----------------------------------------------------------------


def _quietly(argv: list[str]) -> int:
    """``capsim argv``: its exit status (argparse's SystemExit counts as one)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            return main(argv)
        except SystemExit as stop:
            return int(stop.code or 0)


Outcome = tuple[str | None, str]
"""What went wrong (None: nothing), and how the input ended (for the summary line)."""


def _run_within_estimate(path: Path) -> Outcome:
    """Validate; if small, simulate each variant under tracemalloc against its estimate."""
    try:
        scenario = load_scenario(path)
    except ScenarioError:
        return None, "refused"
    estimate = memory.estimate_run(scenario, 1)
    if estimate.run_peak > RUN_BYTES:
        return None, "valid, too large to simulate here"
    for name, variant in expand_variants(scenario).items():
        peak = memory.traced_peak(variant)
        if peak > estimate.run_peak + FIXED_RUN_BYTES:
            return f"{name}: traced peak {peak:,} B > estimate {estimate.run_peak:,} B", ""
    return None, "simulated within its estimate"


def try_input(kind: str, path: Path, args: list[str], folder: Path) -> Outcome:
    """Run one input: what went wrong if capsim did not end in its own way, and how it ended."""
    if kind == "load":
        return _run_within_estimate(path)
    if kind == "simulate" and _too_long(path):
        return None, "valid, too large to simulate here"  # slow, not stuck: not a finding
    argv = [a.replace("{path}", str(path)).replace("{out}", str(folder / "out")) for a in args]
    status = _quietly(argv)
    if status not in (0, 1, 2):
        return f"exit status {status}", ""
    return None, f"capsim {args[0]} exit {status}"


def _too_long(path: Path) -> bool:
    try:
        scenario = load_scenario(path)
    except ScenarioError:
        return False
    return memory.estimate_run(scenario, 1).run_peak > RUN_BYTES


def _worker(connection: Any) -> None:
    while True:
        job = connection.recv()
        try:
            outcome = try_input(*job)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # the point of the fuzzer: anything else is a finding
            outcome = traceback.format_exc(), ""
        connection.send(outcome)


class Worker:
    """A forked process that tries inputs; replaced when an input hangs."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker, args=(child,), daemon=True)
        self.process.start()

    def attempt(self, job: tuple[Any, ...], timeout: float) -> Outcome:
        self.connection.send(job)
        if self.connection.poll(timeout):
            try:
                return self.connection.recv()  # type: ignore[no-any-return,unused-ignore]
            except EOFError:
                return f"the worker died (exit {self.process.exitcode})", ""
        return f"no answer within {timeout:g} s (a hang)", ""

    def stop(self) -> None:
        self.process.kill()
        self.process.join()


# --- the inputs ------------------------------------------------------------------------------


def make_input(rng: random.Random, corpus: list[tuple[str, Any]], folder: Path) -> tuple[Any, ...]:
    """One input: (kind, scenario path, CLI arguments, folder), its files written."""
    small = [entry for entry in corpus if entry[0].startswith("small-")]
    name, data = rng.choice(small if rng.random() < 0.8 else corpus)
    path = folder / f"{Path(name).stem}.yaml"
    (folder / "data").symlink_to(TRACE.parent)  # the trace and samples the scenarios name
    roll, mutation = rng.random(), rng.random()
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    if roll >= 0.8 and mutation < 0.4:
        pass  # batch and size of a good scenario: the fuzzing is in their arguments
    elif mutation < 0.8:
        text = yaml.safe_dump(mutate_data(data, rng), allow_unicode=True, sort_keys=False)
    else:
        text = mutate_text(text, rng)
    if rng.random() < 0.05:
        path.write_bytes(text.encode("utf-8")[: rng.randrange(len(text) + 1)] + b"\xff\xfe")
    else:
        path.write_text(text, encoding="utf-8")
    if roll < 0.6:
        return ("load", path, [], folder)
    if roll < 0.7:
        return ("cli", path, ["validate", "{path}"], folder)
    if roll < 0.8:
        return ("simulate", path, ["run", "{path}", "--quiet", *_options(rng)], folder)
    numbers = [p for p in _places(data) if p and _scaled(_at(data, p), 1) is not None]
    plausible = bool(numbers) and rng.random() < 0.5  # a sweep or sizing a planner would run
    if roll < 0.9:
        if plausible:
            place = rng.choice(numbers)
            values = ",".join(str(_scaled(_at(data, place), f)) for f in (0.5, 1, 2))
            axis = f"{'.'.join(map(str, place))}={values}"
        else:
            axis = f"{rng.choice(_paths(data))}={_values(rng)}"
        argv = ["batch", "{path}", "--serial", "--quiet", "--out", "{out}", "--sweep", axis]
        return ("simulate", path, [*argv, *_options(rng)], folder)
    if roll < 0.95:
        metric = rng.choice(["utilisation", "wait_p95_s", "nope"])
        target = f"{metric} {rng.choice(['<=', '>=', '=='])} {rng.choice(BOUNDS)}"
        if plausible:
            vary, target = ".".join(map(str, rng.choice(numbers))), "utilisation <= 0.8"
        else:
            vary = rng.choice(_paths(data))
        argv = ["size", "{path}", "--serial", "--quiet", "--vary", vary, "--target", target]
        argv += ["--range", rng.choice(["1:64", "4:1", "0:0", "-5:2"])]
        return ("simulate", path, [*argv, "--replications", "2"], folder)
    trace = folder / "trace.csv"
    trace.write_text(mutate_text(TRACE.read_text(), rng))
    names = rng.choice([[], ["--name", "深圳"], ["--origin", "a b"], ["--profile"]])
    return ("cli", trace, ["fit", "{path}", *names], folder)


def _options(rng: random.Random) -> list[str]:
    choices = [
        ["--replications", str(10**20)],
        ["--replications", "0"],
        ["--seed", "-1"],
        ["--seed", str(2**70)],
        ["--workers", "1000"],
    ]
    return rng.choice(choices) if rng.random() < 0.5 else ["--replications", "1"]


def _paths(data: Any) -> list[str]:
    paths = [".".join(str(p) for p in place) for place in _places(data) if place]
    return [*paths, "run.horizn", "cities.x.centers.y.count", "workload.99.rate", "a..b", ""]


def _values(rng: random.Random) -> str:
    return ",".join(rng.choice(SWEEP_VALUES) for _ in range(rng.randint(1, 3)))


def test_fuzz_scenarios_and_cli(tmp_path):
    rng = random.Random(SEED)
    loaded = [(p.name, yaml.safe_load(p.read_text(encoding="utf-8"))) for p in SCENARIOS]
    corpus = loaded + [(f"small-{name}", shrink(data)) for name, data in loaded]
    worker = Worker()
    findings: list[str] = []
    tried = 0
    endings: dict[str, int] = {}
    started = time.monotonic()
    try:
        while time.monotonic() - started < SECONDS and len(findings) < 5:
            folder = tmp_path / f"input-{tried}"
            folder.mkdir()
            job = make_input(rng, corpus, folder)
            outcome, ended = worker.attempt(job, TIMEOUT_S)
            tried += 1
            endings[ended] = endings.get(ended, 0) + 1
            if outcome is None:
                shutil.rmtree(folder, ignore_errors=True)  # keep the inputs that found something
                continue
            findings.append(f"input {tried - 1} (seed {SEED}, in {folder}) {job}:\n{outcome}")
            if "hang" in outcome or "died" in outcome:
                worker.stop()
                worker = Worker()
    finally:
        worker.stop()
    elapsed = time.monotonic() - started
    print(f"\nfuzz: {tried} inputs in {elapsed:.0f} s (seed {SEED}), {len(findings)} findings")
    for ended, count in sorted(endings.items(), key=lambda item: -item[1]):
        print(f"  {count:6d} {ended or 'finding'}")
    assert tried > 0
    assert not findings, "\n\n".join(findings)

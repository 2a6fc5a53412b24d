"""``capsim batch`` and ``capsim size``: argument handling; the work is in :mod:`sim.batch`.

Exit status as for ``capsim run``: 0 success; 1 some runs failed, no value met the sizing
target, or an output could not be written; 2 bad input (scenario, sweep, options, an
unreachable scheduler, a folder that holds another batch or another kind of output, or that
another command is writing).
"""

from __future__ import annotations

import argparse
import os
import sys
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from sim import memory
from sim.batch.executors import Executor, make_executor
from sim.batch.grid import build_grid
from sim.batch.precision import PRECISION_HELP, chosen_precision
from sim.batch.runner import BatchError, run_batch
from sim.batch.sizing import Evaluation, SizingError, Target, size_capacity
from sim.formatting import format_number, format_value, format_with_ci
from sim.help_text import add_command, target_metrics
from sim.output import SCENARIO_COPY, optional_folder
from sim.report import batch_alarm_lines, point_label, precision_lines
from sim.scenario import Scenario, load_scenario

EXIT_FAILED, EXIT_INPUT = 1, 2
SHOWN = ["utilisation", "jobs_completed", "wait_mean_s", "wait_p95_s"]
"""Metrics of the table ``capsim batch`` prints (summary.parquet has them all)."""


def register(commands: Any) -> None:
    """Add the ``batch`` and ``size`` subcommands to the ``capsim`` parser."""
    failed = "; some runs failed"
    batch = add_command(commands, "batch", "run a sweep grid × variants × replications", failed)
    batch.add_argument("scenario", type=Path, help="scenario YAML")
    batch.add_argument(
        "--sweep",
        action="append",
        default=[],
        metavar="PATH=V1,V2,...",
        help="a sweep axis over a dotted key path (repeatable), e.g. "
        "cities.shenzhen.centers.qianhai.count=100000,140000",
    )
    batch.add_argument("--out", type=Path, required=True, help="the batch folder")
    batch.add_argument("--resume", action="store_true", help="skip runs already in --out")
    _common(batch)
    batch.set_defaults(handler=_batch)

    size = add_command(
        commands,
        "size",
        "smallest value of a path that meets a target",
        "; a run failed, or no value tried met the target",
    )
    size.epilog = f"{target_metrics()}\n\n{size.epilog}"
    size.add_argument("scenario", type=Path, help="scenario YAML")
    size.add_argument("--vary", required=True, metavar="PATH", help="whole-number key path")
    size.add_argument(
        "--target",
        required=True,
        type=_target,
        help='METRIC <= BOUND or METRIC >= BOUND, e.g. "wait_p95_s <= 1d" or '
        '"utilisation >= 0.6" (metrics: below)',
    )
    size.add_argument("--city", help="judge the target in this city (default: overall)")
    size.add_argument("--variant", help="the variant to size (default: the first)")
    size.add_argument("--range", type=_range, metavar="LO:HI", help="search range")
    size.add_argument("--out", type=Path, help="write sizing.json and sizing.parquet here")
    _common(size, replications_default=10)
    size.add_argument(
        "--step", type=int, default=1, help="try only multiples of this (default 1), e.g. 1000"
    )
    size.set_defaults(handler=_size)


def _common(parser: argparse.ArgumentParser, replications_default: int | None = None) -> None:
    # Imported here: sim.cli imports this module to register the subcommands.
    from sim.cli import _non_negative, _positive, _precision

    note = (
        f"default {replications_default}" if replications_default else "default: run.replications"
    )
    if replications_default:
        note += "; with a precision, the first round (default: its min_replications)"
    parser.add_argument("--replications", type=_positive, help=note)
    parser.add_argument("--precision", type=_precision, default=False, help=PRECISION_HELP)
    parser.add_argument("--seed", type=_non_negative, help="batch seed (overrides run.seed)")
    parser.add_argument(
        "--workers",
        type=_positive,
        help="local processes, or --dask-local workers (default: cores)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--serial", action="store_true", help="run in this process")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="an existing Dask cluster")
    where.add_argument("--dask-local", action="store_true", help="start a Dask LocalCluster")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _target(text: str) -> Target:
    try:
        return Target.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _range(text: str) -> tuple[int, int]:
    low, _, high = text.partition(":")
    try:
        return int(low), int(high)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LO:HI, whole numbers, got {text!r}") from None


def _executor(args: argparse.Namespace) -> Executor | None:
    try:
        return make_executor(
            serial=args.serial,
            workers=args.workers,
            scheduler=args.scheduler,
            dask_local=args.dask_local,
        )
    except (RuntimeError, OSError, ValueError) as error:
        where = args.scheduler or "the Dask LocalCluster"
        print(f"capsim: cannot use {where}: {error}", file=sys.stderr)
        return None


def _fit_workers(args: argparse.Namespace, scenarios: list[Scenario], file: str) -> bool:
    """Check the command fits in memory and choose how many local workers it may use: at most
    the cores and what fits beside one run each (``--workers`` above that is refused)."""
    local = not (args.serial or args.scheduler)
    estimate = memory.estimate_batch(scenarios, args.replications, 0)
    if local:
        limit = memory.max_workers(estimate)
        if args.workers is not None and args.workers > limit:
            print(
                f"capsim: --workers {args.workers} is more than this machine can run at once: "
                f"at most {limit} ({os.cpu_count()} cores; one run needs about "
                f"{memory.gigabytes(estimate.run_peak + memory.BYTES_PER_PROCESS)} with its "
                f"process, {memory.gigabytes(memory.available() or 0)} available)",
                file=sys.stderr,
            )
            return False
        args.workers = args.workers or limit
        estimate = memory.estimate_batch(scenarios, args.replications, args.workers)
    memory.require(estimate, file)
    return True


def _batch(args: argparse.Namespace) -> int:
    base, axes, points = build_grid(args.scenario, args.sweep)
    precision = chosen_precision(base, args.precision, args.replications)
    if not _fit_workers(args, [point.scenario for point in points], str(args.scenario)):
        return EXIT_INPUT
    executor = _executor(args)
    if executor is None:
        return EXIT_INPUT
    try:
        with executor:
            result = run_batch(
                args.scenario,
                base,
                axes,
                points,
                out=args.out,
                executor=executor,
                seed=args.seed,
                replications=args.replications,
                resume=args.resume,
                progress=not args.quiet,
                precision=precision,
            )
    except BatchError as error:
        print(f"capsim: {error}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as error:
        print(f"capsim: cannot write to {args.out}: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(batch_table(result.table, list(axes)))
    for line in batch_alarm_lines(result.summary):
        print(line)
    for point in result.summary["points"]:
        for line in precision_lines(point):
            print(f"point {point['point']} ({point_label(point)}), {line}")
    print(
        f"{result.ran} runs made, {result.skipped} already on disk, {len(result.failed)} failed "
        f"({executor.name}, {executor.workers} workers); wrote {args.out}/summary.json, "
        "summary.parquet"
    )
    for failure in result.failed:
        print(
            f"failed: point {failure['point']} {failure['params']} variant {failure['variant']} "
            f"replication {failure['replication']}: {failure['error']}",
            file=sys.stderr,
        )
    return EXIT_FAILED if result.failed else 0


def batch_table(table: pd.DataFrame, axes: list[str]) -> str:
    """The overall rows of summary.parquet as text: mean ± 95% half-width of a few metrics."""
    overall = table[table["level"] == "overall"]
    shown = pd.DataFrame({"point": overall["point"]})
    for path in axes:
        shown[path] = overall[path]
    shown["variant"] = overall["variant"]
    shown["n"] = overall["replications"]
    for metric in SHOWN:
        pairs = zip(overall[metric], overall[f"{metric}_ci95"], strict=True)
        shown[metric] = [format_with_ci(metric, mean, ci) for mean, ci in pairs]
    return shown.to_string(index=False)


def _size(args: argparse.Namespace) -> int:
    if args.step < 1:
        print(f"capsim: --step must be at least 1, got {args.step}", file=sys.stderr)
        return EXIT_INPUT
    precision = chosen_precision(load_scenario(args.scenario), args.precision, args.replications)
    replications = args.replications or (precision.min_replications if precision else 10)
    if replications < 2:
        print("capsim: size needs --replications >= 2 for a confidence bound", file=sys.stderr)
        return EXIT_INPUT
    if not _fit_workers(args, [load_scenario(args.scenario)], str(args.scenario)):
        return EXIT_INPUT
    executor = _executor(args)
    if executor is None:
        return EXIT_INPUT
    low, high = args.range if args.range else (None, None)
    report = None if args.quiet else partial(_print_evaluation, args.target.metric)
    try:
        with optional_folder(args.out, "size") as folder, executor:
            sizing = size_capacity(
                args.scenario,
                args.vary,
                args.target,
                executor=executor,
                city=args.city,
                variant=args.variant,
                low=low,
                high=high,
                replications=replications,
                seed=args.seed,
                step=args.step,
                on_evaluation=report,
                precision=precision,
            )
            if folder is not None:
                folder.stage_json("sizing.json", sizing.document())
                folder.stage_bytes(SCENARIO_COPY, Path(args.scenario).read_bytes())
                sizing.table().to_parquet(folder.stage("sizing.parquet"), index=False)
                folder.publish()
    except SizingError as error:
        print(f"capsim: a run failed, no answer: {error}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as error:
        print(f"capsim: cannot write to {args.out}: {error}", file=sys.stderr)
        return EXIT_FAILED
    runs = sum(e.replications for e in sizing.evaluations)
    where = f" in {args.city}" if args.city else " overall"
    if sizing.answer is None:
        print(f"no value of {args.vary} meets {args.target.human()}{where} ({runs} runs)")
    else:
        print(
            f"{args.vary} = {format_number(sizing.answer)}: the smallest value that meets "
            f"{args.target.human()}{where} with 95% confidence ({len(sizing.evaluations)} values, "
            f"{runs} runs)"
        )
    if args.out is not None:
        print(f"wrote {args.out}/sizing.json, sizing.parquet, scenario.yaml")
    return 0 if sizing.answer is not None else EXIT_FAILED


def _print_evaluation(metric: str, evaluation: Evaluation) -> None:
    verdict = "meets" if evaluation.meets else "fails"
    print(
        f"  {format_number(evaluation.value)}: "
        f"{format_with_ci(metric, evaluation.mean, evaluation.ci95)} (bound used "
        f"{format_value(metric, evaluation.bound_used)}, {evaluation.replications} runs) "
        f"{verdict}",
        file=sys.stderr,
    )

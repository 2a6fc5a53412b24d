"""The ``capsim`` command: parses arguments, calls the library, prints.

Exit status: 0 success, 1 an output could not be written, 2 bad input (a scenario problem or
bad arguments) or an output folder in use by another command or holding another kind of output
(:mod:`sim.output`).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import multiprocessing
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sim import memory
from sim.batch import cli as batch_cli
from sim.batch import plan_cli
from sim.batch.aggregate import run_table
from sim.batch.executors import ProcessExecutor, SerialExecutor, Task
from sim.batch.precision import PRECISION_HELP, chosen_precision, precision_option
from sim.batch.progress import BatchProgress
from sim.batch.replicate import RunFailed, replicate
from sim.batch.work import Outcome
from sim.bundled import (
    DEFAULT_SCENARIO,
    bundled_scenario,
    copy_scenario_out,
    describe_scenarios,
    scenarios_folder,
)
from sim.help_text import add_command, epilog, help_formatter
from sim.output import SCENARIO_COPY, OutputError, ParquetAppender, optional_folder
from sim.report import (
    comparison_table,
    precision_lines,
    summary_table,
    variants_table,
    wait_alarm_lines,
)
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.scenario.docs import schema_json, schema_markdown
from sim.scenario.schema import TraceColumns
from sim.summary import capsim_version
from sim.workload.fit import fit_report, fit_trace
from sim.workload.trace import TraceError, read_trace

EXIT_OUTPUT, EXIT_INPUT = 1, 2


def default_scenario() -> Path:
    """The bundled default scenario (``capsim run`` without a scenario)."""
    return bundled_scenario()


def main(argv: Sequence[str] | None = None) -> int:
    _tolerant_output()
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:  # bare `capsim`: the help, not a usage error
        parser.print_help()
        return 0
    try:
        return int(args.handler(args))
    except ScenarioError as error:
        print(error, file=sys.stderr)
        return EXIT_INPUT
    except OutputError as error:
        print(f"capsim {args.command}: {error}", file=sys.stderr)
        return error.status
    except KeyboardInterrupt:
        print("interrupted; files already finished are kept", file=sys.stderr)
        return 130


def _tolerant_output() -> None:
    """Print what the terminal cannot show as escapes (``\\u00b1``) instead of failing: with
    ``PYTHONIOENCODING=ascii`` or a C locale, a table with "±" or a city named 深圳 must not
    crash a command after its work is done."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capsim",
        description="Capacity-planning simulator for AI compute centers.",
        epilog=epilog("capsim"),
        formatter_class=help_formatter,
    )
    parser.add_argument("--version", action="version", version=f"capsim {capsim_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    scenarios = add_command(commands, "scenarios", "list the bundled scenarios")
    scenarios.set_defaults(handler=_scenarios)
    init = add_command(commands, "init", "copy a bundled scenario (and its data) out to edit")
    init.add_argument("name", metavar="NAME", help="a bundled scenario (see capsim scenarios)")
    init.add_argument(
        "folder", nargs="?", type=Path, default=Path("."), metavar="DIR", help="default: here"
    )
    init.set_defaults(handler=_init)

    run = add_command(commands, "run", "run a scenario and print its per-city table")
    run.add_argument("scenario", nargs="?", type=Path, help="scenario YAML (default: bundled)")
    run.add_argument(
        "--out",
        type=Path,
        help="write summary.json, summary.parquet, jobs.parquet, timeseries.parquet, scenario.yaml",
    )
    run.add_argument("--seed", type=_non_negative, help="seed (overrides run.seed)")
    run.add_argument(
        "--replications",
        type=_positive,
        help="replications (overrides run.replications; without --precision it also turns off "
        "the scenario's run.precision)",
    )
    run.add_argument("--precision", type=_precision, default=False, help=PRECISION_HELP)
    run.add_argument(
        "--workers",
        type=_positive,
        help="local processes running replications (default: cores; 1: in this process)",
    )
    run.add_argument("--quiet", action="store_true", help="no progress messages on stderr")
    run.set_defaults(handler=_run)

    validate = add_command(commands, "validate", "check scenario files without running them")
    validate.add_argument("scenarios", nargs="+", type=Path, metavar="SCENARIO")
    validate.set_defaults(handler=_validate)

    schema = add_command(commands, "schema", "print the scenario JSON Schema", exits="")
    schema.add_argument(
        "--format",
        choices=["json", "markdown"],
        default="json",
        help="JSON Schema or Markdown docs",
    )
    schema.set_defaults(handler=_schema)

    fit = add_command(
        commands, "fit", "print a workload class fitted to a job trace (sizes, durations, arrivals)"
    )
    fit.add_argument("trace", type=Path, metavar="TRACE", help="the trace file")
    fit.add_argument("--format", choices=["csv"], default="csv", help="file format (csv)")
    for key, default, meaning in (
        ("submit", "timestamp", "submit time (seconds or date-times)"),
        ("size", "num_gpus", "accelerators per job"),
        ("duration", "duration", "run time [s]"),
    ):
        fit.add_argument(
            f"--{key}", default=default, metavar="COLUMN", help=f"column of the {meaning}"
        )
    fit.add_argument(
        "--profile",
        action="store_true",
        help="also fit daily (and weekly) rate multipliers; the CV is then measured without them",
    )
    fit.add_argument("--name", default="fitted", help="name of the class (default: fitted)")
    fit.add_argument("--origin", default="origin-city", help="the class's origin city")
    fit.set_defaults(handler=_fit)
    batch_cli.register(commands)
    plan_cli.register(commands)

    report = add_command(
        commands, "report", "write the planning report of a run, batch or size output folder"
    )
    report.add_argument("folder", type=Path, metavar="DIR", help="an --out folder of capsim")
    report.add_argument(
        "-o",
        "--output",
        type=Path,
        help="the report (default DIR/report.html; with --format md, the folder DIR/report)",
    )
    report.add_argument(
        "--format",
        choices=["html", "md"],
        default="html",
        help="one self-contained HTML file, or Markdown + PNG figures + CSV tables in a folder",
    )
    report.set_defaults(handler=_report)

    export = commands.add_parser(
        "export", help="write the summary tables of an output folder as CSV or an Excel workbook"
    )
    export.add_argument("folder", type=Path, metavar="DIR", help="an --out folder of capsim")
    export.add_argument("--to", choices=["csv", "xlsx"], required=True, help="file format")
    export.add_argument(
        "-o",
        "--output",
        type=Path,
        help="csv: a folder for one TABLE.csv each (default DIR/tables); xlsx: the workbook, a "
        "sheet per table (default DIR/summary.xlsx; needs pip install 'capsim[xlsx]')",
    )
    export.set_defaults(handler=_export)
    return parser


def _precision(text: str) -> dict[str, Any] | None:
    try:
        return precision_option(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive(text: str) -> int:
    value = _non_negative(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


def _run(args: argparse.Namespace) -> int:
    path = args.scenario or default_scenario()
    scenario = load_scenario(path)
    estimate = memory.estimate_run(scenario, args.replications or scenario.run.replications)
    memory.require(estimate, str(path))
    # Each worker holds one run at its peak: no more workers than the cores and memory hold.
    limit = memory.max_workers(estimate)
    if args.workers is not None and args.workers > limit:
        print(
            f"capsim run: --workers {args.workers} is more than this machine can run at once: "
            f"at most {limit}",
            file=sys.stderr,
        )
        return EXIT_INPUT
    args.workers = args.workers or limit
    try:
        summary = _run_into(args, path, scenario)
    except OSError as error:  # a write that failed midway: a full disk, a folder removed
        if args.out is None:
            raise
        print(f"capsim run: cannot write to {args.out}: {error}", file=sys.stderr)
        return EXIT_OUTPUT
    except RunFailed as error:
        print(f"capsim run: {error}", file=sys.stderr)
        return EXIT_OUTPUT
    return _print_run(args, summary)


def _run_into(args: argparse.Namespace, path: Path, scenario: Scenario) -> dict[str, Any]:
    """Run the scenario; with ``--out``, the folder is held (locked, checked writable) before
    the first run and its files published together after the last."""
    precision = chosen_precision(scenario, args.precision, args.replications)
    with optional_folder(args.out, "run") as folder:
        writers: list[ParquetAppender] = []
        on_run = None
        if folder is not None:
            series = ParquetAppender(folder.stage("timeseries.parquet"))
            jobs = ParquetAppender(folder.stage("jobs.parquet")) if scenario.run.job_table else None
            writers = [series] if jobs is None else [series, jobs]

            def on_run(task: Task, outcome: Outcome) -> None:
                assert outcome.records is not None
                series.append(outcome.records["timeseries"])
                if jobs is not None:
                    for chunk in outcome.records.get("jobs", []):
                        jobs.append(chunk)

        progress = None if args.quiet else _Progress()
        started = time.perf_counter()
        # A daemonic process (a worker of another pool) may not start processes of its own.
        serial = args.workers == 1 or multiprocessing.current_process().daemon
        executor = SerialExecutor() if serial else ProcessExecutor(args.workers)
        try:
            with executor:
                summary = replicate(
                    scenario,
                    executor,
                    seed=args.seed,
                    replications=args.replications,
                    precision=precision,
                    records=folder is not None,
                    on_run=on_run,
                    progress=progress,
                )
        finally:
            for writer in writers:
                writer.close()
        if progress is not None:
            progress.close()
        summary["elapsed_s"] = time.perf_counter() - started
        summary["workers"] = executor.workers
        summary["scenario_file"] = str(path)
        summary["scenario_sha256"] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        if folder is not None:
            # Files first: a table that cannot be printed must not cost the results.
            folder.stage_json("summary.json", summary)
            run_table(summary).to_parquet(folder.stage("summary.parquet"), index=False)
            folder.stage_bytes(SCENARIO_COPY, Path(path).read_bytes())
            if not scenario.run.job_table:  # an earlier run's table would not be this run's
                (folder.root / "jobs.parquet").unlink(missing_ok=True)
            folder.publish()
    return summary


def _print_run(args: argparse.Namespace, summary: dict[str, Any]) -> int:
    if len(summary["variants"]) > 1:
        print(variants_table(summary))
    else:
        print(summary_table(summary))
    if summary["comparisons"]:
        print(comparison_table(summary))
    for line in [*wait_alarm_lines(summary), *precision_lines(summary)]:
        print(line)
    if args.out is not None:
        jobs = "jobs.parquet, " if (args.out / "jobs.parquet").exists() else ""
        print(
            f"wrote {args.out}/summary.json, summary.parquet, {jobs}timeseries.parquet, "
            "scenario.yaml"
        )
    return 0


class _Progress(BatchProgress):
    """Progress of a run's replications on stderr; rounds of a precision target add runs."""

    def __init__(self) -> None:
        super().__init__(total=1)

    def __call__(self, done: int, planned: int) -> None:
        self.total = planned
        self.update()


def _report(args: argparse.Namespace) -> int:
    # Imported here: matplotlib is slow to import and only the report needs it.
    from sim.reporting import write_report

    default = "report.html" if args.format == "html" else "report"
    return _from_folder(args, "report", default, lambda r, o: write_report(r, o, args.format))


def _export(args: argparse.Namespace) -> int:
    from sim.reporting.export import check_writer, export_tables

    try:
        check_writer(args.to)
    except RuntimeError as error:
        print(f"capsim export: {error}", file=sys.stderr)
        return EXIT_INPUT
    default = "tables" if args.to == "csv" else "summary.xlsx"
    return _from_folder(
        args, "export", default, lambda r, o: ", ".join(map(str, export_tables(r, args.to, o)))
    )


def _from_folder(
    args: argparse.Namespace, command: str, default: str, write: Callable[[Any, Path], object]
) -> int:
    """Read the output folder ``args.folder``, write from it to ``args.output`` (default:
    ``default`` in the folder) and say what was written."""
    from sim.results import ResultsError, read_results

    try:
        results = read_results(args.folder)
    except ResultsError as error:
        print(f"capsim {command}: {error}", file=sys.stderr)
        return EXIT_INPUT
    output = args.output or args.folder / default
    try:
        written = write(results, output)
    except OSError as error:
        print(f"capsim {command}: cannot write {output}: {error}", file=sys.stderr)
        return EXIT_OUTPUT
    print(f"wrote {written}")
    return 0


def _scenarios(args: argparse.Namespace) -> int:
    rows = describe_scenarios()
    width = max(len(name) for name, _ in rows)
    for name, description in rows:
        default = " [the default of capsim run]" if name == DEFAULT_SCENARIO else ""
        print(f"{name:{width}}  {description}{default}")
    print(f"\nin {scenarios_folder()}; copy one out with: capsim init NAME [DIR]")
    return 0


def _init(args: argparse.Namespace) -> int:
    try:
        written = copy_scenario_out(args.name, args.folder)
    except ValueError as error:
        print(f"capsim init: {error}", file=sys.stderr)
        return EXIT_INPUT
    except FileExistsError as error:
        print(f"capsim init: already there, nothing copied: {error}", file=sys.stderr)
        return EXIT_OUTPUT
    except OSError as error:
        print(f"capsim init: cannot write to {args.folder}: {error}", file=sys.stderr)
        return EXIT_OUTPUT
    print(f"wrote {', '.join(str(path) for path in written)}")
    print(f"run it with: capsim run {written[0]}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.scenarios:
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            failed += 1
            print(error, file=sys.stderr)
            continue
        centers = sum(len(city.centers) for city in scenario.cities.values())
        print(
            f"ok: {path} ({len(scenario.cities)} cities, {centers} centers, "
            f"{len(scenario.workload)} workload classes)"
        )
    return EXIT_INPUT if failed else 0


def _schema(args: argparse.Namespace) -> int:
    if args.format == "json":
        print(json.dumps(schema_json(), indent=2))
    else:
        print(schema_markdown(), end="")
    return 0


def _fit(args: argparse.Namespace) -> int:
    columns = TraceColumns(submit=args.submit, size=args.size, duration=args.duration)
    try:
        trace = read_trace(args.trace, columns)
        fitted = fit_trace(trace, name=args.name, origin=args.origin, profile=args.profile)
    except ValueError as error:  # TraceError messages already name the file
        where = "" if isinstance(error, TraceError) else f"{args.trace}: "
        print(f"capsim fit: {where}{error}", file=sys.stderr)
        return EXIT_INPUT
    print(fit_report(fitted, str(args.trace)), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())

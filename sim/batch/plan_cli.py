"""``capsim plan``: argument handling; the work is in :mod:`sim.batch.planning` and
:mod:`sim.batch.plan_answer`.

Exit status: 0 a plan was recommended for every variant; 1 some variant has none (no plan
meets the constraints), a run failed, or an output could not be written; 2 bad input (the
scenario or its `plan:` section, options, a folder holding another plan).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from sim.batch.cli import EXIT_FAILED, EXIT_INPUT, _common, _executor
from sim.batch.plan_answer import plan_capacity
from sim.batch.planning import Evaluator, PlanError, PlanFolderError, load_plan
from sim.formatting import format_with_ci
from sim.help_text import add_command
from sim.output import SCENARIO_COPY, OutputFolder, open_folder
from sim.reporting.plan import constraint_text, judged_text, knob_label, knob_value


def register(commands: Any) -> None:
    """Add the ``plan`` subcommand to the ``capsim`` parser."""
    plan = add_command(
        commands,
        "plan",
        "search the cheapest build-out that meets the scenario's plan: constraints",
        "; some variant has no plan that meets the constraints, or a run failed",
    )
    plan.add_argument("scenario", type=Path, help="scenario YAML with a plan: section")
    plan.add_argument("--out", type=Path, required=True, help="the plan folder")
    plan.add_argument("--resume", action="store_true", help="reuse the runs already in --out")
    _common(plan)
    plan.set_defaults(handler=_plan)


def _plan(args: argparse.Namespace) -> int:
    setup = load_plan(args.scenario, seed=args.seed)
    if args.replications is not None:
        setup.plan = setup.plan.model_copy(update={"replications": max(args.replications, 2)})
    executor = _executor(args)
    if executor is None:
        return EXIT_INPUT
    progress = None if args.quiet else _print_runs
    try:
        with open_folder(args.out, "plan") as folder, executor:
            evaluator = Evaluator(
                setup, executor, folder.root, resume=args.resume, on_runs=progress
            )
            document, table = plan_capacity(evaluator)
            write_plan(folder, document, table, Path(args.scenario).read_bytes())
    except PlanFolderError as error:
        print(f"capsim: {error}", file=sys.stderr)
        return EXIT_INPUT
    except PlanError as error:
        print(f"capsim: a run failed, no answer: {error}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as error:
        print(f"capsim: cannot write to {args.out}: {error}", file=sys.stderr)
        return EXIT_FAILED
    for line in plan_lines(document):
        print(line)
    print(
        f"{document['runs_made']} runs made, {document['runs']} in all; "
        f"wrote {args.out}/plan.json, plan.parquet"
    )
    answered = all(v["recommended"] is not None for v in document["variants"].values())
    return 0 if answered else EXIT_FAILED


def write_plan(
    folder: OutputFolder, document: dict[str, Any], table: pd.DataFrame, scenario: bytes
) -> None:
    """Publish plan.json, plan.parquet and the scenario as planned, together."""
    folder.stage_json("plan.json", document)
    folder.stage_bytes(SCENARIO_COPY, scenario)
    table.to_parquet(folder.stage("plan.parquet"), index=False)
    folder.publish()


def plan_lines(document: dict[str, Any]) -> list[str]:
    """The recommended plan of each variant, and what pooling saves, as text."""
    lines = []
    for variant, answer in document["variants"].items():
        chosen = answer["recommended"]
        if chosen is None:
            lines.append(f"{variant}: no plan ({answer['note']})")
            continue
        knobs = ", ".join(
            f"{knob_label(path)} {knob_value(chosen, path)}" for path in chosen["knobs"]
        )
        lines.append(
            f"{variant}: {knobs}; TCO "
            f"{format_with_ci('tco_cny', chosen['tco_cny'], chosen['tco_cny_ci95'])}"
        )
        for slo in chosen["slos"]:
            target = constraint_text(slo["target"])
            lines.append(f"  {target} in {slo['city'] or 'the network'}: {judged_text(slo)}")
    for saving in document["pooling"]:
        lines.append(
            f"{saving['variant']} instead of {saving['baseline']} saves "
            f"{format_with_ci('tco_cny', saving['saving_cny'], saving['saving_cny_ci95'])}"
        )
    return lines


def _print_runs(runs: int) -> None:
    print(f"  {runs} runs", file=sys.stderr)

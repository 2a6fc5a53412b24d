"""The examples and exit codes at the end of each ``capsim`` command's ``--help``."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from sim.metrics import METRIC_DOCS

EXIT_CODES = """\
exit status:
  0  success
  1  an output could not be written{extra}
  2  bad input: a scenario problem (file, line and key path are named) or bad arguments"""

EXAMPLES = {
    "capsim": """\
start here:
  capsim scenarios                       list the bundled scenarios
  capsim run                             run the default (china-national) and print the table
  capsim init two-cities my-study        copy a bundled scenario out to edit
  capsim run my-study/two-cities.yaml --out out && capsim report out

'capsim COMMAND --help' shows each command's options, an example and its exit codes.""",
    "run": """\
examples:
  capsim run                                         the bundled default scenario
  capsim run scenarios/mmc-erlang.yaml --replications 20 --out out
  capsim report out                                  then the planning report of out/""",
    "validate": """\
example:
  capsim validate scenarios/*.yaml""",
    "schema": """\
examples:
  capsim schema > scenario.schema.json
  capsim schema --format markdown > docs/scenario.md""",
    "fit": """\
example:
  capsim init philly-replay study && capsim fit study/data/philly_excerpt.csv --name philly""",
    "batch": """\
example:
  capsim batch scenarios/two-cities.yaml --out sweep \\
      --sweep cities.guian.centers.guian-hub.count=512,1024 --replications 5
  capsim report sweep""",
    "size": """\
example:
  capsim size scenarios/qianhai-phase1.yaml --vary cities.shenzhen.centers.qianhai.pflops \\
      --target "wait_p95_s <= 1h" --range 30000:44000 --step 1000 --out sizing""",
    "plan": """\
example:
  capsim plan scenarios/china-national.yaml --out plan   (the scenario's plan: section)
  capsim report plan""",
    "report": """\
examples:
  capsim report out                      out/report.html, one self-contained file
  capsim report out --format md -o rep   Markdown, PNG figures and CSV tables in rep/""",
    "scenarios": """\
example:
  capsim scenarios""",
    "init": """\
example:
  capsim init philly-replay study        study/philly-replay.yaml and study/data/...""",
}


def epilog(command: str, extra_exit: str = "") -> str:
    """The example(s) and exit codes of ``command`` for its ``--help``."""
    return f"{EXAMPLES[command]}\n\n{EXIT_CODES.format(extra=extra_exit)}"


def target_metrics() -> str:
    """The metrics a sizing target may name, one a line with its meaning and unit."""
    width = max(len(name) for name in METRIC_DOCS)
    indent = " " * (width + 4)
    lines = [
        textwrap.fill(doc, 98, initial_indent=f"  {name:{width}}  ", subsequent_indent=indent)
        for name, doc in METRIC_DOCS.items()
    ]
    return "target metrics (a _s metric takes a duration: 30min, 1h, 1d):\n" + "\n".join(lines)


def add_command(
    commands: Any, name: str, summary: str, exits: str | None = None
) -> argparse.ArgumentParser:
    """A subcommand whose ``--help`` ends with an example and the exit codes (``exits``: what
    else exit status 1 means, or ``""`` for none)."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog=epilog(name, exits or ""),
        formatter_class=help_formatter,
    )
    return parser


def help_formatter(prog: str) -> argparse.HelpFormatter:
    """Examples kept as written; option help in a column wide enough for the command names."""
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=30, width=100)

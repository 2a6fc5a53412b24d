"""The planning report: a run's or batch's results → findings, figures, tables, assumptions and
method, as one self-contained HTML file or as Markdown with PNG figures and CSV tables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from sim.reporting.build import build_report
from sim.reporting.document import SECTIONS, Document, FigureBlock
from sim.reporting.findings import run_findings, significant, sizing_findings, sweep_findings
from sim.reporting.html import render_html
from sim.reporting.markdown import write_markdown
from sim.results import Results


def write_report(
    results: Results, path: str | Path, format: Literal["html", "md"] = "html"
) -> Path:
    """Write the report of ``results``: an HTML file at ``path``, or for ``md`` a folder at
    ``path`` with report.md, figures/*.png and tables/*.csv. Returns the file written.

    The target is checked (a regular file or a new name; for ``md`` a folder, locked while
    written) before the report is built.

    Raises
    ------
    sim.output.OutputError
        If the target cannot or must not be written.
    """
    from sim.output import atomic_path, open_folder, prepare_file

    target = Path(path)
    if format == "md":
        with open_folder(target, "report", option="-o") as folder:
            document = build_report(results)
            try:
                return write_markdown(document, folder)
            finally:
                _close(document)
    prepare_file(target)
    document = build_report(results)
    try:
        with atomic_path(target) as temporary:
            temporary.write_text(render_html(document), encoding="utf-8")
        return target
    finally:
        _close(document)


def _close(document: Document) -> None:
    """Free the figures: a report makes a dozen, and they are done."""
    for section in document.sections:
        for block in section.blocks:
            if isinstance(block, FigureBlock):
                block.figure.clear()


__all__ = [
    "SECTIONS",
    "Document",
    "build_report",
    "render_html",
    "run_findings",
    "significant",
    "sizing_findings",
    "sweep_findings",
    "write_markdown",
    "write_report",
]

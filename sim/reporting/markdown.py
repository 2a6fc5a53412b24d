"""The report as Markdown in a folder: ``report.md``, the figures as PNG in ``figures/`` and
every table also as CSV in ``tables/``, for pasting into planning documents."""

from __future__ import annotations

import re
from pathlib import Path

from sim.output import OutputFolder, csv_safe
from sim.reporting.document import (
    Block,
    Bullets,
    Document,
    FigureBlock,
    Paragraph,
    Preformatted,
    Table,
)
from sim.reporting.html import figure_png

_UNSAFE = re.compile(r"[^\w.-]+")
"""Anything but letters (of any script, as names may be 深圳), digits, '_', '.' and '-'."""

_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>|#"})


def md_escape(text: str) -> str:
    """Text that Markdown shows as written (no emphasis, links or HTML)."""
    return text.translate(_SPECIAL).replace("\n", " ")


def file_stem(name: str) -> str:
    """A file name from a block name (which may hold scenario names): never a path."""
    return _UNSAFE.sub("-", name).strip(".-") or "unnamed"


def write_markdown(document: Document, folder: OutputFolder) -> Path:
    """Write the report into ``folder`` (every file published at once); returns the path of
    report.md."""
    lines = [f"# {md_escape(document.title)}", ""]
    if document.subtitle:
        lines += [md_escape(document.subtitle), ""]
    for section in document.sections:
        lines += [f"## {md_escape(section.title)}", ""]
        for block in section.blocks:
            lines += [*_block(block, folder), ""]
    folder.stage("report.md").write_text("\n".join(lines), encoding="utf-8")
    folder.publish()
    return folder.root / "report.md"


def _block(block: Block, folder: OutputFolder) -> list[str]:
    if isinstance(block, Paragraph):
        return [md_escape(block.text)]
    if isinstance(block, Bullets):
        title = [f"### {md_escape(block.title)}", ""] if block.title else []
        return [*title, *(f"- {md_escape(item)}" for item in block.items)]
    if isinstance(block, Preformatted):
        fence = "~~~~" if "```" in block.text else "```"
        return [fence, block.text.replace(fence, ""), fence]
    if isinstance(block, Table):
        return _table(block, folder)
    return _figure(block, folder)


def _figure(block: FigureBlock, folder: OutputFolder) -> list[str]:
    name = f"figures/{file_stem(block.name)}.png"
    folder.stage_bytes(name, figure_png(block.figure))
    return [f"![{md_escape(block.caption)}]({name})", "", f"*{md_escape(block.caption)}*"]


def _table(table: Table, folder: OutputFolder) -> list[str]:
    name = f"tables/{file_stem(table.name)}.csv"
    # Spreadsheets run a cell starting with "=" as a formula: user text is kept as text.
    csv_safe(table.csv_frame()).to_csv(folder.stage(name), index=False)
    header = "| " + " | ".join(md_escape(c) for c in table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    rows = ["| " + " | ".join(md_escape(cell) for cell in row) + " |" for row in table.rows]
    return [f"### {md_escape(table.title)}", "", header, rule, *rows, "", f"CSV: [{name}]({name})"]

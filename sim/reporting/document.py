"""The report as a format-free document: sections of paragraphs, lists, tables and figures,
rendered to HTML (:mod:`sim.reporting.html`) or Markdown (:mod:`sim.reporting.markdown`).

Text here is plain (never markup): the renderers escape it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure


@dataclass
class Paragraph:
    text: str


@dataclass
class Bullets:
    items: list[str]
    title: str = ""


@dataclass
class Preformatted:
    text: str


@dataclass
class Table:
    """A table of formatted cells; ``frame`` holds the numbers for the CSV, when they differ."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    name: str
    """A file-name stem for the CSV (and an HTML anchor)."""
    frame: pd.DataFrame | None = None
    note: str = ""

    def csv_frame(self) -> pd.DataFrame:
        if self.frame is not None:
            return self.frame
        return pd.DataFrame(self.rows, columns=self.columns)


@dataclass
class FigureBlock:
    figure: Figure
    name: str
    """A file-name stem for the PNG."""
    caption: str


Block = Paragraph | Bullets | Preformatted | Table | FigureBlock


@dataclass
class Section:
    title: str
    anchor: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    title: str
    subtitle: str
    sections: list[Section]

    def section(self, anchor: str) -> Section:
        return next(s for s in self.sections if s.anchor == anchor)


SECTIONS = [
    ("findings", "Findings"),
    ("figures", "Figures"),
    ("tables", "Results per city"),
    ("assumptions", "Assumptions"),
    ("method", "Method"),
]
"""The report's sections, in order (anchor, title): every report has all of them."""

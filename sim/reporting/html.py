"""The report as one self-contained HTML file: figures as base64 PNG, CSS inline, no external
reference of any kind, and print CSS so that a browser prints it cleanly to PDF.

Every piece of text comes from the document as plain text and is escaped here.
"""

from __future__ import annotations

import base64
import io
from html import escape

from matplotlib.figure import Figure

from sim.reporting.document import (
    Block,
    Bullets,
    Document,
    FigureBlock,
    Paragraph,
    Preformatted,
    Table,
)

FIGURE_DPI = 150

CSS = """
:root { color-scheme: light; }
body { font-family: "Helvetica Neue", Arial, "Noto Sans", "Noto Sans CJK SC", "PingFang SC",
       "Microsoft YaHei", sans-serif; color: #1a1a1a;
       max-width: 1100px; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.45; }
h1 { font-size: 1.8rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.35rem; border-bottom: 2px solid #1f77b4; padding-bottom: 0.2rem;
     margin-top: 2.2rem; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 0.4rem; }
.subtitle { color: #444; margin-top: 0; }
nav { background: #f3f6fa; padding: 0.6rem 1rem; border-radius: 4px; }
nav a { margin-right: 1.2rem; color: #1f4e79; text-decoration: none; }
ul.findings li { margin-bottom: 0.45rem; }
figure { margin: 1.2rem 0; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.88rem; color: #444; margin-top: 0.3rem; }
table { border-collapse: collapse; font-size: 0.82rem; margin: 0.4rem 0 1rem; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.45rem; vertical-align: top; }
th { background: #f3f6fa; text-align: left; }
th.num { text-align: right; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
pre { background: #f7f7f7; padding: 0.7rem; white-space: pre-wrap; font-size: 0.82rem; }
.table-wrap { overflow-x: auto; }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  nav { display: none; }
  h2 { break-before: auto; break-after: avoid; }
  h3 { break-after: avoid; }
  figure, tr, pre { break-inside: avoid; }
  .table-wrap { overflow: visible; }
  table { font-size: 7.5pt; }
  th, td { padding: 0.12rem 0.2rem; }
  td.num { white-space: normal; }  /* a wide table wraps "mean ± half" rather than overflow */
  a { color: inherit; text-decoration: none; }
}
"""


def figure_png(figure: Figure, dpi: int = FIGURE_DPI) -> bytes:
    """The figure as PNG bytes (Agg, no display)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.1)
    return buffer.getvalue()


def render_html(document: Document) -> str:
    """The whole report as an HTML string."""
    nav = " ".join(
        f'<a href="#{escape(s.anchor)}">{escape(s.title)}</a>' for s in document.sections
    )
    body = [
        f"<h1>{escape(document.title)}</h1>",
        f'<p class="subtitle">{escape(document.subtitle)}</p>' if document.subtitle else "",
        f"<nav>{nav}</nav>",
    ]
    for section in document.sections:
        body.append(f'<section id="{escape(section.anchor)}">')
        body.append(f"<h2>{escape(section.title)}</h2>")
        body += [_block(block, section.anchor) for block in section.blocks]
        body.append("</section>")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(document.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + "\n</body>\n</html>\n"
    )


def _block(block: Block, anchor: str) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{escape(block.text)}</p>"
    if isinstance(block, Bullets):
        css = ' class="findings"' if anchor == "findings" else ""
        items = "".join(f"<li>{escape(item)}</li>" for item in block.items)
        title = f"<h3>{escape(block.title)}</h3>" if block.title else ""
        return f"{title}<ul{css}>{items}</ul>"
    if isinstance(block, Preformatted):
        return f"<pre>{escape(block.text)}</pre>"
    if isinstance(block, Table):
        return _table(block)
    return _figure(block)


def _figure(block: FigureBlock) -> str:
    data = base64.b64encode(figure_png(block.figure)).decode("ascii")
    # Shown at its design size (inches at 96 CSS px), narrower if the page is: the same text
    # size in every figure.
    width = round(block.figure.get_figwidth() * 96)
    return (
        f'<figure id="figure-{escape(block.name)}">'
        f'<img src="data:image/png;base64,{data}" style="width: {width}px" '
        f'alt="{escape(block.caption)}">'
        f"<figcaption>{escape(block.caption)}</figcaption></figure>"
    )


def _table(table: Table) -> str:
    numeric = [
        bool(table.rows) and all(_numeric(row[i]) for row in table.rows)
        for i in range(len(table.columns))
    ]
    css = [' class="num"' if flag else "" for flag in numeric]
    head = "".join(f"<th{c}>{escape(t)}</th>" for c, t in zip(css, table.columns, strict=True))
    rows = []
    for row in table.rows:
        cells = "".join(f"<td{c}>{escape(t)}</td>" for c, t in zip(css, row, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    note = f"<p>{escape(table.note)}</p>" if table.note else ""
    return (
        f'<h3 id="table-{escape(table.name)}">{escape(table.title)}</h3>{note}'
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _numeric(cell: str) -> bool:
    stripped = cell.lstrip("+−-").strip()
    return bool(stripped) and (stripped[0].isdigit() or stripped == "–")

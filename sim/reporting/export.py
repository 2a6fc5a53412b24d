"""``capsim export``: the summary tables of a run, batch or size folder as CSV files or one
Excel workbook (a sheet per table), for planning offices that live in spreadsheets.

The tables hold numbers in the units of their column names (docs/outputs.md), not formatted
text: a spreadsheet should be able to compute with them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from sim.batch.aggregate import run_table
from sim.batch.work import METRICS
from sim.output import atomic_path, csv_safe
from sim.results import Results

Format = Literal["csv", "xlsx"]


def summary_tables(results: Results) -> dict[str, pd.DataFrame]:
    """The folder's summary tables by name: ``summary`` (as summary.parquet), ``differences``
    (paired differences against the baseline), ``periods``, ``precision`` (its checks) and
    ``sizing``, each where the folder has it."""
    summary = results.summary
    tables: dict[str, pd.DataFrame] = {}
    if results.kind == "run":
        tables["summary"] = run_table(summary)
        tables["differences"] = _differences([({}, summary)])
        tables["periods"] = _periods(summary.get("periods", {}))
    elif results.kind == "batch" and results.table is not None:
        tables["summary"] = results.table
        points = [(p["params"] | {"point": p["point"]}, p) for p in summary["points"]]
        tables["differences"] = _differences(points)
    if summary.get("precision"):
        tables["precision"] = pd.DataFrame(summary["precision"]["checks"])
    if results.sizing is not None:
        tables["sizing"] = pd.DataFrame(results.sizing["evaluations"])
    return {name: table for name, table in tables.items() if not table.empty}


def export_tables(results: Results, to: Format, output: Path) -> list[Path]:
    """Write the summary tables: ``csv``, one ``<table>.csv`` each in the folder ``output``;
    ``xlsx``, the workbook ``output``. Returns the files written.

    Raises
    ------
    RuntimeError
        For ``xlsx`` without openpyxl (the optional extra ``capsim[xlsx]``).
    """
    check_writer(to)
    tables = {name: csv_safe(table) for name, table in summary_tables(results).items()}
    if to == "csv":
        written = []
        for name, table in tables.items():
            with atomic_path(output / f"{name}.csv") as temporary:
                table.to_csv(temporary, index=False)
            written.append(output / f"{name}.csv")
        return written
    with atomic_path(output) as temporary, pd.ExcelWriter(temporary, engine="openpyxl") as book:
        for name, table in tables.items():
            table.to_excel(book, sheet_name=name, index=False)
    return [output]


def check_writer(to: Format) -> None:
    """Raise RuntimeError if ``to`` needs a library that is not installed (openpyxl for xlsx,
    the optional extra ``capsim[xlsx]``)."""
    if to != "xlsx":
        return
    try:
        import openpyxl  # noqa: F401  (pandas writes .xlsx with it)
    except ImportError:
        raise RuntimeError("writing .xlsx needs openpyxl: pip install 'capsim[xlsx]'") from None


def _differences(points: list[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> pd.DataFrame:
    """One row per (point,) variant and place: the paired difference of every compared metric
    and its 95% half-width."""
    rows = [
        {**keys, "variant": variant, "baseline": comparison["baseline"], **place, **values}
        for keys, entry in points
        for variant, comparison in entry.get("comparisons", {}).items()
        for place, values in _places(comparison)
    ]
    frame = pd.DataFrame(rows)
    columns = [c for c in frame.columns if c not in _metric_columns()]
    return frame[columns + [c for c in _metric_columns() if c in frame.columns]]


def _places(comparison: Mapping[str, Any]) -> Iterator[tuple[dict[str, str], Mapping[str, Any]]]:
    yield {"level": "overall", "city": ""}, comparison["overall"]
    for city, values in comparison["cities"].items():
        yield {"level": "city", "city": city}, values


def _metric_columns() -> list[str]:
    return [name for metric in METRICS for name in (metric, f"{metric}_ci95")]


def _periods(periods: Mapping[str, Any]) -> pd.DataFrame:
    """One row per variant, place and period: its metrics and their 95% half-widths."""
    rows = []
    for variant, entry in periods.items():
        places = [("overall", entry["overall"]), *entry["cities"].items()]
        for place, values in places:
            spans = zip(entry["start_s"], entry["end_s"], strict=True)
            for index, (start, end) in enumerate(spans):
                numbers = {key: series[index] for key, series in values.items()}
                rows.append(
                    {"variant": variant, "place": place, "start_s": start, "end_s": end, **numbers}
                )
    return pd.DataFrame(rows)

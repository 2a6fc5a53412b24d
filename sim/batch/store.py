"""A batch's folder: one Parquet file per finished run, one JSON file per failed run.

::

    DIR/batch.json                       what the batch is (scenario hash, axes, seed, variants)
    DIR/runs/p00003-base-r00007.parquet  rows of point 3, variant base, replication 7 (and its
                                         period metrics as JSON in the file's metadata)
    DIR/failed/p00003-base-r00007.json   the error of a run that raised (removed when it succeeds)

Every file is written under a temporary name and renamed, so a run is on disk whole or not at
all and an interrupted batch keeps every finished run. A run's period metrics travel in the
key-value metadata of its own Parquet file, not in a second file, so they too are on disk with
the run or not at all; a file written before batches computed periods simply has none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.output import atomic_path, write_json

RUN_KEYS = ["point", "variant", "replication"]
PERIODS_KEY = b"capsim.periods"
"""The Parquet metadata key holding a run's period metrics (JSON)."""


@dataclass(frozen=True)
class RunId:
    """Where a run sits in the batch."""

    point: int
    variant: str
    replication: int

    @property
    def stem(self) -> str:
        return f"p{self.point:05d}-{self.variant}-r{self.replication:05d}"

    @classmethod
    def from_stem(cls, stem: str) -> RunId | None:
        head, _, rest = stem.partition("-")
        variant, _, tail = rest.rpartition("-")
        if not (head[1:].isdigit() and tail[1:].isdigit() and variant):
            return None
        return cls(int(head[1:]), variant, int(tail[1:]))


class BatchStore:
    """The files of one batch under ``root``."""

    def __init__(self, root: Path):
        self.root = root
        self.runs = root / "runs"
        self.failed = root / "failed"
        self.manifest = root / "batch.json"

    def finished(self) -> set[RunId]:
        """Runs already on disk."""
        if not self.runs.is_dir():
            return set()
        found = (RunId.from_stem(path.stem) for path in self.runs.glob("*.parquet"))
        return {run for run in found if run is not None}

    def write_run(
        self, run: RunId, rows: pd.DataFrame, periods: dict[str, Any] | None = None
    ) -> None:
        """Write a finished run's rows (tagged with point, variant and replication) and its
        period metrics, if any."""
        keys = {"point": run.point, "variant": run.variant, "replication": run.replication}
        columns = {name: pa.array([value] * len(rows)) for name, value in keys.items()}
        # Column by column: pyarrow's pandas conversion costs ~6 ms a run, this ~0.5 ms.
        columns |= {name: pa.array(rows[name].to_numpy()) for name in rows.columns}
        table = pa.table(columns)
        if periods is not None:
            # JSON keeps every float to the last digit (and NaN), so a batch's periods equal
            # those of `capsim run`.
            table = table.replace_schema_metadata({PERIODS_KEY: json.dumps(periods)})
        with atomic_path(self.runs / f"{run.stem}.parquet", sync_folder=False) as temporary:
            pq.write_table(table, temporary)
        (self.failed / f"{run.stem}.json").unlink(missing_ok=True)

    def write_failure(self, run: RunId, record: dict[str, Any]) -> None:
        write_json(self.failed / f"{run.stem}.json", record)

    def failures(self) -> list[dict[str, Any]]:
        """Records of runs that failed and have not succeeded since, in run order."""
        if not self.failed.is_dir():
            return []
        paths = sorted(self.failed.glob("*.json"))
        return [json.loads(path.read_text(encoding="utf-8")) for path in paths]

    def read_runs(self) -> pd.DataFrame:
        """Every finished run's rows, sorted by point, variant file name and replication."""
        paths = sorted(self.runs.glob("*.parquet")) if self.runs.is_dir() else []
        if not paths:
            return pd.DataFrame(columns=RUN_KEYS)
        # One conversion to pandas for all files: a per-file read_parquet costs ~5 ms each.
        tables = [pq.read_table(path).replace_schema_metadata() for path in paths]
        return pa.concat_tables(tables).to_pandas()

    def read_periods(self) -> dict[RunId, dict[str, Any]]:
        """The period metrics of every finished run that has them."""
        periods: dict[RunId, dict[str, Any]] = {}
        for path in sorted(self.runs.glob("*.parquet")) if self.runs.is_dir() else []:
            run = RunId.from_stem(path.stem)
            metadata = pq.read_schema(path).metadata or {}
            if run is not None and PERIODS_KEY in metadata:
                periods[run] = json.loads(metadata[PERIODS_KEY])
        return periods

    def read_manifest(self) -> dict[str, Any] | None:
        if not self.manifest.is_file():
            return None
        data: dict[str, Any] = json.loads(self.manifest.read_text(encoding="utf-8"))
        return data

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_json(self.manifest, manifest)

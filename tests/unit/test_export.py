"""capsim export: every summary table of a run or batch folder as CSV files or one workbook."""

import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.reporting.export import summary_tables
from sim.results import read_results
from tests.conftest import one_center


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    data = one_center(3, rate="2/h", horizon="40h", warmup="4h")
    data["run"]["period"] = "12h"
    data["variants"] = {"fifo": {}, "sjf": {"scheduling": {"local": "sjf"}}}
    data["run"]["precision"] = {
        "metrics": ["utilisation"],
        "relative": "50%",
        "min_replications": 2,
        "max_replications": 3,
    }
    path = root / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    quiet = ["--quiet", "--workers", "1"]
    assert main(["run", str(path), *quiet, "--out", str(root / "run")]) == 0
    batch = ["batch", str(path), "--sweep", "cities.a.centers.c.count=3,4", "--serial"]
    assert main([*batch, "--replications", "2", "--quiet", "--out", str(root / "batch")]) == 0
    return root


@pytest.mark.parametrize("kind", ["run", "batch"])
def test_the_workbook_holds_every_summary_table(folders, kind):
    tables = summary_tables(read_results(folders / kind))
    expected = {"summary", "differences"} | ({"periods", "precision"} if kind == "run" else set())
    assert set(tables) == expected
    assert main(["export", str(folders / kind), "--to", "xlsx"]) == 0
    sheets = pd.read_excel(folders / kind / "summary.xlsx", sheet_name=None)
    assert set(sheets) == set(tables)
    for name, table in tables.items():
        assert sheets[name].shape == table.shape, name
        assert list(sheets[name].columns) == [str(c) for c in table.columns]
    summary = sheets["summary"]
    assert {"variant", "level", "city", "center", "replications", "wait_p95_s_ci95"} <= set(
        summary.columns
    )
    differences = sheets["differences"]
    assert set(differences["variant"]) == {"sjf"} and set(differences["baseline"]) == {"fifo"}


def test_csv_files_hold_the_same_numbers(folders):
    out = folders / "csv"
    assert main(["export", str(folders / "run"), "--to", "csv", "-o", str(out)]) == 0
    tables = summary_tables(read_results(folders / "run"))
    assert sorted(p.stem for p in out.glob("*.csv")) == sorted(tables)
    back = pd.read_csv(out / "summary.csv", keep_default_na=False, na_values=[""])
    assert back["wait_p95_s"].to_numpy() == pytest.approx(
        tables["summary"]["wait_p95_s"].to_numpy(), nan_ok=True
    )


def test_a_folder_that_is_not_capsim_output_is_an_input_error(tmp_path, capsys):
    assert main(["export", str(tmp_path), "--to", "csv"]) == 2
    assert "holds no summary.json" in capsys.readouterr().err

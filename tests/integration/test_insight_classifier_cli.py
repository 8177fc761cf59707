"""`manyi complaints classifier evaluate` on a small export made from rows of the real sample."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from manyi.cli import app

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "complaints"
SAMPLE = SAMPLE / "cfpb_payday_loan_complaints.csv.gz"  # the shared real sample, compressed
ISSUES = (
    "Charged fees or interest you didn't expect",
    "Getting a line of credit",
    "Incorrect information on your report",
)
RARE = "Vehicle was repossessed or sold the vehicle"


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """22 complaints of each of three issues, 10 of a fourth (too few: left out), 4 without a
    narrative (left out), and dates the importer refuses on some rows (still used)."""
    rows = list(csv.reader(io.StringIO(gzip.decompress(SAMPLE.read_bytes()).decode())))
    header, body = rows[0], rows[1:]
    at = {name: i for i, name in enumerate(header)}
    chosen: list[list[str]] = []
    for issue, count in [*((issue, 22) for issue in ISSUES), (RARE, 10)]:
        chosen += [row for row in body if row[at["Issue"]] == issue][:count]
    for row in [row for row in body if row[at["Issue"]] == ISSUES[0]][22:26]:
        chosen.append(
            [
                *row[: at["Consumer complaint narrative"]],
                "None",
                *row[at["Consumer complaint narrative"] + 1 :],
            ]
        )
    for row in chosen[::7]:
        row[at["Date received"]] = "2019/4/4"  # a spreadsheet's re-save
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *chosen])
    path = tmp_path_factory.mktemp("export") / "cfpb.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["complaints", "classifier", "evaluate", *args])


def test_evaluate_prints_the_contracts_json_the_same_each_time(export: Path) -> None:
    result = run(str(export), "--format", "cfpb", "--target", "issue", "--folds", "3", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert list(figures) == ["n", "classes", "accuracy", "macro_f1"]
    assert (figures["n"], figures["classes"]) == (66, 3)
    assert 0.0 <= figures["macro_f1"] <= 1.0 and 0.0 <= figures["accuracy"] <= 1.0
    assert figures["accuracy"] > 0.5  # three distinct issues: far above a third
    again = run(str(export), "--format", "cfpb", "--target", "issue", "--folds", "3", "--json")
    assert json.loads(again.stdout) == figures  # seed 0: the same numbers


def test_evaluate_prints_a_table_without_json(export: Path) -> None:
    result = run(str(export), "--format", "cfpb", "--target", "issue", "--folds", "2")
    assert result.exit_code == 0, result.output
    assert "complaints evaluated     66" in result.stdout
    assert "labels left out (<20)   1" in result.stdout
    assert "macro-F1" in result.stdout and "accuracy" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv", "--format", "cfpb", "--target", "issue"], "missing.csv: no such file"),
        (["{export}", "--format", "csv", "--target", "issue"], "--format must be cfpb"),
        (
            ["{export}", "--format", "cfpb", "--target", "cause"],
            "--target must be product or issue",
        ),
        (
            ["{export}", "--format", "cfpb", "--target", "issue", "--folds", "1"],
            "--folds must be at least 2",
        ),
        # By product, only "Personal line of credit" has 20 narratives here: one class.
        (["{export}", "--format", "cfpb", "--target", "product"], "an evaluation needs at least 2"),
        (["{export}", "--format", "cfpb"], "Missing option '--target'"),
    ],
)
def test_bad_input_exits_2_with_a_message(export: Path, args: list[str], message: str) -> None:
    result = run(*(a.replace("{export}", str(export)) for a in args))
    assert result.exit_code == 2
    assert message in result.stderr

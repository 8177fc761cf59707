"""The staffing command line: JSON and human output, patience and shrinkage, bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from manyi.forecast.cli_staffing import app
from manyi.forecast.erlang import erlang_a
from manyi.forecast.staffing import staff_for

# --- command line -----------------------------------------------------------------------

runner = CliRunner()
BASE = ["erlang", "--arrivals-per-hour", "200", "--service-s", "180", "--target-s", "20"]


def test_cli_json() -> None:
    result = runner.invoke(app, [*BASE, "--service-level", "0.8", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"servers", "p_wait", "service_level", "mean_wait_s", "occupancy", "staff"}
    assert data["servers"] == 14 and data["staff"] == 14
    assert data["service_level"] == pytest.approx(0.888, abs=5e-4)
    assert data["p_wait"] == pytest.approx(0.174, abs=5e-4)
    assert data["occupancy"] == pytest.approx(0.714, abs=5e-4)
    assert data["mean_wait_s"] == pytest.approx(7.84, abs=5e-3)


def test_cli_json_with_patience_and_shrinkage() -> None:
    args = [*BASE, "--service-level", "0.8", "--patience-s", "60", "--shrinkage", "0.3"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {
        "servers",
        "p_wait",
        "service_level",
        "mean_wait_s",
        "occupancy",
        "staff",
        "abandon",
    }
    expected = staff_for(200, 180, 20, 0.8, shrinkage=0.3, patience_s=60)
    assert data["servers"] == expected.servers < 14
    assert data["staff"] == expected.staff
    assert data["abandon"] == pytest.approx(expected.abandon, abs=1e-6)


def test_cli_human_output() -> None:
    result = runner.invoke(app, [*BASE, "--service-level", "0.8", "--shrinkage", "0.3"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Erlang C" in text
    assert "14" in text and "88.8 %" in text and "17.4 %" in text and "71.4 %" in text
    assert "20" in text  # staff after 30 % shrinkage
    assert "abandon" not in text
    with_patience = runner.invoke(app, [*BASE, "--service-level", "0.8", "--patience-s", "60"])
    assert "Erlang A" in with_patience.stdout and "abandon" in with_patience.stdout


@pytest.mark.parametrize(
    ("extra", "option"),
    [
        (["--service-level", "1.5"], "--service-level"),
        (["--service-level", "80"], "--service-level"),
        (["--service-level", "0.8", "--shrinkage", "1"], "--shrinkage"),
        (["--service-level", "0.8", "--patience-s", "0"], "--patience-s"),
        (["--service-level", "0.8", "--arrivals-per-hour", "-3"], "--arrivals-per-hour"),
        (["--service-level", "0.8", "--arrivals-per-hour", "9000000"], "--arrivals-per-hour"),
    ],
)
def test_cli_bad_input(extra: list[str], option: str) -> None:
    result = runner.invoke(app, [*BASE, *extra])
    assert result.exit_code == 2
    assert option in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_cli_bad_target_and_service_time() -> None:
    args = ["erlang", "--arrivals-per-hour", "200", "--service-level", "0.8"]
    result = runner.invoke(app, [*args, "--service-s", "0", "--target-s", "20"])
    assert result.exit_code == 2 and "--service-s" in result.stderr
    result = runner.invoke(app, [*args, "--service-s", "180", "--target-s", "-1"])
    assert result.exit_code == 2 and "--target-s" in result.stderr


def test_cli_is_a_group_ready_for_more_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "erlang" in result.stdout


def test_a_vanishing_target_is_no_target() -> None:
    # Found by hypothesis: 1 − e^(−θt) underflowed to 0 and its logarithm failed.
    tiny = erlang_a(1, 1.0, 10.0, 5.0, 5e-324)
    assert tiny.service_level == pytest.approx(1 - tiny.p_wait)

"""The 80 % wait range: calibrated on the outlet's own errors, scored by `manyi waits evaluate`."""

from __future__ import annotations

import json
import random
from pathlib import Path
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

from manyi.forecast import synthetic
from manyi.forecast.cli_waits import app
from manyi.forecast.eventlog import write_events
from manyi.forecast.intervals import MIN_ERRORS, ErrorBands, NaiveRange, coverage, quantile

runner = CliRunner()


def test_quantile_interpolates_between_order_statistics() -> None:
    assert quantile([0.0, 10.0], 0.5) == 5.0
    assert quantile([1.0, 2.0, 3.0, 4.0, 5.0], 0.0) == 1.0
    assert quantile([1.0, 2.0, 3.0, 4.0, 5.0], 1.0) == 5.0
    assert quantile([7.0], 0.9) == 7.0


def test_no_range_before_enough_waits_are_known() -> None:
    bands = ErrorBands()
    for _ in range(MIN_ERRORS - 1):
        bands.learn(300.0, 320.0)
    assert bands.band(300.0) is None
    bands.learn(300.0, 320.0)
    assert bands.band(300.0) is not None


def test_range_is_narrow_where_predictable_and_wide_where_not() -> None:
    rng = random.Random(3)
    bands = ErrorBands()
    for _ in range(2000):
        # Short predictions are off by up to 30 s, long ones by up to 10 minutes.
        bands.learn(30.0, max(30.0 + rng.uniform(-30, 30), 0.0))
        bands.learn(1200.0, 1200.0 + rng.uniform(-600, 600))
    short, long = bands.band(30.0), bands.band(1200.0)
    assert short is not None and long is not None
    assert short[1] - short[0] < 80
    assert 700 < long[1] - long[0] < 1200
    assert short[0] >= 0  # never a negative wait


def test_adaptive_range_covers_about_80_percent_online() -> None:
    rng = random.Random(11)
    bands = ErrorBands()
    ranges = []
    for i in range(6000):
        predicted = rng.choice([0.0, 120.0, 400.0, 900.0])
        # Many zero waits, and a spread that drifts half-way: the level follows it.
        spread = 200.0 if i < 3000 else 500.0
        actual = 0.0 if rng.random() < 0.3 else max(predicted + rng.gauss(0, spread), 0.0)
        band = bands.band(predicted)
        if band is not None:
            ranges.append((band[0], band[1], actual))
        bands.learn(predicted, actual)
    share, width = coverage(ranges)
    assert share is not None and width is not None
    assert 0.77 <= share <= 0.83


def test_naive_range_is_the_10th_to_90th_percentile_of_the_last_500_waits() -> None:
    naive = NaiveRange()
    for wait in range(1000):  # only the last 500 (500 … 999) count
        naive.learn(float(wait))
    band = naive.band()
    assert band is not None
    assert band[0] == quantile([float(w) for w in range(500, 1000)], 0.1)
    assert band[1] == quantile([float(w) for w in range(500, 1000)], 0.9)


def test_coverage_and_width() -> None:
    assert coverage([]) == (None, None)
    assert coverage([(0, 10, 5), (0, 10, 11), (5, 15, 5), (0, 0, 0)]) == (0.75, 7.5)


def test_evaluate_json_scores_the_80_percent_range_of_each_predictor(tmp_path: Path) -> None:
    log = tmp_path / "events.csv"
    visits = synthetic.generate(seed=2, days=2)
    log.write_text("".join(write_events(visits, ZoneInfo("Asia/Shanghai"))), encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(log), "--predictor", "all", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for name, score in data["predictors"].items():
        assert 0.74 <= score["coverage80"] <= 0.86, name
        assert score["width80_s"] > 0
    naive = data["naive80"]
    assert 0 <= naive["coverage80"] <= 1
    # The learned predictor's range is much narrower than the naive one.
    assert data["predictors"]["learned"]["width80_s"] < 0.8 * naive["width80_s"]

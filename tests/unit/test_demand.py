"""Demand forecast and staffing plan: day kinds (holidays, make-up workdays, peaks),
per-interval averages from history, counters per interval, the plan command."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import typer
from typer.testing import CliRunner

from manyi.forecast import demand
from manyi.forecast.cli_staffing import app
from manyi.forecast.eventlog import Visit, write_events

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("day", "kind", "open_"),
    [
        ("2026-02-17", "holiday", False),  # Spring Festival
        ("2026-10-01", "holiday", False),  # National Day
        ("2026-02-14", "makeup", True),  # a Saturday worked instead (调休)
        ("2026-11-28", "weekend", False),
        ("2026-12-15", "pension", True),
        ("2026-11-30", "month_end", True),  # Monday, the last workday of November
        ("2026-11-27", "month_end", True),  # Friday, the one before it
        ("2026-11-26", "thu", True),
    ],
)
def test_day_kinds(day: str, kind: str, open_: bool) -> None:
    found = demand.day_kind(dt.date.fromisoformat(day))
    assert (found.kind, found.open) == (kind, open_)
    assert found.note == ""


def test_a_year_without_an_official_calendar_falls_back_to_weekdays() -> None:
    found = demand.day_kind(dt.date(2031, 3, 4))  # a Tuesday
    assert found.kind == "tue" and "2031" in found.note


def history(weeks: int = 6, seed: int = 3) -> list[Visit]:
    """Workdays 09:00–17:00; Tuesdays busier at 10:00; the 15th twice as busy."""
    rng = random.Random(seed)
    visits = []
    day = dt.date(2026, 10, 12)
    n = 0
    while day < dt.date(2026, 10, 12) + dt.timedelta(weeks=weeks):
        kind = demand.day_kind(day)
        if kind.open:
            for slot in range(18, 34):  # 09:00 .. 16:30
                base = 6 + (6 if kind.kind == "tue" and slot in (20, 21) else 0)
                count = base * (2 if kind.kind == "pension" else 1)
                for _ in range(count):
                    issued = dt.datetime.combine(
                        day, dt.time(slot // 2, 30 * (slot % 2)), ZONE
                    ) + dt.timedelta(seconds=rng.uniform(0, 1799))
                    called = issued + dt.timedelta(seconds=rng.uniform(30, 600))
                    n += 1
                    visits.append(
                        Visit(
                            str(n),
                            "ZGC",
                            "A",
                            "normal",
                            issued,
                            called,
                            called + dt.timedelta(seconds=300),
                            "served",
                            "1",
                        )
                    )
        day += dt.timedelta(days=1)
    return visits


def test_forecast_averages_days_of_the_same_kind() -> None:
    visits = history()
    tuesday = demand.forecast_day(visits, dt.date(2026, 12, 1), ZONE)
    assert tuesday.kind.kind == "tue" and tuesday.based_on >= 5
    by_time = {i.start: i for i in tuesday.intervals}
    assert by_time[dt.time(10, 0)].arrivals == pytest.approx(12, abs=0.01)
    assert by_time[dt.time(9, 0)].arrivals == pytest.approx(6, abs=0.01)
    assert by_time[dt.time(8, 0)].arrivals == 0
    assert by_time[dt.time(9, 0)].service_s == pytest.approx(300)
    pension = demand.forecast_day(visits, dt.date(2026, 12, 15), ZONE)
    assert pension.kind.kind == "pension"
    assert {i.start: i for i in pension.intervals}[dt.time(9, 0)].arrivals == 12
    holiday = demand.forecast_day(visits, dt.date(2026, 10, 1), ZONE)
    assert all(i.arrivals == 0 for i in holiday.intervals)


def test_the_forecast_uses_only_days_before_the_date() -> None:
    visits = history()
    early = demand.forecast_day(visits, dt.date(2026, 10, 20), ZONE)  # one Tuesday before
    assert early.based_on == 1


def test_plan_gives_counters_per_interval() -> None:
    forecast = demand.forecast_day(history(), dt.date(2026, 12, 1), ZONE)
    plan = demand.plan_day(forecast, target_wait_s=600, service_level=0.8)
    by_time = {p.forecast.start: p.staffing for p in plan}
    # 12 customers an hour × 300 s = 1 Erlang; 24 an hour at 10:00 = 2 Erlangs.
    assert by_time[dt.time(9, 0)].servers == 2
    assert by_time[dt.time(10, 0)].servers == 3
    assert by_time[dt.time(10, 0)].service_level >= 0.8
    assert by_time[dt.time(20, 0)].servers == 0
    assert demand.counter_hours(plan) == pytest.approx(sum(p.staffing.servers for p in plan) / 2)


def test_plan_command(tmp_path: Path) -> None:
    log = tmp_path / "events.csv"
    log.write_text("".join(write_events(history(), ZONE)), encoding="utf-8")
    runner = CliRunner()
    wrapper = typer.Typer()
    wrapper.add_typer(app, name="staffing")
    result = runner.invoke(
        wrapper,
        [
            "staffing",
            "plan",
            "--history",
            str(log),
            "--date",
            "2026-12-01",
            "--json",
            "--calendar",
            "package",
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["day_kind"] == "tue" and body["intervals"][0]["start"] == "09:00"
    simulated = body["simulated"]["service_level"]
    # Interval by interval Erlang C promises at least 80 %; the simulated day agrees.
    assert simulated["mean"] >= 0.8 and simulated["ci95"][0] > 0.7
    assert {i["start"]: i["counters"] for i in body["intervals"]}["10:00"] == 3
    text = runner.invoke(
        wrapper,
        [
            "staffing",
            "plan",
            "--history",
            str(log),
            "--date",
            "2026-12-01",
            "--calendar",
            "package",
        ],
    )
    assert "counter-hours" in text.output and "10:00" in text.output
    assert "simulated (20 runs): service level" in text.output
    bad = runner.invoke(wrapper, ["staffing", "plan", "--history", str(log), "--date", "12/1"])
    assert bad.exit_code == 2 and "--date" in bad.output
    missing = runner.invoke(
        wrapper, ["staffing", "plan", "--history", "nope.csv", "--date", "2026-12-01"]
    )
    assert missing.exit_code == 2 and "--history" in missing.output

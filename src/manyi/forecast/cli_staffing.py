"""`manyi staffing ...`: how many counters a branch needs for a service level.

`erlang` works on the numbers given alone. `plan` reads an event log and groups its days on
the bank's holiday calendar, read from the configured database (the years head office entered
over the `chinese_calendar` package); `--calendar package` plans with the package alone and
needs no database.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from manyi.errors import InvalidInput
from manyi.forecast.staffing import StaffingResult, staff_for
from manyi.workdays.domain import ChinaCalendar, HolidayCalendar

app = typer.Typer(
    help="Staffing: counters needed for a service level (Erlang C, Erlang A).",
    no_args_is_help=True,
)


@app.callback()
def staffing() -> None:
    """Staffing: counters needed for a service level (Erlang C, Erlang A)."""
    # A callback keeps this a command group, so `erlang` stays a sub-command next to
    # the ones still to come (`plan`).


def _option(field: str) -> str:
    return "--" + field.replace("_", "-")


def _percent(share: float) -> str:
    return f"{share * 100:.1f} %"


def _seconds(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds:.1f} s ({seconds / 60:.1f} min)"
    return f"{seconds:.1f} s"


def as_json(result: StaffingResult) -> dict[str, float | int]:
    """The `--json` figures; `abandon` only under Erlang A."""
    data: dict[str, float | int] = {
        "servers": result.servers,
        "p_wait": round(result.p_wait, 6),
        "service_level": round(result.service_level, 6),
        "mean_wait_s": round(result.mean_wait_s, 3),
        "occupancy": round(result.occupancy, 6),
        "staff": result.staff,
    }
    if result.abandon is not None:
        data["abandon"] = round(result.abandon, 6)
    return data


@app.command("erlang")
def erlang(
    arrivals_per_hour: Annotated[
        float, typer.Option(help="Customers arriving per hour.", show_default=False)
    ],
    service_s: Annotated[
        float, typer.Option(help="Mean service (handling) time in seconds.", show_default=False)
    ],
    target_s: Annotated[
        float, typer.Option(help="Target wait in seconds (e.g. 600).", show_default=False)
    ],
    service_level: Annotated[
        float,
        typer.Option(help="Share to call within the target, e.g. 0.8.", show_default=False),
    ],
    shrinkage: Annotated[
        float, typer.Option(help="Share of paid time away from the counter, e.g. 0.3.")
    ] = 0.0,
    patience_s: Annotated[
        float | None,
        typer.Option(help="Mean patience in seconds before a customer leaves (Erlang A)."),
    ] = None,
    as_json_output: Annotated[
        bool, typer.Option("--json", help="Print the figures as JSON.")
    ] = False,
) -> None:
    """Counters needed to call a share of customers within a target wait.

    Erlang C, or Erlang A when --patience-s is given; prints the figures at that number.
    """
    try:
        result = staff_for(
            arrivals_per_hour,
            service_s,
            target_s,
            service_level,
            shrinkage=shrinkage,
            patience_s=patience_s,
        )
    except InvalidInput as exc:
        where = _option(exc.field) + ": " if exc.field else ""
        typer.echo(f"manyi: {where}{exc.text()}", err=True)
        raise typer.Exit(2) from None
    if as_json_output:
        typer.echo(json.dumps(as_json(result)))
        return
    model = "Erlang C" if patience_s is None else f"Erlang A, patience {patience_s:g} s"
    typer.echo(
        f"{model}: {arrivals_per_hour:g} arrivals an hour, {service_s:g} s service, "
        f"target {service_level * 100:g} % within {target_s:g} s"
    )
    rows = [
        ("counters needed", str(result.servers)),
        ("probability of waiting", _percent(result.p_wait)),
        ("service level", f"{_percent(result.service_level)} within {target_s:g} s"),
        ("mean wait", _seconds(result.mean_wait_s)),
        ("occupancy", _percent(result.occupancy)),
        ("staff after shrinkage", f"{result.staff} (shrinkage {shrinkage * 100:g} %)"),
    ]
    if result.abandon is not None:
        rows.append(("abandonment", _percent(result.abandon)))
    for label, value in rows:
        typer.echo(f"  {label:<24}{value}")


@app.command("plan")
def plan(
    history: Annotated[
        Path, typer.Option(help="Event log CSV (the format of `manyi waits evaluate`).")
    ],
    date: Annotated[str, typer.Option(help="The day to plan, YYYY-MM-DD.")],
    target_wait_s: Annotated[float, typer.Option(help="Target wait in seconds.")] = 600,
    service_level: Annotated[float, typer.Option(help="Share to call within the target.")] = 0.8,
    pension_days: Annotated[
        str, typer.Option(help="Pension-payment days of the month, comma-separated.")
    ] = "15",
    month_end_workdays: Annotated[
        int, typer.Option(help="How many last workdays of a month are peak days.")
    ] = 2,
    timezone: Annotated[str, typer.Option(help="Local time zone of the log.")] = "Asia/Shanghai",
    replications: Annotated[
        int, typer.Option(min=0, help="Simulate the plan this many times (0: do not simulate).")
    ] = 20,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    calendar: Annotated[
        str,
        typer.Option(
            help="Holidays: bank (the database's calendar, as head office entered it) "
            "or package (chinese_calendar alone, no database)."
        ),
    ] = "bank",
) -> None:
    """Counters needed per 30 minutes on a day, forecast from the outlet's history,
    and the service level the plan gives when simulated."""
    from zoneinfo import ZoneInfo

    from manyi.forecast import demand
    from manyi.forecast.eventlog import LogFormatError, read_events

    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        _fail("--date", "give the day as YYYY-MM-DD")
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        _fail("--timezone", f"unknown time zone {timezone}")
    try:
        peaks = demand.PeakDays(
            pension_days=tuple(int(x) for x in pension_days.split(",") if x.strip()),
            month_end_workdays=month_end_workdays,
        )
    except ValueError:
        _fail("--pension-days", "give days of the month such as 5,15")
    try:
        log = read_events(history.read_text(encoding="utf-8-sig"), zone)
    except (OSError, LogFormatError) as exc:
        _fail("--history", str(exc))
    for error in log.errors:
        typer.echo(f"{history}: {error} (skipped)", err=True)
    forecast = demand.forecast_day(log.visits, day, zone, peaks, _holidays(calendar))
    try:
        planned = demand.plan_day(forecast, target_wait_s, service_level)
    except InvalidInput as exc:
        _fail(_option(exc.field or "target_wait_s"), exc.text())
    rows = [p for p in planned if p.forecast.arrivals > 0]
    simulated = None
    if replications:
        from manyi.forecast.plan_sim import simulate_plan

        simulated = simulate_plan(planned, target_wait_s, replications=replications)
    if json_:
        body = _plan_json(forecast, rows, planned)
        body["simulated"] = (
            {
                "replications": replications,
                "service_level": simulated.service_level.as_json(),
                "mean_wait_s": simulated.mean_wait_s.as_json(),
            }
            if simulated
            else None
        )
        typer.echo(json.dumps(body, ensure_ascii=False))
        return
    typer.echo(
        f"{day} ({forecast.kind.kind}, from {forecast.based_on} days of history): "
        f"target {service_level * 100:.0f} % within {target_wait_s:.0f} s"
    )
    for note in forecast.notes:
        typer.echo(f"  note: {note}")
    if not rows:
        typer.echo("  no customers expected")
        return
    typer.echo("  time   customers  service   counters  service level  occupancy")
    for p in rows:
        f, s = p.forecast, p.staffing
        typer.echo(
            f"  {f.start:%H:%M}  {f.arrivals:9.1f}  {f.service_s:6.0f} s  {s.servers:8d}"
            f"  {_percent(s.service_level):>13}  {_percent(s.occupancy):>9}"
        )
    typer.echo(f"  counter-hours {demand.counter_hours(planned):.1f}")
    if simulated is not None:
        level = simulated.service_level
        spread = ""
        if level.low is not None and level.high is not None:
            spread = f" ({_percent(level.low)} – {_percent(level.high)})"
        typer.echo(
            f"  simulated ({replications} runs): service level {_percent(level.mean)}{spread}, "
            f"mean wait {_seconds(simulated.mean_wait_s.mean)}"
        )


def _plan_json(forecast: Any, rows: list[Any], planned: list[Any]) -> dict[str, Any]:
    from manyi.forecast import demand

    return {
        "date": forecast.date.isoformat(),
        "day_kind": forecast.kind.kind,
        "history_days": forecast.based_on,
        "notes": forecast.notes,
        "intervals": [
            {
                "start": f"{p.forecast.start:%H:%M}",
                "arrivals": round(p.forecast.arrivals, 2),
                "service_s": round(p.forecast.service_s, 1),
                "counters": p.staffing.servers,
                "service_level": round(p.staffing.service_level, 4),
                "occupancy": round(p.staffing.occupancy, 4),
            }
            for p in rows
        ],
        "counter_hours": round(demand.counter_hours(planned), 2),
    }


def _holidays(choice: str) -> HolidayCalendar:
    """The calendar the plan groups days on: the bank's, read once from the database, or the
    package's."""
    if choice == "package":
        return ChinaCalendar()
    if choice != "bank":
        _fail("--calendar", "choose bank or package")
    from sqlalchemy.exc import SQLAlchemyError

    from manyi import cli_support
    from manyi.workdays.calendars import bank_calendar

    try:
        with cli_support.database().read() as session:
            return bank_calendar(session)
    except SQLAlchemyError as exc:
        _fail(
            "--calendar",
            f"the bank's calendar cannot be read from the database ({type(exc).__name__}): "
            "run `manyi db upgrade`, or plan with --calendar package",
        )


def _fail(option: str, message: str) -> NoReturn:
    typer.echo(f"manyi: {option}: {message}", err=True)
    raise typer.Exit(2)

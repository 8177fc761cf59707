"""`manyi cockpit rollup`: recompute the cockpit's roll-ups of some days now (or everything
that is new or dirty), through the same code as the worker's job. `manyi cockpit
import-history FILE`: a previous queue system's daily figures (docs/cockpit.md, "History").

Exit status: 0 done; 2 usage (a bad date, --to before --from, --day with --from/--to; a bad
history file: every problem named by line and field, nothing stored).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from manyi import cli_support
from manyi.cockpit import rollups
from manyi.cockpit.domain.history import HistoryError, parse
from manyi.db import utcnow

app = typer.Typer(
    help="The head-office cockpit: roll-ups of every outlet's day, and the analytics store.",
    no_args_is_help=True,
)

MAX_DAYS = 3660


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise cli_support.fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)", 2) from None


def days_asked(day: str | None, start: str | None, end: str | None) -> list[dt.date]:
    """The days --day or --from/--to name (both ends included); none: only what is new."""
    one, first, last = _date(day, "--day"), _date(start, "--from"), _date(end, "--to")
    if one is not None:
        if first or last:
            raise cli_support.fail("--day cannot be given with --from or --to", 2)
        return [one]
    if first is None and last is None:
        return []
    if first is None or last is None:
        raise cli_support.fail("--from and --to go together", 2)
    if last < first:
        raise cli_support.fail(f"--to {last} is before --from {first}", 2)
    if (last - first).days >= MAX_DAYS:
        raise cli_support.fail(f"at most {MAX_DAYS} days at a time", 2)
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


@app.command("rollup")
def rollup_command(
    day: Annotated[str | None, typer.Option("--day", help="Re-run this local day.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="Re-run from this day…")] = None,
    end: Annotated[str | None, typer.Option("--to", help="…to this day, included.")] = None,
) -> None:
    """Bring the roll-ups up to date; with --day or --from/--to, recompute those days too."""
    days = days_asked(day, start, end)
    settings = cli_support.settings()
    db = cli_support.database(settings)
    tz, target = settings.timezone, settings.cockpit_service_level_s
    try:
        marked = 0
        if days:
            with db.session() as session:
                marked = rollups.mark_days(session, tz, target, days)
        done = rollups.run_pass(db, tz, target, utcnow())
    finally:
        db.dispose()
    asked = f"{marked} outlet-days of {len(days)} days re-run; " if days else ""
    typer.echo(f"{asked}{done.line()}")


@app.command("import-history")
def import_history_command(
    file: Annotated[Path, typer.Argument(help="CSV: one line per outlet and day, a header.")],
) -> None:
    """Import a previous queue system's daily figures for the days without raw events."""
    try:
        days = parse(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise cli_support.fail(f"{file}: {exc.strerror or exc}", 2) from None
    except UnicodeDecodeError:
        raise cli_support.fail(f"{file}: not UTF-8 text", 2) from None
    except HistoryError as exc:
        raise cli_support.fail(f"{file}: nothing imported\n{exc}", 2) from None
    settings = cli_support.settings()
    db = cli_support.database(settings)
    tz, target = settings.timezone, settings.cockpit_service_level_s
    try:
        try:
            with db.session() as session:
                stored = rollups.import_history(session, tz, target, days, file.name, utcnow())
        except HistoryError as exc:
            raise cli_support.fail(f"{file}: nothing imported\n{exc}", 2) from None
        done = rollups.run_pass(db, tz, target, utcnow())
    finally:
        db.dispose()
    typer.echo(f"{stored} outlet-days imported from {file.name}; {done.line()}")

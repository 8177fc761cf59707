"""`manyi quality ...`: import satisfaction responses and report the measures.

Exit status: 0 done; 1 refused (a file that cannot be read, bad lines without --skip-bad, an
unknown unit); 2 usage (an unknown --format, a bad date).
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path
from typing import Annotated

import typer

from manyi import audit, cli_support
from manyi.db import utcnow
from manyi.quality import reports
from manyi.quality.domain.aggregate import Aggregate
from manyi.quality.domain.measures import SMALL_SAMPLE_N, Estimate
from manyi.quality.importer import FORMATS, import_file
from manyi.quality.imports.csv_format import FileFormatError

app = typer.Typer(
    help="Satisfaction: import responses, report CSAT, NPS and CES.", no_args_is_help=True
)

MAX_PROBLEMS_SHOWN = 50


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="The file to load.", exists=True, dir_okay=False)],
    fmt: Annotated[str, typer.Option("--format", help="csv (see docs/quality.md).")],
    skip_bad: Annotated[
        bool,
        typer.Option("--skip-bad", help="Store the good lines of a file that has bad ones."),
    ] = False,
) -> None:
    """Load responses; a file with bad lines stores nothing unless --skip-bad is given."""
    if fmt not in FORMATS:
        raise cli_support.fail(f"--format must be {' or '.join(FORMATS)}, not {fmt!r}", 2)
    db = cli_support.database()
    try:
        summary = import_file(
            db,
            audit.Actor(id=None, name="cli"),
            file.read_bytes(),
            fmt,
            skip_bad=skip_bad,
            now=utcnow(),
        )
    except FileFormatError as exc:
        raise cli_support.fail(f"{file}: {exc}; nothing was imported") from None
    finally:
        db.dispose()
    for problem in summary.problems[:MAX_PROBLEMS_SHOWN]:
        typer.echo(f"{file}: {problem.text()}", err=True)
    if len(summary.problems) > MAX_PROBLEMS_SHOWN:
        typer.echo(f"… and {len(summary.problems) - MAX_PROBLEMS_SHOWN} more problems", err=True)
    if not summary.stored:
        raise cli_support.fail(
            f"{file}: {len(summary.problems)} bad line(s); nothing was imported "
            "(fix them, or give --skip-bad to import the good lines)"
        )
    typer.echo(summary.line())


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise cli_support.fail(f"{option} must be a date YYYY-MM-DD, not {text!r}", 2) from None


@app.command("report")
def report_command(
    by: Annotated[reports.By, typer.Option(help="What to group by.")] = reports.By.OUTLET,
    start: Annotated[
        str | None, typer.Option("--from", help="First local date, YYYY-MM-DD (inclusive).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last local date, YYYY-MM-DD (inclusive).")
    ] = None,
    unit: Annotated[str | None, typer.Option(help="Only this unit's subtree (unit code).")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON: a list of objects (docs/quality.md).")
    ] = False,
) -> None:
    """CSAT (share of 4–5, with its 95 % interval, and the mean), NPS and CES per group."""
    first, last = _date(start, "--from"), _date(end, "--to")
    if first and last and last < first:
        raise cli_support.fail("--to is before --from", 2)
    settings = cli_support.settings()
    db = cli_support.database(settings)
    try:
        with db.read() as session:
            scope = "/"
            if unit:
                scope_path = reports.unit_path(session, unit)
                if scope_path is None:
                    raise cli_support.fail(f"there is no unit {unit}")
                scope = scope_path
            rows = reports.report(
                session, by, tz=settings.timezone, scope_path=scope, start=first, end=last
            )
    finally:
        db.dispose()
    if as_json:
        typer.echo(json.dumps([row.as_json() for row in rows], ensure_ascii=False))
        return
    _print_table(by, rows)


def _pad(text: str, width: int, right: bool = False) -> str:
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    space = " " * max(width - used, 1)
    return space + text if right else text + space


def _num(estimate: Estimate | None, fmt: str) -> str:
    return "—" if estimate is None else format(estimate.value, fmt)


def _with_ci(estimate: Estimate | None, fmt: str) -> str:
    text = _num(estimate, fmt)
    if estimate is not None and estimate.ci95 is not None:
        text += f" [{estimate.ci95.low:{fmt}}, {estimate.ci95.high:{fmt}}]"
    return text


def _print_table(by: reports.By, rows: list[reports.ReportRow]) -> None:
    if not rows:
        typer.echo("no responses")
        return
    head = (
        _pad(by.value, 16)
        + _pad("responses", 10, True)
        + "  "
        + _pad("CSAT 4–5 [95% CI]", 24)
        + _pad("mean", 6)
        + _pad("NPS [95% CI]", 24)
        + "CES"
    )
    typer.echo(head)
    for row in [*rows, reports.ReportRow("total", Aggregate.total(r.aggregate for r in rows))]:
        a = row.aggregate
        line = (
            _pad(row.key or "—", 16)
            + _pad(str(a.responses), 10, True)
            + "  "
            + _pad(_with_ci(a.csat(), ".1%"), 24)
            + _pad(_num(a.csat_mean(), ".2f"), 6)
            + _pad(_with_ci(a.nps(), ".1f"), 24)
            + _num(a.ces_mean(), ".2f")
        )
        if a.small:
            line += "  (small sample)"
        typer.echo(line)
    if any(r.aggregate.small for r in rows):
        typer.echo(
            f"(small sample): fewer than {SMALL_SAMPLE_N} responses; its interval is wide, "
            "compare it with care and do not rank it"
        )

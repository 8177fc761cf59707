"""`manyi notify ...`: deliver the outbox from a terminal or a service unit."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated

import typer

from manyi.config import Settings
from manyi.db import Database, utcnow
from manyi.notify.channels import default_channels
from manyi.notify.service import DeliveryReport, deliver_due

app = typer.Typer(help="Notifications to staff: the outbox.", no_args_is_help=True)


def run_once(db: Database, settings: Settings, now: dt.datetime) -> DeliveryReport:
    """One delivery pass with the configured channels; what `manyi worker` calls."""
    return deliver_due(db, default_channels(settings), now)


def _line(report: DeliveryReport) -> str:
    text = f"sent {report.sent}, retried {report.retried}, failed {report.failed}"
    if report.released:
        text += f", handed back {report.released}"
    return text


@app.command("deliver")
def deliver(
    loop: Annotated[
        bool, typer.Option("--loop", help="Keep delivering until interrupted (Ctrl-C).")
    ] = False,
    interval: Annotated[
        float,
        typer.Option(min=0.1, help="Seconds between passes with --loop when nothing was due."),
    ] = 5.0,
) -> None:
    """Send the notifications that are due and print how many were sent, retried, failed."""
    from manyi.cli import _database, _settings

    settings = _settings()
    db = _database(settings)
    try:
        if not loop:
            typer.echo(_line(run_once(db, settings, utcnow())))
            return
        total = DeliveryReport()
        typer.echo(f"delivering every {interval:g} s; Ctrl-C stops")
        try:
            while True:
                report = run_once(db, settings, utcnow())
                total += report
                if report.handled or report.released:
                    typer.echo(_line(report))
                # After a pass that did something, look again at once: more may be due.
                if report.handled + report.released == 0:
                    time.sleep(interval)
        except KeyboardInterrupt:
            typer.echo(f"stopped; in total {_line(total)}")
    finally:
        db.dispose()

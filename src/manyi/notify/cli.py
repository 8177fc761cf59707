"""`manyi notify ...` and `manyi worker`: deliver the outbox from a terminal or a service unit."""

from __future__ import annotations

import logging
import time
from typing import Annotated

import typer

from manyi import cli_support
from manyi.db import utcnow
from manyi.notify.delivery import DeliveryReport
from manyi.notify.jobs import line, run_once

app = typer.Typer(help="Notifications to staff: the outbox.", no_args_is_help=True)
log = logging.getLogger("manyi.worker")


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
    settings = cli_support.settings()
    db = cli_support.database(settings)
    try:
        if not loop:
            typer.echo(line(run_once(db, settings, utcnow())))
            return
        total = DeliveryReport()
        typer.echo(f"delivering every {interval:g} s; Ctrl-C stops")
        try:
            while True:
                report = run_once(db, settings, utcnow())
                total += report
                if report.handled or report.released:
                    typer.echo(line(report))
                # After a pass that did something, look again at once: more may be due.
                if report.handled + report.released == 0:
                    time.sleep(interval)
        except KeyboardInterrupt:
            typer.echo(f"stopped; in total {line(total)}")
    finally:
        db.dispose()

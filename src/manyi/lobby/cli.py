"""`manyi lobby ...`: look at and feed an outlet's queue from a terminal."""

from __future__ import annotations

import unicodedata
from typing import Annotated

import typer

from manyi import audit, cli_support
from manyi.db import utcnow
from manyi.errors import ManyiError
from manyi.lobby import queries, service
from manyi.lobby.adapters import printing
from manyi.lobby.domain.model import PriorityClass
from manyi.lobby.service import Operator

app = typer.Typer(help="The lobby queue of an outlet.", no_args_is_help=True)

# The command line acts with the lobby manager's powers, audited as "cli".
CLI_OPERATOR = Operator(
    name="cli", scope_path="/", manage=True, audit_actor=audit.Actor(id=None, name="cli")
)


def _pad(text: str, width: int) -> str:
    """Left-justify for a terminal, where Chinese characters take two columns."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 1)


def _minutes(seconds: int | None) -> str:
    return "—" if seconds is None else f"{round(seconds / 60)} min"


@app.command("status")
def status(outlet: Annotated[str, typer.Argument(help="Outlet code, e.g. BJ-HD-ZGC")]) -> None:
    """Print the live queue: waiting per service, counters, today's totals."""
    db = cli_support.database()
    try:
        with db.session() as session:
            unit = service.outlet_for(session, CLI_OPERATOR, outlet)
            snap = queries.snapshot(session, unit, utcnow())
    except ManyiError as exc:
        raise cli_support.refuse(exc) from None
    finally:
        db.dispose()
    state = "open" if snap.policy.is_open(snap.now) else "closed"
    typer.echo(
        f"{unit.code} {unit.name_zh} — {state}, {snap.now.astimezone(snap.policy.zone):%H:%M}"
    )
    typer.echo(f"{'service':<18}{'waiting':>8}{'longest':>10}{'predicted':>11}  by class")
    for q in snap.services:
        classes = ", ".join(f"{k} {v}" for k, v in sorted(q.by_class.items())) or "—"
        typer.echo(
            f"{_pad(q.service.code + ' ' + q.service.name_zh, 18)}{q.waiting:>7}"
            f"{_minutes(q.longest_wait_s):>10}{_minutes(q.predicted_wait_s):>11}  {classes}"
        )
    typer.echo(f"{'counter':<9}{'kind':<11}{'state':<9}{'teller':<10}{'current':<8}services")
    for v in snap.counters:
        c = v.counter
        typer.echo(
            f"{c.number:<9}{c.kind.value:<11}{c.state.value:<9}{_pad(v.teller_name or '-', 10)}"
            f"{v.current_number or '-':<8}{' '.join(c.services)}"
        )
    totals = ", ".join(f"{k} {v}" for k, v in snap.today.items())
    typer.echo(f"today: {totals}")


@app.command("issue")
def issue(
    outlet: Annotated[str, typer.Argument(help="Outlet code, e.g. BJ-HD-ZGC")],
    service_code: Annotated[str, typer.Argument(metavar="SERVICE", help="Service code, e.g. A")],
    klass: Annotated[
        PriorityClass, typer.Option("--class", help="Priority class.")
    ] = PriorityClass.NORMAL,
) -> None:
    """Issue a ticket, as the lobby manager would."""
    db = cli_support.database()
    try:
        with db.session() as session:
            issued = service.issue_ticket(
                session, CLI_OPERATOR, outlet, service_code, utcnow(), klass=klass.value
            )
    except ManyiError as exc:
        raise cli_support.refuse(exc) from None
    finally:
        db.dispose()
    told = issued.estimate
    wait = printing.format_wait(told.wait_s, "en", told.low_s, told.high_s, served=told.served)
    ahead = f"{told.ahead} ahead, " if told.served else ""
    typer.echo(
        f"{issued.ticket.number} {issued.service.name_zh}: {ahead}{wait}; "
        f"status /api/v1/public/tickets/{issued.public_token}"
    )


@app.command("print")
def print_ticket(
    token: Annotated[
        str,
        typer.Argument(
            help="the ticket's status token (from the QR code); one that starts with '-' "
            "goes after -- (manyi lobby print --printer none -- -AbC...)"
        ),
    ],
    printer: Annotated[
        str, typer.Option(help="tcp://HOST:9100, a device path such as /dev/usb/lp0, or none")
    ],
    paper: Annotated[int, typer.Option(help="paper width in mm: 80 or 58")] = 80,
    base_url: Annotated[
        str, typer.Option(help="address of manyi that the QR code points to")
    ] = "http://127.0.0.1:8000",
) -> None:
    """Print a ticket on an ESC/POS thermal printer (reprint at the lobby desk)."""
    from manyi.lobby.adapters.printing import PrinterError, printer_from_url

    try:
        target = printer_from_url(printer, paper)
    except ValueError as exc:
        typer.echo(f"error: --printer: {exc}", err=True)
        raise typer.Exit(2) from None
    database = cli_support.database()
    try:
        with database.session() as session:
            slip = queries.slip_for(session, token, utcnow(), base_url=base_url, lang="zh")
        target.print_slip(slip)
    except ManyiError as exc:
        typer.echo(f"error: {exc.text()}", err=True)
        raise typer.Exit(1) from None
    except PrinterError as exc:
        typer.echo(f"error: printer: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        database.dispose()
    typer.echo(f"printed {slip.number} ({paper} mm)")

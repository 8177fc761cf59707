"""`manyi cockpit generate`, `archive` and `land`: the analytics store's commands.

Exit status: 0 done; 1 refused (an archive whose counts disagree, no partitioning on this
database); 2 usage (a bad month or date).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from nats.errors import Error as NatsError

from manyi import cli_support
from manyi.analytics import landing, retention
from manyi.analytics.generate import generate
from manyi.analytics.months import parse_month
from manyi.analytics.partitions import ArchiveError
from manyi.stream.consumer import ConsumerOptions
from manyi.workdays.domain.calendar import ChinaCalendar

app = typer.Typer(help="Head-office cockpit: the analytics store.", no_args_is_help=True)


@app.command("generate")
def generate_command(
    outlets: Annotated[int, typer.Option(min=1, max=100_000, help="Outlets in the bank.")] = 16_000,
    days: Annotated[int, typer.Option(min=1, max=3_660, help="Days of history.")] = 7,
    to: Annotated[
        str | None, typer.Option("--to", help="Root to write under (default MANYI_ANALYTICS_ROOT).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same history.")] = 1,
    start: Annotated[
        str | None, typer.Option(help="First day, YYYY-MM-DD (default: `days` days ago).")
    ] = None,
) -> None:
    """Write a synthetic national lobby history as Parquet (docs/analytics.md)."""
    settings = cli_support.settings()
    if start is None:
        first = dt.datetime.now(settings.zone).date() - dt.timedelta(days=days)
    else:
        try:
            first = dt.date.fromisoformat(start)
        except ValueError:
            raise cli_support.fail(f"--start: {start!r} is not a date (YYYY-MM-DD)", 2) from None
    root = to or settings.analytics_root

    def progress(day: dt.date, events: int) -> None:
        typer.echo(f"{day.isoformat()}: {events} events", err=True)

    done = generate(
        root,
        outlets=outlets,
        days=days,
        start=first,
        calendar=ChinaCalendar(),
        zone=settings.zone,
        seed=seed,
        progress=progress,
    )
    typer.echo(
        f"{done.events} events ({done.tickets} tickets) in {done.files} files under {root}:"
        f" {done.seconds:.1f} s, {done.events_per_s:,.0f} events/s"
    )


@app.command("archive")
def archive_command(
    before: Annotated[str, typer.Option(help="Archive every month before this one (YYYY-MM).")],
) -> None:
    """Export lobby-event partitions of months before --before to the analytics store, check
    the row counts, then detach and drop them (PostgreSQL)."""
    try:
        cutoff = parse_month(before)
    except ValueError as exc:
        raise cli_support.fail(f"--before: {exc}", 2) from None
    settings = cli_support.settings()
    db = cli_support.database(settings)
    try:
        if not retention.is_partitioned(db):
            raise cli_support.fail(
                "lobby events are not partitioned on this database (PostgreSQL only):"
                " nothing to archive"
            )
        done = retention.archive_before(db, cutoff, settings.analytics_root, settings.timezone)
    except ArchiveError as exc:
        raise cli_support.fail(str(exc)) from None
    finally:
        db.dispose()
    for month in done:
        typer.echo(f"{month.month:%Y-%m}: {month.rows} rows in {len(month.files)} files, dropped")
    if not done:
        typer.echo(f"no partition before {cutoff:%Y-%m}")


@app.command("land")
def land_command(
    batch: Annotated[int, typer.Option(min=1, max=50_000, help="Events per fetched batch.")] = 2000,
    idle_stop: Annotated[
        float | None,
        typer.Option(
            min=0.1, help="Stop after this many seconds with nothing new (default: run on)."
        ),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Root to land under (default MANYI_ANALYTICS_ROOT).")
    ] = None,
) -> None:
    """Land the event stream (NATS JetStream, MANYI_NATS_URL) in the analytics store with its
    durable consumer, acknowledging each batch once its Parquet files are written; runs until
    stopped (Ctrl-C), or until idle for --idle-stop seconds. Same consumer as the worker's
    `analytics-land` job: whichever runs goes on from where the other stopped."""
    settings = cli_support.settings()
    root = to or settings.analytics_root
    tally = landing.Tally()
    options = ConsumerOptions(batch=batch, idle_stop_s=idle_stop)
    try:
        landing.land_stream(
            settings.nats_url,
            root,
            settings.timezone,
            spec=landing.SPEC,
            options=options,
            tally=tally,
        )
    except KeyboardInterrupt:
        typer.echo("stopped; the batch in hand (if any) comes again", err=True)
    except (NatsError, OSError, TimeoutError) as exc:
        raise cli_support.fail(
            f"NATS at {settings.nats_url}: {exc or type(exc).__name__}"
        ) from None
    finally:
        for line in tally.rejected:
            typer.echo(f"refused {line}", err=True)
        typer.echo(f"{tally.events} events landed in {tally.files} files under {root}")

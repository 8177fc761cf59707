"""The `manyi` command. Each feature adds its sub-commands here.

Commands translate arguments, call the same use cases as the web app, and
print clear messages; bad input exits with status 2 (usage) or 1 (refused).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from manyi import cli_support, worker
from manyi.analytics import cli as analytics_cli
from manyi.analytics import jobs as analytics_jobs
from manyi.audit import cli as audit_cli
from manyi.audit import jobs as audit_jobs
from manyi.cockpit import cli as cockpit_cli
from manyi.cockpit import jobs as cockpit_jobs
from manyi.complaints import cli as complaints_cli
from manyi.complaints import clock as complaints_clock
from manyi.complaints import jobs as complaints_jobs
from manyi.complaints import ports as complaints_ports
from manyi.config import Settings
from manyi.counter import jobs as counter_jobs
from manyi.counter.adapters import registry as counter_runtime
from manyi.dbops import cli as dbops_cli
from manyi.forecast import cli_simulate, cli_staffing, cli_waits, lobby_adapters
from manyi.forecast import jobs as forecast_jobs
from manyi.forecast.appointment_capacity import PlannedCapacity
from manyi.guidance import jobs as guidance_jobs
from manyi.insight import cli as insight_cli
from manyi.insight import cli_stats as insight_stats
from manyi.insight import complaints_adapters as insight_complaints
from manyi.insight import jobs as insight_jobs
from manyi.lobby import cli as lobby_cli
from manyi.lobby import ports as lobby_ports
from manyi.notify import channels as notify_channels
from manyi.notify import cli as notify_cli
from manyi.notify import jobs as notify_jobs
from manyi.org import cli as org_cli
from manyi.org import jobs as org_jobs
from manyi.quality import cli as quality_cli
from manyi.quality import jobs as quality_jobs
from manyi.quality import ports as quality_ports
from manyi.quality import survey_scan
from manyi.reach import appointment_jobs, appointment_ports
from manyi.reach import jobs as reach_jobs
from manyi.reach.appointment_checkin import KioskCheckIn
from manyi.reach.appointment_messages import OutboxNotices
from manyi.reach.complaint_notices import ComplaintNotices
from manyi.reach.staff_sms import staff_sms_for
from manyi.reach.survey_messages import SurveyMessages
from manyi.stream import jobs as stream_jobs
from manyi.stream import live as stream_live
from manyi.supervision import jobs as supervision_jobs
from manyi.workdays import calendars as workdays_calendars
from manyi.workload import cli as workload_cli

app = typer.Typer(help="manyi (满意): service operations for bank branches.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo bank.", no_args_is_help=True)
app.add_typer(db_app, name="db")
db_app.command("check")(dbops_cli.check_command)
db_app.command("backup")(dbops_cli.backup_command)
db_app.command("restore")(dbops_cli.restore_command)
app.add_typer(demo_app, name="demo")
app.add_typer(org_cli.users_app, name="users")
app.add_typer(org_cli.units_app, name="units")
app.add_typer(audit_cli.audit_app, name="audit")
app.add_typer(lobby_cli.app, name="lobby")
lobby_cli.app.command("export-events")(cli_waits.export_events)
app.add_typer(notify_cli.app, name="notify")
app.command("worker")(worker.worker_command)
# What `manyi worker` runs each round, in this order: the complaint scan and the rectification
# ladder first, so their warnings go out with this round's notifications.
# Commands that issue tickets use the wait predictor each outlet's history chose.
lobby_adapters.register()
# A year of holidays entered (the demo's) moves open working-day deadlines: the scan recomputes.
workdays_calendars.on_change(complaints_clock.recheck_working_days)
# Complaints registered on the command line get the classifier's suggestions too.
insight_complaints.register()
# Appointments: the staffing plan's capacity per slot (forecasting) and the kiosk's check-in.
appointment_ports.register_capacity(PlannedCapacity())
lobby_ports.register_appointment_check_in(KioskCheckIn())
worker.register(
    *audit_jobs.JOBS,
    *org_jobs.JOBS,  # the directory's removed accounts: their sessions end
    *complaints_jobs.JOBS,
    *supervision_jobs.JOBS,
    *guidance_jobs.JOBS,  # before notify's delivery: a missed round's alert goes this round
    *insight_jobs.JOBS,
    *notify_jobs.JOBS,
    *forecast_jobs.JOBS,
    *counter_jobs.JOBS,
    *quality_jobs.JOBS,
    *survey_scan.JOBS,
    *appointment_jobs.JOBS,  # before reach's delivery: this round's reminders go this round
    *reach_jobs.JOBS,
    *analytics_jobs.JOBS,
    *cockpit_jobs.JOBS,  # the roll-ups see what this round's jobs wrote
    *stream_jobs.JOBS,  # this round's events go out this round
    *analytics_jobs.LAND_JOBS,  # last: and land in the analytics store this round
)
# MANYI_REALTIME=nats: the live screens' events reach other hosts through NATS.
stream_live.register()
app.add_typer(cli_staffing.app, name="staffing")
app.command("simulate")(cli_simulate.simulate_command)
app.add_typer(cli_waits.app, name="waits")
# `complaints stats` is complaint intelligence's (insight sits above complaints).
complaints_cli.app.command("stats")(insight_stats.stats_command)
app.add_typer(complaints_cli.app, name="complaints")
complaints_cli.app.add_typer(insight_cli.app, name="classifier")
app.add_typer(quality_cli.app, name="quality")
app.add_typer(workload_cli.app, name="workload")
# The head-office cockpit: its roll-ups (rollup) and the analytics store (generate, archive,
# land).
cockpit_cli.app.registered_commands.extend(analytics_cli.app.registered_commands)
app.add_typer(cockpit_cli.app, name="cockpit")


# Every command's process runs the counter's configured adapters (MANYI_COUNTER_ADAPTERS).
cli_support.on_start(lambda settings: counter_runtime.start(settings.counter_adapters))
# The worker's survey scan also sends invitations as text messages, and complaints registered
# or decided on the command line tell complainants who agreed (customer reach).
cli_support.on_start(
    lambda settings: quality_ports.register_messages(
        SurveyMessages(settings.zone, settings.public_base_url)
    )
)
cli_support.on_start(
    lambda settings: complaints_ports.register_customer_notices(
        ComplaintNotices(settings.public_base_url)
    )
)
# Staff SMS (paging) go through the bank's SMS centre when one is configured.
notify_channels.register_sms_channel(staff_sms_for)
# The worker's appointment reminders go through the customer-message outbox.
cli_support.on_start(
    lambda settings: appointment_ports.register_notices(OutboxNotices(settings.public_base_url))
)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default MANYI_HOST).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default MANYI_PORT).")] = None,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development).")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="Web processes (default MANYI_WEB_WORKERS, 1); see the README."
        ),
    ] = None,
) -> None:
    """Start the web app."""
    import os
    from pathlib import Path

    import uvicorn

    from manyi import dbops, log_lines
    from manyi.config_rules import refuse_development_secret_off_loopback
    from manyi.observe.metrics import MULTIPROC_ENV, prepare_multiprocess

    settings = cli_support.settings()
    try:
        refuse_development_secret_off_loopback(settings.secret_key, host or settings.host)
    except ValueError as exc:
        raise cli_support.fail(str(exc), 2) from None
    try:  # each web process checks again as it starts (manyi.web.main)
        dbops.require_current(settings.database_url)
    except (dbops.SchemaMismatch, dbops.SchemaUnreadable) as exc:
        raise cli_support.fail(str(exc)) from None
    processes = workers or settings.web_workers
    if reload and processes > 1:
        raise cli_support.fail("--reload runs one process: leave out --workers", 2)
    # The workers are new processes: they read their settings, this one among them, from here.
    os.environ["MANYI_WEB_WORKERS"] = str(processes)
    # JSON logs: uvicorn logs through the root logger's JSON lines, and the app writes the
    # access lines itself (with the request id and the route template, not the raw path).
    json_kwargs: dict[str, Any] = (
        {"log_config": None, "access_log": False} if settings.log_format == "json" else {}
    )
    log_lines.configure(settings.log_level, settings.log_format)
    if processes > 1:  # each worker counts its requests in a file there; a scrape sums them
        metrics_dir = os.environ.setdefault(MULTIPROC_ENV, str(settings.var_dir / "metrics"))
        prepare_multiprocess(Path(metrics_dir))
    uvicorn.run(
        "manyi.web.main:create",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        reload=reload,
        workers=processes if processes > 1 else None,
        log_level=settings.log_level.lower(),
        proxy_headers=False,  # the app reads X-Forwarded-For itself, from trusted proxies only
        forwarded_allow_ips="",
        # Screens' event streams never end: cut them after the grace instead of waiting for ever.
        timeout_graceful_shutdown=settings.shutdown_grace_s,
        **json_kwargs,
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply database migrations."""
    from manyi import dbops
    from manyi.db import upgrade

    settings = cli_support.settings()
    try:  # a schema newer than the code: Alembic would fail without saying why
        state = dbops.read_state(settings.database_url)
    except dbops.SchemaUnreadable as exc:
        raise cli_support.fail(str(exc)) from None
    if state.status == "ahead":
        raise cli_support.fail(state.message())
    upgrade(settings.database_url, revision)
    typer.echo(f"database at {dbops.redact(settings.database_url)} is at {revision}")


@db_app.command("reseal")
def db_reseal(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, change nothing.")] = False,
) -> None:
    """Seal personal data again under the current MANYI_DATA_KEY, after a key rotation: when
    nothing is left under a retired key, it can leave MANYI_DATA_RETIRED_KEYS."""
    from manyi import audit, reseal
    from manyi.db import utcnow

    settings = cli_support.settings()
    database = cli_support.database(settings)
    with database.session() as session:
        actor = audit.Actor(id=None, name="cli")
        report = reseal.reseal(session, actor, settings.data_keys, utcnow(), dry_run=dry_run)
    verb = "would be sealed" if dry_run else "sealed"
    total = sum(report.resealed.values())
    typer.echo(f"{total} values {verb} again under data key {report.key_id}")
    for place, count in sorted(report.resealed.items()):
        typer.echo(f"  {place}: {count}")


@demo_app.command("seed")
def demo_seed(
    quiet: Annotated[bool, typer.Option(help="Print only what changed.")] = False,
    allow_production: Annotated[
        bool, typer.Option(help="Seed even when MANYI_ENV=production.")
    ] = False,
) -> None:
    """Create the demo bank (idempotent)."""
    from manyi import demo

    settings = cli_support.settings()
    if settings.is_production and not allow_production:
        raise cli_support.fail(
            "refusing to seed demo accounts in production (use --allow-production)"
        )
    database = cli_support.database(settings)
    from manyi.complaints import demo as demo_complaints
    from manyi.counter import demo as demo_counter
    from manyi.db import utcnow

    with database.session() as session:
        report = demo.seed(session)
    from manyi.workdays import demo as demo_workdays

    with database.session() as session:  # before the complaints: their deadlines count on it
        holidays = demo_workdays.seed(session, utcnow())
    with database.session() as session:
        complaints = demo_complaints.seed(session, utcnow())
        from manyi.complaints import demo_praise

        demo_praise.seed(session, utcnow())  # before the stars, which count it
    with database.session() as session:
        counter = demo_counter.seed(session)
    from manyi.reach import appointment_demo

    with database.session() as session:
        booked = appointment_demo.seed(session, utcnow())
    from manyi import visit_adapters
    from manyi.special import demo as demo_visits

    visit_adapters.register(settings.zone, settings.survey_expiry_days)
    with database.session() as session:  # home and hospital visits, after the catalogue
        visits_added = demo_visits.seed(session, utcnow())
    from manyi.quality import demo as demo_quality
    from manyi.quality import demo_pad

    with database.session() as session:
        answers = demo_quality.seed(session, utcnow())
        ratings = demo_pad.seed(session, utcnow())
    from manyi.supervision import demo as demo_supervision

    supervision_lines = demo_supervision.seed(database, utcnow(), settings.var_dir)
    from manyi.insight import demo as demo_insight

    supervision_lines += demo_insight.seed(database, utcnow(), settings.var_dir)
    from manyi.reach import demo as demo_reach

    with database.session() as session:
        texts = demo_reach.seed(session, utcnow())
    if texts:
        supervision_lines.append(f"customer messages: {texts} texts of the simulated SMS centre")
    from manyi.workload import demo as demo_workload

    # After the counter's catalogue (the weights) and the rating pad's tickets (numbers follow on).
    supervision_lines.append(demo_workload.seed(database, utcnow()))
    from manyi.guidance import demo as demo_guidance
    from manyi.guidance import training_demo

    with database.session() as session:  # after the catalogue (the needs) and the lobbies
        supervision_lines.append(demo_guidance.seed(session, utcnow()).line())
    with database.session() as session:  # after supervision and complaints: the cases' sources
        supervision_lines.append(training_demo.seed(session, utcnow()))
    from manyi.guidance.selfcheck_demo import seed_selfcheck

    with database.session() as session:  # after the lobbies (their hours) and the calendar
        rounds = seed_selfcheck(session, utcnow())
    supervision_lines.append(f"outlet self-checks: {rounds} rounds over 30 days added")
    from manyi.guidance.outreach_demo import seed_outreach

    with database.session() as session:  # after the demo bank's staff
        events = seed_outreach(session, utcnow())
    supervision_lines.append(f"financial-literacy outreach: {events} events added")
    from manyi.cockpit import demo as demo_cockpit

    supervision_lines.append(demo_cockpit.seed(database, settings, utcnow()))  # last: all of it
    typer.echo(
        f"demo bank: {report.units_created} units, {report.staff_created} staff, "
        f"{report.lobbies_configured} lobbies and {complaints} complaints created"
    )
    if holidays:
        typer.echo(f"holidays: {demo_workdays.DEMO_YEAR} entered (a plausible demo set)")
    typer.echo(f"counter catalogue: {counter.types_added} transaction types added")
    typer.echo(f"appointments: {booked} booked for today and the next working days")
    typer.echo(f"home and hospital visits: {visits_added} added")
    typer.echo(f"satisfaction history: {answers} survey answers, {ratings} pad ratings added")
    for line in supervision_lines:
        typer.echo(line)
    if not quiet:
        print_demo_sign_ins(settings)
        typer.echo("demo customers of the simulated core (card, PIN) for the counter:")
        for c in counter.customers:
            frozen = "  (account frozen)" if c.frozen else ""
            typer.echo(f"  {c.name:<4} ID {c.id_number}  card {c.card}  PIN {c.pin}{frozen}")
            if c.mailed_card:
                typer.echo(
                    f"       and card {c.mailed_card}, sent by post: to activate (激活银行卡)"
                )
        typer.echo("")


def print_demo_sign_ins(settings: Settings) -> None:
    from manyi import demo

    typer.echo("")
    typer.echo(f"manyi is at http://{settings.host}:{settings.port}")
    typer.echo(f"demo sign-ins (password for all: {demo.DEMO_PASSWORD}):")
    for username, name, unit, roles in demo.sign_in_table():
        typer.echo(f"  {username:<16} {unit:<10} {roles:<20} {name}")
    typer.echo("")
    typer.echo(f"demo screens: open http://{settings.host}:{settings.port}/device/pair and paste")
    for _outlet, kind, name, secret, _counter in demo.DEMO_DEVICES:
        counter = "  (counter 3)" if kind == "rating_pad" else ""
        typer.echo(f"  {secret:<24} {name}{counter}")
    typer.echo("")


def main() -> None:
    app()


if __name__ == "__main__":
    main()

"""`manyi db backup`, `manyi db restore` and `manyi db check` (added to `manyi db` by
`manyi.cli`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from manyi import cli_support
from manyi.dbops import backup as backups
from manyi.dbops import schema

# `manyi db check`'s exit statuses besides 0 (up to date), 1 (cannot tell: the database cannot
# be reached) and 2 (a bad setting).
CHECK_BEHIND = 3  # migrations pending, or no database yet: `manyi db upgrade`
CHECK_AHEAD = 4  # newer than this code: run the newer manyi, or restore a backup


def backup_command(
    to: Annotated[
        Path, typer.Option("--to", help="The new backup file (never overwritten).", dir_okay=False)
    ],
) -> None:
    """Copy the SQLite database, consistent, while manyi runs (PostgreSQL: advice)."""
    settings = cli_support.settings()
    try:
        made = backups.backup(settings.database_url, to)
    except backups.Refused as exc:
        raise cli_support.fail(str(exc), exc.code) from None
    typer.echo(f"backup written to {made.file}: revision {made.revision}, {made.size} bytes")


def restore_command(
    file: Annotated[Path, typer.Argument(help="A backup made by `manyi db backup`.")],
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Replace the existing database (stop the servers and the worker first).",
        ),
    ] = False,
) -> None:
    """Check a backup (intact SQLite, schema version known to this manyi, audit chain) and put
    it in place of MANYI_DATABASE_URL; an older schema is upgraded on the way."""
    settings = cli_support.settings()
    try:
        done = backups.restore(file, settings.database_url, settings.session_info, replace=replace)
    except backups.Refused as exc:
        raise cli_support.fail(str(exc), exc.code) from None
    except schema.SchemaUnreadable as exc:
        raise cli_support.fail(f"not restored: {exc}") from None
    upgraded = f" (upgraded from {done.upgraded_from})" if done.upgraded_from else ""
    typer.echo(
        f"restored {file} into {done.database}: revision {done.revision}{upgraded}, "
        f"audit chain intact ({done.audit_events} events)"
    )


def check_command() -> None:
    """Say whether migrations are pending: exit 0 up to date, 3 pending (run `manyi db
    upgrade`), 4 newer than this manyi, 1 the database cannot be reached."""
    settings = cli_support.settings()
    try:
        state = schema.read_state(settings.database_url)
    except schema.SchemaUnreadable as exc:
        raise cli_support.fail(str(exc)) from None
    if state.status == "current":
        typer.echo(state.message())
        return
    code = CHECK_AHEAD if state.status == "ahead" else CHECK_BEHIND
    raise cli_support.fail(state.message(), code)

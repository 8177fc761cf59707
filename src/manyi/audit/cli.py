"""`manyi audit`: check the audit chain and anchor its head outside the database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from manyi import cli_support

audit_app = typer.Typer(help="The audit chain.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(
    anchors: Annotated[
        Path | None,
        typer.Option(help="Also check the chain against the anchors kept in this directory."),
    ] = None,
) -> None:
    """Check the audit chain; exits 1 at the first altered, inserted or deleted row, or at the
    first anchor it contradicts (rewritten before it, or cut back past it)."""
    from manyi import audit
    from manyi.audit.anchors import DirectoryAnchorStore

    settings = cli_support.settings()
    database = cli_support.database(settings)
    store = DirectoryAnchorStore(anchors) if anchors is not None else None
    if anchors is not None and not anchors.is_dir():
        raise cli_support.fail(f"--anchors: no directory {anchors}", 2)
    with database.session() as session:
        result = audit.verify(session, store)
    if result.ok:
        checked = f", consistent with the anchors in {anchors}" if anchors is not None else ""
        typer.echo(f"audit chain intact: {result.rows} rows, head {result.head_hash}{checked}")
        return
    raise cli_support.fail(f"audit chain broken at {result.problem}", 1)


@audit_app.command("anchor")
def audit_anchor(
    to: Annotated[Path, typer.Option("--to", help="The anchor log: a directory, append-only.")],
) -> None:
    """Write the chain's head (seq, seal, time), signed, to the anchor log outside the database."""
    from manyi.audit import service
    from manyi.audit.anchors import DirectoryAnchorStore
    from manyi.db import utcnow

    settings = cli_support.settings()
    database = cli_support.database(settings)
    with database.session() as session:
        where = service.anchor(session, DirectoryAnchorStore(to), utcnow())
    typer.echo(f"audit head anchored in {where}" if where else "audit head already anchored")

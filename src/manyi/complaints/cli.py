"""`manyi complaints ...`: import historical complaints and count them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml

from manyi import cli_support
from manyi.complaints.access import system_caller
from manyi.complaints.importer import import_file
from manyi.complaints.imports.base import ImportFormatError, decode
from manyi.db import utcnow
from manyi.errors import ManyiError

app = typer.Typer(help="Complaints: import history, statistics, retention.", no_args_is_help=True)

MAX_ERRORS_SHOWN = 50


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="The file to load.", exists=True, dir_okay=False)],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="cfpb (the public CFPB export) or csv (manyi's columns, or a mapping's); "
            "either as CSV or as an Excel workbook (.xlsx).",
        ),
    ],
    mapping: Annotated[
        Path | None,
        typer.Option(
            help="YAML that maps a bank's own columns and values (csv only).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    unit: Annotated[
        str | None, typer.Option(help="Code of the responsible unit (default: the head office).")
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            help="The CSV's encoding, e.g. gb18030 or utf-8 (default: guessed from the bytes)."
        ),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option(help="The workbook's sheet to read (default: the first).")
    ] = None,
) -> None:
    """Load complaints; bad rows are reported by line and skipped, known ids are not added again."""
    if fmt not in ("cfpb", "csv"):
        raise cli_support.fail(f"--format must be cfpb or csv, not {fmt!r}", 2)
    parsed_mapping: dict[str, object] | None = None
    if mapping is not None:
        try:
            # Notepad on Chinese Windows may have saved it in GBK: read it as a CSV is read.
            loaded = yaml.safe_load(decode(mapping.read_bytes()).text)
        except yaml.YAMLError as exc:
            raise cli_support.fail(f"{mapping}: not readable YAML: {exc}") from None
        if not isinstance(loaded, dict):
            raise cli_support.fail(f"{mapping}: the mapping must be a YAML mapping of keys")
        parsed_mapping = loaded
    db = cli_support.database()
    try:
        summary = import_file(
            db,
            system_caller("cli"),
            file.read_bytes(),
            fmt,
            unit_code=unit,
            mapping=parsed_mapping,
            encoding=encoding,
            sheet=sheet,
            now=utcnow(),
        )
    except ImportFormatError as exc:
        raise cli_support.fail(f"{file}: {exc}; nothing was imported") from None
    except ManyiError as exc:
        raise cli_support.fail(f"{exc.field}: {exc.text()}" if exc.field else exc.text()) from None
    finally:
        db.dispose()
    typer.echo(f"{file}: read as {summary.read_as}")
    if not summary.clean:
        typer.echo(
            f"{file}: some bytes are not valid {summary.read_as}; the rows that hold them are "
            "skipped (if the file was saved in another encoding, name it with --encoding)",
            err=True,
        )
    for error in summary.errors[:MAX_ERRORS_SHOWN]:
        where = f", {error.field}" if error.field else ""
        typer.echo(f"{file}: {summary.line_word} {error.line}{where}: {error.reason}", err=True)
    if len(summary.errors) > MAX_ERRORS_SHOWN:
        typer.echo(f"… and {len(summary.errors) - MAX_ERRORS_SHOWN} more problems", err=True)
    typer.echo(summary.line())


@app.command("purge")
def purge_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say which cases would be anonymised; change nothing.")
    ] = False,
    retention_days: Annotated[
        int | None,
        typer.Option(help="Days a closed case keeps personal data (default the setting)."),
    ] = None,
) -> None:
    """Anonymise the cases closed longer ago than the retention (at least three years)."""
    from manyi import audit
    from manyi.complaints import retention

    settings = cli_support.settings()
    days = retention_days if retention_days is not None else settings.complaint_retention_days
    if days < retention.MIN_RETENTION_DAYS:
        raise cli_support.fail(
            f"--retention-days must be at least {retention.MIN_RETENTION_DAYS} (three years)", 2
        )
    db = cli_support.database(settings)
    with db.session() as session:
        report = retention.purge(
            session,
            audit.Actor(id=None, name="cli"),
            utcnow(),
            days,
            settings.var_dir,
            dry_run=dry_run,
        )
    verb = "would anonymise" if dry_run else "anonymised"
    typer.echo(
        f"{verb} {len(report.references)} case(s) closed before "
        f"{report.cutoff:%Y-%m-%d}" + ("" if dry_run else f", {report.files} file(s) removed")
    )
    for reference in report.references[:MAX_ERRORS_SHOWN]:
        typer.echo(f"  {reference}")

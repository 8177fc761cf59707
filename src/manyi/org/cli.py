"""`manyi users` and `manyi units`: staff accounts and organisation units from the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from manyi import cli_support

users_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
units_app = typer.Typer(help="Organisation units.", no_args_is_help=True)


@users_app.command("create")
def users_create(
    username: str,
    unit: Annotated[str, typer.Option(help="Code of the unit the user belongs to.")],
    role: Annotated[list[str], typer.Option(help="A role; repeat for several.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    staff_number: Annotated[
        str, typer.Option(help="Staff number (工号) shown on the badge, e.g. BJ01023.")
    ] = "",
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a staff account (prompts for the password)."""
    from manyi import audit
    from manyi.errors import ManyiError
    from manyi.org import service as unit_service
    from manyi.org import staff as staff_service
    from manyi.org.model import parse_roles

    settings = cli_support.settings()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        roles = parse_roles(role)
    except ValueError as exc:
        raise cli_support.fail(f"--role: {exc}", 2) from None
    database = cli_support.database(settings)
    try:
        with database.session() as session:
            target = unit_service.unit_by_code(session, unit)
            if target is None:
                raise cli_support.fail(f"--unit: no unit with code {unit}", 2)
            staff = staff_service.create_staff(
                session,
                audit.Actor(id=None, name="cli"),
                username=username,
                display_name=name or username,
                unit_id=target.id,
                roles=roles,
                password=password,
                staff_number=staff_number,
            )
            role_names = ", ".join(r.value for r in roles)
            typer.echo(f"created {staff.username} at {target.code} with roles {role_names}")
    except ManyiError as exc:
        raise cli_support.fail(f"{exc.field or 'input'}: {exc.text()}", 2) from None


@units_app.command("import")
def units_import(file: Path) -> None:
    """Import units from a CSV file (all lines or none)."""
    from manyi import audit
    from manyi.org import service as unit_service

    settings = cli_support.settings()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise cli_support.fail(f"{file}: no such file", 2) from None
    except UnicodeDecodeError:
        raise cli_support.fail(f"{file}: not UTF-8 text (save it as CSV UTF-8)", 2) from None
    database = cli_support.database(settings)
    with database.session() as session:
        result = unit_service.import_units(
            session, audit.Actor(id=None, name="cli"), text, settings.timezone
        )
        if not result.ok:
            session.rollback()
            for error in result.errors:
                typer.echo(f"{file}: {error}", err=True)
            raise cli_support.fail(f"{len(result.errors)} error(s); nothing was imported", 1)
        typer.echo(f"imported {len(result.created)} units")


@users_app.command("directory")
def users_directory(username: str) -> None:
    """Look a user up in the bank's directory as a sign-in would, without their password: the
    entry, its groups, and the unit and roles manyi would give (exit 1 if they cannot sign in)."""
    from manyi.config_auth import ldap_config
    from manyi.org import service as unit_service
    from manyi.org.adapters.ldap import LdapDirectory
    from manyi.org.directory_rules import DirectoryUnavailable, parse_role_map, roles_for

    settings = cli_support.settings()
    if not settings.ldap_url:
        raise cli_support.fail("MANYI_LDAP_URL is not set: there is no directory to ask", 2)
    try:
        entry = LdapDirectory(ldap_config(settings)).find([username.strip().lower()])
    except DirectoryUnavailable as exc:
        raise cli_support.fail(exc.text(), 1) from None
    found = next(iter(entry.values()))
    if found is None:
        raise cli_support.fail(f"{username}: the directory does not answer for this name", 1)
    roles = roles_for(found.groups, parse_role_map(settings.ldap_role_map))
    with cli_support.database(settings).read() as session:
        unit = unit_service.unit_by_code(session, found.unit_code) if found.unit_code else None
        unit_text = f"{unit.code} {unit.name_zh}" if unit is not None else "none"
    typer.echo(f"entry: {found.dn}\nname: {found.display_name}")
    typer.echo(f"{settings.ldap_unit_attribute}: {found.unit_code or '(empty)'} → unit {unit_text}")
    for group in found.groups:
        typer.echo(f"group: {group}")
    typer.echo(f"roles: {', '.join(r.value for r in roles) or 'none'}")
    if unit is None or not roles:
        raise cli_support.fail(f"{username} cannot sign in: no known unit or no mapped role", 1)
    typer.echo(f"{username} can sign in")

"""What every `manyi` sub-command shares: settings, the database, and how a refusal is printed.

Feature command modules (`lobby/cli.py`, `complaints/cli.py`, `notify/cli.py`, the forecast
commands) take these from here rather than from `manyi.cli`, which assembles them all. What a
process must start before any command runs (the counter's adapters, say) is registered by
`manyi.cli` with `on_start`, so a feature's commands never import another feature.
"""

from __future__ import annotations

from collections.abc import Callable

import typer

from manyi.config import Settings, SettingsError, get_settings
from manyi.db import Database
from manyi.errors import ManyiError

_on_start: list[Callable[[Settings], object]] = []


def on_start(hook: Callable[[Settings], object]) -> None:
    """Run `hook(settings)` whenever a command loads its settings (once per process is the
    hook's own business: the counter's registry keeps the adapters it started)."""
    if hook not in _on_start:
        _on_start.append(hook)


def settings() -> Settings:
    """The validated settings; a bad variable ends the command with status 2, naming it."""
    try:
        loaded = get_settings()
    except SettingsError as exc:
        typer.echo(f"manyi: {exc}", err=True)
        raise typer.Exit(2) from None
    for hook in _on_start:
        hook(loaded)
    return loaded


def database(loaded: Settings | None = None) -> Database:
    """The configured database (settings loaded first when not given)."""
    chosen = loaded or settings()
    return Database(chosen.database_url, chosen.session_info)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `manyi: message` on stderr; raise the returned Exit (1 refused, 2 usage)."""
    typer.echo(f"manyi: {message}", err=True)
    return typer.Exit(code)


def refuse(exc: ManyiError, code: int = 1) -> typer.Exit:
    """A use case's refusal in the user's words, naming the field when there is one."""
    field = f" ({exc.field})" if exc.field else ""
    return fail(f"{exc.text()}{field}", code)

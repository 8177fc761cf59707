"""`manyi staffing ...`: how many counters a branch needs for a service level.

Works on the numbers given alone: no database and no configured outlet.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from manyi.errors import InvalidInput
from manyi.forecast.erlang import StaffingResult, staff_for

app = typer.Typer(
    help="Staffing: counters needed for a service level (Erlang C, Erlang A).",
    no_args_is_help=True,
)


@app.callback()
def staffing() -> None:
    """Staffing: counters needed for a service level (Erlang C, Erlang A)."""
    # A callback keeps this a command group, so `erlang` stays a sub-command next to
    # the ones still to come (`plan`).


def _option(field: str) -> str:
    return "--" + field.replace("_", "-")


def _percent(share: float) -> str:
    return f"{share * 100:.1f} %"


def _seconds(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds:.1f} s ({seconds / 60:.1f} min)"
    return f"{seconds:.1f} s"


def as_json(result: StaffingResult) -> dict[str, float | int]:
    """The `--json` figures; `abandon` only under Erlang A."""
    data: dict[str, float | int] = {
        "servers": result.servers,
        "p_wait": round(result.p_wait, 6),
        "service_level": round(result.service_level, 6),
        "mean_wait_s": round(result.mean_wait_s, 3),
        "occupancy": round(result.occupancy, 6),
        "staff": result.staff,
    }
    if result.abandon is not None:
        data["abandon"] = round(result.abandon, 6)
    return data


@app.command("erlang")
def erlang(
    arrivals_per_hour: Annotated[
        float, typer.Option(help="Customers arriving per hour.", show_default=False)
    ],
    service_s: Annotated[
        float, typer.Option(help="Mean service (handling) time in seconds.", show_default=False)
    ],
    target_s: Annotated[
        float, typer.Option(help="Target wait in seconds (e.g. 600).", show_default=False)
    ],
    service_level: Annotated[
        float,
        typer.Option(help="Share to call within the target, e.g. 0.8.", show_default=False),
    ],
    shrinkage: Annotated[
        float, typer.Option(help="Share of paid time away from the counter, e.g. 0.3.")
    ] = 0.0,
    patience_s: Annotated[
        float | None,
        typer.Option(help="Mean patience in seconds before a customer leaves (Erlang A)."),
    ] = None,
    as_json_output: Annotated[
        bool, typer.Option("--json", help="Print the figures as JSON.")
    ] = False,
) -> None:
    """Counters needed to call a share of customers within a target wait.

    Erlang C, or Erlang A when --patience-s is given; prints the figures at that number.
    """
    try:
        result = staff_for(
            arrivals_per_hour,
            service_s,
            target_s,
            service_level,
            shrinkage=shrinkage,
            patience_s=patience_s,
        )
    except InvalidInput as exc:
        where = _option(exc.field) + ": " if exc.field else ""
        typer.echo(f"manyi: {where}{exc.text()}", err=True)
        raise typer.Exit(2) from None
    if as_json_output:
        typer.echo(json.dumps(as_json(result)))
        return
    model = "Erlang C" if patience_s is None else f"Erlang A, patience {patience_s:g} s"
    typer.echo(
        f"{model}: {arrivals_per_hour:g} arrivals an hour, {service_s:g} s service, "
        f"target {service_level * 100:g} % within {target_s:g} s"
    )
    rows = [
        ("counters needed", str(result.servers)),
        ("probability of waiting", _percent(result.p_wait)),
        ("service level", f"{_percent(result.service_level)} within {target_s:g} s"),
        ("mean wait", _seconds(result.mean_wait_s)),
        ("occupancy", _percent(result.occupancy)),
        ("staff after shrinkage", f"{result.staff} (shrinkage {shrinkage * 100:g} %)"),
    ]
    if result.abandon is not None:
        rows.append(("abandonment", _percent(result.abandon)))
    for label, value in rows:
        typer.echo(f"  {label:<24}{value}")

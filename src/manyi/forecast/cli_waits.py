"""`manyi waits ...`: score wait predictors on an event log. Needs no database."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from manyi import cli_support
from manyi.errors import ManyiError
from manyi.forecast.evaluate import Evaluation, evaluate
from manyi.forecast.eventlog import LogFormatError, read_events, write_events
from manyi.forecast.export import export_visits
from manyi.forecast.predictors import PREDICTORS
from manyi.lobby import layouts

app = typer.Typer(help="Wait prediction: score predictors on an event log.", no_args_is_help=True)


@app.callback()
def waits() -> None:
    """Wait prediction: score predictors on an event log."""


@app.command("evaluate")
def evaluate_command(
    events: Annotated[
        Path, typer.Argument(metavar="EVENTS.csv", help="event log: one row per visit")
    ],
    predictor: Annotated[
        str, typer.Option(help="a predictor (" + ", ".join(PREDICTORS) + ") or all")
    ] = "all",
    out: Annotated[
        Path | None,
        typer.Option(metavar="PREDICTIONS.csv", help="write every ticket's predictions here"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the scores as JSON")] = False,
    timezone: Annotated[
        str, typer.Option(help="time zone of times written without an offset")
    ] = "Asia/Shanghai",
) -> None:
    """Replay an event log and score the wait predictors on it.

    Bad rows are reported with their line numbers and skipped.
    """
    if predictor != "all" and predictor not in PREDICTORS:
        raise cli_support.fail(
            f"--predictor: unknown predictor {predictor!r}; "
            f"choose from {', '.join(PREDICTORS)} or all",
            2,
        )
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError, OSError):
        raise cli_support.fail(f"--timezone: unknown time zone {timezone!r}", 2) from None
    try:
        text = events.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise cli_support.fail(f"{events}: no such file", 2) from None
    except UnicodeDecodeError:
        raise cli_support.fail(f"{events}: not UTF-8 text (save it as CSV UTF-8)", 2) from None
    except OSError as exc:
        raise cli_support.fail(f"{events}: cannot read: {exc.strerror or exc}", 2) from None
    try:
        log = read_events(text, zone)
    except LogFormatError as exc:
        raise cli_support.fail(f"{events}: {exc}", 2) from None
    for error in log.errors:
        typer.echo(f"{events}: {error}", err=True)
    if log.errors:
        typer.echo(f"manyi: {len(log.errors)} bad row(s) skipped", err=True)
    chosen = PREDICTORS if predictor == "all" else {predictor: PREDICTORS[predictor]}
    result = evaluate(log.visits, chosen)
    if out is not None:
        try:
            _write_predictions(out, result)
        except OSError as exc:
            raise cli_support.fail(f"--out: cannot write {out}: {exc.strerror or exc}", 2) from None
    if as_json:
        typer.echo(json.dumps(result.as_json()))
    else:
        _print_table(result)


def _write_predictions(path: Path, result: Evaluation) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["ticket_id", "predictor", "predicted_wait_s", "actual_wait_s"])
        for p in result.predictions:
            actual = "" if p.actual_wait_s is None else p.actual_wait_s
            writer.writerow([p.ticket_id, p.predictor, p.predicted_wait_s, actual])


def _print_table(result: Evaluation) -> None:
    typer.echo(f"{'predictor':<12}{'n':>7}{'MAE s':>10}{'RMSE s':>10}{'within 2 min':>14}")
    for name, s in result.scores.items():
        if s.mae_s is None or s.rmse_s is None or s.within_2min is None:
            typer.echo(f"{name:<12}{s.n:>7}{'—':>10}{'—':>10}{'—':>14}")
            continue
        typer.echo(f"{name:<12}{s.n:>7}{s.mae_s:>10.1f}{s.rmse_s:>10.1f}{s.within_2min:>13.1%}")
    best = result.best
    typer.echo(f"best: {best} (lowest MAE)" if best else "best: — (no served ticket)")


# `manyi lobby export-events`: registered under the lobby's commands by `manyi.cli` (the lobby
# itself does not know forecasting). The command line sees every outlet (scope "/").
def export_events(
    outlet: Annotated[str, typer.Argument(help="Outlet code, e.g. BJ-HD-ZGC")],
    date_from: Annotated[
        dt.datetime,
        typer.Option("--from", formats=["%Y-%m-%d"], metavar="DATE", help="first business day"),
    ],
    date_to: Annotated[
        dt.datetime,
        typer.Option("--to", formats=["%Y-%m-%d"], metavar="DATE", help="last business day"),
    ],
) -> None:
    """Write the outlet's visits as an event log (CSV) for `manyi waits evaluate`.

    Visits not yet ended are left out; how many is printed on standard error.
    """
    if date_to < date_from:
        typer.echo("error: --to: must not be before --from", err=True)
        raise typer.Exit(2)
    db = cli_support.database()
    try:
        with db.session() as session:
            unit = layouts.outlet_by_code(session, outlet)
            zone = ZoneInfo(unit.timezone)
            exported = export_visits(session, unit, date_from.date(), date_to.date())
    except ManyiError as exc:
        raise cli_support.refuse(exc) from None
    finally:
        db.dispose()
    for line in write_events(exported.visits, zone):
        typer.echo(line, nl=False)
    if exported.in_progress:
        typer.echo(f"manyi: {exported.in_progress} visit(s) not yet ended were left out", err=True)

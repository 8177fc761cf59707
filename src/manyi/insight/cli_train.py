"""`manyi complaints classifier train`: new versions of the classifier of each target, from the
bank's confirmed cases (`training`), with each version's evaluation; `suggest`: suggestions on
the open cases that have none (after the first training).

The cases are read and the models fitted outside the write transaction (a fit takes seconds);
each version is then stored in a short one.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from manyi import audit, cli_support
from manyi.db import utcnow
from manyi.insight import model_store, suggestions
from manyi.insight.domain.suggesting import DEFAULT_MIN_PER_CLASS, TARGETS, TrainingRefused

CLI_ACTOR = audit.Actor(id=None, name="cli")


def train_command(
    target: Annotated[
        str,
        typer.Option("--target", help="all, business, cause, appeal, product or issue."),
    ] = "all",
    min_per_class: Annotated[
        int,
        typer.Option(
            "--min-per-class", help="Leave out labels with fewer confirmed cases than this."
        ),
    ] = DEFAULT_MIN_PER_CLASS,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON: one object per target.")
    ] = False,
    if_missing: Annotated[
        bool,
        typer.Option("--if-missing", help="Train only the targets that have no active model."),
    ] = False,
) -> None:
    """Train the classifier from the bank's confirmed cases (set or confirmed by staff, never
    a model's unconfirmed output): a new version per target, evaluated by k-fold."""
    if target != "all" and target not in TARGETS:
        raise cli_support.fail(
            f"--target must be all or one of {', '.join(TARGETS)}, not {target!r}", 2
        )
    if min_per_class < 2:
        raise cli_support.fail(f"--min-per-class must be at least 2, not {min_per_class}", 2)
    # Here, not at the top: training brings scikit-learn and SciPy (over a second of CPU),
    # which every other command (`manyi serve` among them) would pay for at its start.
    from manyi.insight import training

    targets: tuple[str, ...] = TARGETS if target == "all" else (target,)
    database = cli_support.database()
    if if_missing:
        with database.read() as session:
            targets = tuple(t for t in targets if model_store.active_row(session, t) is None)
    results: list[training.Trained] = []
    for name in targets:
        try:
            with database.read() as session:
                data = training.gather(session, name, min_per_class=min_per_class)
        except TrainingRefused as exc:
            results.append(training.Trained(target=name, refused=str(exc)))
            continue
        fitted = training.fit(name, data)
        with database.session() as session:
            results.append(training.trained(training.store(session, fitted, CLI_ACTOR, utcnow())))
    model_store.clear_cache()
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in results], ensure_ascii=False))
    else:
        for r in results:
            if r.refused:
                typer.echo(f"{r.target}: not trained — {r.refused}")
                continue
            ev = r.evaluation
            figures = (
                f"{ev['folds']}-fold accuracy {ev['accuracy']:.3f}, macro-F1 {ev['macro_f1']:.3f}"
                if ev
                else "not evaluated (a class has a single case)"
            )
            typer.echo(
                f"{r.target}: version {r.version}, {r.training_size} cases, "
                f"{r.classes} classes; {figures}"
            )
    if results and all(r.refused for r in results):
        raise typer.Exit(1)


def suggest_command(
    limit: Annotated[
        int, typer.Option("--limit", help="At most this many cases (oldest first).")
    ] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Suggest values on the open complaints that have none yet (registered before the first
    model was trained, or imported); auto-apply where the bank enabled it."""
    if limit < 1:
        raise cli_support.fail(f"--limit must be at least 1, not {limit}", 2)
    database = cli_support.database()
    with database.read() as session:
        ids = suggestions.unsuggested_open_cases(session, limit)
    made = 0
    for complaint_id in ids:
        with database.session() as session:  # one case per unit of work: short write locks
            made += len(suggestions.suggest(session, complaint_id, utcnow()))
    if as_json:
        typer.echo(json.dumps({"cases": len(ids), "suggestions": made}))
    else:
        typer.echo(f"{len(ids)} open cases without suggestions: {made} suggestions made")

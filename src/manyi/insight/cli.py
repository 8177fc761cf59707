"""`manyi complaints classifier ...`: the complaint classifier on the command line.

`evaluate` measures the method on an export (no database): see `domain.evaluation` for the
contract and docs/complaints.md "Classification" for the figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from manyi import cli_support
from manyi.insight.cli_train import suggest_command, train_command
from manyi.insight.domain.evaluation import (
    DEFAULT_FOLDS,
    MIN_PER_LABEL,
    EvaluationError,
    cross_validate,
    usable,
)
from manyi.insight.export_texts import FORMATS, TARGETS, ExportError, read_labelled

app = typer.Typer(
    help="The complaint classifier: suggestions for business type, cause, product ...",
    no_args_is_help=True,
)


@app.command("evaluate")
def evaluate_command(
    file: Annotated[Path, typer.Argument(help="A complaint export (CSV).")],
    fmt: Annotated[str, typer.Option("--format", help="The export's format: cfpb.")],
    target: Annotated[str, typer.Option("--target", help="What to predict: product or issue.")],
    folds: Annotated[int, typer.Option("--folds", help="Cross-validation folds.")] = DEFAULT_FOLDS,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print JSON: {n, classes, accuracy, macro_f1}."),
    ] = False,
) -> None:
    """Measure the classifier on an export: complaints with a narrative, labels with at least
    20 of them, stratified k-fold cross-validation (shuffled, seed 0)."""
    if fmt not in FORMATS:
        raise cli_support.fail(f"--format must be {' or '.join(FORMATS)}, not {fmt!r}", 2)
    if target not in TARGETS:
        raise cli_support.fail(f"--target must be {' or '.join(TARGETS)}, not {target!r}", 2)
    if folds < 2:
        raise cli_support.fail(f"--folds must be at least 2, not {folds}", 2)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise cli_support.fail(f"{file}: no such file", 2) from None
    except OSError as exc:
        raise cli_support.fail(f"{file}: cannot be read ({exc.strerror or exc})", 2) from None
    try:
        read = read_labelled(data, fmt, target)
        kept = usable(read.texts, read.labels)
        result = cross_validate(kept.texts, kept.labels, k=folds, seed=0)
    except (ExportError, EvaluationError) as exc:
        raise cli_support.fail(f"{file}: {exc}", 2) from None
    if as_json:
        typer.echo(json.dumps(result.as_dict()))
        return
    typer.echo(f"{file} — target {target}, {folds}-fold stratified cross-validation (seed 0)")
    typer.echo(f"  rows read                {read.rows}")
    typer.echo(f"  complaints evaluated     {result.n}")
    typer.echo(f"  classes (≥{MIN_PER_LABEL} each)      {result.classes}")
    if kept.dropped_labels:
        typer.echo(f"  labels left out (<{MIN_PER_LABEL})   {len(kept.dropped_labels)}")
    typer.echo(f"  accuracy                 {result.accuracy:.4f}")
    typer.echo(f"  macro-F1                 {result.macro_f1:.4f}")


app.command("train")(train_command)
app.command("suggest")(suggest_command)

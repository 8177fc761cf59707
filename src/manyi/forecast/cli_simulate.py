"""`manyi simulate SCENARIO.yaml`: run the lobby's digital twin and print its KPIs."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer

from manyi.forecast.kpi import Estimate, Summary
from manyi.forecast.scenario import Scenario, ScenarioError, load_scenario
from manyi.forecast.simulation import SimulationResult, run_scenario


def simulate_command(
    scenario: Annotated[
        Path,
        typer.Argument(metavar="SCENARIO.yaml", help="Scenario file (see docs/simulation.md)."),
    ],
    replications: Annotated[
        int | None,
        typer.Option("--replications", min=1, help="Replications (default: the scenario's)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, help="Random seed (default: the scenario's).")
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the KPIs as JSON.")] = False,
) -> None:
    """Simulate a scenario with the lobby's own dispatch rules; print KPIs with 95 % CIs."""
    try:
        spec = load_scenario(scenario)
    except ScenarioError as exc:
        typer.echo(f"manyi: {scenario}: {exc.describe()}", err=True)
        raise typer.Exit(2) from None
    result = run_scenario(spec, replications=replications, seed=seed)
    if json_:
        typer.echo(json.dumps(as_json(result), ensure_ascii=False))
    else:
        typer.echo(table(result))


def as_json(result: SimulationResult) -> dict[str, object]:
    out: dict[str, object] = dict(result.summary.as_json())
    out["scenario"] = result.scenario.name
    out["seed"] = result.scenario.seed
    return out


def table(result: SimulationResult) -> str:
    sc, s = result.scenario, result.summary
    lines = [_heading(sc, s), "", f"{'':<28}{'mean':>12}   95 % CI"]

    def row(label: str, e: Estimate, unit: str) -> None:
        lines.append(f"{label:<28}{_value(e.mean, unit):>12}   {_interval(e, unit)}")

    target_min = _fmt(sc.target_wait_s / 60)
    row("mean wait", s.mean_wait_s, "min")
    row("p90 wait", s.p90_wait_s, "min")
    row("max wait", s.max_wait_s, "min")
    row(f"service level (≤ {target_min} min)", s.service_level, "%")
    row("utilisation", s.utilisation, "%")
    row("counter-hours", s.counter_hours, "h")
    row("customers per replication", s.customers_per_replication, "")
    if s.abandoned_share.mean > 0:
        row("gave up waiting", s.abandoned_share, "%")
    if s.no_show_share.mean > 0:
        row("no-shows", s.no_show_share, "%")
    if s.unserved.mean > 0:
        row("never called", s.unserved, "")
    lines += ["", "mean wait by class"]
    for name, e in s.per_class.items():
        row(f"  {name}", e, "min")
    lines += ["", "mean wait by service"]
    for name, e in s.per_service.items():
        row(f"  {name}", e, "min")
    lines += ["", f"{'counter':<10}{'utilisation':>14}{'counter-hours':>16}"]
    for number, (util, hours) in s.per_counter.items():
        lines.append(f"{number:<10}{_value(util.mean, '%'):>14}{_value(hours.mean, 'h'):>16}")
    return "\n".join(lines)


def _heading(sc: Scenario, s: Summary) -> str:
    warmup = f", warm-up {_fmt(sc.warmup_s / 60)} min" if sc.warmup_s else ""
    return (
        f"scenario {sc.name}: {s.replications} replications × {_fmt(sc.horizon_s / 60)} min"
        f"{warmup}, seed {sc.seed}; {s.customers:,} customers"
    )


def _value(x: float, unit: str) -> str:
    if math.isnan(x):
        return "—"
    if unit == "min":
        return f"{x / 60:.2f} min"
    if unit == "%":
        return f"{x * 100:.1f} %"
    if unit == "h":
        return f"{x:.1f} h"
    return f"{x:,.1f}"


def _interval(e: Estimate, unit: str) -> str:
    if e.low is None or e.high is None:
        return "—"
    lo, hi = _value(e.low, unit), _value(e.high, unit)
    suffix = f" {unit}" if unit else ""
    return f"{lo.removesuffix(suffix)} – {hi}"


def _fmt(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:.1f}"

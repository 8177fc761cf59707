"""Flexible-counter advice in the simulator: fixed staffing, the advice policy and an oracle.

Runs `scenarios/pension-day-flex.yaml` (a pension-payment-day morning; four counters always
open, eight flexible) three ways and prints counter-hours and service level (share called
within the target) with 95 % confidence intervals:

* fixed: the scenario's own plan (four flexible counters 09:00–10:30);
* advice: the flexible counters opened and closed by the dashboard's advice rule,
  checked once a minute, with 2 minutes for a teller to reach the counter;
* oracle: per 30 minutes, the Erlang C minimum for the true arrival rate.

Goal: the advice meets the target (80 % within 10 min) with counter-hours within 10 % of
the oracle. Prints figures only.

    .venv/bin/python bench/advice.py [--replications 30] [--seed 11] [--scenario PATH]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from manyi.forecast.advice_eval import compare
from manyi.forecast.kpi import Estimate
from manyi.forecast.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def interval(e: Estimate, scale: float = 1.0, digits: int = 1) -> str:
    if e.low is None or e.high is None:
        return f"{e.mean * scale:.{digits}f}"
    return f"{e.mean * scale:.{digits}f} ({e.low * scale:.{digits}f}–{e.high * scale:.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios/pension-day-flex.yaml")
    parser.add_argument("--replications", type=int, default=30)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    result = compare(scenario, replications=args.replications, seed=args.seed)
    print(
        f"{scenario.name}: {args.replications} replications; oracle counters per 30 min "
        f"{result.oracle_counts}"
    )
    print(f"  {'policy':<8} {'counter-hours':<22} {'service level %':<22} {'mean wait s'}")
    oracle_hours = result.oracle.counter_hours.mean
    for name in ("fixed", "advice", "oracle"):
        s = getattr(result, name)
        ratio = s.counter_hours.mean / oracle_hours
        print(
            f"  {name:<8} {interval(s.counter_hours):<22} {interval(s.service_level, 100):<22} "
            f"{interval(s.mean_wait_s, 1, 0)}   ({ratio:.2f}× oracle hours)"
        )
    advice = result.advice
    met = advice.service_level.mean >= 0.8 and advice.counter_hours.mean <= 1.1 * oracle_hours
    print(
        f"  goal (advice: service level ≥ 80 %, counter-hours ≤ 1.10× oracle): "
        f"{'met' if met else 'not met'}"
    )


if __name__ == "__main__":
    main()

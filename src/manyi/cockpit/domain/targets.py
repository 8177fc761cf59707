"""Targets, distance from target and alerts.

The bank sets a target for each headline measure (settings; defaults: mean wait 15 minutes,
service level 80 % of customers called within 15 minutes, abandonment at most 10 %). A unit's
*distance from target* is its worst shortfall relative to the target, over the measures it
has: a mean wait of 18 minutes against 15 is 0.20 past target; a service level of 72 % against
80 % is 0.10 past; zero or less is on target. The outlets furthest from target are those with
the largest distance (a measure an outlet does not have does not count either way).

An *alert* is raised for an outlet past target on each of the last `days` days it had
customers, ending with the period's last day: one bad day is noise, a run of them is a
pattern. Days without customers (closed) neither break nor extend the run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Targets:
    wait_mean_s: float = 900.0
    service_level: float = 0.80  # share called within `service_level_s`
    service_level_s: int = 900
    abandonment: float = 0.10
    alert_days: int = 3


@dataclass(frozen=True, slots=True)
class Figures:
    """A unit's measures over a period (None: not measured there)."""

    wait_mean_s: float | None
    service_level: float | None
    abandonment: float | None


def shortfalls(figures: Figures, targets: Targets) -> dict[str, float]:
    """{measure: how far past its target, relative} for the measures present."""
    out: dict[str, float] = {}
    if figures.wait_mean_s is not None:
        out["wait_mean_s"] = (figures.wait_mean_s - targets.wait_mean_s) / targets.wait_mean_s
    if figures.service_level is not None:
        out["service_level"] = (targets.service_level - figures.service_level) / (
            targets.service_level
        )
    if figures.abandonment is not None and targets.abandonment > 0:
        out["abandonment"] = (figures.abandonment - targets.abandonment) / targets.abandonment
    return out


def distance(figures: Figures, targets: Targets) -> float | None:
    """The worst relative shortfall (> 0: past target), None when nothing is measured."""
    found = shortfalls(figures, targets)
    return max(found.values()) if found else None


def worst_measure(figures: Figures, targets: Targets) -> str | None:
    found = shortfalls(figures, targets)
    return max(found, key=lambda k: found[k]) if found else None


def alerting(
    days: Mapping[dt.date, Figures], targets: Targets, last_day: dt.date
) -> Sequence[dt.date] | None:
    """The run of days (oldest first) that raises an alert, or None: the last
    `targets.alert_days` days with figures up to `last_day` all past target."""
    measured = sorted(d for d in days if d <= last_day)
    run = measured[-targets.alert_days :]
    if len(run) < targets.alert_days:
        return None
    for day in run:
        gap = distance(days[day], targets)
        if gap is None or gap <= 0:
            return None
    return run

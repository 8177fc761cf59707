"""The measures of complaint analysis, as pure functions (see docs/complaints.md, "Analysis").

- change_pct: (current − previous) / previous × 100, one decimal; None when the previous
  period had no complaint (a rise from nothing has no percentage; the count says it).
- rate per 10,000 customers served: count × 10,000 / customers served, two decimals; None
  when the units counted serve no recorded customer.
- a share: part / whole, four decimals; None when the whole is zero.
- roll-up: a case counts at the ancestor of its responsible unit at the chosen level (its
  materialised path names every ancestor); a case whose unit sits above that level counts
  at its own unit (a tier-1 branch's own cases stay the branch's under "outlet").
"""

from __future__ import annotations

import enum
from collections.abc import Sequence


class Level(enum.StrEnum):
    """The level complaints are rolled up to (the CLI's and the page's names)."""

    OUTLET = "outlet"
    TIER2 = "tier2"
    TIER1 = "tier1"
    HEAD = "head"

    @property
    def unit_level(self) -> str:
        """The value of `units.level` (org.model.UnitLevel)."""
        return {
            Level.OUTLET: "outlet",
            Level.TIER2: "tier2_branch",
            Level.TIER1: "tier1_branch",
            Level.HEAD: "head_office",
        }[self]


_RANK = {"head_office": 0, "tier1_branch": 1, "tier2_branch": 2, "outlet": 3}


def above(level: Level, unit_level: str) -> bool:
    """Whether `level` lies above units of `unit_level` (head office above a tier-1 branch)."""
    return _RANK[level.unit_level] < _RANK.get(unit_level, 0)


def change_pct(current: int, previous: int) -> float | None:
    if previous == 0:
        return None
    return round((current - previous) * 100 / previous, 1)


def change_fraction(current: int, previous: int) -> float | None:
    """The old `stats --by month` "change": a fraction, four decimals, None from zero."""
    if previous == 0:
        return None
    return round((current - previous) / previous, 4)


def per_10k(count: int, customers: int) -> float | None:
    if customers <= 0:
        return None
    return round(count * 10_000 / customers, 2)


def share(part: int, whole: int) -> float | None:
    if whole <= 0:
        return None
    return round(part / whole, 4)


def rollup(units: Sequence[tuple[int, int | None, str]], level: Level) -> dict[int, int]:
    """Each unit's group at `level`: units given as (id, parent id, unit level), parents
    before children (e.g. by path length). A unit counts under its nearest ancestor-or-self
    at the level; a unit with none (above the level, or under a parent outside the given
    units) counts under itself."""
    wanted = level.unit_level
    levels = {unit_id: unit_level for unit_id, _, unit_level in units}
    groups: dict[int, int] = {}
    for unit_id, parent, unit_level in units:
        if unit_level == wanted:
            groups[unit_id] = unit_id
        elif parent in groups and levels[groups[parent]] == wanted:
            groups[unit_id] = groups[parent]
        else:
            groups[unit_id] = unit_id
    return groups

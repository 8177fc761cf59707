"""The levels the cockpit walks down: head office → tier-1 branch → tier-2 branch → outlet →
counter and teller. A unit's children in the league table are one level below it; an outlet's
are its counters and tellers (read from its own lobby, not from the roll-ups)."""

from __future__ import annotations

from typing import Final

UNIT_LEVELS: Final = ("head_office", "tier1_branch", "tier2_branch", "outlet")


def child_level(level: str) -> str | None:
    """The level below `level` among units; None for an outlet (its children are counters)."""
    if level not in UNIT_LEVELS:
        raise ValueError(f"unknown level {level!r}")
    at = UNIT_LEVELS.index(level)
    return UNIT_LEVELS[at + 1] if at + 1 < len(UNIT_LEVELS) else None


def child_path(outlet_path: str, parent_path: str) -> str | None:
    """The path of `parent_path`'s child that holds `outlet_path` ("/1/4/9/" under "/1/" is
    "/1/4/"); the outlet's own path when it is the child, None when outside."""
    if not outlet_path.startswith(parent_path):
        return None
    rest = outlet_path[len(parent_path) :]
    head = rest.split("/", 1)[0]
    return f"{parent_path}{head}/" if head else None

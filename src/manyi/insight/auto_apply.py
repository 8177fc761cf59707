"""Auto-apply: a bank-wide setting, per target, that lets a model apply its confident
suggestions without a click (off by default; head office changes it, on the audit chain).

A value applied so is marked machine-made (机器分类) on the case until staff confirm it, and is
not a training label until then (`domain.suggesting`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import Forbidden, InvalidInput
from manyi.insight.classifier_tables import AutoApplySetting
from manyi.insight.domain.suggesting import DEFAULT_THRESHOLD, TARGETS, check_threshold
from manyi.org.model import Permission, UnitLevel, check_bank_wide_settings


@dataclass(frozen=True)
class Setting:
    target: str
    enabled: bool
    threshold: float
    updated_at: dt.datetime | None = None
    updated_by: str = ""


def settings(session: Session) -> dict[str, Setting]:
    """Every target's setting (off at the default threshold when never set)."""
    stored = {row.target: row for row in session.scalars(select(AutoApplySetting))}
    found: dict[str, Setting] = {}
    for target in TARGETS:
        row = stored.get(target)
        found[target] = (
            Setting(target, row.enabled, row.threshold, row.updated_at, row.updated_by)
            if row is not None
            else Setting(target, False, DEFAULT_THRESHOLD)
        )
    return found


def change(
    session: Session,
    actor: audit.Actor,
    permissions: frozenset[Permission],
    unit_level: UnitLevel | str,
    target: str,
    *,
    enabled: bool,
    threshold: float,
    now: dt.datetime,
) -> Setting:
    """Turn auto-apply of `target` on or off at a threshold: head office's administrators only
    (a setting that applies to every unit), audited; it takes effect on the next complaint."""
    if Permission.COMPLAINTS_CONFIGURE not in permissions:
        raise Forbidden("you may not do this with complaints", error_code="forbidden")
    check_bank_wide_settings(unit_level)
    if target not in TARGETS:
        raise InvalidInput("unknown category {code}", "target", code=target)
    try:
        threshold = check_threshold(threshold)
    except ValueError:
        raise InvalidInput("the threshold is a confidence between 0.5 and 1", "threshold") from None
    row = session.get(AutoApplySetting, target)
    if row is None:
        row = AutoApplySetting(target=target)
        session.add(row)
    before = {"enabled": bool(row.enabled), "threshold": row.threshold}
    row.enabled = enabled
    row.threshold = threshold
    row.updated_at = now
    row.updated_by_id = actor.id
    row.updated_by = actor.name
    session.flush()
    audit.record(
        session,
        actor,
        entity_type="classifier_auto_apply",
        entity_id=target,
        action="insight.classifier.auto_apply",
        summary={"before": str(before), "enabled": enabled, "threshold": threshold},
        unit_id=actor.unit_id,
        unit_path=actor.unit_path,
        now=now,
    )
    return Setting(target, enabled, threshold, now, actor.name)

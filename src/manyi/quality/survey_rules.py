"""Surveys' sampling rules: the rate and quiet period of each trigger at a unit and below (the
nearest rule up the organisation tree wins; none: every visit, 30 quiet days). Bank-wide
settings: head office sets them, on the audit chain.

Every served ticket asks for its rule (`rule_for`), so each process keeps the whole (small)
table for RULES_TTL_S seconds, as the lobby keeps an outlet's layout: a change made in this
process is seen at once, other processes see it within the TTL.
"""

from __future__ import annotations

import threading
import time
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import InvalidInput, NotFound
from manyi.org.model import check_bank_wide_settings
from manyi.org.tables import Unit
from manyi.quality.domain import surveys as rules
from manyi.quality.survey_tables import SurveyRule

DEFAULT_RATE = 100
DEFAULT_QUIET_DAYS = 30
RULES_TTL_S = 10.0

# engine -> (when read, {(trigger, unit id or None): (rate %, quiet days)})
_kept: WeakKeyDictionary[Engine, tuple[float, dict[tuple[str, int | None], tuple[int, int]]]]
_kept = WeakKeyDictionary()
_kept_guard = threading.Lock()


def rules_list(session: Session) -> list[tuple[SurveyRule, str | None]]:
    """Every sampling rule with its unit's code (None: bank-wide)."""
    rows = session.execute(
        select(SurveyRule, Unit.code)
        .outerjoin(Unit, Unit.id == SurveyRule.unit_id)
        .order_by(SurveyRule.trigger, Unit.path)
    ).all()
    return [(rule, code) for rule, code in rows]


def unit_id_of(session: Session, code: str) -> int | None:
    """The id of the unit with this code ("" : None, the bank-wide rule); NotFound otherwise."""
    if not code.strip():
        return None
    found = session.scalar(select(Unit.id).where(Unit.code == code.strip()))
    if found is None:
        raise NotFound("there is no unit {code}", "unit", code=code.strip())
    return found


def rule_for(session: Session, trigger: str, unit_path: str) -> tuple[int, int]:
    """(rate %, quiet days) for a trigger at the unit of this path: the deepest rule above."""
    table = _rules(session)
    for part in reversed(unit_path.strip("/").split("/")):
        if part and (trigger, int(part)) in table:
            return table[trigger, int(part)]
    return table.get((trigger, None), (DEFAULT_RATE, DEFAULT_QUIET_DAYS))


def _rules(session: Session) -> dict[tuple[str, int | None], tuple[int, int]]:
    engine = session.get_bind().engine
    with _kept_guard:
        hit = _kept.get(engine)
    now = time.monotonic()
    if hit is not None and now - hit[0] < RULES_TTL_S:
        return hit[1]
    columns = (SurveyRule.trigger, SurveyRule.unit_id, SurveyRule.rate_percent)
    rows = session.execute(select(*columns, SurveyRule.quiet_days)).all()
    table = {(r.trigger, r.unit_id): (r.rate_percent, r.quiet_days) for r in rows}
    with _kept_guard:
        _kept[engine] = (now, table)
    return table


def forget_rules(session: Session) -> None:
    """Drop this process's copy of the rules (after one changed)."""
    with _kept_guard:
        _kept.pop(session.get_bind().engine, None)


def set_rule(
    session: Session,
    actor: audit.Actor,
    trigger: str,
    unit_id: int | None,
    rate_percent: int,
    quiet_days: int,
    *,
    level: str,
) -> SurveyRule:
    """Set the sampling of a trigger at a unit and below (None: bank-wide), on the audit chain;
    a head-office setting like the surveys themselves (`level`: the actor's unit level)."""
    check_bank_wide_settings(level)
    if trigger not in rules.TRIGGERS:
        raise InvalidInput("unknown survey trigger {trigger}", "trigger", trigger=trigger)
    if not 0 <= rate_percent <= 100:
        raise InvalidInput("the sampling rate is a percentage from 0 to 100", "rate_percent")
    if not 0 <= quiet_days <= 365:
        raise InvalidInput("the quiet period is 0 to 365 days", "quiet_days")
    rule = session.scalars(
        select(SurveyRule).where(
            SurveyRule.trigger == trigger,
            SurveyRule.unit_id.is_(None) if unit_id is None else SurveyRule.unit_id == unit_id,
        )
    ).first()
    if rule is None:
        rule = SurveyRule(trigger=trigger, unit_id=unit_id)
        session.add(rule)
    rule.rate_percent, rule.quiet_days = rate_percent, quiet_days
    session.flush()
    forget_rules(session)
    audit.record(
        session,
        actor,
        entity_type="survey_rule",
        entity_id=rule.id,
        action="quality.survey_rule_set",
        summary={
            "trigger": trigger,
            "unit_id": unit_id,
            "rate_percent": rate_percent,
            "quiet_days": quiet_days,
        },
    )
    return rule

"""Opinions and suggestions (意见建议) use cases: register, list, review, adopt or decline.

Classified on the complaint axes as stored (`complaints.categories`: business type, cause,
appeal) and the prominent-issue categories (`insight.issues`). Outside the regulatory clock:
no deadline is computed and nothing escalates (domain.opinions says why). The data scope is
the unit concerned: a user sees the opinions about units in their subtree.

Suggestions: when the classifier (`domain.classifier`, the i19-clf work) offers suggestions
for complaints, it can offer them here too: `register_suggester` takes anything with
`suggest(session, text) -> dict[field, (code, confidence)]`; the detail page shows them for
the axes still empty. Without one, no suggestion is shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.complaints import categories
from manyi.complaints.domain.taxonomy import Axis
from manyi.errors import InvalidInput, NotFound
from manyi.insight import issues
from manyi.insight.domain import opinions as rules
from manyi.insight.tables import OpinionRow
from manyi.org.model import path_in_scope
from manyi.org.scope import in_scope
from manyi.org.tables import Staff, Unit

LIST_CAP = 500
AXES = (("business_code", Axis.BUSINESS), ("cause_code", Axis.CAUSE), ("appeal_code", Axis.APPEAL))


class Suggester(Protocol):
    def suggest(self, session: Session, text: str) -> dict[str, tuple[str, float]]:
        """{field (business_code, cause_code, appeal_code, issue_code): (code, confidence)}."""


_suggester: Suggester | None = None


def register_suggester(suggester: Suggester | None) -> None:
    global _suggester
    _suggester = suggester


def suggestions(session: Session, row: OpinionRow) -> dict[str, tuple[str, float]]:
    """Suggested codes for the fields still empty (none without a registered suggester)."""
    if _suggester is None:
        return {}
    found = _suggester.suggest(session, row.text)
    return {f: s for f, s in found.items() if getattr(row, f, "missing") is None}


def _unit(session: Session, actor: audit.Actor, unit_id: int | None) -> Unit:
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    if unit is None or not unit.active or not path_in_scope(actor.unit_path, unit.path):
        raise NotFound("no unit {id} in your scope", "unit_id", id=unit_id)
    return unit


def _issue(session: Session, code: str) -> str | None:
    code = code.strip()
    if not code:
        return None
    if code not in {c.code for c in issues.categories(session)}:
        raise InvalidInput("unknown prominent-issue category {code}", "issue_code", code=code)
    return code


def register(
    session: Session,
    actor: audit.Actor,
    *,
    source_kind: str,
    source_ref: str,
    text: str,
    unit_id: int | None,
    received_at: dt.datetime | None,
    codes: dict[str, str],
    now: dt.datetime,
) -> OpinionRow:
    """Register one opinion; a refusal (InvalidInput naming the field, NotFound) stores nothing."""
    new = rules.check(source_kind, source_ref, text, unit_id, received_at, now)
    unit = _unit(session, actor, new.unit_id)
    checked = {
        field: categories.check_code(session, axis, codes.get(field, ""), field)
        for field, axis in AXES
    }
    issue = _issue(session, codes.get("issue_code", ""))
    row = OpinionRow(
        source_kind=new.source_kind.value,
        source_ref=new.source_ref,
        text=new.text,
        unit_id=unit.id,
        unit_path=unit.path,
        received_at=new.received_at,
        issue_code=issue,
        state=rules.OpinionState.NEW.value,
        reply="",
        registered_by_id=actor.id,
        registered_at=now,
        **checked,
    )
    session.add(row)
    session.flush()
    _record(session, actor, row, "insight.opinion_registered", now, source=row.source_kind)
    return row


def get(session: Session, scope_path: str, opinion_id: int) -> OpinionRow:
    row = session.get(OpinionRow, opinion_id)
    if row is None or not path_in_scope(scope_path, row.unit_path):
        raise NotFound("no opinion {id} in your scope", "opinion", id=opinion_id)
    return row


def take_step(
    session: Session,
    actor: audit.Actor,
    opinion_id: int,
    step: str,
    reply: str,
    now: dt.datetime,
) -> OpinionRow:
    row = get(session, actor.unit_path, opinion_id)
    try:
        wanted = rules.Step(step)
    except ValueError:
        raise InvalidInput("unknown step {step}", "step", step=step) from None
    state, reply = rules.after(rules.OpinionState(row.state), wanted, reply)
    row.state = state.value
    if wanted is rules.Step.REVIEW:
        row.reviewed_by_id, row.reviewed_at = actor.id, now
    else:
        row.reply, row.decided_by_id, row.decided_at = reply, actor.id, now
    session.flush()
    _record(session, actor, row, f"insight.opinion_{wanted.value}", now, state=row.state)
    return row


def classify(
    session: Session, actor: audit.Actor, opinion_id: int, codes: dict[str, str], now: dt.datetime
) -> OpinionRow:
    """Set or correct the classification (any state: it is analysis, not a decision)."""
    row = get(session, actor.unit_path, opinion_id)
    checked = {  # every code checked before any is set: a refusal changes nothing
        field: categories.check_code(session, axis, codes.get(field, ""), field)
        for field, axis in AXES
    }
    checked["issue_code"] = _issue(session, codes.get("issue_code", ""))
    for field, code in checked.items():
        setattr(row, field, code)
    session.flush()
    _record(session, actor, row, "insight.opinion_classified", now)
    return row


def _record(
    session: Session,
    actor: audit.Actor,
    row: OpinionRow,
    action: str,
    now: dt.datetime,
    **summary: object,
) -> None:
    audit.record(
        session,
        actor,
        entity_type="insight_opinion",
        entity_id=row.id,
        action=action,
        summary={k: str(v) for k, v in summary.items()},
        unit_id=row.unit_id,
        unit_path=row.unit_path,
        now=now,
    )


# --- the list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    state: str = ""
    source_kind: str = ""
    unit_id: int | None = None
    business_code: str = ""
    cause_code: str = ""
    appeal_code: str = ""
    issue_code: str = ""
    start: dt.datetime | None = None  # received at or after
    end: dt.datetime | None = None  # received before
    q: str = ""


@dataclass(frozen=True)
class Listing:
    rows: list[OpinionRow]
    total: int
    units: dict[int, Unit]


def listing(session: Session, scope_path: str, filters: Filters) -> Listing:
    """The opinions about units in the scope matching the filters, newest first (LIST_CAP)."""
    O = OpinionRow  # noqa: E741
    query = select(O).where(in_scope(O.unit_path, scope_path))
    if filters.unit_id is not None:
        unit = session.get(Unit, filters.unit_id)
        if unit is None or not path_in_scope(scope_path, unit.path):
            raise NotFound("no unit {id} in your scope", "unit_id", id=filters.unit_id)
        query = query.where(in_scope(O.unit_path, unit.path))
    for field in ("state", "source_kind", "issue_code"):
        value = getattr(filters, field)
        if value:
            query = query.where(getattr(O, field) == value)
    for field in ("business_code", "cause_code", "appeal_code"):
        value = getattr(filters, field)
        if value:  # a top-level code also finds its children (cards → cards.credit)
            column = getattr(O, field)
            query = query.where(or_(column == value, column.like(f"{value}.%")))
    if filters.start is not None:
        query = query.where(O.received_at >= filters.start)
    if filters.end is not None:
        query = query.where(O.received_at < filters.end)
    if filters.q.strip():
        query = query.where(O.text.contains(filters.q.strip(), autoescape=True))
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = list(session.scalars(query.order_by(O.received_at.desc(), O.id.desc()).limit(LIST_CAP)))
    ids = {r.unit_id for r in rows}
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    return Listing(rows, total, units)


def units_in_scope(session: Session, scope_path: str) -> list[Unit]:
    return list(
        session.scalars(
            select(Unit).where(Unit.active, in_scope(Unit.path, scope_path)).order_by(Unit.path)
        )
    )


def staff_names(session: Session, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = session.execute(select(Staff.id, Staff.display_name).where(Staff.id.in_(wanted))).all()
    return {int(i): str(name) for i, name in rows}


@dataclass(frozen=True)
class Option:
    code: str
    label: str
    child: bool


def axis_options(session: Session, lang: str) -> dict[str, list[Option]]:
    """Each classification field's choices: the complaint axes as stored (each top level then
    its children) and the active prominent-issue categories."""

    def name(zh: str, en: str) -> str:
        return en if lang == "en" and en else zh

    out: dict[str, list[Option]] = {}
    for field, axis in AXES:
        rows = categories.categories(session, axis)
        options: list[Option] = []
        for top in (c for c in rows if not c.parent_code):
            options.append(Option(top.code, name(top.name_zh, top.name_en), False))
            options += [
                Option(c.code, name(c.name_zh, c.name_en), True)
                for c in rows
                if c.parent_code == top.code
            ]
        out[field] = options
    out["issue_code"] = [Option(c.code, c.name(lang), False) for c in issues.categories(session)]
    return out

"""The typical-case library's use cases: a case drafted from a real source, edited, submitted,
and approved (published) or returned by head office; each step audited.

The personal-data check (`domain.cases.personal_data`) runs on every save, on submitting and
again on approving: the names it refuses without appeal are those of the source's people (the
complainant, the staff named or praised, the inspector) and of every staff member of the
source's unit. Those names are read from the source each time, never stored with the case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.complaints import facts as complaint_facts
from manyi.errors import Forbidden, InvalidInput, NotFound
from manyi.guidance.access import Who
from manyi.guidance.domain.cases import (
    CaseState,
    CaseText,
    SourceKind,
    Topic,
    next_state,
    personal_data,
    refuse_personal_data,
)
from manyi.guidance.training_tables import GuidanceCase
from manyi.org.model import Permission, UnitLevel, check_bank_wide_settings, path_in_scope
from manyi.org.tables import Staff
from manyi.parsing import ascii_int
from manyi.supervision import findings

REASON_MAX = 500
WRITERS_ONLY = "you may not write typical cases"
PUBLISHERS_ONLY = "only head office publishes typical cases"


@dataclass(frozen=True)
class Source:
    kind: SourceKind
    reference: str
    unit_id: int
    unit_path: str
    text: str  # what the case may start from (rewritten by the author)
    names: tuple[str, ...]  # the source's people and the unit's staff: never in a case


def source_kind_of(text: str) -> SourceKind:
    try:
        return SourceKind(text.strip())
    except ValueError:
        raise InvalidInput("unknown source {kind}", "source_kind", kind=text[:40]) from None


def source_of(session: Session, who: Who, kind: SourceKind, reference: str) -> Source:
    """The source in `who`'s scope; not found elsewhere; refused when it cannot be one (a
    complaint not upheld, an item that did not fail, a case not finalised)."""
    ref = (reference or "").strip()[:60]
    found: complaint_facts.LibrarySource | findings.LibrarySource | None = None
    if kind is SourceKind.COMPLAINT:
        found = complaint_facts.complaint_for_library(session, who.unit_path, ref)
    number = ascii_int(ref)
    visit, _, item = ref.partition("/")
    visit_id = ascii_int(visit)
    if kind is SourceKind.PRAISE and number is not None:
        found = complaint_facts.praise_for_library(session, who.unit_path, number)
    elif kind is SourceKind.MISCONDUCT and number is not None:
        found = findings.misconduct_for_library(session, who.unit_path, number)
    elif kind is SourceKind.INSPECTION and visit_id is not None and item.strip():
        found = findings.inspection_for_library(session, who.unit_path, visit_id, item[:16])
    if found is None:
        raise NotFound("no {kind} {reference} in your scope", "source_ref", kind=kind.value,
                       reference=ref)  # fmt: skip
    if not found.usable:
        raise InvalidInput(
            "a case is written from an upheld complaint, a failed inspection item, a praise or "
            "a finalised misconduct case",
            "source_ref",
        )
    staff = session.scalars(select(Staff.display_name).where(Staff.unit_id == found.unit_id))
    names = tuple(dict.fromkeys((*found.names, *staff)))
    return Source(kind, found.reference, found.unit_id, found.unit_path, found.text, names)


def _check(text: CaseText, source: Source) -> None:
    whole = "\n".join((text.title, text.story, text.lessons))
    refuse_personal_data(personal_data(whole, source.names, text.not_names))


def draft(
    session: Session, who: Who, kind: SourceKind, reference: str, text: CaseText, now: dt.datetime
) -> GuidanceCase:
    who.need(Permission.GUIDANCE_CASES, WRITERS_ONLY)
    source = source_of(session, who, kind, reference)
    _check(text, source)
    row = GuidanceCase(
        title=text.title,
        story=text.story,
        lessons=text.lessons,
        topics=[t.value for t in text.topics],
        not_names=list(text.not_names),
        source_kind=kind.value,
        source_ref=source.reference,
        unit_id=source.unit_id,
        unit_path=source.unit_path,
        state=CaseState.DRAFT.value,
        author_id=who.staff_id,
        created_at=now,
        changed_at=now,
        return_reason="",
    )
    session.add(row)
    session.flush()
    _audit(session, who, row, "draft", now, source=f"{kind.value} {source.reference}")
    return row


def load(session: Session, who: Who, case_id: int, *, lock: bool = False) -> GuidanceCase:
    """A case: published ones for every staff member; others in the writer's scope."""
    statement = select(GuidanceCase).where(GuidanceCase.id == case_id)
    if lock:
        statement = statement.with_for_update()
    row = session.scalar(statement)
    visible = row is not None and (
        row.state == CaseState.PUBLISHED.value
        or (
            (Permission.GUIDANCE_CASES in who.permissions or Permission.GUIDANCE_PUBLISH
             in who.permissions)
            and path_in_scope(who.unit_path, row.unit_path)
        )
    )  # fmt: skip
    if row is None or not visible:
        raise NotFound("no case {id}", "case", id=case_id)
    return row


def _source_again(session: Session, who: Who, row: GuidanceCase) -> Source:
    return source_of(session, who, SourceKind(row.source_kind), row.source_ref)


def edit(session: Session, who: Who, case_id: int, text: CaseText, now: dt.datetime) -> None:
    who.need(Permission.GUIDANCE_CASES, WRITERS_ONLY)
    row = load(session, who, case_id, lock=True)
    next_state(row.state, "edit")
    _check(text, _source_again(session, who, row))
    row.title, row.story, row.lessons = text.title, text.story, text.lessons
    row.topics, row.not_names = [t.value for t in text.topics], list(text.not_names)
    row.changed_at = now
    _audit(session, who, row, "edit", now)


def submit(session: Session, who: Who, case_id: int, now: dt.datetime) -> None:
    who.need(Permission.GUIDANCE_CASES, WRITERS_ONLY)
    row = load(session, who, case_id, lock=True)
    _check(_text_of(row), _source_again(session, who, row))
    row.state = next_state(row.state, "submit") or row.state
    row.submitted_at = row.changed_at = now
    _audit(session, who, row, "submit", now)


def publisher_only(who: Who) -> None:
    who.need(Permission.GUIDANCE_PUBLISH, PUBLISHERS_ONLY)
    try:
        check_bank_wide_settings(who.unit_level)
    except Forbidden:
        raise Forbidden(PUBLISHERS_ONLY, error_code="forbidden") from None


def approve(session: Session, who: Who, case_id: int, now: dt.datetime) -> None:
    """Head office publishes a submitted case, after the check runs once more."""
    publisher_only(who)
    row = load(session, who, case_id, lock=True)
    if row.author_id == who.staff_id:
        raise Forbidden("a case is approved by someone other than its author", "case")
    _check(_text_of(row), _source_again(session, who, row))
    row.state = next_state(row.state, "approve") or row.state
    row.decided_by_id, row.decided_at, row.changed_at = who.staff_id, now, now
    _audit(session, who, row, "approve", now)


def send_back(session: Session, who: Who, case_id: int, reason: str, now: dt.datetime) -> None:
    publisher_only(who)
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput("say what the author should change", "reason")
    if len(reason) > REASON_MAX:
        raise InvalidInput("the reason is longer than {max} characters", "reason", max=REASON_MAX)
    row = load(session, who, case_id, lock=True)
    row.state = next_state(row.state, "return") or row.state
    row.return_reason, row.decided_by_id, row.decided_at, row.changed_at = (
        reason, who.staff_id, now, now,
    )  # fmt: skip
    _audit(session, who, row, "return", now)


def _text_of(row: GuidanceCase) -> CaseText:
    return CaseText(row.title, row.story, row.lessons, tuple(Topic(t) for t in row.topics),
                    tuple(row.not_names))  # fmt: skip


def _audit(
    session: Session, who: Who, row: GuidanceCase, action: str, now: dt.datetime, **summary: object
) -> None:
    audit.record(
        session,
        who.actor,
        entity_type="guidance_case",
        entity_id=str(row.id),
        action=f"guidance.case.{action}",
        summary={"state": row.state, "not_names": list(row.not_names), **summary},
        unit_id=row.unit_id,
        unit_path=row.unit_path,
        now=now,
    )


def head_office(who: Who) -> bool:
    return who.unit_level == UnitLevel.HEAD_OFFICE.value

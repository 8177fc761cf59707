"""Prominent-issue categories in the database: read them, seed the demo set, and let head
office add and change them (checked by `domain.category_rules`, audited)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import Conflict, Forbidden, NotFound
from manyi.insight.domain.category_rules import CategoryForm, check
from manyi.insight.domain.issues import IssueCategory
from manyi.insight.tables import IssueCategoryRow
from manyi.org.model import Permission, check_bank_wide_settings

ENTITY = "issue_category"


def _category(row: IssueCategoryRow) -> IssueCategory:
    return IssueCategory(
        code=row.code,
        name_zh=row.name_zh,
        name_en=row.name_en,
        definition=row.definition,
        owner_department=row.owner_department,
        target_decline_pct=row.target_decline_pct,
        keywords=tuple(row.keywords or ()),
        examples=tuple(row.examples or ()),
        starts_on=row.starts_on,
        due_on=row.due_on,
        active=row.active,
        sort_order=row.sort_order,
    )


def categories(session: Session, *, active_only: bool = True) -> list[IssueCategory]:
    """The bank's prominent-issue categories in their order."""
    query = select(IssueCategoryRow).order_by(IssueCategoryRow.sort_order, IssueCategoryRow.code)
    if active_only:
        query = query.where(IssueCategoryRow.active.is_(True))
    return [_category(row) for row in session.scalars(query)]


def seed(session: Session, wanted: tuple[IssueCategory, ...]) -> int:
    """Adds the categories not there yet (by code); returns how many were added."""
    have = set(session.scalars(select(IssueCategoryRow.code)))
    added = 0
    for c in wanted:
        if c.code in have:
            continue
        session.add(
            IssueCategoryRow(
                code=c.code,
                name_zh=c.name_zh,
                name_en=c.name_en,
                definition=c.definition,
                keywords=list(c.keywords),
                examples=list(c.examples),
                owner_department=c.owner_department,
                target_decline_pct=c.target_decline_pct,
                starts_on=c.starts_on,
                due_on=c.due_on,
                active=c.active,
                sort_order=c.sort_order,
            )
        )
        added += 1
    session.flush()
    return added


def category(session: Session, code: str) -> IssueCategory:
    row = session.get(IssueCategoryRow, code)
    if row is None:
        raise NotFound("there is no prominent-issue category {code}", "code", code=code)
    return _category(row)


def _audit_fields(c: IssueCategory) -> dict[str, object]:
    return {
        "name_zh": c.name_zh,
        "name_en": c.name_en,
        "owner_department": c.owner_department,
        "target_decline_pct": c.target_decline_pct,
        "starts_on": c.starts_on.isoformat() if c.starts_on else None,
        "due_on": c.due_on.isoformat() if c.due_on else None,
        "active": c.active,
        "keywords": len(c.keywords),
        "examples": len(c.examples),
    }


def save(
    session: Session,
    actor: audit.Actor,
    unit_level: str,
    permissions: frozenset[Permission],
    form: CategoryForm,
    *,
    now: dt.datetime,
    code: str | None = None,
) -> str:
    """Add a category (`code` None) or change the one with `code` (its code stays). Head office
    only (the categories are bank-wide, like the complaint categories); checked, audited
    (entity "issue_category", with the fields that changed). Returns the code."""
    if Permission.COMPLAINTS_CONFIGURE not in permissions:
        raise Forbidden("you may not change the prominent-issue categories")
    check_bank_wide_settings(unit_level)
    if code is not None:
        form = replace(form, code=code)
    clean = check(form)
    row = session.get(IssueCategoryRow, clean.code)
    if code is None and row is not None:
        raise Conflict("there is already a category {code}", "code", code=clean.code)
    if code is not None and row is None:
        raise NotFound("there is no prominent-issue category {code}", "code", code=code)
    summary: dict[str, object]
    if row is None:
        row = IssueCategoryRow(code=clean.code)
        session.add(row)
        action = "create"
        summary = _audit_fields(clean)
    else:
        old = _audit_fields(_category(row))
        action = "update"
        summary = {k: v for k, v in _audit_fields(clean).items() if old.get(k) != v}
        if clean.definition != row.definition:
            summary["definition"] = "changed"
    row.name_zh = clean.name_zh
    row.name_en = clean.name_en
    row.definition = clean.definition
    row.keywords = list(clean.keywords)
    row.examples = list(clean.examples)
    row.owner_department = clean.owner_department
    row.target_decline_pct = clean.target_decline_pct
    row.starts_on = clean.starts_on
    row.due_on = clean.due_on
    row.active = clean.active
    row.sort_order = clean.sort_order
    row.updated_at = now
    row.updated_by_id = actor.id
    session.flush()
    audit.record(
        session,
        actor,
        entity_type=ENTITY,
        entity_id=clean.code,
        action=action,
        summary=summary,
        now=now,
    )
    return clean.code

"""Prominent-issue categories in the database: read them, and seed the demo set."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.insight.domain.issues import IssueCategory
from manyi.insight.tables import IssueCategoryRow


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

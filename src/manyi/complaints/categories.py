"""The classification axes as stored data: seeded from the taxonomy, extended by administrators."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from manyi.complaints.access import Caller, audit_setting
from manyi.complaints.domain.taxonomy import SEED, Axis
from manyi.complaints.tables import ComplaintCategory
from manyi.db import is_read_only
from manyi.errors import Conflict, InvalidInput

_CODE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)?$")


def _seed_rows() -> list[dict[str, object]]:
    return [
        {
            "axis": c.axis.value,
            "code": c.code,
            "parent_code": c.parent,
            "name_zh": c.name_zh,
            "name_en": c.name_en,
            "sort_order": i,
            "active": True,
        }
        for i, c in enumerate(SEED)
    ]


def ensure_seed(session: Session) -> bool:
    """Insert the seed categories that are missing; never touches edited or added rows.

    False when they are not stored and cannot be in this (read-only) unit of work: the caller
    then reads the seed from memory (`_unstored`).
    """
    if session.scalar(select(ComplaintCategory.id).limit(1)) is not None:
        return True
    if is_read_only(session):
        return False
    upsert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(upsert(ComplaintCategory).values(_seed_rows()).on_conflict_do_nothing())
    return True


def _unstored() -> list[ComplaintCategory]:
    return [ComplaintCategory(**row) for row in _seed_rows()]


def categories(
    session: Session, axis: Axis, *, active_only: bool = True
) -> list[ComplaintCategory]:
    if not ensure_seed(session):
        return [c for c in _unstored() if c.axis == axis.value]  # all seeds are active
    statement = select(ComplaintCategory).where(ComplaintCategory.axis == axis.value)
    if active_only:
        statement = statement.where(ComplaintCategory.active)
    return list(
        session.scalars(statement.order_by(ComplaintCategory.sort_order, ComplaintCategory.code))
    )


def names(session: Session, lang: str) -> dict[tuple[str, str], str]:
    """(axis, code) → display name, for lists and exports."""
    rows = session.scalars(select(ComplaintCategory)) if ensure_seed(session) else _unstored()
    return {
        (c.axis, c.code): (c.name_en if lang == "en" and c.name_en else c.name_zh) for c in rows
    }


def check_code(session: Session, axis: Axis, code: str, field: str) -> str | None:
    """An active code on `axis`, None for an empty choice, InvalidInput otherwise."""
    code = code.strip()
    if not code:
        return None
    if ensure_seed(session):
        found = session.scalar(
            select(ComplaintCategory).where(
                ComplaintCategory.axis == axis.value, ComplaintCategory.code == code
            )
        )
    else:
        found = next((c for c in _unstored() if (c.axis, c.code) == (axis.value, code)), None)
    if found is None or not found.active:
        raise InvalidInput("unknown category {code}", field, code=code)
    return code


def add_category(
    session: Session,
    caller: Caller,
    axis: Axis,
    code: str,
    name_zh: str,
    name_en: str,
    parent_code: str | None,
) -> ComplaintCategory:
    """A new category on an axis (a head-office administrator's extension of the taxonomy),
    audited. It takes effect at once: a new name changes no rule, so it needs no second person."""
    caller.need_bank_wide()
    ensure_seed(session)
    code = code.strip()
    if not _CODE.match(code):
        raise InvalidInput(
            "a code is lower-case letters, digits and _, children as parent.child", "code"
        )
    if not name_zh.strip():
        raise InvalidInput("this field is required", "name_zh")
    if parent_code:
        parent = check_code(session, axis, parent_code, "parent_code")
        if parent is None or not code.startswith(parent + ".") or parent.count("."):
            raise InvalidInput(
                "a child's code starts with its top-level parent's code and a dot", "code"
            )
    elif "." in code:
        raise InvalidInput(
            "a child's code starts with its top-level parent's code and a dot", "code"
        )
    exists = session.scalar(
        select(ComplaintCategory.id).where(
            ComplaintCategory.axis == axis.value, ComplaintCategory.code == code
        )
    )
    if exists is not None:
        raise Conflict("category {code} already exists", "code", code=code)
    row = ComplaintCategory(
        axis=axis.value,
        code=code,
        parent_code=parent_code or None,
        name_zh=name_zh.strip(),
        name_en=name_en.strip(),
        sort_order=10_000,
        active=True,
    )
    session.add(row)
    session.flush()
    audit_setting(
        session,
        caller,
        "complaint_category",
        f"{row.axis}:{row.code}",
        "complaint.category.add",
        name_zh=row.name_zh,
        parent=row.parent_code,
    )
    return row

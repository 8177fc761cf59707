"""Window-service standards: the current checklist, its versions, publishing a new one.

Head office alone publishes (`org.model.check_bank_wide_settings`): the checklist is the same
for every outlet. Each publication is a new version; visits keep the version they were planned
with. Until head office publishes one, the bank's default (`domain.standards.DEFAULT_ITEMS`) is
current, and it is stored as version 1 the first time a visit needs it (`ensure_standard`), so
a fresh database and the PostgreSQL test schema (emptied between tests) both start from it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import Conflict, Forbidden, NotFound
from manyi.org.model import check_bank_wide_settings
from manyi.org.tables import Staff, Unit
from manyi.supervision.domain.standards import DEFAULT_ITEMS, Item, check_items, items_from_json
from manyi.supervision.inspection_tables import ServiceStandard

MAX_NOTE = 500


@dataclass(frozen=True)
class Standard:
    id: int | None  # None: the built-in default, not stored yet
    version: int
    items: tuple[Item, ...]
    published_at: dt.datetime | None
    published_by: str
    note: str

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)


DEFAULT = Standard(None, 1, DEFAULT_ITEMS, None, "", "")


def _standard(row: ServiceStandard, by: str = "") -> Standard:
    return Standard(row.id, row.version, items_from_json(row.items), row.published_at, by, row.note)


def current_standard(session: Session) -> Standard:
    """The latest published version, or the built-in default before any is stored."""
    row = session.scalar(select(ServiceStandard).order_by(ServiceStandard.version.desc()).limit(1))
    return DEFAULT if row is None else _standard(row)


def standard_by_id(session: Session, standard_id: int) -> Standard:
    row = session.get(ServiceStandard, standard_id)
    if row is None:
        raise NotFound("there is no checklist version {id}", id=standard_id)
    return _standard(row)


def ensure_standard(session: Session, now: dt.datetime) -> ServiceStandard:
    """The stored current version; the default is stored as version 1 when none is."""
    row = session.scalar(select(ServiceStandard).order_by(ServiceStandard.version.desc()).limit(1))
    if row is not None:
        return row
    row = ServiceStandard(
        version=1,
        items=[i.to_json() for i in DEFAULT_ITEMS],
        note="默认窗口服务规范",
        published_at=now,
        published_by_id=None,
    )
    session.add(row)
    session.flush()
    return row


def publish_standard(
    session: Session,
    actor: audit.Actor,
    items: list[dict[str, object]],
    now: dt.datetime,
    note: str = "",
) -> int:
    """Publish the checked `items` as the next version (head office only); returns it."""
    unit = session.get(Unit, actor.unit_id) if actor.unit_id is not None else None
    if unit is None:
        raise Forbidden(
            "only head-office administrators change bank-wide settings",
            error_code="head_office_only",
        )
    check_bank_wide_settings(unit.level)
    checked = check_items(items)
    note = note.strip()[:MAX_NOTE]
    if checked == current_standard(session).items:
        raise Conflict("the checklist is unchanged: nothing to publish", "items")
    ensure_standard(session, now)  # the default stays version 1 of the history
    version = (session.scalar(select(func.max(ServiceStandard.version))) or 0) + 1
    row = ServiceStandard(
        version=version,
        items=[i.to_json() for i in checked],
        note=note,
        published_at=now,
        published_by_id=actor.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        entity_type="service_standard",
        entity_id=row.id,
        action="publish",
        summary={"version": version, "items": len(checked), "note": note},
        unit_id=unit.id,
        unit_path=unit.path,
        now=now,
    )
    return version


@dataclass(frozen=True)
class VersionLine:
    version: int
    items: int
    critical: int
    published_at: dt.datetime
    published_by: str
    note: str


def versions(session: Session) -> list[VersionLine]:
    """Every published version, newest first."""
    rows = session.execute(
        select(ServiceStandard, Staff.display_name)
        .outerjoin(Staff, Staff.id == ServiceStandard.published_by_id)
        .order_by(ServiceStandard.version.desc())
    ).all()
    return [
        VersionLine(
            row.version,
            len(row.items),
            sum(1 for i in row.items if i.get("critical")),
            row.published_at,
            name or "",
            row.note,
        )
        for row, name in rows
    ]

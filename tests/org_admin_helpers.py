"""The organisation administration tests' tools: the units CSV header, the counts of units, staff
and audit events, and the administrator's client with its CSRF token.
"""

from __future__ import annotations

from sqlalchemy import func, select

from manyi.audit.tables import AuditEvent
from manyi.db import Database
from manyi.org.tables import Staff, Unit
from tests.conftest import PASSWORD
from tests.web_helpers import csrf_of, make_client, sign_in

CSV_HEADER = "code,parent_code,level,name_zh,name_en,timezone,address,customers_served\n"


def counts(db: Database) -> tuple[int, int, int]:
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Unit)) or 0,
            session.scalar(select(func.count()).select_from(Staff)) or 0,
            session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )


def admin_client(db: Database) -> tuple[object, str]:
    client = make_client(db)
    sign_in(client, "admin", PASSWORD)
    return client, csrf_of(client, "/admin/units/new")

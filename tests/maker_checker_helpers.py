"""Bank-wide settings and their maker-checker in tests: head-office and branch administrators
signed in through the pages (the fixture `people`), the pending changes, the audit chain's
actions and a transaction type's schema."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from manyi.approvals.tables import PendingChange
from manyi.audit.tables import AuditEvent
from manyi.complaints import clock
from manyi.counter import catalogue_store
from manyi.db import Database
from manyi.org import staff as staff_service
from manyi.org.model import Role
from tests.conftest import PASSWORD, SYSTEM, Bank, add_staff
from tests.web_helpers import csrf_of, make_client, sign_in


class Person:
    """A signed-in staff member and the CSRF token their forms carry."""

    def __init__(self, db: Database, username: str) -> None:
        self.client: TestClient = make_client(db)
        sign_in(self.client, username, PASSWORD)
        self.token = csrf_of(self.client, "/account/password")

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def post(self, path: str, **data: Any) -> httpx.Response:
        return self.client.post(path, data={"csrf_token": self.token, **data})


@pytest.fixture(name="people")
def people_fixture(db: Database, bank: Bank) -> dict[str, Person]:
    add_staff(db, bank, "admin.hq2", "admin.br.a")
    with db.session() as session:
        catalogue_store.seed_catalogue(session)
        clock.ensure_policies(session)
        staff_service.create_staff(
            session,
            SYSTEM,
            username="expert.br.a",
            display_name="分行专家",
            unit_id=bank.unit("SUB-A"),
            roles=[Role.EXPERT],
            password=PASSWORD,
        )
    return {name: Person(db, name) for name in ("admin", "admin.hq2", "admin.br.a")}


def changes(db: Database) -> list[tuple[int, str, str]]:
    with db.session() as session:
        rows = session.scalars(select(PendingChange).order_by(PendingChange.id))
        return [(c.id, c.kind, c.state) for c in rows]


def actions(db: Database, prefix: str) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.startswith(prefix))
                .order_by(AuditEvent.seq)
            )
        )


def catalogue_schema(db: Database, code: str) -> dict[str, Any]:
    with db.session() as session:
        return copy.deepcopy(json.loads(json.dumps(catalogue_store.get_type(session, code).schema)))

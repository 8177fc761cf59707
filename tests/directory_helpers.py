"""What the directory sign-in tests share: a real slapd per module (tests/ldap_server.py), put
back after each test that changed it, and the settings, client and look-ups they use."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from manyi.audit.tables import AuditEvent
from manyi.db import Database
from manyi.org.tables import Staff
from tests import ldap_server
from tests.ldap_server import Directory
from tests.web_helpers import csrf_of, make_client


@pytest.fixture(scope="module", name="directory")
def directory_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    if not ldap_server.slapd_available():
        pytest.skip("slapd is not installed (make ldap-server)")
    running = ldap_server.start_directory(tmp_path_factory.mktemp("slapd") / "ldap")
    yield running
    running.stop()


@pytest.fixture(autouse=True, name="_directory_as_loaded")
def directory_as_loaded_fixture(directory: Directory) -> Iterator[None]:
    yield
    directory.reset()


def ldap_settings(directory: Directory, **more: object) -> dict[str, object]:
    return {
        "auth": "ldap",
        "ldap_url": directory.url,
        "ldap_bind_dn": ldap_server.SERVICE_DN,
        "ldap_bind_password": ldap_server.SERVICE_PASSWORD,
        "ldap_user_base": ldap_server.PEOPLE,
        "ldap_user_filter": ldap_server.USER_FILTER,
        "ldap_group_base": ldap_server.GROUPS,
        "ldap_role_map": ldap_server.ROLE_MAP,
        "ldap_timeout_s": 2,
        **more,
    }


def client_for(db: Database, directory: Directory, **more: object) -> TestClient:
    return make_client(db, **ldap_settings(directory, **more))


def post_sign_in(client: TestClient, username: str, password: str) -> tuple[int, str]:
    token = csrf_of(client)
    response = client.post(
        "/signin", data={"username": username, "password": password, "csrf_token": token}
    )
    return response.status_code, response.text


def account(db: Database, username: str) -> Staff | None:
    with db.read() as session:
        staff = session.scalar(select(Staff).where(Staff.username == username))
        if staff is not None:
            _ = staff.roles, staff.unit.code  # loaded before the session ends
        return staff


def staff_count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Staff)) or 0)


def audit_rows(db: Database) -> list[tuple[str, dict[str, object]]]:
    with db.read() as session:
        rows = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()
        return [(row.action, json.loads(row.summary or "{}")) for row in rows]

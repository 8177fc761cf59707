"""Every request body has a cap, enforced before anything parses it (issue 16 #3).

Before, 42 MB posted anonymously to /signin was parsed whole. Now any request that may carry a
body is refused with 413 past 1 MB (the upload routes have their own, larger caps), whether it
declares its length or sends it in chunks, and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from manyi.audit.tables import AuditEvent
from manyi.db import Database
from manyi.web.body_limit import DEFAULT_MAX_BYTES
from tests.conftest import PASSWORD, Bank
from tests.web_helpers import csrf_of, make_client, sign_in

pytestmark = pytest.mark.usefixtures("frozen_clock")


def events(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def pieces(body: bytes) -> Iterator[bytes]:
    for i in range(0, len(body), 256 * 1024):
        yield body[i : i + 256 * 1024]


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_an_anonymous_flood_of_the_sign_in_form_is_refused_unread(
    db: Database, bank: Bank, declared: bool
) -> None:
    client = make_client(db)
    token = csrf_of(client)
    before = events(db)
    body = f"csrf_token={token}&username=admin&password=".encode() + b"x" * (42 * 1024 * 1024)
    headers = {"content-type": "application/x-www-form-urlencoded"}
    content = body if declared else pieces(body)
    response = client.post("/signin", content=content, headers=headers)
    assert response.status_code == 413 and "请求过大：最多 1 MB" in response.text
    assert events(db) == before  # no sign-in was even tried


def test_an_oversized_json_body_is_refused_with_json(db: Database, bank: Bank) -> None:
    client = make_client(db)
    sign_in(client, "admin", PASSWORD)
    big = b'{"code": "' + b"X" * (DEFAULT_MAX_BYTES + 1) + b'"}'
    response = client.post(
        "/api/v1/units",
        content=big,
        headers={"content-type": "application/json", "x-csrf-token": csrf_of(client, "/")},
    )
    assert response.status_code == 413 and response.json()["error"] == "too_large"


def test_within_the_cap_a_request_goes_on(db: Database, bank: Bank) -> None:
    client = make_client(db)
    token = csrf_of(client)
    # A wrong password with a long (but not too long) value: refused for what it is.
    response = client.post(
        "/signin",
        data={"username": "admin", "password": "x" * 500_000, "csrf_token": token},
    )
    assert response.status_code == 401


def test_the_unit_import_has_its_own_cap(db: Database, bank: Bank) -> None:
    client = make_client(db)
    sign_in(client, "admin", PASSWORD)
    token = csrf_of(client, "/admin/units/import")
    big = ("code,parent_code\n" + "X,Y\n" * 1_000_000).encode()  # 4 MB
    response = client.post(
        "/admin/units/import",
        data={"csrf_token": token},
        files={"file": ("units.csv", big, "text/csv")},
    )
    assert response.status_code == 413 and "2 MB" in response.text

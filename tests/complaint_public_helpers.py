"""The public complaint pages' tests over HTTP: an anonymous client (the `client` fixture), the
form filled and filed, a case looked up by reference and code, and a reply decided by its handler.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from manyi.complaints import handling, resolution
from manyi.complaints.tables import Complaint
from manyi.db import Database
from tests.complaint_bank import ComplaintBank
from tests.conftest import FIXED_NOW
from tests.web_helpers import CSRF_RE, make_client

PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%%EOF\n"
NOT_FOUND = "没有找到这件投诉"


@pytest.fixture
def client(db: Database, tmp_path: Path) -> TestClient:
    return make_client(db, var_dir=tmp_path / "var")


def csrf(client: TestClient, path: str = "/complaint") -> str:
    match = CSRF_RE.search(client.get(path).text)
    assert match
    return match.group(1)


def fields(cb: ComplaintBank, **overrides: str) -> dict[str, str]:
    values = {
        "subject": "排队一个多小时无人解释",
        "description": "3月10日上午在网点等候，叫号机坏了，没有工作人员说明情况。",
        "ask": "希望改进叫号安排并道歉。",
        "outlet": str(cb.unit("OUT-A")),
        "name": "王五",
        "phone": PHONE,
        "id_number": "",
        "consent": "yes",
        "website": "",
    }
    values.update(overrides)
    return values


def submit(
    client: TestClient,
    cb: ComplaintBank,
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    **overrides: str,
) -> Any:
    data = {**fields(cb, **overrides), "csrf_token": csrf(client)}
    return client.post("/complaint", data=data, files=files or None)


def text_of(html: str, marker: str) -> str:
    """The text inside the element carrying `marker`, without tags or spaces."""
    match = re.search(marker + r"[^>]*>(.*?)</div>", html, re.S)
    assert match, marker
    return re.sub(r"<[^>]+>|\s", "", match.group(1))


def file_complaint(client: TestClient, cb: ComplaintBank, **overrides: str) -> tuple[str, str]:
    response = submit(client, cb, **overrides)
    assert response.status_code == 303 and response.headers["location"] == "/complaint/done"
    page = client.get("/complaint/done")
    assert page.status_code == 200
    return text_of(page.text, "data-reference"), text_of(page.text, "data-code")


def stored(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Complaint)) or 0


def complaint(db: Database, reference: str) -> Complaint:
    with db.session() as session:
        found = session.scalar(select(Complaint).where(Complaint.reference == reference))
        assert found is not None
        session.expunge(found)
        return found


def look_up(client: TestClient, reference: str, code: str) -> Any:
    token = csrf(client, "/complaint/status")
    return client.post(
        "/complaint/status", data={"reference": reference, "code": code, "csrf_token": token}
    )


def handler_caller(db: Database, cb: ComplaintBank, reference: str) -> Any:
    handler_id = complaint(db, reference).handler_id
    persona = next(name for name, staff_id in cb.staff.items() if staff_id == handler_id)
    return cb.caller(db, persona)


def decide(db: Database, cb: ComplaintBank, reference: str, reply: str) -> None:
    caller = handler_caller(db, cb, reference)
    case_id = complaint(db, reference).id
    with db.session() as session:
        handling.start(session, caller, case_id, FIXED_NOW)
        resolution.decide(
            session,
            caller,
            case_id,
            FIXED_NOW,
            decision=reply,
            reply_channel="online",
            verdict="upheld",
            root_cause_kind="process",
        )

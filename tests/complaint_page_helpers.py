"""The complaint staff pages' tests over HTTP: a signed-in persona (`Staff`, the `as_` fixture),
complaints registered directly, and the workbench's spreadsheets read back.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from manyi.complaints import intake
from manyi.complaints.tables import Complaint
from manyi.db import Database
from tests.complaint_bank import ComplaintBank
from tests.conftest import FIXED_NOW, PASSWORD
from tests.web_helpers import csrf_of, make_client, sign_in

PHONE = "13812345678"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class Staff:
    """A signed-in persona: a test client and the CSRF token its forms carry."""

    def __init__(self, db: Database, persona: str, var_dir: Path) -> None:
        self.client: TestClient = make_client(db, var_dir=var_dir)
        sign_in(self.client, persona.replace("_", "."), PASSWORD)
        self.token = csrf_of(self.client, "/account/password")

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.client.get(path, params=params or None)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})}, **kwargs)


SignIn = Callable[[str], Staff]


@pytest.fixture
def as_(db: Database, cb: ComplaintBank, tmp_path: Path) -> SignIn:
    def sign(persona: str) -> Staff:
        return Staff(db, persona, tmp_path / "var")

    return sign


def register(
    db: Database, cb: ComplaintBank, unit: str = "OUT-A", persona: str = "hotline", **fields: object
) -> Complaint:
    """A complaint phoned in (`ComplaintBank.hotline_form`, at `unit`), registered at FIXED_NOW."""
    form = cb.hotline_form(responsible_unit_id=cb.unit(unit), **fields)
    with db.session() as session:
        done = intake.register(session, cb.caller(db, persona), form, FIXED_NOW)
        session.flush()
        session.expunge(done.complaint)
        return done.complaint


def stored(db: Database, complaint_id: int) -> Complaint:
    with db.session() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None
        session.expunge(complaint)
        return complaint


def handler_of(cb: ComplaintBank, complaint: Complaint) -> str:
    return next(name for name, sid in cb.staff.items() if sid == complaint.handler_id)


def complaint_count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Complaint)) or 0


def sheet_rows(content: bytes) -> list[list[object]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)]  # type: ignore[union-attr]


def sheet_text(content: bytes) -> str:
    return "\n".join(" ".join(str(v) for v in row if v is not None) for row in sheet_rows(content))

"""Inputs that answered 500 (issue 16 #5) now get a clear refusal and store nothing.

`²` passes `str.isdigit()` and `int()` refuses it; far dates overflow a day's bounds; an id past
the database's integer range cannot be bound by the driver; a naive time cannot be stored; a
format spec could pad an announcement to megabytes.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from manyi.complaints.tables import Complaint
from manyi.db import Database
from manyi.errors import InvalidInput
from manyi.lobby.domain.voices import check_announcement
from manyi.parsing import ascii_int
from tests.complaint_bank import ComplaintBank, build_complaint_bank
from tests.conftest import Bank, add_staff
from tests.lobby_helpers import configure
from tests.web_helpers import CSRF_RE, make_client, staff_client

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def cb(db: Database, bank: Bank) -> ComplaintBank:
    return build_complaint_bank(db, bank)


def complaints(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Complaint)) or 0


def test_ascii_int_reads_only_ascii_digits_in_range() -> None:
    assert ascii_int(" 42 ") == 42
    for bad in ("²", "٣", "1e3", "-1", "", " ", "99999999999999999999", "2147483648", None):
        assert ascii_int(bad) is None, bad
    assert ascii_int("0", 1) is None and ascii_int("1000", 1, 999) is None


def test_a_superscript_outlet_on_the_public_form_is_refused(
    db: Database, cb: ComplaintBank
) -> None:
    client = make_client(db)
    match = CSRF_RE.search(client.get("/complaint").text)
    assert match
    form = {
        "subject": "排队太久",
        "description": "等了一个小时。",
        "outlet": "²",
        "name": "王五",
        "phone": "13812345678",
        "consent": "yes",
        "csrf_token": match.group(1),
    }
    response = client.post("/complaint", data=form)
    assert response.status_code == 422 and 'data-problem="outlet"' in response.text
    assert complaints(db) == 0


def test_a_superscript_counter_when_pairing_is_refused(db: Database, bank: Bank) -> None:
    from manyi.org import device_tokens
    from tests.conftest import SYSTEM

    with db.session() as session:
        _, secret = device_tokens.issue_token(
            session,
            SYSTEM,
            outlet_id=bank.unit("OUT-A"),
            kind="rating_pad",
            counter=1,
            name="pad",
            valid_days=1,
        )
    client = make_client(db)
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/device/pair").text)
    assert match
    for counter in ("²", "99999999999999999999", "0"):
        response = client.post(
            "/device/pair", data={"token": secret, "counter": counter, "csrf_token": match[1]}
        )
        assert response.status_code == 400 and "评价器需要填写所在窗口号" in response.text


def test_far_filter_dates_are_ignored_not_a_server_error(db: Database, cb: ComplaintBank) -> None:
    client = staff_client(db, "manager_br_a")
    for query in ("received_to=9999-12-31", "received_from=0001-01-01"):
        response = client.get(f"/complaints?{query}")
        assert response.status_code == 200, query


def test_ids_past_the_database_range_are_not_found(db: Database, cb: ComplaintBank) -> None:
    client = staff_client(db, "manager_br_a")
    for path in (
        "/complaints/9223372036854775808",
        "/complaints/2147483648",
        "/api/v1/units/99999999999999999999",
        "/api/v1/units/-2147483649",  # found by tests/integration/test_api_fuzz.py on PostgreSQL
    ):
        response = client.get(path)
        assert response.status_code == 404, path
    assert client.get("/api/v1/units/99999999999999999999").json()["error"] == "not_found"


def test_a_naive_booked_time_is_refused(db: Database, bank: Bank) -> None:
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    add_staff(db, bank, "lobby.a")
    manager = staff_client(db, "lobby.a")
    response = manager.post(
        "/api/v1/lobby/outlets/OUT-A/tickets",
        json={"service": "A", "class": "appointment", "due_at": "2026-03-02T10:00:00"},
    )
    assert response.status_code == 422 and "due_at" in response.text


def test_an_announcement_padded_to_megabytes_is_refused() -> None:
    with pytest.raises(InvalidInput):
        check_announcement("请{number:>3000000}号到{counter}号窗口", "announcement")
    check_announcement("请{number}号到{counter:>3}号窗口", "announcement")  # a little is fine

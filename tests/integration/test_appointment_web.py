"""The appointment pages, the JSON API, the kiosk's check-in and the staff views, over HTTP."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from sqlalchemy import func, select

from manyi.audit.tables import AuditEvent
from manyi.db import Database
from manyi.reach import appointment_rules
from manyi.reach.appointment_tables import Appointment, AppointmentCode
from tests.appointment_helpers import (
    OTHER_PHONE,
    PHONE,
    TOMORROW_10,
    FixedCapacity,
    book,
    configure,
    plugged,
)
from tests.conftest import FIXED_NOW, Bank, add_staff
from tests.web_helpers import csrf_of, device_client, make_client, signed_in_client, staff_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
TODAY_1130 = FIXED_NOW + dt.timedelta(minutes=90)


@pytest.fixture
def outlet(db: Database, bank: Bank) -> int:
    configure(db, bank.unit("OUT-A"))
    return bank.unit("OUT-A")


def _count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Appointment)) or 0)


def test_booking_through_the_phone_pages(db: Database, outlet: int) -> None:
    client = make_client(db)
    assert "甲网点" in client.get("/appointments").text
    services = client.get("/appointments/OUT-A").text
    assert 'data-service="A"' in services and 'data-service="X"' not in services  # X: no counter
    slots = client.get("/appointments/OUT-A/A?day=2026-12-01")
    assert slots.status_code == 200 and "10:00–10:30" in slots.text
    start = TOMORROW_10.isoformat()
    form = client.get("/appointments/OUT-A/A/book", params={"start": start})
    assert "2026-12-01 10:00" in form.text
    token = csrf_of(client, "/appointments/OUT-A/A/book?start=" + start.replace("+", "%2B"))
    with plugged() as notices:
        bad = client.post(
            "/appointments/OUT-A/A/code", data={"csrf_token": token, "start": start, "phone": "123"}
        )
        assert bad.status_code == 422 and "11" in bad.text
        sent = client.post(
            "/appointments/OUT-A/A/code", data={"csrf_token": token, "start": start, "phone": PHONE}
        )
        assert sent.status_code == 200 and "138****5678" in sent.text
        code = notices.last_code(PHONE)
        assert code is not None
        wrong = client.post(
            "/appointments/OUT-A/A/book",
            data={
                "csrf_token": token,
                "start": start,
                "phone": PHONE,
                "code": "999999" if code != "999999" else "111111",
            },
        )
        assert wrong.status_code == 422 and 'data-testid="error"' in wrong.text
        assert _count(db) == 0
        done = client.post(
            "/appointments/OUT-A/A/book",
            data={"csrf_token": token, "start": start, "phone": PHONE, "code": code},
        )
    assert done.status_code == 303
    link = done.headers["location"]
    page = client.get(link)
    assert page.status_code == 200 and "12月1日" in page.text and "10:00–10:30" in page.text
    assert re.search(r'data-testid="checkin-code">\d{6}<', page.text)
    assert PHONE not in page.text and "138****5678" in page.text
    qr = client.get(link.split("?")[0] + "/qr.svg")
    assert qr.headers["content-type"].startswith("image/svg")
    cancelled = client.post(link.split("?")[0] + "/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 303
    assert "已取消" in client.get(link.split("?")[0]).text


def test_the_json_api_books_changes_and_checks_in(db: Database, outlet: int) -> None:
    client = make_client(db)
    day = client.get(
        "/api/v1/appointments/outlets/OUT-A/services/A/slots", params={"day": "2026-12-01"}
    )
    assert day.status_code == 200
    body = day.json()
    assert body["workday"] and body["slots"][2]["start"].startswith("2026-12-01T02:00")
    client.headers["x-csrf-token"] = body["csrf_token"]
    saturday = client.get(
        "/api/v1/appointments/outlets/OUT-A/services/A/slots", params={"day": "2026-12-05"}
    )
    assert saturday.json()["workday"] is False and saturday.json()["slots"] == []
    with plugged() as notices:
        assert client.post("/api/v1/appointments/codes", json={"phone": PHONE}).status_code == 202
        code = notices.last_code(PHONE)
        refused = client.post(
            "/api/v1/appointments",
            json={
                "outlet": "OUT-A",
                "service": "X",
                "start": TOMORROW_10.isoformat(),
                "phone": PHONE,
                "code": code,
            },
        )
        assert refused.status_code == 409 and refused.json()["error"] == "not_served"
        assert _count(db) == 0
        booked = client.post(
            "/api/v1/appointments",
            json={
                "outlet": "OUT-A",
                "service": "A",
                "start": TODAY_1130.isoformat(),
                "phone": PHONE,
                "code": code,
            },
        )
    assert booked.status_code == 201, booked.text
    token = booked.json()["token"]
    assert booked.json()["phone"] == "138****5678" and booked.json()["state"] == "booked"
    moved = client.post(
        f"/api/v1/appointments/{token}/change",
        json={"start": (TODAY_1130 + dt.timedelta(minutes=30)).isoformat()},
    )
    assert moved.status_code == 200 and moved.json()["start"].startswith("2026-11-30T04:00")
    early = client.post(f"/api/v1/appointments/{token}/check-in")
    assert early.status_code == 409 and early.json()["error"] == "too_early"
    assert client.get("/api/v1/appointments/not-a-token").status_code == 404
    schema = client.get("/openapi.json").json()
    assert "/api/v1/appointments/{token}/check-in" in schema["paths"]


def test_the_kiosk_checks_in_by_code(
    db: Database, outlet: int, bank: Bank, time_machine: time_machine.TimeMachineFixture
) -> None:
    client = make_client(db)
    client.headers["x-csrf-token"] = client.get(
        "/api/v1/appointments/outlets/OUT-A/services/A/slots"
    ).json()["csrf_token"]
    with plugged() as notices:
        client.post("/api/v1/appointments/codes", json={"phone": PHONE})
        booked = client.post(
            "/api/v1/appointments",
            json={
                "outlet": "OUT-A",
                "service": "A",
                "start": (FIXED_NOW + dt.timedelta(hours=1)).isoformat(),
                "phone": PHONE,
                "code": notices.last_code(PHONE),
            },
        ).json()
    time_machine.shift(dt.timedelta(minutes=40))  # 10:40: check-in opens at 10:30
    kiosk = device_client(db, outlet, "kiosk")
    wrong = kiosk.post("/device/api/v1/lobby/appointments/check-in", json={"code": "000000"})
    assert wrong.status_code == 404 and "000000" in wrong.json()["message"]
    page = kiosk.get("/device/kiosk")
    assert 'data-testid="kiosk-appointment"' in page.text
    done = kiosk.post(
        "/device/api/v1/lobby/appointments/check-in",
        json={"code": f"MANYI-APPT:{booked['checkin_code']}"},
    )
    assert done.status_code == 201, done.text
    assert done.json()["number"].startswith("A") and done.json()["late"] is False
    board = device_client(db, outlet, "display")
    assert (
        board.post("/device/api/v1/lobby/appointments/check-in", json={"code": "1"}).status_code
        == 403
    )
    # Staff see it: the day's list and the dashboard's card.
    add_staff(db, bank, "lobby.a")
    staff = signed_in_client(db, "lobby.a")
    listing = staff.get("/lobby/appointments?outlet=OUT-A")
    assert listing.status_code == 200 and "138****5678" in listing.text and "已签到" in listing.text
    dashboard = staff.get("/lobby/dashboard?outlet=OUT-A")
    assert 'data-testid="appointments-card"' in dashboard.text
    assert re.search(r'data-testid="appt-in">1<', dashboard.text)
    outsider = signed_in_client(db, "teller_b")
    assert outsider.get("/lobby/appointments?outlet=OUT-A").status_code == 404


def test_a_slot_says_why_it_cannot_be_booked(db: Database, outlet: int) -> None:
    # Monday 10:00: 09:00 and 09:30 have passed, 10:00 and 10:30 are inside the hour's lead.
    client = make_client(db)
    with plugged(FixedCapacity(servable=2.0, walk_ins=2.0)):  # the plan leaves no place
        slots = client.get(
            "/api/v1/appointments/outlets/OUT-A/services/A/slots", params={"day": "2026-11-30"}
        ).json()["slots"]
        states = [(s["start"][11:16], s["state"], s["free"]) for s in slots[:6]]
        assert states == [
            ("01:00", "past", 0),
            ("01:30", "past", 0),
            ("02:00", "too_soon", 0),
            ("02:30", "too_soon", 0),
            ("03:00", "full", 0),
            ("03:30", "full", 0),
        ]
        page = client.get("/appointments/OUT-A/A", params={"day": "2026-11-30"}).text
    assert page.count('data-state="past"') == 2 and page.count("已过") == 2
    assert page.count('data-state="too_soon"') == 2 and "需提前 60 分钟" in page
    assert page.count('data-state="full"') == 12 and "已约满" in page
    free = client.get(
        "/api/v1/appointments/outlets/OUT-A/services/A/slots", params={"day": "2026-12-01"}
    ).json()["slots"]
    assert {s["state"] for s in free} == {"free"} and all(s["free"] > 0 for s in free)
    client.get("/lang/en")
    english = client.get("/appointments/OUT-A/A?day=2026-11-30").text
    assert "Passed" in english and "Book 60 min ahead" in english
    far = client.get(
        "/api/v1/appointments/outlets/OUT-A/services/A/slots", params={"day": "2026-12-31"}
    ).json()["slots"]
    assert {s["state"] for s in far} == {"too_far"}


def test_the_outlet_head_sets_the_rules(db: Database, outlet: int) -> None:
    head = staff_client(db, "head_a")
    changed = head.put(
        "/api/v1/appointments/rules/OUT-A", json={"walk_in_share": 0.3, "book_until": "16:00"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["walk_in_share"] == 0.3 and changed.json()["book_until"] == "16:00"
    refused = head.put("/api/v1/appointments/rules/OUT-A", json={"walk_in_share": 1.5})
    assert refused.status_code == 422 and refused.json()["field"] == "walk_in_share"
    assert head.get("/api/v1/appointments/rules/OUT-A").json()["walk_in_share"] == 0.3
    other = staff_client(db, "head_b")
    assert other.put("/api/v1/appointments/rules/OUT-A", json={}).status_code == 404


RULES_PAGE = "/lobby/appointments/rules?outlet=OUT-A"
RULES_FORM = {
    "walk_in_share": "50",
    "horizon_days": "14",
    "lead_minutes": "60",
    "early_minutes": "30",
    "late_grace_minutes": "15",
    "no_show_limit": "3",
    "no_show_window_days": "90",
    "block_days": "30",
    "book_from": "09:00",
    "book_until": "17:00",
}


def _rules_saved(db: Database) -> int:
    with db.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "appointment.rules_saved")
            )
            or 0
        )


def test_the_rules_page_saves_what_is_right_and_keeps_what_is_wrong(
    db: Database, outlet: int
) -> None:
    head = signed_in_client(db, "head_a")
    listed = head.get("/lobby/appointments?outlet=OUT-A").text
    assert 'href="/lobby/appointments/rules?outlet=OUT-A"' in listed
    page = head.get(RULES_PAGE)
    assert page.status_code == 200 and "为现场客户保留" in page.text
    assert (
        'name="walk_in_share" value="50"' in page.text and 'data-testid="save-rules"' in page.text
    )
    token = csrf_of(head, RULES_PAGE)
    saved = head.post(RULES_PAGE, data={**RULES_FORM, "walk_in_share": "30", "csrf_token": token})
    assert saved.status_code == 303 and saved.headers["location"].endswith("&saved=1")
    with db.session() as session:
        assert appointment_rules.rules_for(session, outlet).walk_in_share == pytest.approx(0.3)
    assert _rules_saved(db) == 1
    assert 'name="walk_in_share" value="30"' in head.get(RULES_PAGE + "&saved=1").text
    # A word where a number goes, or a number out of range: shown next to its field, what was
    # typed kept, nothing saved.
    for field, typed, error in (
        ("walk_in_share", "half", "请填写数字"),
        ("walk_in_share", "100", "留给现场客户的比例须不小于 0 % 且小于 100 %"),
        ("horizon_days", "0", "可提前预约天数 须为 1 至 90 之间的整数"),
        ("lead_minutes", "1.5", "请填写整数"),
        ("checkin_radius_m", "6000", "链接签到距离 须为 0 至 5000 之间的整数"),
        ("book_until", "8:00", "预约结束时间须晚于开始时间"),
        ("book_from", "9h", "时间格式为 HH:MM"),
    ):
        refused = head.post(RULES_PAGE, data={**RULES_FORM, field: typed, "csrf_token": token})
        assert refused.status_code == 422, (field, typed)
        shown = re.search(rf'data-testid="error-{field}">([^<]*)<', refused.text)
        assert shown is not None and shown.group(1) == error, (field, typed, refused.text[-3000:])
        assert f'name="{field}" value="{typed}"' in refused.text
    # Every wrong field at once; hours valid together are not refused one by one.
    refused = head.post(
        RULES_PAGE,
        data={**RULES_FORM, "walk_in_share": "x", "horizon_days": "91", "csrf_token": token},
    )
    assert 'data-testid="error-walk_in_share"' in refused.text
    assert 'data-testid="error-horizon_days"' in refused.text
    with db.session() as session:
        assert appointment_rules.rules_for(session, outlet).walk_in_share == pytest.approx(0.3)
    assert _rules_saved(db) == 1
    early = head.post(
        RULES_PAGE,
        data={**RULES_FORM, "book_from": "7:00", "book_until": "08:30", "csrf_token": token},
    )
    assert early.status_code == 303
    with db.session() as session:
        hours = appointment_rules.rules_for(session, outlet)
        assert (hours.book_from, hours.book_until) == (dt.time(7), dt.time(8, 30))


def test_the_rules_page_is_read_only_for_a_teller_and_hidden_from_another_outlet(
    db: Database, outlet: int
) -> None:
    teller = signed_in_client(db, "teller_a")
    page = teller.get(RULES_PAGE).text
    assert (
        "只有网点负责人或管理员可以修改这些规则。" in page
        and 'data-testid="save-rules"' not in page
    )
    token = csrf_of(teller, RULES_PAGE)
    refused = teller.post(RULES_PAGE, data={**RULES_FORM, "csrf_token": token})
    assert refused.status_code == 403
    other = signed_in_client(db, "head_b")
    assert other.get(RULES_PAGE).status_code == 404
    assert (
        other.post(
            RULES_PAGE, data={"csrf_token": csrf_of(other, "/lobby/appointments/rules")}
        ).status_code
        == 404
    )
    assert _rules_saved(db) == 0


def test_a_full_slot_on_the_pages_stores_nothing_and_spends_no_code(
    db: Database, outlet: int
) -> None:
    client = make_client(db)
    start = TOMORROW_10.isoformat()
    token = csrf_of(client, "/appointments/OUT-A/A/book?start=" + start.replace("+", "%2B"))
    with plugged(FixedCapacity(servable=2.0)) as notices:  # one place
        book(db, notices, FIXED_NOW, phone=OTHER_PHONE)
        client.post(
            "/appointments/OUT-A/A/code", data={"csrf_token": token, "start": start, "phone": PHONE}
        )
        full = client.post(
            "/appointments/OUT-A/A/book",
            data={
                "csrf_token": token,
                "start": start,
                "phone": PHONE,
                "code": notices.last_code(PHONE),
            },
        )
    assert full.status_code == 409 and "该时段已约满" in full.text
    assert _count(db) == 1
    with db.session() as session:
        unused = session.scalars(
            select(AppointmentCode).where(AppointmentCode.used_at.is_(None))
        ).all()
        assert len(unused) == 1  # PHONE's code may still book another time


def test_check_in_by_the_link_near_the_time(
    db: Database, outlet: int, time_machine: time_machine.TimeMachineFixture
) -> None:
    with plugged() as notices:
        booked = book(db, notices, FIXED_NOW, TODAY_1130)
    client = make_client(db)
    link = f"/a/{booked.token}"
    assert 'data-testid="check-in"' not in client.get(link).text  # 10:00: not yet
    time_machine.shift(dt.timedelta(minutes=70))  # 11:10
    page = client.get(link)
    assert 'data-testid="check-in"' in page.text
    token = csrf_of(client, link)
    done = client.post(link + "/check-in", data={"csrf_token": token})
    assert done.status_code == 303
    after = client.get(link).text
    assert re.search(r'data-testid="ticket-number">A\d{3}<', after) and "已签到" in after
    again = client.post(link + "/check-in", data={"csrf_token": token})
    assert again.status_code == 409 and "已签到：您的号码是" in again.text

"""Looking up a complaint through the public pages over HTTP, and the complainant's view: wrong
pairs get one neutral answer, look-ups are limited without locking the complainant out, the
status page shows public entries only, and the reply is accepted or disputed.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from manyi.complaints import handling
from manyi.complaints.tables import ComplaintEvent
from manyi.db import Database
from manyi.notify.tables import NotifyMessage
from manyi.org.tables import Staff
from tests.complaint_bank import ComplaintBank, cb
from tests.complaint_public_helpers import (
    NOT_FOUND,
    PHONE,
    client,
    complaint,
    csrf,
    decide,
    file_complaint,
    handler_caller,
    look_up,
    text_of,
)
from tests.conftest import FIXED_NOW
from tests.web_helpers import make_client

__all__ = ["cb", "client"]  # fixtures

# The pages read the clock themselves; tests and pages share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


# --- looking up -------------------------------------------------------------------------


def test_a_wrong_pair_gets_the_same_neutral_answer(
    db: Database, client: TestClient, cb: ComplaintBank
) -> None:
    reference, code = file_complaint(client, cb)
    stranger = make_client(db)
    answers = [
        look_up(stranger, reference, "ABCDEFGH"),
        look_up(stranger, "TS20990101" + "0000001", code),
        look_up(stranger, "", ""),
        look_up(stranger, reference, ""),
    ]
    for answer in answers:
        assert answer.status_code == 404 and NOT_FOUND in answer.text
    bodies = {re.sub(r'value="[^"]*"', "", a.text) for a in answers}
    assert len(bodies) == 1  # nothing tells which half was wrong
    assert stranger.get(f"/complaint/status/{reference}").headers["location"] == (
        "/complaint/status"
    )
    # Spaces, hyphens and lower case are forgiven.
    spaced = f"{reference[:10]} {reference[10:]}".lower()
    found = look_up(stranger, spaced, f"{code[:4]}-{code[4:]}".lower())
    assert found.status_code == 303 and found.headers["location"] == (
        f"/complaint/status/{reference}"
    )
    assert stranger.get(found.headers["location"]).status_code == 200


def test_look_ups_are_limited_per_reference_and_per_client(
    db: Database, client: TestClient, cb: ComplaintBank
) -> None:
    reference, code = file_complaint(client, cb)
    guesser = make_client(db)
    for _ in range(10):
        assert look_up(guesser, reference, "WRONG234").status_code == 404
    blocked = look_up(guesser, reference, code)  # even the right code, once over the limit
    assert blocked.status_code == 429 and "请一小时后再试" in blocked.text
    for i in range(9):  # other references: the client's own limit is 20 an hour
        assert look_up(guesser, f"TS2026010100000{i:02d}", "WRONG234").status_code == 404
    assert look_up(guesser, "TS202601010000099", "WRONG234").status_code == 429


def test_others_guesses_do_not_lock_the_complainant_out(
    db: Database, client: TestClient, cb: ComplaintBank
) -> None:
    """Issue 16 #6: only failed look-ups count against a reference, and per address first."""
    reference, code = file_complaint(client, cb)
    for n in range(3):  # strangers at three addresses guess until each is stopped
        guesser = make_client(db, address=f"203.0.113.{n}")
        for _ in range(10):
            assert look_up(guesser, reference, "WRONG234").status_code == 404
        assert look_up(guesser, reference, "WRONG234").status_code == 429
    owner = make_client(db, address="198.51.100.7")
    found = look_up(owner, reference, code)
    assert found.status_code == 303 and found.headers["location"].endswith(reference)


def test_the_status_page_needs_the_session(
    db: Database, client: TestClient, cb: ComplaintBank
) -> None:
    reference, _ = file_complaint(client, cb)
    decide(db, cb, reference, "已核实，向您致歉。")
    stranger = make_client(db)
    for path in (f"/complaint/status/{reference}", f"/complaint/status/{reference}?step=accept"):
        response = stranger.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/complaint/status"
    token = csrf(stranger, "/complaint/status")
    refused = stranger.post(f"/complaint/status/{reference}/accept", data={"csrf_token": token})
    assert refused.headers["location"] == "/complaint/status"
    assert complaint(db, reference).state == "decided"
    # Leaving forgets the case on this device.
    token = csrf(client, "/complaint/status")
    client.post("/complaint/status-exit", data={"csrf_token": token})
    assert client.get(f"/complaint/status/{reference}").status_code == 303


# --- the complainant's view -------------------------------------------------------------


def test_the_status_page_shows_public_entries_only(
    db: Database, client: TestClient, cb: ComplaintBank
) -> None:
    reference, _ = file_complaint(client, cb)
    case = complaint(db, reference)
    caller = handler_caller(db, cb, reference)
    with db.session() as session:
        handling.add_note(session, caller, case.id, FIXED_NOW, text="内部：客户情绪激动，注意措辞")
        handling.add_note(
            session, caller, case.id, FIXED_NOW, text="已调取监控，正在核实。", public=True
        )
    page = client.get(f"/complaint/status/{reference}")
    assert page.status_code == 200
    assert "已受理" in page.text and "我们已收到您的投诉" in page.text
    assert "已调取监控，正在核实。" in page.text and "工作人员留言" in page.text
    assert "内部" not in page.text and "客户情绪激动" not in page.text
    with db.session() as session:
        handler = session.get(Staff, case.handler_id)
        assert handler is not None
        names = {handler.display_name, handler.username}
    assert not any(name in page.text for name in names)
    assert "public-form" not in page.text and PHONE not in page.text
    assert "接受答复" not in page.text  # nothing to accept before the reply
    # CBIRC: 15 days counted from the day after receipt, to the end of the last day.
    received = case.received_at.astimezone(ZoneInfo("Asia/Shanghai")).date()
    last = received + dt.timedelta(days=15)
    assert "答复期限" in page.text
    assert text_of(page.text, "data-due") == f"{last.year}年{last.month}月{last.day}日"


def test_accepting_the_reply_closes_the_case(
    db: Database, client: TestClient, cb: ComplaintBank
) -> None:
    reference, _ = file_complaint(client, cb)
    decide(db, cb, reference, "经核实，叫号系统故障，已修复并向您致歉。")
    page = client.get(f"/complaint/status/{reference}")
    assert "已答复" in page.text and "叫号系统故障" in page.text
    assert "接受答复" in page.text and "对答复不满意" in page.text
    confirm = client.get(f"/complaint/status/{reference}?step=accept")
    assert "确认接受" in confirm.text or "接受银行的答复吗" in confirm.text
    token = csrf(client, f"/complaint/status/{reference}")
    done = client.post(f"/complaint/status/{reference}/accept", data={"csrf_token": token})
    assert done.status_code == 303
    case = complaint(db, reference)
    assert case.state == "closed" and case.close_reason == "accepted"
    page = client.get(f"/complaint/status/{reference}")
    assert "已办结" in page.text and "您接受了答复" in page.text
    assert "对答复不满意" not in page.text
    # A second tap (another tab) changes nothing.
    again = client.post(f"/complaint/status/{reference}/accept", data={"csrf_token": token})
    assert again.status_code == 303 and complaint(db, reference).state == "closed"


def test_disputing_the_reply_records_a_note_and_tells_the_managers(
    db: Database, client: TestClient, cb: ComplaintBank
) -> None:
    reference, _ = file_complaint(client, cb)
    decide(db, cb, reference, "经核实，系客户操作失误。")
    token = csrf(client, f"/complaint/status/{reference}?step=dispute")
    empty = client.post(
        f"/complaint/status/{reference}/dispute", data={"reason": " ", "csrf_token": token}
    )
    assert empty.status_code == 422 and "请简单说说" in empty.text
    sent = client.post(
        f"/complaint/status/{reference}/dispute",
        data={"reason": "我没有操作失误，请查看监控。", "csrf_token": token},
    )
    assert sent.status_code == 303
    case = complaint(db, reference)
    assert case.state == "decided"  # staff decide whether to reopen
    with db.session() as session:
        notes = session.scalars(
            select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == case.id, ComplaintEvent.action == "note"
            )
        ).all()
        told = session.scalars(select(NotifyMessage).where(NotifyMessage.channel == "in_app")).all()
    assert [(n.note, n.public) for n in notes] == [("我没有操作失误，请查看监控。", True)]
    # OUT-A has no complaint manager of its own: the sub-branch's is told.
    disputes = [m for m in told if "not satisfied" in m.subject]
    assert [m.recipient_staff_id for m in disputes] == [cb.staff["manager_sub_a"]]
    assert disputes[0].data["subject_params"] == {"reference": reference}
    page = client.get(f"/complaint/status/{reference}")
    assert "我没有操作失误，请查看监控。" in page.text and "告诉我们您不满意" in page.text
    assert "接受答复" in page.text and "对答复不满意" not in page.text  # once per reply
    again = client.post(
        f"/complaint/status/{reference}/dispute", data={"reason": "再说一次", "csrf_token": token}
    )
    assert again.status_code == 303
    with db.session() as session:
        count = session.scalar(
            select(func.count()).where(
                ComplaintEvent.complaint_id == case.id, ComplaintEvent.action == "note"
            )
        )
    assert count == 1

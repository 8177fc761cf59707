"""The public complaint pages over HTTP: file, look up, accept or dispute the reply."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from manyi.complaints import handling, intake, resolution
from manyi.complaints.tables import Complaint, ComplaintAttachment, ComplaintEvent
from manyi.db import Database
from manyi.notify.tables import NotifyMessage
from manyi.org.tables import Staff
from manyi.ratelimit import RateLimitHit
from manyi.sealed import DEVELOPMENT_DATA_KEYS
from tests.complaint_bank import ComplaintBank, build_complaint_bank
from tests.conftest import FIXED_NOW, Bank
from tests.web_helpers import CSRF_RE, make_client

# The pages read the clock themselves; tests and pages share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")

PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%%EOF\n"
NOT_FOUND = "没有找到这件投诉"


@pytest.fixture
def cb(db: Database, bank: Bank) -> ComplaintBank:
    return build_complaint_bank(db, bank)


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


# --- filing ----------------------------------------------------------------------------


def test_the_form_lists_active_outlets_and_asks_plainly(
    client: TestClient, cb: ComplaintBank
) -> None:
    page = client.get("/complaint")
    assert page.status_code == 200
    assert "我要投诉" in page.text and "甲网点" in page.text and "乙网点" in page.text
    assert "不清楚" in page.text and "15 日内" in page.text
    assert 'name="website"' in page.text  # the robots' field is there, hidden
    assert "甲分行" in page.text  # outlets are grouped under their branch
    client.cookies.set("manyi_lang", "en")
    english = client.get("/complaint")
    assert "File a complaint" in english.text and "within 15 days" in english.text


def test_submitting_shows_reference_and_code_and_stores_a_web_complaint(
    db: Database, client: TestClient, cb: ComplaintBank, tmp_path: Path
) -> None:
    response = submit(
        client,
        cb,
        files=[
            ("files", ("排队.png", PNG, "image/png")),
            ("files", ("receipt.pdf", PDF, "application/pdf")),
        ],
        id_number=ID_NUMBER,
    )
    assert response.status_code == 303
    page = client.get("/complaint/done")
    reference, code = text_of(page.text, "data-reference"), text_of(page.text, "data-code")
    assert re.fullmatch(r"TS\d{15}", reference) and re.fullmatch(r"[A-Z2-9]{8}", code)
    assert "15 日内" in page.text and "打印" in page.text
    case = complaint(db, reference)
    assert case.intake == "web" and case.registered_unit_id == cb.unit("OUT-A")
    assert case.responsible_unit_id == cb.unit("OUT-A") and case.state == "assigned"
    assert case.complainant_phone == PHONE and case.complainant_id_number == ID_NUMBER
    assert case.request == "希望改进叫号安排并道歉。"
    assert case.query_code_hash == intake.query_code_hash(reference, code, DEVELOPMENT_DATA_KEYS)
    assert code not in (case.query_code_hash or "")
    with db.session() as session:
        files = session.scalars(
            select(ComplaintAttachment).where(ComplaintAttachment.complaint_id == case.id)
        ).all()
        assert sorted(f.content_type for f in files) == ["application/pdf", "image/png"]
        assert all(f.public for f in files)
    assert len([p for p in (tmp_path / "var" / "complaints").rglob("*") if p.is_file()]) == 2
    # The customer may open the case straight away from the same browser.
    assert client.get(f"/complaint/status/{reference}").status_code == 200


def test_not_knowing_the_outlet_registers_at_the_bank(
    db: Database, client: TestClient, cb: ComplaintBank
) -> None:
    reference, _ = file_complaint(client, cb, outlet="")
    assert complaint(db, reference).registered_unit_id == cb.unit("HQ")


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"phone": "1381234567"}, "phone", "11 位"),
        ({"phone": "12345678901"}, "phone", "手机号码"),
        ({"phone": ""}, "phone", "请填写手机号码"),
        ({"id_number": "110105194912310021"}, "id_number", "身份证号码不对"),
        ({"id_number": "1101051949"}, "id_number", "18 位"),
        ({"name": " "}, "name", "请填写您的姓名"),
        ({"subject": ""}, "subject", "发生了什么"),
        ({"consent": ""}, "consent", "勾选"),
        ({"outlet": "999999"}, "outlet", "网点"),
        ({"outlet": "9" * 30}, "outlet", "网点"),
        ({"outlet": "unit:BR-A"}, "outlet", "网点"),  # a branch, not an outlet
    ],
)
def test_a_bad_field_is_named_next_to_it_and_nothing_is_stored(
    db: Database,
    client: TestClient,
    cb: ComplaintBank,
    overrides: dict[str, str],
    field: str,
    words: str,
) -> None:
    if overrides.get("outlet", "").startswith("unit:"):
        overrides = {"outlet": str(cb.unit(overrides["outlet"][5:]))}
    response = submit(client, cb, **overrides)
    assert response.status_code == 422
    problem = re.search(rf'data-problem="{field}">([^<]+)<', response.text)
    assert problem and words in problem.group(1), response.text[:200]
    assert 'aria-invalid="true"' in response.text
    assert "王五" in response.text or field == "name"  # what was typed is kept
    assert stored(db) == 0


def test_every_problem_is_shown_at_once(
    db: Database, client: TestClient, cb: ComplaintBank
) -> None:
    response = submit(client, cb, subject="", phone="123", consent="")
    shown = set(re.findall(r'data-problem="(\w+)"', response.text))
    assert shown == {"subject", "phone", "consent"} and stored(db) == 0


def test_a_filled_honeypot_looks_accepted_but_stores_nothing(
    db: Database, client: TestClient, cb: ComplaintBank
) -> None:
    reference, code = file_complaint(client, cb, website="http://spam.example")
    assert reference.startswith("TS") and len(code) == 8
    assert stored(db) == 0
    assert look_up(client, reference, code).status_code == 404


def test_submissions_are_limited_per_client(
    db: Database, client: TestClient, cb: ComplaintBank
) -> None:
    for _ in range(5):
        file_complaint(client, cb)
    refused = submit(client, cb)
    assert refused.status_code == 429 and "请一小时后再试" in refused.text
    assert stored(db) == 5
    # Mistakes on the form do not use up the allowance of a customer who retries.
    other = make_client(db)
    with db.session() as session:
        session.query(RateLimitHit).delete()
    for _ in range(6):
        assert submit(other, cb, phone="1").status_code == 422
    assert submit(other, cb).status_code == 303


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ([("files", ("virus.exe", b"MZ\x90\x00", "image/png"))], "照片"),
        ([("files", ("big.png", PNG + b"\x00" * (10 * 1024 * 1024), "image/png"))], "10 MB"),
        ([("files", ("empty.pdf", b"", "application/pdf"))], "空"),
        ([("files", (f"p{i}.png", PNG + bytes([i]), "image/png")) for i in range(4)], "3 个"),
    ],
)
def test_a_bad_attachment_is_refused_and_nothing_is_half_stored(
    db: Database,
    client: TestClient,
    cb: ComplaintBank,
    tmp_path: Path,
    files: list[tuple[str, tuple[str, bytes, str]]],
    words: str,
) -> None:
    response = submit(client, cb, files=files)
    assert response.status_code == 422
    problem = re.search(r'data-problem="files">([^<]+)<', response.text)
    assert problem and words in problem.group(1)
    assert stored(db) == 0 and not (tmp_path / "var" / "complaints").exists()
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ComplaintAttachment)) == 0


def test_a_file_refused_by_the_service_rolls_the_whole_case_back(
    db: Database, client: TestClient, cb: ComplaintBank, monkeypatch: pytest.MonkeyPatch
) -> None:
    from manyi.complaints import attachments
    from manyi.errors import InvalidInput

    def refuse(*args: object, **kwargs: object) -> None:
        raise InvalidInput("only JPEG, PNG, WebP images and PDF files are accepted", "file")

    monkeypatch.setattr(attachments, "attach", refuse)
    response = submit(client, cb, files=[("files", ("a.png", PNG, "image/png"))])
    assert response.status_code == 422 and 'data-problem="files"' in response.text
    assert stored(db) == 0


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


def test_posts_need_the_csrf_token(db: Database, client: TestClient, cb: ComplaintBank) -> None:
    client.get("/complaint")
    response = client.post("/complaint", data=fields(cb))
    assert response.status_code == 403 and stored(db) == 0


def test_the_done_page_shows_the_reference_once(db: Database, cb: ComplaintBank) -> None:
    """On a shared device the next visitor must not see the last complainant's reference."""
    client = make_client(db)
    response = submit(client, cb)
    assert response.status_code == 303
    first = client.get("/complaint/done")
    assert first.status_code == 200 and "data-reference" in first.text
    assert first.headers["cache-control"] == "no-store"
    again = client.get("/complaint/done")  # the next visitor, or the back button
    assert again.status_code == 303 and again.headers["location"] == "/complaint"

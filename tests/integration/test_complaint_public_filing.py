"""Filing a complaint through the public pages over HTTP: the form, the reference and code shown
once, bad fields and attachments refused with nothing stored, the honeypot, the per-client
limit, and the CSRF token.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from manyi.complaints import intake
from manyi.complaints.tables import ComplaintAttachment
from manyi.db import Database
from manyi.ratelimit import RateLimitHit
from manyi.sealed import DEVELOPMENT_DATA_KEYS
from tests.complaint_bank import ComplaintBank, cb
from tests.complaint_public_helpers import (
    ID_NUMBER,
    PDF,
    PHONE,
    PNG,
    client,
    complaint,
    fields,
    file_complaint,
    look_up,
    stored,
    submit,
    text_of,
)
from tests.web_helpers import make_client

__all__ = ["cb", "client"]  # fixtures

# The pages read the clock themselves; tests and pages share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


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

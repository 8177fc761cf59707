"""Uploads larger than their route's cap are refused with 413 before the body is read.

The public form (`/complaint`) takes at most three files of 10 MB and the staff
attachment form one; a request past that is answered with a translated message
and leaves nothing behind: no case, no attachment, no file, no rate-limit count.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from manyi.complaints import attachments, intake
from manyi.complaints.tables import Complaint, ComplaintAttachment, ComplaintEvent
from manyi.complaints.web.public import FORM_CAP
from manyi.complaints.web.side_actions import ATTACH_CAP
from manyi.db import Database
from manyi.ratelimit import RateLimitHit
from tests.complaint_bank import ComplaintBank, build_complaint_bank
from tests.conftest import FIXED_NOW, PASSWORD, Bank
from tests.web_helpers import CSRF_RE, csrf_of, make_client, sign_in

# The pages read the clock themselves; tests and pages share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PUBLIC_WORDS = "最多 3 个文件，每个不超过 10 MB"
STAFF_WORDS = "请返回选择不超过 10 MB 的文件"


@pytest.fixture
def cb(db: Database, bank: Bank) -> ComplaintBank:
    return build_complaint_bank(db, bank)


def count(db: Database, table: type[object]) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def chunked(request: httpx.Request) -> tuple[Iterator[bytes], dict[str, str]]:
    """The request's body sent in pieces, without a Content-Length (chunked)."""
    body = request.read()
    pieces = (body[i : i + 1024 * 1024] for i in range(0, len(body), 1024 * 1024))
    return pieces, {"content-type": request.headers["content-type"]}


def public_form(cb: ComplaintBank, token: str) -> dict[str, str]:
    return {
        "subject": "排队一个多小时无人解释",
        "description": "3月10日上午在网点等候，叫号机坏了。",
        "outlet": str(cb.unit("OUT-A")),
        "name": "王五",
        "phone": "13812345678",
        "consent": "yes",
        "csrf_token": token,
    }


def test_the_caps_leave_room_for_every_file_allowed() -> None:
    assert FORM_CAP.max_bytes > 3 * attachments.MAX_BYTES
    assert ATTACH_CAP.max_bytes > attachments.MAX_BYTES
    assert FORM_CAP.max_bytes <= 3 * attachments.MAX_BYTES + 1024 * 1024
    assert ATTACH_CAP.max_bytes <= attachments.MAX_BYTES + 1024 * 1024


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_an_oversized_public_form_is_refused_and_nothing_is_kept(
    db: Database, cb: ComplaintBank, tmp_path: Path, declared: bool
) -> None:
    client = make_client(db, var_dir=tmp_path / "var")
    match = CSRF_RE.search(client.get("/complaint").text)
    assert match
    files = [
        ("files", (f"p{i}.png", PNG + b"\x00" * (FORM_CAP.max_bytes // 3), "image/png"))
        for i in range(3)
    ]
    if declared:
        response = client.post("/complaint", data=public_form(cb, match.group(1)), files=files)
    else:
        request = httpx.Request(
            "POST", "http://testserver/complaint", data=public_form(cb, match.group(1)), files=files
        )
        body, headers = chunked(request)
        response = client.post("/complaint", content=body, headers=headers)
    assert response.status_code == 413
    assert PUBLIC_WORDS in response.text
    assert count(db, Complaint) == 0 and count(db, ComplaintAttachment) == 0
    assert count(db, RateLimitHit) == 0  # refused before the form was even looked at
    assert not (tmp_path / "var" / "complaints").exists()

    client.cookies.set("manyi_lang", "en")
    english = client.post("/complaint", data=public_form(cb, match.group(1)), files=files)
    assert english.status_code == 413 and "at most 3 files, each up to 10 MB" in english.text
    # A form within the cap is still checked file by file, as before.
    one_big = [("files", ("big.png", PNG + b"\x00" * attachments.MAX_BYTES, "image/png"))]
    checked = client.post("/complaint", data=public_form(cb, match.group(1)), files=one_big)
    assert checked.status_code == 422 and 'data-problem="files"' in checked.text


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_an_oversized_staff_attachment_is_refused_and_nothing_is_kept(
    db: Database, cb: ComplaintBank, tmp_path: Path, declared: bool
) -> None:
    with db.session() as session:
        case = intake.register(
            session, cb.caller(db, "hotline"), cb.hotline_form(), FIXED_NOW
        ).complaint
        case_id, handler_id = case.id, case.handler_id
    persona = next(name for name, sid in cb.staff.items() if sid == handler_id)
    client = make_client(db, var_dir=tmp_path / "var")
    sign_in(client, persona.replace("_", "."), PASSWORD)
    token = csrf_of(client, "/account/password")
    events = count(db, ComplaintEvent)
    url = f"/complaints/{case_id}/attach"
    files = {"file": ("big.png", PNG + b"\x00" * ATTACH_CAP.max_bytes, "image/png")}
    if declared:
        response = client.post(url, data={"csrf_token": token}, files=files)
    else:
        request = httpx.Request(
            "POST", f"http://testserver{url}", data={"csrf_token": token}, files=files
        )
        body, headers = chunked(request)
        response = client.post(url, content=body, headers=headers)
    assert response.status_code == 413
    assert STAFF_WORDS in response.text
    assert count(db, ComplaintAttachment) == 0 and count(db, ComplaintEvent) == events
    assert not (tmp_path / "var" / "complaints").exists()
    # Within the cap, the attachment's own check still answers on the case page.
    over_a_file = {"file": ("big.png", PNG + b"\x00" * attachments.MAX_BYTES, "image/png")}
    checked = client.post(url, data={"csrf_token": token}, files=over_a_file)
    assert checked.status_code == 422 and "单个文件不能超过 10 MB" in checked.text
    # A browser's form (it accepts HTML) is sent back to the case, the message shown there and
    # the attachment form open (issue 15 #13: no bare error page with only 返回首页).
    page = {"accept": "text/html,application/xhtml+xml"}
    browser = client.post(
        url, data={"csrf_token": token}, files=files, headers=page, follow_redirects=False
    )
    assert browser.status_code == 303
    assert browser.headers["location"] == f"/complaints/{case_id}?refused=too_large"
    back = client.get(browser.headers["location"])
    assert back.status_code == 200 and "文件超过 10 MB，未上传" in back.text
    assert 'data-testid="case-ref"' in back.text or "柜面办理业务等候时间过长" in back.text
    assert count(db, ComplaintAttachment) == 0 and count(db, ComplaintEvent) == events
    fits = client.post(url, data={"csrf_token": token}, files={"file": ("a.png", PNG, "image/png")})
    assert fits.status_code == 303 and count(db, ComplaintAttachment) == 1

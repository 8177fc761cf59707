"""The complaint staff pages over HTTP: workbench, registration, the case and its actions,
export, bulk reassignment, supervision board, consultations and settings, tried by persona."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from manyi.complaints import escalation, experts, intake
from manyi.complaints.tables import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintExtension,
    ComplaintPolicy,
)
from manyi.db import Database
from manyi.sealed import DEVELOPMENT_DATA_KEYS
from tests.complaint_bank import ComplaintBank, build_complaint_bank
from tests.conftest import FIXED_NOW, PASSWORD, Bank, add_staff
from tests.web_helpers import csrf_of, make_client, sign_in

# The pages read the clock themselves; tests and pages share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")

PHONE = "13812345678"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def cb(db: Database, bank: Bank) -> ComplaintBank:
    return build_complaint_bank(db, bank)


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
    values: dict[str, object] = {
        "intake": "hotline",
        "subject": "柜面办理业务等候时间过长",
        "description": "客户反映在网点排队一个多小时，无人解释。",
        "complainant_name": "王五",
        "complainant_phone": PHONE,
        "business_code": "savings.demand",
        "cause_code": "service_quality.waiting",
        "responsible_unit_id": cb.unit(unit),
    }
    values.update(fields)
    with db.session() as session:
        done = intake.register(
            session,
            cb.caller(db, persona),
            intake.ComplaintForm(**values),  # type: ignore[arg-type, unused-ignore]
            FIXED_NOW,
        )
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


# --- workbench -----------------------------------------------------------------------------


def test_the_workbench_tabs_of_a_handler_and_a_manager(
    db: Database, cb: ComplaintBank, as_: SignIn
) -> None:
    case = register(db, cb)
    other = register(db, cb, complainant_phone="13912345678", subject="自助机吞卡")
    handler = as_(handler_of(cb, case))
    page = handler.get("/complaints")
    assert page.status_code == 200
    assert 'data-tab="mine"' in page.text and 'data-tab="scope"' not in page.text
    assert case.reference in page.text  # the handler's own case, on the default tab
    if other.handler_id != case.handler_id:
        assert other.reference not in page.text
    assert "剩 " in page.text and "投诉工作台" in page.text
    unit_tab = handler.get("/complaints", tab="unit")
    assert case.reference in unit_tab.text and other.reference in unit_tab.text

    manager = as_("manager_sub_a")
    # With no case of their own, a manager starts on the whole scope.
    assert 'href="/complaints?tab=scope" class="active"' in manager.get("/complaints").text
    scope = manager.get("/complaints", tab="scope")
    assert scope.status_code == 200 and 'data-tab="scope"' in scope.text
    assert case.reference in scope.text and other.reference in scope.text
    assert 'name="complaint_ids"' in scope.text  # bulk reassignment for managers
    # The manager's own unit (the sub-branch) is responsible for neither.
    assert case.reference not in manager.get("/complaints", tab="unit").text


def test_filters_are_kept_and_narrow_the_list(db: Database, cb: ComplaintBank, as_: SignIn) -> None:
    waiting = register(db, cb)
    card = register(
        db,
        cb,
        subject="信用卡年费争议",
        business_code="cards.credit",
        cause_code="pricing",
        complainant_phone="13700000001",
    )
    manager = as_("manager_hq")
    by_business = manager.get("/complaints", tab="scope", business="cards")
    assert card.reference in by_business.text and waiting.reference not in by_business.text
    assert "business=cards" in by_business.text  # kept in the export link
    by_text = manager.get("/complaints", tab="scope", q="年费")
    assert card.reference in by_text.text and waiting.reference not in by_text.text
    by_reference = manager.get("/complaints", tab="scope", q=waiting.reference.lower())
    assert waiting.reference in by_reference.text and card.reference not in by_reference.text
    assert manager.get("/complaints", tab="scope", overdue="1").text.count("data-case=") == 0
    closed = manager.get("/complaints", tab="scope", state="closed")
    assert "没有符合条件的投诉" in closed.text
    future = manager.get("/complaints", tab="scope", received_from="2099-01-01")
    assert waiting.reference not in future.text
    # Malformed filters are ignored, never a server error.
    assert manager.get("/complaints", unit_id="x", received_to="nope", page="-3").status_code == 200


def test_an_outlet_handler_never_sees_another_outlets_case(
    db: Database, cb: ComplaintBank, as_: SignIn
) -> None:
    at_a = register(db, cb, "OUT-A")
    at_b = register(db, cb, "OUT-B", complainant_phone="13912345678", subject="乙网点的投诉")
    handler = as_("handler_a")
    assert handler.get(f"/complaints/{at_b.id}").status_code == 404
    for tab in ("mine", "unit", "scope"):
        assert at_b.reference not in handler.get("/complaints", tab=tab).text
    exported = handler.get("/complaints/export.xlsx", tab="unit")
    assert exported.status_code == 200
    assert at_b.reference not in sheet_text(exported.content)
    assert handler.post(f"/complaints/{at_b.id}/note", {"text": "x"}).status_code == 404

    manager = as_("manager_hq")
    both = manager.get("/complaints", tab="scope").text
    assert at_a.reference in both and at_b.reference in both
    sheet = sheet_text(manager.get("/complaints/export.xlsx", tab="scope").content)
    assert at_a.reference in sheet and at_b.reference in sheet
    assert manager.get(f"/complaints/{at_b.id}").status_code == 200
    assert as_("teller_a").get("/complaints").status_code == 403


def sheet_rows(content: bytes) -> list[list[object]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)]  # type: ignore[union-attr]


def sheet_text(content: bytes) -> str:
    return "\n".join(" ".join(str(v) for v in row if v is not None) for row in sheet_rows(content))


def test_the_export_masks_personal_data_without_the_right_to_see_it(
    db: Database, cb: ComplaintBank, as_: SignIn
) -> None:
    case = register(db, cb, complainant_id_number="11010519491231002X")
    head = as_("head_a")  # branch head: complaints.view without complaints.personal
    response = head.get("/complaints/export.xlsx", tab="unit")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    rows = sheet_rows(response.content)
    header = rows[0]
    assert header[0] == "投诉编号" and "联系电话" in header
    line = next(r for r in rows if r and r[0] == case.reference)
    assert line[header.index("联系电话")] == "138****5678"
    assert line[header.index("投诉人")] == "王*"
    assert line[header.index("证件号码")] == "110105********002X"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", str(line[header.index("受理时间")]))
    assert line[header.index("时限状态")] == "按期"
    assert any(r and r[0] == "个人信息已脱敏。" for r in rows)

    handler = as_(handler_of(cb, case))
    rows = sheet_rows(handler.get("/complaints/export.xlsx", tab="mine").content)
    line = next(r for r in rows if r and r[0] == case.reference)
    assert line[rows[0].index("联系电话")] == PHONE


def test_an_export_over_the_cap_is_refused_with_a_message(
    db: Database, cb: ComplaintBank, as_: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from manyi.complaints.web import workbench as views

    register(db, cb)
    register(db, cb, complainant_phone="13912345678")
    monkeypatch.setattr(views, "EXPORT_CAP", 1)
    response = as_("manager_hq").get("/complaints/export.xlsx", tab="scope")
    assert response.status_code == 422 and "超过导出上限" in response.text


def test_pages_of_fifty(db: Database, cb: ComplaintBank, as_: SignIn) -> None:
    everyone = [cb.staff[p] for p in ("handler_a", "handler_a2", "handler_sub_a", "hotline")]
    for n in range(52):
        register(db, cb, subject=f"投诉{n:02d}", named_staff_ids=everyone)
    manager = as_("manager_sub_a")
    first = manager.get("/complaints", tab="scope")
    assert first.text.count("data-case=") == 50 and "第 1 / 2 页" in first.text
    second = manager.get("/complaints", tab="scope", page="2")
    assert second.text.count("data-case=") == 2
    assert "未分派" in first.text  # nobody could take them: named staff step aside


# --- registration --------------------------------------------------------------------------


def test_registration_refuses_bad_input_on_the_field_and_stores_nothing(
    db: Database, cb: ComplaintBank, as_: SignIn
) -> None:
    clerk = as_("handler_a")
    form = clerk.get("/complaints/new")
    assert form.status_code == 200 and 'value="counter" checked' in form.text  # at an outlet
    base = {
        "intake": "hotline",
        "subject": "网点服务态度差",
        "description": "柜员态度恶劣。",
        "complainant_name": "赵六",
        "complainant_phone": "12345678901",
        "responsible_unit_id": str(cb.unit("OUT-A")),
    }
    bad_phone = clerk.post("/complaints/new", base)
    assert bad_phone.status_code == 422
    assert "不是有效的中国大陆手机号：手机号应以 13 至 19 开头，而不是 12" in bad_phone.text
    assert re.search(
        r'class="field[^"]*has-error[^"]*" data-field="complainant_phone"', bad_phone.text
    )
    assert "网点服务态度差" in bad_phone.text  # what was typed is kept
    letter = clerk.post("/complaints/new", {**base, "intake": "letter", "complainant_phone": ""})
    assert letter.status_code == 422 and "该受理渠道必须填写此项" in letter.text
    assert re.search(r'has-error[^"]*" data-field="complainant_address"', letter.text)
    bad_time = clerk.post(
        "/complaints/new", {**base, "complainant_phone": PHONE, "received_at": "yesterday"}
    )
    assert bad_time.status_code == 422 and 'data-field-error="received_at"' in bad_time.text
    assert complaint_count(db) == 0


def test_registration_shows_the_reference_and_query_code_once(
    db: Database, cb: ComplaintBank, as_: SignIn
) -> None:
    clerk = as_("handler_a")
    response = clerk.post(
        "/complaints/new",
        {
            "intake": "regulator",
            "subject": "理财产品销售未充分揭示风险",
            "description": "客户称购买理财时未被告知风险等级。",
            "complainant_name": "孙七",
            "complainant_phone": "139 1234 5678",
            "business_code": "agency.wealth",
            "cause_code": "disclosure",
            "flags": ["vulnerable", "repeat"],
            "regulator_ref": "京银保监转〔2026〕12号",
            "regulator_received_on": "2026-01-05",
            "received_at": "2026-01-06T09:30",
            "responsible_unit_id": str(cb.unit("OUT-A")),
            "named_staff_ids": [str(cb.staff["handler_a2"])],
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    reference = re.search(r'data-testid="reference">([^<]+)<', response.text)
    code = re.search(r'data-testid="query-code">([^<]+)<', response.text)
    assert reference and code
    with db.session() as session:
        case = session.scalar(select(Complaint).where(Complaint.reference == reference.group(1)))
        assert case is not None
        assert case.query_code_hash == intake.query_code_hash(
            case.reference, code.group(1), DEVELOPMENT_DATA_KEYS
        )
        assert case.complainant_phone == "13912345678"
        assert set(case.flags) == {"vulnerable", "regulator"}  # repeat is detected, not chosen
        # 09:30 in Shanghai is 01:30 UTC.
        assert case.received_at == dt.datetime(2026, 1, 6, 1, 30, tzinfo=dt.UTC)
        assert case.handler_id == cb.staff["handler_a"]  # the named colleague steps aside
        assert case.registered_by_id == cb.staff["handler_a"]
    assert f'href="/complaints/{case.id}"' in response.text
    # The code is not on the case page.
    assert code.group(1) not in clerk.get(f"/complaints/{case.id}").text


def test_a_unit_outside_ones_scope_is_named_by_code(
    db: Database, cb: ComplaintBank, as_: SignIn
) -> None:
    clerk = as_("handler_a")
    page = clerk.get("/complaints/new")
    assert "乙网点" not in page.text  # the unit list holds one's own scope only
    response = clerk.post(
        "/complaints/new",
        {
            "intake": "counter",
            "subject": "在乙网点办理业务时被拒",
            "description": "客户称在乙网点被拒绝办理。",
            "complainant_name": "周八",
            "responsible_unit_code": "OUT-B",
        },
    )
    assert response.status_code == 201
    assert "不在您的管辖范围" in response.text
    nowhere = clerk.post(
        "/complaints/new",
        {
            "intake": "counter",
            "subject": "x",
            "description": "y",
            "complainant_name": "周八",
            "responsible_unit_code": "NOPE",
        },
    )
    assert nowhere.status_code == 422 and "NOPE" in nowhere.text


def test_the_named_staff_list_follows_the_unit_within_scope(
    db: Database, cb: ComplaintBank, as_: SignIn
) -> None:
    clerk = as_("manager_sub_a")
    options = clerk.get("/complaints/new/staff", unit_id=str(cb.unit("OUT-A"))).text
    assert "处理岗甲一" in options and "支行督办" not in options
    assert clerk.get("/complaints/new/staff", unit_id=str(cb.unit("OUT-B"))).text.strip() == ""


# --- the case and its actions --------------------------------------------------------------


def test_the_case_page_shows_everything_masked_by_permission(
    db: Database, cb: ComplaintBank, as_: SignIn
) -> None:
    case = register(db, cb)
    handler = as_(handler_of(cb, case)).get(f"/complaints/{case.id}")
    assert handler.status_code == 200
    assert PHONE in handler.text and case.reference in handler.text
    assert "活期储蓄" in handler.text and "排队等候时间" in handler.text
    assert 'data-action="start"' in handler.text  # the next step, offered first
    assert 'data-action="reassign"' not in handler.text  # a manager's action
    head = as_("head_a").get(f"/complaints/{case.id}")
    assert head.status_code == 200
    assert PHONE not in head.text and "138****5678" in head.text and "已脱敏" in head.text
    assert 'data-action="start"' not in head.text and 'data-action="reassign"' in head.text


def test_every_action_through_its_form(db: Database, cb: ComplaintBank, as_: SignIn) -> None:
    case = register(db, cb)
    handler = as_(handler_of(cb, case))
    url = f"/complaints/{case.id}"

    def ok(response: httpx.Response, done: str) -> None:
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"{url}?done={done}"

    ok(handler.post(f"{url}/start", {"note": "已联系客户"}), "start")
    assert stored(db, case.id).state == "investigating"
    ok(handler.post(f"{url}/note", {"text": "已调取监控录像", "public": "on"}), "note")
    ok(
        handler.post(f"{url}/extend", {"reason": "需调取第三方记录", "complainant_informed": "on"}),
        "extend",
    )
    assert stored(db, case.id).deadline_stage == 1
    ok(
        handler.post(f"{url}/extend", {"reason": "涉及多家机构", "complainant_informed": "on"}),
        "extend",
    )
    waiting = handler.get(url)
    assert "待审批" in waiting.text and 'data-action="extend"' not in waiting.text
    manager = as_("manager_sub_a")
    page = manager.get(url)
    assert 'data-action="approve_extension"' in page.text
    ok(manager.post(f"{url}/approve_extension", {"note": "同意"}), "approve_extension")
    assert stored(db, case.id).deadline_stage == 2
    assert manager.post(f"{url}/approve_extension").status_code == 409  # nothing waits now

    admin = as_("admin")
    with db.session() as session:
        experts.set_expert(
            session,
            cb.caller(db, "admin"),
            cb.staff["expert"],
            business_codes=["savings"],
            level="chief",
        )
    del admin
    ok(
        handler.post(
            f"{url}/consult", {"expert_id": str(cb.staff["expert"]), "question": "是否需要赔偿？"}
        ),
        "consult",
    )
    expert = as_("expert")
    inbox = expert.get("/complaints/consultations")
    assert inbox.status_code == 200 and "是否需要赔偿？" in inbox.text
    consultation = re.search(r'data-consultation="(\d+)"', inbox.text)
    assert consultation
    empty = expert.post(f"/complaints/consultations/{consultation.group(1)}/opinion", {})
    assert empty.status_code == 422
    answered = expert.post(
        f"/complaints/consultations/{consultation.group(1)}/opinion",
        {"opinion": "建议致歉并减免手续费"},
    )
    assert answered.status_code == 303
    assert "建议致歉并减免手续费" in handler.get(url).text
    assert expert.get(url).status_code == 200  # the expert may open the case they advised on

    attached = handler.post(f"{url}/attach", files={"file": ("凭证.png", PNG, "image/png")})
    ok(attached, "attach")
    page = handler.get(url)
    link = re.search(rf'href="({url}/attachments/\d+)">凭证.png<', page.text)
    assert link
    download = handler.get(link.group(1))
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "image/png"
    refused = handler.post(f"{url}/attach", files={"file": ("x.exe", b"MZ\x90\x00", "image/png")})
    assert refused.status_code == 422 and "只接受" in refused.text

    ok(
        handler.post(
            f"{url}/decide",
            {
                "decision": "已向客户致歉并减免手续费",
                "reply_channel": "phone",
                "verdict": "upheld",
                "root_cause_kind": "process",
                "root_cause": "高峰时段窗口不足",
            },
        ),
        "decide",
    )
    ok(handler.post(f"{url}/close", {"reason": "accepted"}), "close")
    assert stored(db, case.id).state == "closed"
    ok(manager.post(f"{url}/reopen", {"reason": "客户不认可答复"}), "reopen")
    ok(handler.post(f"{url}/withdraw", {"note": "客户来电撤诉"}), "withdraw")
    final = handler.get(url)
    assert final.status_code == 200 and "已撤诉" in final.text
    with db.session() as session:
        actions = session.scalars(
            select(ComplaintEvent.action).where(ComplaintEvent.complaint_id == case.id)
        ).all()
    for action in (
        "start",
        "note",
        "extend",
        "approve_extension",
        "consult",
        "opinion",
        "attach",
        "decide",
        "close",
        "reopen",
        "withdraw",
    ):
        assert action in actions, action


def test_reassign_transfer_conflict_and_rejection(
    db: Database, cb: ComplaintBank, as_: SignIn
) -> None:
    case = register(db, cb)
    url = f"/complaints/{case.id}"
    manager = as_("manager_sub_a")
    other = "handler_a2" if handler_of(cb, case) == "handler_a" else "handler_a"
    moved = manager.post(f"{url}/reassign", {"handler_id": str(cb.staff[other])})
    assert moved.status_code == 303 and stored(db, case.id).handler_id == cb.staff[other]
    missing = manager.post(f"{url}/reassign", {"handler_id": ""})
    assert missing.status_code == 422 and 'data-action="reassign" open' in missing.text

    handler = as_(other)
    stepped = handler.post(f"{url}/declare_conflict", {"reason": "投诉人是我的亲属"})
    assert stepped.status_code == 303
    after = stored(db, case.id)
    assert after.handler_id not in (None, cb.staff[other])
    assert handler.get(url).status_code == 200  # still in the outlet's scope

    handler = as_(handler_of(cb, after))
    handler.post(f"{url}/extend", {"reason": "a", "complainant_informed": "on"})
    handler.post(f"{url}/extend", {"reason": "b", "complainant_informed": "on"})
    rejected = manager.post(f"{url}/reject_extension", {"note": "理由不足"})
    assert rejected.status_code == 303
    with db.session() as session:
        states = session.scalars(
            select(ComplaintExtension.state).where(ComplaintExtension.complaint_id == case.id)
        ).all()
    assert sorted(states) == ["granted", "rejected"]

    hq = as_("manager_hq")
    gone = hq.post(f"{url}/transfer", {"unit_code": "OUT-B", "note": "业务发生在乙网点"})
    assert gone.status_code == 303 and gone.headers["location"] == f"{url}?done=transfer"
    assert stored(db, case.id).responsible_unit_id == cb.unit("OUT-B")
    # The sub-branch manager no longer sees it.
    assert manager.get(url).status_code == 404


def test_transfer_out_of_scope_returns_to_the_list(
    db: Database, cb: ComplaintBank, as_: SignIn
) -> None:
    case = register(db, cb)
    manager = as_("manager_sub_a")
    response = manager.post(
        f"/complaints/{case.id}/transfer", {"unit_code": "OUT-B", "note": "应由乙网点处理"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/complaints?moved={case.reference}"
    assert "已移出您的管辖范围" in manager.get(response.headers["location"]).text


def test_forbidden_and_impossible_actions_are_refused(
    db: Database, cb: ComplaintBank, as_: SignIn
) -> None:
    case = register(db, cb)
    url = f"/complaints/{case.id}"
    other = as_("handler_a2" if handler_of(cb, case) == "handler_a" else "handler_a")
    forbidden = other.post(f"{url}/start")
    assert forbidden.status_code == 403 and "您无权" in forbidden.text
    assert as_("teller_a").post(f"{url}/start").status_code == 403
    assert as_("teller_a").get(url).status_code == 403
    handler = as_(handler_of(cb, case))
    early = handler.post(
        f"{url}/decide",
        {
            "decision": "答复",
            "reply_channel": "phone",
            "verdict": "upheld",
            "root_cause_kind": "person",
        },
    )
    assert early.status_code == 409 and "案件当前为“已分派”，不能“答复”" in early.text
    handler.post(f"{url}/start")
    blank = handler.post(f"{url}/decide", {"decision": " ", "reply_channel": "phone"})
    assert blank.status_code == 422
    assert 'data-action="decide" open' in blank.text and "此项为必填项" in blank.text
    assert stored(db, case.id).state == "investigating"  # nothing half-saved
    no_csrf = handler.client.post(f"{url}/note", data={"text": "x"})
    assert no_csrf.status_code == 403


def test_bulk_reassignment_reports_each_case(db: Database, cb: ComplaintBank, as_: SignIn) -> None:
    target = cb.staff["handler_sub_a"]
    first = register(db, cb)
    second = register(db, cb, complainant_phone="13912345678")
    barred = register(db, cb, complainant_phone="13700000000", named_staff_ids=[target])
    at_b = register(db, cb, "OUT-B", complainant_phone="13600000000")
    manager = as_("manager_sub_a")
    response = manager.post(
        "/complaints/bulk-reassign",
        {
            "complaint_ids": [str(c.id) for c in (first, second, barred, at_b)],
            "handler_id": str(target),
            "return_query": "tab=scope",
        },
    )
    assert response.status_code == 200
    report = response.text.split('data-testid="bulk-report"')[1].split("</div>")[0]
    assert "2 件已改派，2 件未改派" in report
    assert barred.reference in report and "回避" in report
    assert f"#{at_b.id}" in report and at_b.reference not in response.text
    assert stored(db, first.id).handler_id == target
    assert stored(db, second.id).handler_id == target
    assert stored(db, barred.id).handler_id != target
    nothing = manager.post("/complaints/bulk-reassign", {"handler_id": str(target)})
    assert nothing.status_code == 422 and "请勾选" in nothing.text
    assert as_("handler_a").post("/complaints/bulk-reassign", {}).status_code == 403


# --- supervision board, consultations, settings --------------------------------------------


def test_the_supervision_board_lists_escalated_cases(
    db: Database, cb: ComplaintBank, as_: SignIn
) -> None:
    case = register(db, cb)
    quiet = register(db, cb, "OUT-B", complainant_phone="13912345678")
    assert stored(db, quiet.id).due_at is not None
    due = stored(db, case.id).due_at
    assert due is not None
    report = escalation.scan(db, due + dt.timedelta(minutes=1))
    assert report.escalated == 2
    manager = as_("manager_sub_a")
    board = manager.get("/complaints/supervision")
    assert board.status_code == 200
    assert case.reference in board.text and quiet.reference not in board.text
    assert "甲支行" in board.text and "第 1 级" in board.text
    exported = sheet_rows(manager.get("/complaints/supervision.xlsx").content)
    assert exported[0][0] == "督办机构" and any(case.reference in r for r in exported)
    page = manager.get(f"/complaints/{case.id}")
    assert 'data-testid="supervisions"' in page.text and "曾超期" in page.text
    assert as_("handler_a").get("/complaints/supervision").status_code == 403
    hq = as_("manager_hq").get("/complaints/supervision").text
    assert case.reference in hq and quiet.reference in hq


def test_consultations_page_needs_the_expert_role(
    db: Database, cb: ComplaintBank, as_: SignIn
) -> None:
    assert as_("expert").get("/complaints/consultations").status_code == 200
    assert as_("handler_a").get("/complaints/consultations").status_code == 403
    assert as_("expert").get("/complaints").status_code == 403


def approve_every_policy_change(db: Database, cb: ComplaintBank, as_: SignIn) -> None:
    """A second head-office administrator approves every proposed deadline-policy change."""
    if "admin.hq2" not in cb.staff:
        cb.staff |= add_staff(db, cb.bank, "admin.hq2")
    checker = as_("admin_hq2")
    page = checker.get("/complaints/settings", tab="policies").text
    for change in re.findall(r'data-change="(\d+)"', page):
        approved = checker.post(f"/complaints/settings/changes/{change}", {"decision": "approve"})
        assert approved.status_code == 303, approved.text


def test_settings_pages(db: Database, cb: ComplaintBank, as_: SignIn) -> None:
    admin = as_("admin")
    for tab in ("categories", "policies", "experts"):
        assert admin.get("/complaints/settings", tab=tab).status_code == 200
    assert "营业现场" in admin.get("/complaints/settings").text
    added = admin.post(
        "/complaints/settings/categories",
        {
            "axis": "channel",
            "parent_code": "electronic",
            "code": "electronic.video",
            "name_zh": "视频银行",
            "name_en": "Video banking",
        },
    )
    assert added.status_code == 303
    assert "视频银行" in admin.get(added.headers["location"]).text
    bad = admin.post(
        "/complaints/settings/categories",
        {"axis": "channel", "parent_code": "", "code": "Bad Code", "name_zh": "坏"},
    )
    assert bad.status_code == 422 and 'value="Bad Code"' in bad.text
    with db.session() as session:
        assert (
            session.scalar(select(func.count()).where(ComplaintCategory.code == "electronic.video"))
            == 1
        )

    policies = admin.get("/complaints/settings", tab="policies")
    assert "可延长至 30 个自然日，需说明理由、告知投诉人。" in policies.text
    chosen = admin.post("/complaints/settings/policy", {"code": "cbirc-2020-workdays"})
    assert chosen.status_code == 303  # proposed: takes effect once a second admin approves
    approve_every_policy_change(db, cb, as_)
    with db.session() as session:
        defaults = session.scalars(
            select(ComplaintPolicy.code).where(ComplaintPolicy.is_default)
        ).all()
    assert defaults == ["cbirc-2020-workdays"]
    assert admin.post("/complaints/settings/policy", {"code": "nope"}).status_code == 422

    saved = admin.post(
        "/complaints/settings/experts",
        {
            "staff_id": str(cb.staff["expert"]),
            "level": "senior",
            "business_codes": ["loans", "cards"],
            "note": "信贷条线",
            "active": "on",
        },
    )
    assert saved.status_code == 303
    roster = admin.get("/complaints/settings", tab="experts").text
    assert "专家甲" in roster and "信贷条线" in roster
    editing = admin.get("/complaints/settings", tab="experts", edit=str(cb.staff["expert"])).text
    assert 'value="loans" selected' in editing and 'value="senior" selected' in editing
    not_expert = admin.post(
        "/complaints/settings/experts", {"staff_id": str(cb.staff["handler_a"]), "level": "chief"}
    )
    assert not_expert.status_code == 422
    assert as_("manager_hq").get("/complaints/settings").status_code == 403


def test_the_expert_form_shows_no_entry_outside_ones_scope(
    db: Database, cb: ComplaintBank, as_: SignIn
) -> None:
    from manyi.org import staff as staff_service
    from manyi.org.model import Role
    from tests.conftest import SYSTEM

    with db.session() as session:
        experts.set_expert(
            session,
            cb.caller(db, "admin"),
            cb.staff["expert"],  # at BR-B
            level="senior",
            business_codes=["loans"],
            note="乙分行信贷条线",
        )
        for username, roles in (("admin.br.a", [Role.ADMINISTRATOR]), ("expert.a", [Role.EXPERT])):
            staff_service.create_staff(
                session,
                SYSTEM,
                username=username,
                display_name=username,
                unit_id=cb.unit("BR-A"),
                roles=roles,
                password=PASSWORD,
            )
    # BR-A's administrator has an expert of their own to put on the roster, so the form shows;
    # asked to start it from BR-B's expert, it starts empty.
    outside = as_("admin_br_a").get(
        "/complaints/settings", tab="experts", edit=str(cb.staff["expert"])
    )
    assert outside.status_code == 200 and 'data-testid="set-expert"' in outside.text
    assert "乙分行信贷条线" not in outside.text and 'value="loans" selected' not in outside.text
    inside = as_("admin").get("/complaints/settings", tab="experts", edit=str(cb.staff["expert"]))
    assert 'value="loans" selected' in inside.text


def test_navigation_shows_the_complaint_pages_by_role(
    db: Database, cb: ComplaintBank, as_: SignIn
) -> None:
    manager = as_("manager_hq").get("/complaints/supervision").text
    assert 'data-nav="complaints"' in manager and 'data-nav="supervision"' in manager
    # Only the board is highlighted, not the workbench whose address is its prefix.
    assert re.search(r'data-nav="supervision"\s+class="active"', manager)
    assert not re.search(r'data-nav="complaints"\s+class="active"', manager)
    expert = as_("expert").get("/complaints/consultations").text
    assert 'data-nav="consultations"' in expert and 'data-nav="complaints"' not in expert


@pytest.mark.parametrize(
    ("check", "value"),
    [
        ("mobile", "+1 555 0100"),
        ("mobile", "138-abc-5678"),
        ("mobile", "1381234"),
        ("mobile", "12345678901"),
        ("id", "123"),
        ("id", "11010519491231002A"),
        ("id", "010105194912310021"),
        ("id", "110105199913310021"),
        ("id", "110105189901010021"),
        ("id", "110105209901010021"),
        ("id", "110105194912310021"),
    ],
)
def test_every_reason_a_personal_check_gives_reads_in_chinese(check: str, value: str) -> None:
    from manyi.complaints.web.common import _reason
    from manyi.personal import check_mobile, check_resident_id
    from manyi.web.i18n import translator

    with pytest.raises(ValueError) as caught:
        (check_mobile if check == "mobile" else check_resident_id)(value)
    shown = _reason(str(caught.value), translator("zh-CN"))
    assert shown != str(caught.value) and re.search("[\u4e00-\u9fff]", shown), shown


def test_a_bank_adds_its_own_policy_and_sets_when_silence_closes(
    db: Database, cb: ComplaintBank, as_: SignIn
) -> None:
    admin = as_("admin")
    own = {
        "code": "bank-10",
        "name_zh": "本行标准：10个工作日",
        "name_en": "House rule: 10 working days",
        "day_count": "working",
        "calendar": "cn",
        "limits": [10, 20],
        "extensions": [
            {
                "needs_reason": True,
                "needs_complainant_informed": True,
                "needs_higher_approval": True,
            }
        ],
    }
    added = admin.post(
        "/complaints/settings/policy/new",
        {"definition": json.dumps(own, ensure_ascii=False), "close_after_days": "10"},
    )
    assert added.status_code == 303
    assert "本行标准：10个工作日" in admin.get("/complaints/settings", tab="policies").text
    approve_every_policy_change(db, cb, as_)
    again = admin.post(
        "/complaints/settings/policy/new", {"definition": json.dumps(own), "close_after_days": "10"}
    )
    assert again.status_code == 409 and "新规则请使用新代码" in again.text
    broken = admin.post(
        "/complaints/settings/policy/new", {"definition": "{limits: 15", "close_after_days": "7"}
    )
    assert broken.status_code == 422 and "不是有效的 JSON" in broken.text
    invalid = admin.post(
        "/complaints/settings/policy/new",
        {
            "definition": json.dumps({**own, "code": "x", "limits": [20, 10]}),
            "close_after_days": "7",
        },
    )
    assert invalid.status_code == 422 and "时限政策无效" in invalid.text
    changed = admin.post(
        "/complaints/settings/policy/close-after", {"code": "cbirc-2020", "close_after_days": "14"}
    )
    assert changed.status_code == 303
    approve_every_policy_change(db, cb, as_)
    too_long = admin.post(
        "/complaints/settings/policy/close-after", {"code": "cbirc-2020", "close_after_days": "365"}
    )
    assert too_long.status_code == 422
    with db.session() as session:
        rows = {p.code: p for p in session.scalars(select(ComplaintPolicy))}
    assert rows["cbirc-2020"].close_after_days == 14
    assert rows["bank-10"].close_after_days == 10 and rows["bank-10"].definition["limits"] == [
        10,
        20,
    ]
    assert "x" not in rows

"""The complaint case page over HTTP: everything shown masked by permission, every action through
its form, reassignment, transfer, conflicts, forbidden actions and bulk reassignment.
"""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from manyi.complaints import experts
from manyi.complaints.tables import ComplaintEvent, ComplaintExtension
from manyi.db import Database
from tests.complaint_bank import ComplaintBank, cb
from tests.complaint_page_helpers import PHONE, PNG, SignIn, as_, handler_of, register, stored

__all__ = ["as_", "cb"]  # fixtures

# The pages read the clock themselves; tests and pages share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


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

"""The complaint workbench over HTTP: its tabs by persona, filters, scope, pages of fifty and the
export (masked without the right to see personal data, refused over the cap).
"""

from __future__ import annotations

import re

import pytest

from manyi.db import Database
from tests.complaint_bank import ComplaintBank, cb
from tests.complaint_page_helpers import (
    PHONE,
    SignIn,
    as_,
    handler_of,
    register,
    sheet_rows,
    sheet_text,
)

__all__ = ["as_", "cb"]  # fixtures

# The pages read the clock themselves; tests and pages share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


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

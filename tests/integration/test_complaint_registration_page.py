"""Registering a complaint through the staff pages: bad input refused on the field, the reference
and query code shown once, units and named staff within one's scope, and every reason a personal
check gives read in Chinese.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from manyi.complaints import intake
from manyi.complaints.tables import Complaint
from manyi.db import Database
from manyi.sealed import DEVELOPMENT_DATA_KEYS
from tests.complaint_bank import ComplaintBank, cb
from tests.complaint_page_helpers import PHONE, SignIn, as_, complaint_count

__all__ = ["as_", "cb"]  # fixtures

# The pages read the clock themselves; tests and pages share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


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

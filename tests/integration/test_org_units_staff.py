"""Units and staff through the pages and the API: creating and editing units, bad forms refused
with nothing changed, CSV imports all or nothing and within one's scope, and staff created.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from manyi.audit.tables import AuditEvent
from manyi.db import Database
from manyi.org.tables import Unit
from tests.conftest import PASSWORD, SYSTEM, Bank
from tests.org_admin_helpers import CSV_HEADER, admin_client, counts
from tests.web_helpers import csrf_of, make_client, sign_in

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_create_and_edit_unit_through_pages(db: Database, bank: Bank) -> None:
    client, token = admin_client(db)
    response = client.post(
        "/admin/units",
        data={  # type: ignore[attr-defined]
            "csrf_token": token,
            "code": "OUT-A2",
            "level": "outlet",
            "parent_id": str(bank.unit("SUB-A")),
            "name_zh": "甲二网点",
            "name_en": "Outlet A2",
            "timezone": "",
            "address": "某路1号",
            "customers_served": "12,500",
        },
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"])  # type: ignore[attr-defined]
    assert "甲二网点" in page.text and "已保存" in page.text
    with db.session() as session:
        unit = session.scalar(select(Unit).where(Unit.code == "OUT-A2"))
        assert unit is not None and unit.customers_served == 12500
        assert unit.path.startswith(session.get(Unit, bank.unit("SUB-A")).path)  # type: ignore[union-attr]
        unit_id = unit.id
    response = client.post(
        f"/admin/units/{unit_id}",
        data={  # type: ignore[attr-defined]
            "csrf_token": token,
            "name_zh": "甲二网点（新）",
            "name_en": "",
            "timezone": "Asia/Shanghai",
            "address": "某路2号",
            "customers_served": "13000",
            "active": "on",
        },
    )
    assert response.status_code == 303
    with db.session() as session:
        row = session.scalar(select(AuditEvent).where(AuditEvent.action == "unit.updated"))
        assert row is not None and "某路2号" in row.summary and row.actor == "admin"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"code": "OUT-A", "level": "outlet", "name_zh": "重复"}, "已存在"),
        ({"code": "NEW1", "level": "tier2_branch", "name_zh": "错层"}, "must sit under"),
        ({"code": "NEW2", "level": "outlet", "name_zh": ""}, "中文名称必填"),
        ({"code": "NEW3", "level": "outlet", "name_zh": "钟", "timezone": "Moon/Base"}, "未知时区"),
        ({"code": "NEW4", "level": "outlet", "name_zh": "数", "customers_served": "many"}, "整数"),
        ({"code": "bad code!", "level": "outlet", "name_zh": "码"}, "编码"),
    ],
)
def test_bad_unit_form_is_refused_and_changes_nothing(
    db: Database, bank: Bank, form: dict[str, str], message: str
) -> None:
    client, token = admin_client(db)
    before = counts(db)
    data = {"csrf_token": token, "parent_id": str(bank.unit("SUB-A")), **form}
    response = client.post("/admin/units", data=data)  # type: ignore[attr-defined]
    assert 400 <= response.status_code < 500
    assert message in response.text
    assert counts(db) == before


def test_import_through_page_all_or_nothing(db: Database, bank: Bank) -> None:
    client, token = admin_client(db)
    before = counts(db)
    bad = (
        CSV_HEADER
        + "C1,BR-A,tier2_branch,丙支行,,,,\nC2,NOPE,outlet,丁网点,,,,\nC3,C1,outlet,戊网点,,,,\n"
    )
    response = client.post(  # type: ignore[attr-defined]
        "/admin/units/import",
        data={"csrf_token": token},
        files={"file": ("units.csv", bad.encode(), "text/csv")},
    )
    assert response.status_code == 400
    assert "line 3, parent_code: unknown parent NOPE" in response.text
    assert counts(db) == before
    good = CSV_HEADER + "C1,BR-A,tier2_branch,丙支行,,,,\nC3,C1,outlet,戊网点,,,,\n"
    response = client.post(  # type: ignore[attr-defined]
        "/admin/units/import",
        data={"csrf_token": token},
        files={"file": ("units.csv", good.encode("utf-8-sig"), "text/csv")},
    )
    assert response.status_code == 200 and "C1, C3" in response.text
    assert counts(db)[0] == before[0] + 2
    response = client.post(  # type: ignore[attr-defined]
        "/admin/units/import",
        data={"csrf_token": token},
        files={"file": ("units.csv", "代码".encode("gbk"), "text/csv")},
    )
    assert response.status_code == 400 and "UTF-8" in response.text


def test_branch_admin_cannot_import_outside_scope(db: Database, bank: Bank) -> None:
    from manyi.org import staff as staff_service
    from manyi.org.model import Role

    with db.session() as session:
        staff_service.create_staff(
            session,
            SYSTEM,
            username="admin.b",
            display_name="乙管理员",
            unit_id=bank.unit("BR-B"),
            roles=[Role.ADMINISTRATOR],
            password=PASSWORD,
        )
    client = make_client(db)
    sign_in(client, "admin.b", PASSWORD)
    token = csrf_of(client, "/admin/units/import")
    before = counts(db)
    text = CSV_HEADER + "Z1,BR-A,tier2_branch,越界支行,,,,\n"
    response = client.post(
        "/admin/units/import",
        data={"csrf_token": token},
        files={"file": ("u.csv", text.encode(), "text/csv")},
    )
    assert response.status_code == 400 and "outside your scope" in response.text
    assert counts(db) == before


def test_create_staff_and_bad_input(db: Database, bank: Bank) -> None:
    client, token = admin_client(db)
    base = {
        "csrf_token": token,
        "username": "new.teller",
        "display_name": "新柜员",
        "unit_id": str(bank.unit("OUT-A")),
        "roles": ["teller"],
        "password": "Good-pass-123",
    }
    before = counts(db)
    for change, message in [
        ({"password": "weak"}, "密码至少 10 位"),
        ({"password": "new.teller-1234"}, "密码不得包含用户名"),
        ({"roles": []}, "请至少选择一个角色"),
        ({"unit_id": str(bank.unit("BR-A"))}, "role teller belongs at outlet"),
        ({"username": "admin"}, "已被使用"),
        ({"username": "Bad Name"}, "username"),
    ]:
        response = client.post("/admin/staff", data={**base, **change})  # type: ignore[attr-defined]
        assert 400 <= response.status_code < 500, change
        assert message in response.text, change
    assert counts(db) == before
    response = client.post("/admin/staff", data=base)  # type: ignore[attr-defined]
    assert response.status_code == 303
    fresh = make_client(db)
    sign_in(fresh, "new.teller", "Good-pass-123")


def test_api_create_and_patch_unit(db: Database, bank: Bank) -> None:
    client, token = admin_client(db)
    headers = {"x-csrf-token": token}
    body = {
        "code": "API-1",
        "parent_id": bank.unit("SUB-B"),
        "level": "outlet",
        "name_zh": "接口网点",
    }
    response = client.post("/api/v1/units", json=body, headers=headers)  # type: ignore[attr-defined]
    assert response.status_code == 201 and response.json()["code"] == "API-1"
    again = client.post("/api/v1/units", json=body, headers=headers)  # type: ignore[attr-defined]
    assert again.status_code == 409 and again.json()["field"] == "code"
    unit_id = response.json()["id"]
    patched = client.patch(  # type: ignore[attr-defined]
        f"/api/v1/units/{unit_id}", json={"customers_served": -3}, headers=headers
    )
    assert patched.status_code == 422 and patched.json()["field"] == "customers_served"
    patched = client.patch(  # type: ignore[attr-defined]
        f"/api/v1/units/{unit_id}", json={"customers_served": 9000}, headers=headers
    )
    assert patched.json()["customers_served"] == 9000
    no_csrf = client.post("/api/v1/units", json={**body, "code": "API-2"})  # type: ignore[attr-defined]
    assert no_csrf.status_code == 403

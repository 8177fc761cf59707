"""Units, staff and device tokens through the pages, the API and the CLI."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from manyi.audit.tables import AuditEvent
from manyi.cli import app as cli_app
from manyi.config import get_settings
from manyi.db import Database
from manyi.org import device_tokens as device_service
from manyi.org.tables import DeviceToken, Staff, Unit
from tests.conftest import PASSWORD, SYSTEM, Bank, tamper_audit
from tests.web_helpers import csrf_of, make_client, sign_in

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")

CSV_HEADER = "code,parent_code,level,name_zh,name_en,timezone,address,customers_served\n"


def counts(db: Database) -> tuple[int, int, int]:
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Unit)) or 0,
            session.scalar(select(func.count()).select_from(Staff)) or 0,
            session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )


def admin_client(db: Database) -> tuple[object, str]:
    client = make_client(db)
    sign_in(client, "admin", PASSWORD)
    return client, csrf_of(client, "/admin/units/new")


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


def test_pads_are_issued_for_one_counter(db: Database, bank: Bank) -> None:
    """Issue 16 #6: a rating pad or calling pad works one counter, named when issued."""
    client = make_client(db)
    sign_in(client, "head.a", PASSWORD)
    token = csrf_of(client, "/admin/devices")
    form = {
        "csrf_token": token,
        "outlet_id": str(bank.unit("OUT-A")),
        "kind": "rating_pad",
        "name": "3号窗口评价器",
    }
    unbound = client.post("/admin/devices", data=form)
    assert unbound.status_code == 422 and "须绑定一个窗口" in unbound.text
    for bad in ("0", "1000", "²"):
        assert client.post("/admin/devices", data={**form, "counter": bad}).status_code == 422
    kiosk = client.post("/admin/devices", data={**form, "kind": "kiosk", "counter": "3"})
    assert kiosk.status_code == 422 and "只有评价器和叫号器绑定窗口" in kiosk.text
    issued = client.post("/admin/devices", data={**form, "counter": "3"})
    assert issued.status_code == 201 and "3 号窗口" in issued.text
    with db.session() as session:
        rows = session.scalars(select(DeviceToken)).all()
        assert [(r.kind, r.counter_number) for r in rows] == [("rating_pad", 3)]


def test_device_tokens(db: Database, bank: Bank) -> None:
    client = make_client(db)
    sign_in(client, "head.a", PASSWORD)
    token = csrf_of(client, "/admin/devices")
    response = client.post(
        "/admin/devices",
        data={
            "csrf_token": token,
            "outlet_id": str(bank.unit("OUT-A")),
            "kind": "display",
            "name": "大厅叫号屏",
            "valid_days": "30",
        },
    )
    assert response.status_code == 201
    secret = response.text.split('data-testid="secret">')[1].split("<")[0]
    assert secret.startswith("mdt_")
    with db.session() as session:
        row = session.scalar(select(DeviceToken))
        assert row is not None and secret not in (row.token_hash, row.token_prefix)
        token_id = row.id
    device = make_client(db)
    who = device.get("/device/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"})
    assert who.status_code == 200 and who.json()["outlet"]["name_zh"] == "甲网点"
    # A device token opens no staff page.
    assert device.get("/", headers={"Authorization": f"Bearer {secret}"}).status_code == 303
    assert (
        device.get("/api/v1/units", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )
    # Head of outlet A cannot issue for outlet B.
    response = client.post(
        "/admin/devices",
        data={
            "csrf_token": token,
            "outlet_id": str(bank.unit("OUT-B")),
            "kind": "kiosk",
            "name": "x",
        },
    )
    assert response.status_code == 404
    assert (
        client.post(f"/admin/devices/{token_id}/revoke", data={"csrf_token": token}).status_code
        == 303
    )
    who = device.get("/device/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"})
    assert who.status_code == 401 and who.json()["message"] == "device token revoked"
    assert (
        device.get(
            "/device/api/v1/whoami", headers={"Authorization": "Bearer mdt_wrong"}
        ).status_code
        == 401
    )


def test_expired_device_token(db: Database, bank: Bank, frozen_clock: dt.datetime) -> None:
    past = frozen_clock - dt.timedelta(days=40)  # valid 30 days: expired at the app's now
    with db.session() as session:
        _, secret = device_service.issue_token(
            session,
            SYSTEM,
            outlet_id=bank.unit("OUT-A"),
            kind="kiosk",
            name="旧取号机",
            valid_days=30,
            now=past,
        )
    response = make_client(db).get(
        "/device/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 401 and response.json()["message"] == "device token expired"


def test_device_token_bound_to_outlets_only(db: Database, bank: Bank) -> None:
    from manyi.errors import InvalidInput

    with pytest.raises(InvalidInput), db.session() as session:
        device_service.issue_token(
            session, SYSTEM, outlet_id=bank.unit("BR-A"), kind="kiosk", name="x", valid_days=None
        )


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


@pytest.fixture
def cli_env(db: Database, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_cli_units_import(db: Database, bank: Bank, cli_env: CliRunner, tmp_path: object) -> None:
    from pathlib import Path

    bad = Path(str(tmp_path), "bad.csv")
    bad.write_text(
        CSV_HEADER + "K1,BR-A,tier2_branch,支行,,,,\nK2,BR-A,galaxy,怪,,,,\n", encoding="utf-8"
    )
    before = counts(db)
    result = cli_env.invoke(cli_app, ["units", "import", str(bad)])
    assert result.exit_code == 1
    assert "line 3, level: unknown level 'galaxy'" in result.output
    assert "nothing was imported" in result.output
    assert counts(db) == before
    good = Path(str(tmp_path), "good.csv")
    good.write_text(CSV_HEADER + "K1,BR-A,tier2_branch,支行,,,,\n", encoding="utf-8")
    result = cli_env.invoke(cli_app, ["units", "import", str(good)])
    assert result.exit_code == 0 and "imported 1 units" in result.output
    result = cli_env.invoke(cli_app, ["units", "import", str(Path(str(tmp_path), "missing.csv"))])
    assert result.exit_code == 2 and "no such file" in result.output


def test_cli_users_create(db: Database, bank: Bank, cli_env: CliRunner) -> None:
    args = [
        "users",
        "create",
        "cli.teller",
        "--unit",
        "OUT-A",
        "--role",
        "teller",
        "--name",
        "命令行柜员",
        "--password-stdin",
    ]
    result = cli_env.invoke(cli_app, args, input="weak\n")
    assert result.exit_code == 2 and "password" in result.output
    result = cli_env.invoke(cli_app, [*args[:4], "NOPE", *args[5:]], input="Good-pass-123\n")
    assert result.exit_code == 2 and "--unit" in result.output
    result = cli_env.invoke(cli_app, [*args[:6], "wizard", *args[7:]], input="Good-pass-123\n")
    assert result.exit_code == 2 and "unknown role" in result.output
    result = cli_env.invoke(cli_app, args, input="Good-pass-123\n")
    assert result.exit_code == 0, result.output
    client = make_client(db)
    sign_in(client, "cli.teller", "Good-pass-123")


def test_cli_audit_verify_exit_codes(db: Database, bank: Bank, cli_env: CliRunner) -> None:
    result = cli_env.invoke(cli_app, ["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output
    tamper_audit(db, "UPDATE audit_events SET action = 'forged' WHERE seq = 2")
    result = cli_env.invoke(cli_app, ["audit", "verify"])
    assert result.exit_code == 1 and "seq=2: altered" in result.output


def test_cli_audit_anchor_and_verify_against_anchors(
    db: Database, bank: Bank, cli_env: CliRunner, tmp_path: Path
) -> None:
    anchors = tmp_path / "anchors"
    result = cli_env.invoke(cli_app, ["audit", "anchor", "--to", str(anchors)])
    assert result.exit_code == 0 and "anchored in" in result.output
    result = cli_env.invoke(cli_app, ["audit", "anchor", "--to", str(anchors)])
    assert result.exit_code == 0 and "already anchored" in result.output
    result = cli_env.invoke(cli_app, ["audit", "verify", "--anchors", str(anchors)])
    assert result.exit_code == 0 and "consistent with the anchors" in result.output
    with db.session() as session:
        last = session.scalar(text("SELECT max(seq) FROM audit_events"))
        keep = session.scalar(text(f"SELECT hash FROM audit_events WHERE seq = {last - 1}"))
    tamper_audit(
        db,
        f"DELETE FROM audit_events WHERE seq = {last}",
        f"UPDATE audit_head SET seq = {last - 1}, last_hash = '{keep}'",
    )
    assert cli_env.invoke(cli_app, ["audit", "verify"]).exit_code == 0  # consistent alone
    result = cli_env.invoke(cli_app, ["audit", "verify", "--anchors", str(anchors)])
    assert result.exit_code == 1 and "truncated" in result.output
    result = cli_env.invoke(cli_app, ["audit", "verify", "--anchors", str(tmp_path / "none")])
    assert result.exit_code == 2 and "--anchors" in result.output


def test_demo_seed_is_idempotent(db: Database, cli_env: CliRunner) -> None:
    from manyi import demo

    result = cli_env.invoke(cli_app, ["demo", "seed", "--quiet"])
    assert result.exit_code == 0
    assert "12 units, 35 staff, 5 lobbies and 6 complaints" in result.output
    assert "service stars: 2 stars awarded" in result.output
    assert "holidays: 2027 entered (a plausible demo set)" in result.output
    rolled = re.search(
        r"cockpit roll-ups: (\d+) outlet-days marked, (\d+) recomputed", result.output
    )
    # The demo's history: its own facts marked, and a year of imported days recomputed too.
    assert rolled is not None and int(rolled[2]) > int(rolled[1]) > 300
    imported = re.search(r"cockpit history: (\d+) outlet-days imported", result.output)
    assert imported is not None and int(imported[1]) > 5 * 300
    after_first = counts(db)
    result = cli_env.invoke(cli_app, ["demo", "seed"])
    assert "0 units, 0 staff, 0 lobbies and 0 complaints created" in result.output
    assert "satisfaction history: 0 survey answers, 0 pad ratings added" in result.output
    assert "service stars: 0 stars awarded" in result.output
    assert "cockpit roll-ups: 0 outlet-days marked, 0 recomputed" in result.output
    assert "cockpit history: 0 outlet-days imported" in result.output
    assert demo.DEMO_PASSWORD in result.output and "zgc.teller1" in result.output
    assert counts(db)[:2] == after_first[:2]
    with db.session() as session:
        outlets = session.scalar(
            select(func.count()).select_from(Unit).where(Unit.level == "outlet")
        )
        assert outlets is not None and outlets >= 4

"""End-to-end: the shell, the organisation pages and device tokens in a real browser.

Every test signs in through the real sign-in form of a server seeded with the
demo bank (see conftest.py) and asserts on what a person would see.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Page, expect

from manyi.demo import DEMO_PASSWORD, STAFF
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

Shot = Callable[[str], Path]
DEMO_NAMES = {person.username: person.name for person in STAFF}


def nav_keys(page: Page) -> list[str]:
    keys = page.locator("nav.sidenav a").evaluate_all("links => links.map(a => a.dataset.nav)")
    return [str(key) for key in keys]


def test_admin_signs_in_browses_units_and_switches_language(page: Page, shot: Shot) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/signin\?next=/$"))
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    shot("01-signin-zh")

    sign_in(page, "admin")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("您好，系统管理员")
    expect(page.get_by_test_id("user")).to_have_text("系统管理员 (admin)")
    expect(page.get_by_test_id("unit")).to_have_text("满意银行总行")
    nav = page.get_by_role("navigation")
    for label in ("首页", "机构管理", "员工管理", "设备", "审计日志", "我的账号"):
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    shot("02-admin-home-zh")

    nav.get_by_role("link", name="机构管理").click()
    expect(page).to_have_url(re.compile(r"/admin/units$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("机构管理")
    expect(nav.get_by_role("link", name="机构管理")).to_have_class(re.compile(r"\bactive\b"))
    units = page.get_by_test_id("units")
    expect(units.get_by_role("link", name="中关村营业室")).to_be_visible()
    expect(units.get_by_role("link", name="陆家嘴营业室")).to_be_visible()
    expect(units).to_contain_text("BJ-HD-ZGC")
    expect(units).to_contain_text("网点")
    shot("03-admin-units-zh")

    page.get_by_role("link", name="English", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/units$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisation")
    expect(nav.get_by_role("link", name="Organisation")).to_be_visible()
    expect(units.get_by_role("link", name="Zhongguancun Outlet")).to_be_visible()
    expect(units.get_by_role("link", name="Lujiazui Outlet")).to_be_visible()
    expect(units).not_to_contain_text("中关村营业室")
    shot("04-admin-units-en")

    page.get_by_role("link", name="中文", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("机构管理")
    expect(units.get_by_role("link", name="中关村营业室")).to_be_visible()


def test_teller_sees_home_lobby_and_account_and_is_refused_admin_pages(
    page: Page, shot: Shot
) -> None:
    sign_in(page, "zgc.teller1")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"您好，{DEMO_NAMES['zgc.teller1']}")
    expect(page.get_by_test_id("unit")).to_have_text("中关村营业室")
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link")).to_have_count(11)
    for label in (
        "首页",
        "柜员工作台",
        "大堂看板",
        "典型案例",
        "我的培训",
        "柜面业务",
        "上门服务（特事特办）",
        "我的工作量",
        "员工满意度调查",
        "我的通知",
    ):
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="我的账号", exact=True)).to_be_visible()
    keys = ["home", "console", "lobby", "cases", "training", "counter", "visits", "my_workload"]
    keys += ["pulse"]
    keys += ["notifications", "account"]
    assert nav_keys(page) == keys
    for hidden in ("机构管理", "员工管理", "设备", "审计日志"):
        expect(nav).not_to_contain_text(hidden)
    shot("05-teller-home")

    response = page.goto("/admin/units")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("alert")).to_have_text("您没有权限打开此页面。")
    expect(page.get_by_role("heading", level=1)).to_contain_text("403")
    expect(page.locator("table")).to_have_count(0)
    shot("06-teller-units-403")


def test_outlet_head_sees_only_units_in_scope(page: Page, shot: Shot) -> None:
    sign_in(page, "zgc.head")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"您好，{DEMO_NAMES['zgc.head']}")
    page.get_by_role("navigation").get_by_role("link", name="机构管理").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("机构管理")
    units = page.get_by_test_id("units")
    expect(units.get_by_role("link", name="中关村营业室")).to_be_visible()
    expect(units.locator("tbody tr")).to_have_count(1)
    expect(units).not_to_contain_text("陆家嘴营业室")
    expect(units).not_to_contain_text("五道口营业室")
    expect(page.get_by_role("link", name="新增机构")).to_have_count(0)
    shot("07-outlet-head-units")


def fill_new_unit(page: Page, code: str, name_zh: str) -> None:
    page.get_by_label("上级机构").select_option(label="北京海淀支行 (BJ-HD)")
    page.get_by_label("层级").select_option(label="网点")
    page.get_by_label("编码").fill(code)
    page.get_by_label("中文名称").fill(name_zh)
    page.get_by_label("英文名称").fill("E2E Test Outlet")


def test_admin_creates_a_unit_and_duplicate_code_is_refused(page: Page, shot: Shot) -> None:
    sign_in(page, "admin")
    page.goto("/admin/units")
    page.get_by_role("link", name="新增机构").click()
    expect(page).to_have_url(re.compile(r"/admin/units/new$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("新增机构")
    fill_new_unit(page, "BJ-HD-E2E", "端到端测试营业室")
    shot("08-unit-form-filled")

    page.get_by_role("button", name="创建").click()
    expect(page).to_have_url(re.compile(r"/admin/units/\d+\?saved=1$"))
    expect(page.get_by_role("status")).to_have_text("已保存。")
    expect(page.get_by_role("heading", level=1)).to_have_text("端到端测试营业室")
    expect(page.locator(".page-head")).to_contain_text("BJ-HD-E2E")
    expect(page.locator(".page-head")).to_contain_text("网点")
    shot("09-unit-saved")

    page.goto("/admin/units/new")
    fill_new_unit(page, "BJ-HD-E2E", "重复编码营业室")
    page.get_by_role("button", name="创建").click()
    error = page.get_by_test_id("error")
    expect(error).to_contain_text("已存在")
    expect(error).to_contain_text("BJ-HD-E2E")
    expect(page.get_by_role("heading", level=1)).to_have_text("新增机构")
    # The form keeps what was typed, and marks the offending field.
    expect(page.get_by_label("中文名称")).to_have_value("重复编码营业室")
    expect(page.locator(".field.has-error #code")).to_have_count(1)
    shot("10-unit-duplicate-code")


def test_wrong_password_is_refused(page: Page, shot: Shot) -> None:
    sign_in(page, "wdk.teller1", "Not-the-password-1")
    expect(page).to_have_url(re.compile(r"/signin$"))
    expect(page.get_by_test_id("error")).to_have_text("用户名或密码错误")
    expect(page.locator("#username")).to_have_value("wdk.teller1")
    expect(page.locator("#password")).to_have_value("")
    expect(page.get_by_role("navigation")).to_have_count(0)
    shot("11-signin-wrong-password")


def test_admin_issues_and_revokes_a_device_token(page: Page, shot: Shot) -> None:
    sign_in(page, "admin")
    page.get_by_role("navigation").get_by_role("link", name="设备").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("设备")
    page.get_by_label("网点", exact=True).select_option(label="中关村营业室 (BJ-HD-ZGC)")
    page.get_by_label("名称", exact=True).fill("E2E 大堂取号机")
    shot("12-devices-form")

    page.get_by_role("button", name="签发令牌").click()
    secret = page.get_by_test_id("secret")
    expect(secret).to_have_text(re.compile(r"^\s*mdt_\S{16,}\s*$"))
    expect(page.get_by_role("status")).to_contain_text("E2E 大堂取号机")
    row = page.get_by_test_id("tokens").locator("tbody tr", has_text="E2E 大堂取号机")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("中关村营业室")
    expect(row.locator(".tag")).to_have_text("有效")
    # The table shows only the prefix; the whole secret is on this response only.
    prefix = row.locator("td.mono").inner_text().rstrip("…").strip()
    assert secret.inner_text().strip().startswith(prefix)
    shot("13-devices-token-issued")

    messages: list[str] = []

    def accept(dialog: Dialog) -> None:
        messages.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    row.get_by_role("button", name="吊销").click()
    expect(page).to_have_url(re.compile(r"/admin/devices$"))
    expect(row.locator(".tag")).to_have_text("已吊销")
    expect(row.get_by_role("button", name="吊销")).to_have_count(0)
    expect(page.get_by_test_id("secret")).to_have_count(0)
    assert messages == ["确定吊销该令牌？设备将立即停止工作。"]
    shot("14-devices-token-revoked")


def test_sign_in_with_the_keyboard_only(page: Page, shot: Shot) -> None:
    page.goto("/signin")
    username = page.locator("#username")
    username.focus()
    expect(username).to_be_focused()
    page.keyboard.type("ljz.teller1")
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(DEMO_PASSWORD)
    shot("15-signin-keyboard")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"您好，{DEMO_NAMES['ljz.teller1']}")
    expect(page.get_by_test_id("unit")).to_have_text("陆家嘴营业室")
    shot("16-keyboard-home")

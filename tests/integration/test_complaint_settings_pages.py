"""The complaint settings pages: categories, deadline policies (approved by a second head-office
administrator), the expert roster within one's scope, and a bank's own policy.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from manyi.complaints import experts
from manyi.complaints.tables import ComplaintCategory, ComplaintPolicy
from manyi.db import Database
from tests.complaint_bank import ComplaintBank, cb
from tests.complaint_page_helpers import SignIn, as_
from tests.conftest import PASSWORD, add_staff

__all__ = ["as_", "cb"]  # fixtures

# The pages read the clock themselves; tests and pages share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


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

"""The complaint supervision board, the experts' consultations page and the navigation, by role."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from manyi.complaints import escalation
from manyi.db import Database
from tests.complaint_bank import ComplaintBank, cb
from tests.complaint_page_helpers import SignIn, as_, register, sheet_rows, stored

__all__ = ["as_", "cb"]  # fixtures

# The pages read the clock themselves; tests and pages share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


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

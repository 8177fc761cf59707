"""The 回访 of a closed complaint (issue 19), below the browser and through the case page: the
worker's scan invites the complainant, the answer shows on the case page, the analysis counts
the share satisfied in its scope, and an open complaint has no 回访 section."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from manyi.complaints import handling, intake, resolution
from manyi.complaints.access import Caller
from manyi.complaints.tables import Complaint
from manyi.db import Database
from manyi.insight import voice
from manyi.org.tables import Staff, Unit
from manyi.quality import followups, surveys
from manyi.quality.survey_scan import scan
from manyi.quality.survey_tables import SurveyInvitation
from tests.complaint_bank import build_complaint_bank
from tests.conftest import FIXED_NOW, Bank
from tests.web_helpers import signed_in_client

NOW = FIXED_NOW  # 2026-11-30 10:00 in Shanghai


@pytest.mark.usefixtures("frozen_clock")
def test_a_closed_complaint_gets_a_survey_whose_answer_shows_on_the_case_page(
    db: Database, bank: Bank
) -> None:
    cb = build_complaint_bank(db, bank)
    hotline = cb.caller(db, "hotline")
    received = NOW - dt.timedelta(days=3)
    with db.session() as session:
        case = intake.register(session, hotline, cb.hotline_form(), received).complaint.id
    with db.session() as session:  # routing assigned a handler at OUT-A
        assigned = session.get_one(Complaint, case).handler_id
        handler = Caller.of(session.get_one(Staff, assigned))
    later = NOW - dt.timedelta(hours=2)
    with db.session() as session:
        handling.start(session, handler, case, later)
        resolution.decide(
            session,
            handler,
            case,
            later,
            decision="已致歉并增开窗口",
            reply_channel="phone",
            verdict="upheld",
            root_cause_kind="process",
        )
        resolution.close(session, handler, case, later, reason="accepted")
    # The worker's job invites the complainant (the complaint's default survey, 100 %).
    with db.session() as session:
        made = scan(session, NOW, expiry_days=7)
    assert made["complaint"] == 1
    with db.session() as session:
        invitation = session.scalars(
            select(SurveyInvitation).where(SurveyInvitation.visit_key == f"c:{case}")
        ).one()
        token = invitation.token
        pending = followups.complaint_follow_up(session, case, NOW)
        assert pending is not None and pending.state == "invited"
    manager = signed_in_client(db, "manager_br_a")
    page = manager.get(f"/complaints/{case}")
    assert 'data-testid="follow-up" data-state="invited"' in page.text
    with db.session() as session:
        surveys.answer(
            session,
            token,
            {"csat": ["5"], "resolved": ["yes"], "comment": ["处理很及时"]},
            NOW,
            "message",
            None,
        )
    page = manager.get(f"/complaints/{case}")
    assert 'data-state="answered"' in page.text
    assert "5/5 · 非常满意" in page.text and "已解决" in page.text and "处理很及时" in page.text
    # The analysis's figure: one answered, satisfied.
    with db.session() as session:
        outlet = session.get_one(Unit, bank.unit("OUT-A"))
        share = voice.handling_satisfaction(
            session, outlet.path, NOW - dt.timedelta(days=1), NOW + dt.timedelta(seconds=1)
        )
        assert (share.answered, share.satisfied, share.invited, share.share) == (1, 1, 1, 1.0)
        other = voice.handling_satisfaction(
            session,
            session.get_one(Unit, bank.unit("OUT-B")).path,
            NOW - dt.timedelta(days=1),
            NOW + dt.timedelta(seconds=1),
        )
        assert other.share is None and other.answered == 0
    # An open complaint has no 回访 section.
    with db.session() as session:
        fresh = intake.register(session, hotline, cb.hotline_form(), NOW).complaint.id
    assert 'data-testid="follow-up"' not in manager.get(f"/complaints/{fresh}").text

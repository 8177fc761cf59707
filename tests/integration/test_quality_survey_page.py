"""The customer's survey page on both engines: it answers once and the answer reaches the
reports; a bad answer is shown again with nothing stored; expired and unknown links say so;
staff sessions and paired devices cannot answer; high contrast is remembered; an edited survey
is a new version that earlier invitations keep; a printed slip, and a message to a known
customer."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from manyi.db import Database
from manyi.errors import InvalidInput
from manyi.quality import reports, surveys
from manyi.quality.reports import By
from manyi.quality.survey_tables import SurveyDefinitionRow, SurveyInvitation
from manyi.quality.tables import QualityResponse
from tests.conftest import FIXED_NOW, PASSWORD, SYSTEM, Bank
from tests.survey_helpers import make_invitation, visit
from tests.web_helpers import make_client, sign_in

pytestmark = pytest.mark.usefixtures("frozen_clock")


def csrf(page: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found
    return found.group(1)


def answer(client: TestClient, token: str, data: dict[str, str], via: str = "status_page"):  # type: ignore[no-untyped-def]
    page = client.get(f"/s/{token}?via={via}")
    return client.post(f"/s/{token}?via={via}", data={**data, "csrf_token": csrf(page.text)})


def test_the_customer_answers_once_and_it_lands_in_the_reports(db: Database, bank: Bank) -> None:
    token = make_invitation(db, bank)
    client = make_client(db)
    page = client.get(f"/s/{token}")
    assert page.status_code == 200
    assert "请评价本次服务" in page.text and "甲网点" in page.text
    assert "柜员甲" not in page.text  # no personal data: not even the teller's name
    done = answer(client, token, {"csat": "5", "nps": "9", "comment": "很快"})
    assert done.status_code == 200 and 'data-kind="thanks"' in done.text
    with db.read() as session:
        row = session.scalars(select(QualityResponse)).one()
        invitation = session.scalars(select(SurveyInvitation)).one()
        assert (row.source, row.external_id) == ("survey", str(invitation.id))
        assert (row.csat, row.nps, row.ces, row.comment) == (5, 9, None, "很快")
        assert (row.trigger, row.channel, row.service) == ("ticket", "status_page", "A")
        assert row.teller_staff_id == bank.staff["teller_a"]
        assert invitation.answered_at == FIXED_NOW and invitation.client_hash
        by_outlet = reports.report(session, By.OUTLET, tz="Asia/Shanghai")
        assert [(r.key, r.aggregate.responses, r.aggregate.nps_pro) for r in by_outlet] == [
            ("OUT-A", 1, 1)
        ]
    # A second answer is refused, clearly, and changes nothing.
    again = answer(client, token, {"csat": "1", "nps": "0"})
    assert again.status_code == 409
    assert "已经" in again.text or "already" in again.text
    assert make_client(db).get(f"/s/{token}").status_code == 409
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(QualityResponse)) == 1
        assert session.scalars(select(QualityResponse)).one().csat == 5


def test_a_bad_answer_is_shown_again_and_nothing_is_stored(db: Database, bank: Bank) -> None:
    token = make_invitation(db, bank)
    refused = answer(make_client(db), token, {"csat": "9", "nps": "9"})
    assert refused.status_code == 422
    assert 'class="error"' in refused.text
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(QualityResponse)) == 0
        assert session.scalars(select(SurveyInvitation)).one().answered_at is None


def test_an_expired_or_unknown_link_says_so(db: Database, bank: Bank) -> None:
    token = make_invitation(db, bank)
    client = make_client(db)
    assert client.get("/s/not-a-token").status_code == 404
    with time_machine.travel(FIXED_NOW + dt.timedelta(days=7, seconds=1), tick=False):
        expired = client.get(f"/s/{token}")
        assert expired.status_code == 409
        assert 'data-kind="expired"' in expired.text


def test_staff_sessions_and_paired_devices_cannot_answer(db: Database, bank: Bank) -> None:
    token = make_invitation(db, bank)
    staff = make_client(db)
    sign_in(staff, "teller.a", PASSWORD)
    refused = staff.get(f"/s/{token}")
    assert refused.status_code == 403 and 'data-kind="staff"' in refused.text
    device = make_client(db)
    device.cookies.set("manyi_device", "whatever")
    assert device.get(f"/s/{token}").status_code == 403
    with db.read() as session:
        assert session.scalars(select(SurveyInvitation)).one().answered_at is None


def test_high_contrast_is_remembered(db: Database, bank: Bank) -> None:
    token = make_invitation(db, bank)
    client = make_client(db)
    assert 'class="qsv hc"' not in client.get(f"/s/{token}").text
    toggled = client.get(f"/s/{token}/contrast")
    assert toggled.status_code == 303
    assert 'class="qsv hc"' in client.get(f"/s/{token}").text
    client.get(f"/s/{token}/contrast")
    assert 'class="qsv hc"' not in client.get(f"/s/{token}").text


def test_an_edited_survey_is_a_new_version_and_invitations_keep_theirs(
    db: Database, bank: Bank
) -> None:
    token = make_invitation(db, bank)
    edited = dict(surveys.rules.DEFAULTS["ticket"])
    edited["questions"] = [{"id": "ces", "kind": "ces", "zh": "容易吗？", "en": "Easy?"}]
    with db.session() as session:
        row = surveys.save_definition(session, SYSTEM, edited, FIXED_NOW, level="head_office")
        assert (row.trigger, row.version) == ("ticket", 2)
        with pytest.raises(InvalidInput, match="questions: at least one question"):
            surveys.save_definition(
                session, SYSTEM, {**edited, "questions": []}, FIXED_NOW, level="head_office"
            )
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(SurveyDefinitionRow)) == 2
    # The earlier invitation still asks version 1's questions.
    done = answer(make_client(db), token, {"csat": "4", "nps": "8"})
    assert done.status_code == 200
    newer = make_invitation(db, bank, "t:test:2")
    assert "容易吗" in make_client(db).get(f"/s/{newer}").text


def test_a_printed_slip_and_a_message_to_a_known_customer(db: Database, bank: Bank) -> None:
    from manyi.quality import ports

    token = make_invitation(db, bank)
    slip = make_client(db).get(f"/s/{token}/slip")
    assert slip.status_code == 200
    assert f"/s/{token}/qr.svg?via=slip" in slip.text and "甲网点" not in slip.text
    assert make_client(db).get("/s/nope/slip").status_code == 404
    sent = ports.SimulatedMessages()
    ports.register_messages(sent)
    try:
        with db.session() as session:
            made = surveys.invite(session, visit(bank, "c:9", "person-9"), FIXED_NOW, 7)
            assert made is not None
            unknown = surveys.invite(session, visit(bank, "c:10", None), FIXED_NOW, 7)
            assert unknown is not None
            assert sent.sent == [(made.id, "person-9", "complaint", f"/s/{made.token}?via=message")]
    finally:
        ports.register_messages(ports.NoMessages())

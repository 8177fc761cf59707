"""The outlet's lobby settings page (网点大堂设置): it shows what the configuration API's
`settings` hold, saves through the same service (audited alike), refuses a bad value beside its
field with everything typed kept and nothing stored, and follows the API's permissions: lobby.view
reads (read-only), lobby.configure changes, each inside their scope."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from manyi.audit.tables import AuditEvent
from manyi.db import Database
from manyi.lobby.web.settings import form_values
from tests.conftest import Bank, add_staff
from tests.lobby_helpers import configure
from tests.web_helpers import csrf_of, device_client, signed_in_client, staff_client

pytestmark = pytest.mark.usefixtures("frozen_clock")

PAGE = "/lobby/settings?outlet=OUT-A"
API = "/api/v1/lobby/outlets/OUT-A/config"


@pytest.fixture
def lobby(db: Database, bank: Bank) -> Bank:
    configure(db, bank.unit("OUT-A"), target_wait_s=600, ageing_s=900)
    configure(db, bank.unit("OUT-B"))
    return bank


def settings(client: TestClient) -> dict[str, Any]:
    found: dict[str, Any] = client.get(API).json()["settings"]
    return found


def form(client: TestClient, **changes: str | None) -> dict[str, str]:
    """The page's form as a browser would post it, from the current settings, with `changes`
    (None: a check box left unticked)."""
    values = form_values(settings(client))
    data = {k: ("on" if v else None) if isinstance(v, bool) else v for k, v in values.items()}
    data.update(changes)
    data["csrf_token"] = csrf_of(client, PAGE)
    return {k: v for k, v in data.items() if v is not None}


def value_of(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found is not None, name
    return html.unescape(found.group(1))


def test_the_page_shows_the_outlets_settings(db: Database, lobby: Bank) -> None:
    head = staff_client(db, "head.a")
    page = head.get(PAGE)
    assert page.status_code == 200
    assert "网点大堂设置" in page.text and "甲网点" in page.text
    assert value_of(page.text, "opens_at") == "09:00"
    assert value_of(page.text, "closes_at") == "17:00"
    assert value_of(page.text, "target_wait_min") == "10"  # 600 s, typed in minutes
    assert value_of(page.text, "ageing_min") == "15"
    assert value_of(page.text, "announcement_zh") == "请{number}号到{counter}号窗口办理"
    assert value_of(page.text, "speech_rate_pct") == "90"
    assert value_of(page.text, "call_hold_s") == "10"
    assert value_of(page.text, "weight_green") == "2"
    assert 'id="announce_en" name="announce_en">' in page.text  # off
    assert 'id="green_confirm" name="green_confirm" checked' in page.text
    assert '<option value="zh-HK">粤语（香港） (zh-HK)</option>' in page.text
    assert 'data-testid="save"' in page.text and " disabled" not in page.text
    # The services and counters, for reference; the 「试听」 button's sample call.
    assert "个人现金业务" in page.text and "5号窗口" in page.text
    sample = re.search(r'<script type="application/json" id="config">(.*?)</script>', page.text)
    assert sample is not None
    assert json.loads(sample.group(1)) == {
        "sample": {"number": "A012", "counter": 1, "service": "个人现金业务"}
    }
    # English on request.
    head.cookies.set("manyi_lang", "en")
    assert "Board and voices" in head.get(PAGE).text


def test_saving_changes_the_settings_and_is_audited(db: Database, lobby: Bank) -> None:
    head = staff_client(db, "head.a")
    before = settings(head)
    data = form(
        head,
        announce_en="on",
        announcement_en="Ticket {number}, counter {counter}",
        announce_dialect="other",
        announce_dialect_other="yue-HK",
        speech_rate_pct="70",
        call_hold_s="15",
        target_wait_min="12.5",
        closes_at="",
    )
    saved = head.post(PAGE, data=data, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/lobby/settings?outlet=OUT-A&saved=1"
    after = settings(head)
    assert after == {
        **before,
        "announce_en": True,
        "announcement_en": "Ticket {number}, counter {counter}",
        "announce_dialect": "yue-HK",
        "speech_rate_pct": 70,
        "call_hold_s": 15,
        "target_wait_s": 750,
        "closes_at": None,
    }
    page = head.get(saved.headers["location"])
    assert 'data-testid="saved"' in page.text
    assert 'id="announce_en" name="announce_en" checked' in page.text
    assert '<option value="other" selected>' in page.text
    assert value_of(page.text, "announce_dialect_other") == "yue-HK"
    assert value_of(page.text, "target_wait_min") == "12.5"
    # Services and counters stay as they were.
    api = head.get(API).json()
    assert [s["code"] for s in api["services"]] == ["A", "B", "C", "K"]
    assert [c["number"] for c in api["counters"]] == [1, 2, 3, 4, 5]

    with db.session() as session:
        event = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "lobby.configured")
            .order_by(AuditEvent.seq.desc())
        ).first()
        assert event is not None and event.actor == "head.a"
        summary = json.loads(event.summary)
    assert summary["outlet"] == "OUT-A" and "services" not in summary
    assert summary["changed"] == {
        "target_wait_s": [600, 750],
        "announcement_en": [before["announcement_en"], after["announcement_en"]],
        "announce_en": [False, True],
        "announce_dialect": ["", "yue-HK"],
        "speech_rate_pct": [90, 70],
        "call_hold_s": [10, 15],
        "closes_at": ["17:00", None],
    }


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"call_hold_s": "2"}, "call_hold_s", "叫号"),
        ({"speech_rate_pct": "abc"}, "speech_rate_pct", "请输入整数"),
        ({"target_wait_min": "ten"}, "target_wait_min", "请输入分钟数"),
        ({"target_wait_min": "200"}, "target_wait_min", ""),
        ({"announce_dialect": "other", "announce_dialect_other": "zh-CN"}, "announce_dialect", ""),
        ({"announce_dialect": "other", "announce_dialect_other": ""}, "announce_dialect", "zh-HK"),
        ({"announcement_en": "Number {number}"}, "announcement_en", ""),
        ({"weight_vip": "0"}, "weights", ""),
        ({"opens_at": "18:00"}, "closes_at", ""),
        ({"opens_at": "9 am"}, "opens_at", "9 am"),
    ],
)
def test_a_bad_value_is_shown_beside_its_field_and_nothing_is_stored(
    db: Database, lobby: Bank, changes: dict[str, str], field: str, message: str
) -> None:
    head = staff_client(db, "head.a")
    before = settings(head)
    audited = _audit_count(db)
    typed = {"announcement_zh": "请{number}号到{counter}号窗口", "call_hold_s": "12", **changes}
    response = head.post(PAGE, data=form(head, **typed))
    assert response.status_code == 422, response.text
    beside = re.search(rf'data-error-for="{field}">([^<]+)<', response.text)
    assert beside is not None, response.text[-3000:]
    assert message in html.unescape(beside.group(1))
    # What was typed is still in the form; nothing was stored, nothing audited.
    assert value_of(response.text, "announcement_zh") == typed["announcement_zh"]
    for name, value in typed.items():
        if name != "announce_dialect":
            assert value_of(response.text, name) == value, name
    assert settings(head) == before
    assert _audit_count(db) == audited


def _audit_count(db: Database) -> int:
    with db.session() as session:
        return len(session.scalars(select(AuditEvent.id)).all())


def test_who_may_read_and_change(db: Database, lobby: Bank) -> None:
    add_staff(db, lobby, "lobby.a")
    head = staff_client(db, "head.a")
    before = settings(head)
    # Staff with lobby.view only (a lobby manager, a teller) read the page, read-only…
    for username in ("lobby.a", "teller.a"):
        client = signed_in_client(db, username)
        page = client.get("/lobby/settings")  # their own outlet
        assert page.status_code == 200, username
        assert 'data-testid="read-only"' in page.text
        inputs = re.findall(
            r'<(?:input type="(?:number|time|checkbox|text)"|select) [^>]*>', page.text
        )
        assert len(inputs) == 29 and all(" disabled" in i for i in inputs), inputs
        assert '<button class="btn" type="button" data-listen' in page.text  # listening is allowed
        assert 'data-testid="save"' not in page.text
        # …and are refused a change (as the API refuses them), with the reason.
        refused = client.post(PAGE, data=form(client, call_hold_s="20"))
        assert refused.status_code == 403
        assert "没有权限" in refused.text
    assert settings(head) == before
    # An outlet outside one's scope does not exist, as in the API.
    other = staff_client(db, "head.b")
    assert other.get(PAGE).status_code == 404
    assert other.get(API).status_code == 404
    refused = other.post(PAGE, data={"csrf_token": csrf_of(other, "/lobby/settings")})
    assert refused.status_code == 404
    assert settings(head) == before
    # Head office chooses an outlet first, among those it sees.
    admin = staff_client(db, "admin")
    chooser = admin.get("/lobby/settings")
    assert chooser.status_code == 200
    assert 'href="/lobby/settings?outlet=OUT-A"' in chooser.text
    assert 'data-testid="save"' in admin.get(PAGE).text
    # Signed out: to the sign-in page.
    anonymous = TestClient(head.app)
    assert anonymous.get(PAGE, follow_redirects=False).headers["location"].startswith("/signin")


def test_the_dashboard_and_the_navigation_link_to_it(db: Database, lobby: Bank) -> None:
    head = staff_client(db, "head.a")
    dashboard = head.get("/lobby/dashboard").text
    assert 'href="/lobby/settings?outlet=OUT-A"' in dashboard
    assert 'data-nav="lobby_settings"' in dashboard
    teller = staff_client(db, "teller.a")
    assert 'data-nav="lobby_settings"' not in teller.get("/lobby/dashboard").text


def test_the_board_follows_a_change_made_on_the_page(db: Database, lobby: Bank) -> None:
    head = staff_client(db, "head.a")
    head.post(PAGE, data=form(head, announce_en="on", call_hold_s="20", speech_rate_pct="80"))
    board = device_client(db, lobby.unit("OUT-A"), "display").get("/device/board").text
    found = re.search(r'<script type="application/json" id="config">(.*?)</script>', board)
    assert found is not None
    config = json.loads(found.group(1))
    assert config["voices"] == {"en": True, "dialect": "", "rate": 0.8}
    assert config["hold_ms"] == 20_000


def test_the_days_the_outlet_opens_are_ticked_saved_and_one_at_least_is_needed(
    db: Database, lobby: Bank
) -> None:
    head = staff_client(db, "head.a")
    page = head.get(PAGE).text
    ticked = re.findall(r'id="open_day_(\d)" name="open_day_\d"( checked)?', page)
    assert ticked == [(str(d), " checked" if d <= 5 else "") for d in range(1, 8)]  # Mon–Fri
    data = form(head, open_day_1=None, open_day_6="on", open_day_7="on", open_on_holidays="on")
    saved = head.post(PAGE, data=data, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    after = settings(head)
    assert after["open_weekdays"] == [2, 3, 4, 5, 6, 7] and after["open_on_holidays"] is True
    with db.session() as session:
        entry = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert entry is not None
        changed = json.loads(entry.summary or "{}")["changed"]
    assert changed["open_weekdays"] == [[1, 2, 3, 4, 5], [2, 3, 4, 5, 6, 7]]
    assert changed["open_on_holidays"] == [False, True]
    # No day ticked: refused beside the days, what was ticked kept, nothing stored.
    audited = _audit_count(db)
    none = {f"open_day_{d}": None for d in range(1, 8)}
    refused = head.post(PAGE, data=form(head, **none, open_on_holidays=None))
    assert refused.status_code == 422
    beside = re.search(r'data-error-for="open_weekdays">([^<]+)<', refused.text)
    assert beside is not None and "请至少选择一个营业日" in beside.group(1)
    assert 'id="open_on_holidays" name="open_on_holidays" checked' not in refused.text
    assert settings(head) == after and _audit_count(db) == audited
    # The configuration API takes and refuses the same.
    body = head.get(API).json()
    del body["outlet"], body["settings"]["timezone"]
    for days, status in (([8], 422), ([], 422), ([6, 7], 200)):
        body["settings"]["open_weekdays"] = days
        answer = head.put(API, json=body)
        assert answer.status_code == status, answer.text
        assert status == 200 or "settings.open_weekdays" in answer.text
    assert settings(head)["open_weekdays"] == [6, 7]

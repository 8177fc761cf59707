"""The "My notifications" page and /api/v1/notifications, by persona, on a real database."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jinja2 import ChoiceLoader, FileSystemLoader, TemplateNotFound
from sqlalchemy import select

from manyi.config import load_settings
from manyi.db import Database
from manyi.notify import delivery, service
from manyi.notify import views as notify_views
from manyi.notify.channels import InAppChannel
from manyi.notify.tables import NotifyMessage
from manyi.web.app import api_routes, create_app
from manyi.web.i18n import LANG_COOKIE
from manyi.web.templating import templates
from tests.conftest import PASSWORD, PERSONAS, Bank
from tests.web_helpers import csrf_of, sign_in

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")

T0 = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
NOTIFY_TEMPLATES = Path(notify_views.__file__).parent / "templates"
ClientOf = Callable[..., TestClient]  # client_of(persona or None, lang="en")
ROW = re.compile(r'<tr id="message-(\d+)" data-testid="message" data-unread="(true|false)">')


# --- the app under test -------------------------------------------------------------------


def _with_notify_templates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the shared Jinja environment find notify's templates, if it cannot yet."""
    try:
        templates.env.get_template("notifications.html")
    except TemplateNotFound:
        shared = templates.env.loader
        assert shared is not None
        loader = ChoiceLoader([shared, FileSystemLoader(str(NOTIFY_TEMPLATES))])
        monkeypatch.setattr(templates.env, "loader", loader)


def inbox_app(db: Database) -> FastAPI:
    """The app, with the notify routes added unless the app already has them."""
    app = create_app(
        load_settings(database_url=db.url, secret_key="test-secret-key-" + "x" * 32), db
    )
    if not any(route.path == "/notifications" for route in api_routes(app.routes)):
        app.include_router(notify_views.router)
    return app


@pytest.fixture
def app(db: Database, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    _with_notify_templates(monkeypatch)
    return inbox_app(db)


@pytest.fixture
def client_of(app: FastAPI) -> Iterator[ClientOf]:
    clients: list[TestClient] = []

    def make(persona: str | None, lang: str = "en") -> TestClient:
        client = TestClient(app, follow_redirects=False)
        client.cookies.set(LANG_COOKIE, lang)
        if persona is not None:
            sign_in(client, persona.replace("_", "."), PASSWORD)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# --- messages ------------------------------------------------------------------------------


def send(
    db: Database,
    bank: Bank,
    to: str,
    subject: str,
    *,
    sender: str | None = "head_a",
    outlet: str = "OUT-A",
    channel: str = "in_app",
    minutes: int = 0,
    deliver: bool = True,
    **extra: object,
) -> int:
    now = T0 + dt.timedelta(minutes=minutes)
    with db.session() as session:
        message_id = service.enqueue(
            session,
            channel=channel,
            recipient_staff_id=bank.staff[to],
            subject=subject,
            body=f"{subject}: please come to counter 3.\nThank you.",
            now=now,
            unit_id=bank.unit(outlet),
            created_by_id=bank.staff[sender] if sender else None,
            **extra,  # type: ignore[arg-type]
        )
    if deliver:
        delivery.deliver_due(db, {"in_app": InAppChannel()}, now)
    return message_id


@pytest.fixture
def mail(db: Database, bank: Bank) -> dict[str, list[int]]:
    """Delivered in-app messages per persona, oldest first, and some that must not show."""
    sent: dict[str, list[int]] = {persona: [] for persona in PERSONAS}
    for minutes, (to, sender, outlet) in enumerate(
        [
            ("teller_a", "head_a", "OUT-A"),
            ("teller_b", "head_b", "OUT-B"),
            ("teller_a", None, "OUT-A"),
            ("head_a", "teller_a", "OUT-A"),
            ("manager_br_a", "admin", "BR-A"),
            ("teller_a", "head_a", "OUT-A"),
        ]
    ):
        subject = f"Notice {minutes} for {to}"
        sent[to].append(send(db, bank, to, subject, sender=sender, outlet=outlet, minutes=minutes))
    # Not in anyone's inbox: not delivered yet, and an SMS.
    send(db, bank, "teller_a", "Not delivered yet", minutes=60, deliver=False)
    send(db, bank, "teller_a", "By SMS", channel="sms", address="13812345678", deliver=False)
    return sent


def page_rows(response_text: str) -> list[tuple[int, bool]]:
    return [(int(i), unread == "true") for i, unread in ROW.findall(response_text)]


def row_of(response_text: str, message_id: int) -> str:
    start = response_text.index(f'<tr id="message-{message_id}"')
    return response_text[start : response_text.index("</tr>", start)]


def unread(db: Database, message_id: int) -> bool:
    with db.session() as session:
        read_at = session.scalar(
            select(NotifyMessage.read_at).where(NotifyMessage.id == message_id)
        )
    return read_at is None


# --- the page ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_each_persona_sees_only_their_own_messages_newest_first(
    db: Database, mail: dict[str, list[int]], client_of: ClientOf, persona: str
) -> None:
    client = client_of(persona)
    response = client.get("/notifications")
    assert response.status_code == 200
    mine = mail[persona]
    assert page_rows(response.text) == [(i, True) for i in reversed(mine)]
    others = [i for who, ids in mail.items() if who != persona for i in ids]
    for message_id in others:
        assert f"message-{message_id}" not in response.text
    for who in PERSONAS:
        if who != persona:
            assert f" for {who}" not in response.text
    assert "Not delivered yet" not in response.text and "By SMS" not in response.text
    assert f">{len(mine)} unread<" in response.text
    assert response.text.count(">Mark as read</button>") == len(mine)
    if not mine:
        assert "No notifications yet." in response.text


def test_a_message_shows_subject_body_sender_unit_and_time(
    db: Database, bank: Bank, mail: dict[str, list[int]], client_of: ClientOf
) -> None:
    response = client_of("teller_a", "zh-CN").get("/notifications")
    oldest, by_manyi, newest = mail["teller_a"]
    row = row_of(response.text, newest)
    assert "<strong>Notice 5 for teller_a</strong>" in row
    assert "Notice 5 for teller_a: please come to counter 3.<br>Thank you." in row
    assert "负责人甲" in row and "甲网点" in row  # the sender and the unit, in Chinese
    assert "2026-11-30 10:05" in row  # local time (Asia/Shanghai)
    assert f'action="/notifications/{newest}/read"' in row
    assert 'name="csrf_token"' in row
    # A message manyi sent itself names manyi as the sender.
    assert "满意" in row_of(response.text, by_manyi)
    assert "负责人甲" not in row_of(response.text, by_manyi)
    assert "<strong>Notice 0 for teller_a</strong>" in row_of(response.text, oldest)


def test_subjects_written_by_manyi_read_in_the_readers_language(
    db: Database, bank: Bank, client_of: ClientOf
) -> None:
    send(
        db,
        bank,
        "teller_a",
        service.PAGE_SUBJECT,
        data={"subject_params": {"unit": "甲网点"}},
    )
    zh = client_of("teller_a", "zh-CN").get("/notifications")
    assert "甲网点需要二线人员支援" in zh.text
    en = client_of("teller_a", "en").get("/notifications")
    assert "Second-line support needed at 甲网点" in en.text
    assert "Unit OUT-A" in en.text  # the unit's English name


def test_mark_as_read_redirects_back_and_the_message_reads_as_read(
    db: Database, mail: dict[str, list[int]], client_of: ClientOf
) -> None:
    client = client_of("teller_a")
    first, second, third = mail["teller_a"]
    token = csrf_of(client, "/notifications")
    response = client.post(f"/notifications/{second}/read", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/notifications"
    assert not unread(db, second) and unread(db, first) and unread(db, third)
    page = client.get("/notifications")
    assert page_rows(page.text) == [(third, True), (second, False), (first, True)]
    assert ">2 unread<" in page.text
    assert f'action="/notifications/{second}/read"' not in page.text
    # Marking it again changes nothing and still lands back on the page.
    again = client.post(f"/notifications/{second}/read", data={"csrf_token": token})
    assert again.status_code == 303


@pytest.mark.parametrize("persona", ["teller_b", "head_a", "admin"])
def test_marking_another_staff_members_message_read_is_not_found(
    db: Database, mail: dict[str, list[int]], client_of: ClientOf, persona: str
) -> None:
    client = client_of(persona)
    token = csrf_of(client, "/notifications")
    target = mail["teller_a"][0]
    response = client.post(f"/notifications/{target}/read", data={"csrf_token": token})
    assert response.status_code == 404
    assert "Notice" not in response.text  # the refusal shows nothing of the message
    assert unread(db, target)
    missing = client.post("/notifications/999999/read", data={"csrf_token": token})
    assert missing.status_code == 404


def test_marking_an_undelivered_message_read_is_not_found(
    db: Database, bank: Bank, client_of: ClientOf
) -> None:
    pending = send(db, bank, "teller_a", "Not delivered yet", deliver=False)
    client = client_of("teller_a")
    token = csrf_of(client, "/notifications")
    response = client.post(f"/notifications/{pending}/read", data={"csrf_token": token})
    assert response.status_code == 404


def test_mark_as_read_needs_the_csrf_token(
    db: Database, mail: dict[str, list[int]], client_of: ClientOf
) -> None:
    client = client_of("teller_a")
    target = mail["teller_a"][0]
    assert client.post(f"/notifications/{target}/read").status_code == 403
    wrong = client.post(f"/notifications/{target}/read", data={"csrf_token": "forged"})
    assert wrong.status_code == 403
    # A token from another session is no better.
    other = client_of("teller_b")
    foreign = csrf_of(other, "/notifications")
    stolen = client.post(f"/notifications/{target}/read", data={"csrf_token": foreign})
    assert stolen.status_code == 403
    assert unread(db, target)


def test_anonymous_is_sent_to_sign_in(
    db: Database, mail: dict[str, list[int]], client_of: ClientOf
) -> None:
    client = client_of(None)
    response = client.get("/notifications")
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/notifications"
    api = client.get("/api/v1/notifications?unread=1")
    assert api.status_code == 401 and api.json()["error"] == "sign_in_required"
    token = csrf_of(client, "/signin")
    target = mail["teller_a"][0]
    post = client.post(f"/notifications/{target}/read", data={"csrf_token": token})
    assert post.status_code == 303 and post.headers["location"].startswith("/signin")
    assert unread(db, target)


# --- the JSON inbox ------------------------------------------------------------------------


def test_api_lists_the_inbox_and_the_unread_count(
    db: Database, bank: Bank, mail: dict[str, list[int]], client_of: ClientOf
) -> None:
    client = client_of("teller_a")
    first, second, third = mail["teller_a"]
    body = client.get("/api/v1/notifications").json()
    assert body["unread_count"] == 3
    assert [m["id"] for m in body["messages"]] == [third, second, first]
    newest = body["messages"][0]
    assert newest == {
        "id": third,
        "subject": "Notice 5 for teller_a",
        "body": "Notice 5 for teller_a: please come to counter 3.\nThank you.",
        "unit_code": "OUT-A",
        "unit_name": "Unit OUT-A",
        "sender": "负责人甲",
        "created_at": "2026-11-30T02:05:00Z",
        "read_at": None,
        "unread": True,
    }
    assert body["messages"][1]["sender"] is None  # sent by manyi itself

    token = csrf_of(client, "/notifications")
    client.post(f"/notifications/{second}/read", data={"csrf_token": token})
    only_unread = client.get("/api/v1/notifications?unread=1").json()
    assert only_unread["unread_count"] == 2
    assert [m["id"] for m in only_unread["messages"]] == [third, first]
    everything = client.get("/api/v1/notifications").json()
    assert [m["unread"] for m in everything["messages"]] == [True, False, True]
    assert everything["messages"][1]["read_at"] is not None
    assert client.get("/api/v1/notifications?limit=1").json()["messages"][0]["id"] == third
    assert client.get("/api/v1/notifications?limit=0").status_code == 422


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_api_shows_each_persona_only_their_own(
    db: Database, mail: dict[str, list[int]], client_of: ClientOf, persona: str
) -> None:
    body = client_of(persona).get("/api/v1/notifications").json()
    assert [m["id"] for m in body["messages"]] == list(reversed(mail[persona]))
    assert body["unread_count"] == len(mail[persona])

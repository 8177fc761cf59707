"""WeChat's pushes to the official account's server URL, through the real app: the server
check, template-message receipts recorded on the outbox, and everything refused or ignored."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from manyi.db import Database
from manyi.reach import contacts, delivery, messages
from manyi.reach.adapters.gateway import Accepted, Channel, OutgoingMessage, Receipt
from manyi.reach.adapters.wechat import callback_signature
from manyi.reach.domain.messages import Kind
from manyi.reach.tables import ReachMessage
from tests.conftest import FIXED_NOW, SYSTEM, Bank, sqlite_only
from tests.web_helpers import make_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
TOKEN = "manyiToken2026"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
PATH = "/reach/wechat/callback"
NOW_STAMP = str(int(FIXED_NOW.timestamp()))
EVENT = """<xml>
<ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>
<FromUserName><![CDATA[{openid}]]></FromUserName>
<CreateTime>{created}</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>
<MsgID>{msgid}</MsgID>
<Status><![CDATA[{status}]]></Status>
</xml>"""


@dataclass
class WeChatAccepting:
    """The WeChat gateway as the outbox sees it: accepts each message with a msgid."""

    name: str = "wechat"
    sent: list[OutgoingMessage] = field(default_factory=list)

    def send(self, message: OutgoingMessage) -> Accepted:
        self.sent.append(message)
        return Accepted(str(200163800 + message.id))

    def receipts(self) -> list[Receipt]:
        return []

    def close(self) -> None:
        return None


def sent_wechat_messages(db: Database, count: int) -> list[str]:
    """`count` WeChat messages sent to a follower; their msgids."""
    with db.session() as session:
        contact = contacts.remember(session, "13812345678", FIXED_NOW)
        contact.wechat_openid = OPENID
        contacts.record_consent(
            session, SYSTEM, contact, "queue", granted=True, source="status_page", now=FIXED_NOW
        )
        for number in range(count):
            params = {"number": f"A{number:03}", "counter": "3", "outlet": "甲网点"}
            messages.send(
                session,
                contact,
                Kind.CALLED,
                params,
                FIXED_NOW,
                ZoneInfo("Asia/Shanghai"),
                channel=Channel.WECHAT,
            )
    gateway = WeChatAccepting()
    assert delivery.deliver_due(db, {Channel.WECHAT: gateway}, FIXED_NOW).sent == count
    return [str(200163800 + m.id) for m in gateway.sent]


def states(db: Database) -> list[tuple[str, str | None, str | None]]:
    with db.session() as session:
        rows = session.scalars(select(ReachMessage).order_by(ReachMessage.id)).all()
        return [(m.state, m.receipt, m.last_error) for m in rows]


def signed(timestamp: str = NOW_STAMP, nonce: str = "1428539213", token: str = TOKEN) -> str:
    signature = callback_signature(token, timestamp, nonce)
    return f"{PATH}?" + urlencode(
        {"signature": signature, "timestamp": timestamp, "nonce": nonce, "openid": OPENID}
    )


def push(client: TestClient, body: str | bytes, url: str | None = None) -> tuple[int, str]:
    response = client.post(
        url or signed(), content=body, headers={"content-type": "text/xml; charset=utf-8"}
    )
    return response.status_code, response.text


def event(msgid: str, status: str) -> str:
    return EVENT.format(openid=OPENID, created=NOW_STAMP, msgid=msgid, status=status)


@pytest.fixture
def client(db: Database, bank: Bank) -> TestClient:
    return make_client(db, reach_wechat_token=TOKEN)


@sqlite_only  # refused or ignored before the database is read
def test_the_server_check_echoes_echostr_only_when_signed(client: TestClient) -> None:
    good = client.get(signed() + "&echostr=5837397520469681526")
    assert good.status_code == 200
    assert good.text == "5837397520469681526"
    assert good.headers["content-type"].startswith("text/plain")
    forged = client.get(signed(token="guessed") + "&echostr=5837397520469681526")
    assert forged.status_code == 403 and "5837" not in forged.text
    assert client.get(f"{PATH}?echostr=1").status_code == 403


def test_receipts_turn_sent_into_delivered_or_failed(db: Database, client: TestClient) -> None:
    delivered, blocked, broken = sent_wechat_messages(db, 3)
    assert push(client, event(delivered, "success")) == (200, "success")
    assert push(client, event(blocked, "failed:user block")) == (200, "success")
    assert push(client, event(broken, "failed: system failed")) == (200, "success")
    assert states(db) == [
        ("delivered", "success", None),
        ("failed", "failed:user block", "receipt: failed:user block"),
        ("failed", "failed: system failed", "receipt: failed: system failed"),
    ]
    with db.session() as session:
        first = session.scalars(select(ReachMessage).order_by(ReachMessage.id)).first()
        assert first is not None and first.delivered_at == FIXED_NOW  # CreateTime
    # WeChat pushes again when it did not hear `success` in time: the same answer, no change.
    assert push(client, event(delivered, "success")) == (200, "success")
    assert states(db)[0] == ("delivered", "success", None)


def test_a_receipt_for_an_unknown_msgid_or_another_push_changes_nothing(
    db: Database, client: TestClient
) -> None:
    sent_wechat_messages(db, 1)
    before = states(db)
    assert push(client, event("999999999", "success")) == (200, "success")
    subscribe = EVENT.replace("TEMPLATESENDJOBFINISH", "subscribe")
    assert push(client, subscribe) == (200, "success")
    text = (
        "<xml><ToUserName>gh_7f0</ToUserName><FromUserName>x</FromUserName>"
        "<MsgType>text</MsgType><Content>TD</Content></xml>"
    )
    assert push(client, text) == (200, "success")
    assert states(db) == before == [("sent", None, None)]


def test_an_sms_message_with_the_same_gateway_id_is_not_touched(
    db: Database, client: TestClient
) -> None:
    with db.session() as session:
        contact = contacts.remember(session, "13812345678", FIXED_NOW)
        contacts.record_consent(
            session, SYSTEM, contact, "queue", granted=True, source="status_page", now=FIXED_NOW
        )
        messages.send(
            session, contact, Kind.CALLED, {"number": "A1"}, FIXED_NOW, ZoneInfo("Asia/Shanghai")
        )

    class Smsc(WeChatAccepting):
        pass

    smsc = Smsc(name="smpp")
    delivery.deliver_due(db, {Channel.SMS: smsc}, FIXED_NOW)
    assert push(client, event(str(200163800 + smsc.sent[0].id), "success")) == (200, "success")
    assert states(db) == [("sent", None, None)]


@sqlite_only  # refused or ignored before the database is read
@pytest.mark.parametrize(
    "url",
    [
        signed(token="guessed"),  # another token
        signed().replace("nonce=1428539213", "nonce=1428539214"),  # changed in transit
        PATH,  # no signature at all
        signed(timestamp=str(int(FIXED_NOW.timestamp()) - 301)),  # replayed after 5 minutes
        signed(timestamp=str(int(FIXED_NOW.timestamp()) + 3600)),  # from the future
    ],
    ids=["wrong-token", "tampered", "unsigned", "stale", "future"],
)
def test_a_push_without_a_good_fresh_signature_is_refused_and_changes_nothing(
    db: Database, client: TestClient, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    [msgid] = sent_wechat_messages(db, 1)
    caplog.set_level(logging.WARNING, logger="manyi.web")
    assert push(client, event(msgid, "success"), url) == (403, "forbidden")
    assert states(db) == [("sent", None, None)]
    assert "refused POST /reach/wechat/callback" in caplog.text


@sqlite_only  # refused or ignored before the database is read
def test_no_token_configured_refuses_every_push(db: Database, bank: Bank) -> None:
    [msgid] = sent_wechat_messages(db, 1)
    unconfigured = make_client(db)
    for token in ("", TOKEN):
        status, _ = push(unconfigured, event(msgid, "success"), signed(token=token))
        assert status == 403
    assert unconfigured.get(signed(token="") + "&echostr=1").status_code == 403
    assert states(db) == [("sent", None, None)]


@sqlite_only  # refused or ignored before the database is read
@pytest.mark.parametrize(
    "body",
    [
        "not xml at all",
        "<xml><Event>TEMPLATESENDJOBFINISH</Event><MsgID>",  # cut short
        # An entity bomb: refused before any parsing (no DTD is ever read).
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
        '"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><xml><MsgID>&lol2;</MsgID></xml>',
        # An external entity: the same.
        '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<xml><Event>TEMPLATESENDJOBFINISH</Event><MsgID>&x;</MsgID><Status>success</Status></xml>",
        b"\xff\xfe\x00<xml>",  # not UTF-8
        "<xml><Event>TEMPLATESENDJOBFINISH</Event><MsgID></MsgID><Status>success</Status></xml>",
        EVENT.format(openid=OPENID, created="9" * 30, msgid="{msgid}", status="success"),
    ],
    ids=["text", "cut", "bomb", "external", "bytes", "no-msgid", "far-time"],
)
def test_bad_xml_is_ignored_safely(db: Database, client: TestClient, body: str | bytes) -> None:
    [msgid] = sent_wechat_messages(db, 1)
    if isinstance(body, str):
        body = body.replace("{msgid}", msgid)
    assert push(client, body) == (200, "success")
    expected = ("delivered", "success", None) if "9" * 30 in str(body) else ("sent", None, None)
    assert states(db) == [expected]


@sqlite_only  # refused or ignored before the database is read
def test_a_push_over_64_kb_is_refused_unread(db: Database, client: TestClient) -> None:
    [msgid] = sent_wechat_messages(db, 1)
    padded = event(msgid, "success").replace("</xml>", "<Pad>" + "x" * 70_000 + "</Pad></xml>")
    status, _ = push(client, padded)
    assert status == 413
    assert states(db) == [("sent", None, None)]


def test_the_route_needs_no_sign_in_and_no_csrf_token(db: Database, client: TestClient) -> None:
    """A machine has no session: the signature is the whole proof (and a session's cookie
    would add none: a browser posting here cannot sign)."""
    [msgid] = sent_wechat_messages(db, 1)
    assert "manyi_session" not in client.cookies
    assert push(client, event(msgid, "success")) == (200, "success")
    assert states(db)[0][0] == "delivered"


@sqlite_only  # refused or ignored before the database is read
def test_the_clock_decides_staleness(
    db: Database, client: TestClient, time_machine: object
) -> None:
    [msgid] = sent_wechat_messages(db, 1)
    url = signed()
    time_machine.shift(dt.timedelta(minutes=6))  # type: ignore[attr-defined]
    assert push(client, event(msgid, "success"), url)[0] == 403

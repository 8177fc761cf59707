"""The WeChat template-message gateway against a small HTTP server speaking WeChat's documented
token and template-send shapes (real HTTP on 127.0.0.1), and the push-event parser."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from manyi.reach.adapters.gateway import (
    Channel,
    GatewayError,
    OutgoingMessage,
    ReceiptState,
)
from manyi.reach.adapters.wechat import (
    WeChatTemplate,
    WeChatTemplateGateway,
    parse_template_event,
    templates_from,
)

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
TEMPLATES = templates_from(
    {
        "turn_near": {
            "template_id": "TPL-turn-near",
            "fields": {"first": "$text", "keyword1": "ticket", "keyword2": "ahead"},
        }
    }
)


class FakeWeChat(ThreadingHTTPServer):
    """Issues tokens tok-1, tok-2, ...; answers template sends with `answers` (then msgids)."""

    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.token_requests: list[dict[str, list[str]]] = []
        self.sends: list[tuple[str, dict[str, Any]]] = []  # (access_token, body)
        self.answers: list[dict[str, Any]] = []
        self.valid_token = ""
        self.expires_in = 7200
        self.delay_s = 0.0

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up waiting (the timeout test) broke the pipe: expected

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeWeChat

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path != "/cgi-bin/token" or query.get("grant_type") != ["client_credential"]:
            return self._json({"errcode": 40002, "errmsg": "invalid grant_type"})
        self.server.token_requests.append(query)
        if query.get("secret") != ["the-secret"]:
            return self._json({"errcode": 40125, "errmsg": "invalid appsecret"})
        self.server.valid_token = f"tok-{len(self.server.token_requests)}"
        return self._json(
            {"access_token": self.server.valid_token, "expires_in": self.server.expires_in}
        )

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        token = parse_qs(url.query).get("access_token", [""])[0]
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        time.sleep(self.server.delay_s)
        if url.path != "/cgi-bin/message/template/send":
            return self._json({"errcode": 404, "errmsg": "no such api"})
        self.server.sends.append((token, body))
        if token != self.server.valid_token:
            return self._json({"errcode": 42001, "errmsg": "access_token expired"})
        if self.server.answers:
            return self._json(self.server.answers.pop(0))
        return self._json(
            {"errcode": 0, "errmsg": "ok", "msgid": 200228300 + len(self.server.sends)}
        )

    def _json(self, answer: dict[str, Any]) -> None:
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def wechat() -> Iterator[FakeWeChat]:
    server = FakeWeChat()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def gateway(wechat: FakeWeChat, clock: FakeMonotonic) -> Iterator[WeChatTemplateGateway]:
    client = WeChatTemplateGateway(
        appid="wx1234",
        secret="the-secret",
        templates=TEMPLATES,
        api_base=wechat.base_url,
        timeout_s=0.5,
        monotonic=clock,
    )
    yield client
    client.close()


def message(outbox_id: int, *, link: str | None = None, kind: str = "turn_near") -> OutgoingMessage:
    return OutgoingMessage(
        outbox_id,
        Channel.WECHAT,
        OPENID,
        kind,
        "您的号码 A017 快到了",
        params={"ticket": "A017", "ahead": "3"},
        link=link,
    )


def test_the_template_send_has_the_documented_body(
    wechat: FakeWeChat, gateway: WeChatTemplateGateway
) -> None:
    accepted = gateway.send(message(1, link="https://manyi.example-bank.cn/t/abc"))

    [(token, body)] = wechat.sends
    assert token == "tok-1"
    assert body == {
        "touser": OPENID,
        "template_id": "TPL-turn-near",
        "url": "https://manyi.example-bank.cn/t/abc",
        "data": {
            "first": {"value": "您的号码 A017 快到了"},
            "keyword1": {"value": "A017"},
            "keyword2": {"value": "3"},
        },
    }
    assert accepted.gateway_id == "200228301"
    assert wechat.token_requests == [
        {"grant_type": ["client_credential"], "appid": ["wx1234"], "secret": ["the-secret"]}
    ]


def test_the_token_is_kept_until_shortly_before_it_expires(
    wechat: FakeWeChat, gateway: WeChatTemplateGateway, clock: FakeMonotonic
) -> None:
    gateway.send(message(1))
    clock.now += 7200 - 301
    gateway.send(message(2))
    assert len(wechat.token_requests) == 1
    clock.now += 2  # within five minutes of its expiry: fetched again
    gateway.send(message(3))
    assert len(wechat.token_requests) == 2
    assert [token for token, _ in wechat.sends] == ["tok-1", "tok-1", "tok-2"]


def test_an_expired_token_is_fetched_again_and_the_message_sent_once_more(
    wechat: FakeWeChat, gateway: WeChatTemplateGateway
) -> None:
    gateway.send(message(1))
    wechat.valid_token = "revoked-elsewhere"  # another process fetched a token: ours is dead

    accepted = gateway.send(message(2))

    assert [token for token, _ in wechat.sends] == ["tok-1", "tok-1", "tok-2"]
    assert accepted.gateway_id == "200228303"


def test_a_customer_who_does_not_follow_the_account_is_permanent(
    wechat: FakeWeChat, gateway: WeChatTemplateGateway
) -> None:
    wechat.answers.append({"errcode": 43004, "errmsg": "require subscribe"})
    with pytest.raises(GatewayError) as refused:
        gateway.send(message(1))
    assert refused.value.permanent
    assert "43004" in refused.value.reason


def test_the_rate_limit_is_temporary(wechat: FakeWeChat, gateway: WeChatTemplateGateway) -> None:
    wechat.answers.append({"errcode": 45009, "errmsg": "reach max api daily quota limit"})
    with pytest.raises(GatewayError) as limited:
        gateway.send(message(1))
    assert not limited.value.permanent
    assert gateway.send(message(1)).gateway_id  # the retry goes through


def test_a_slow_answer_is_a_temporary_timeout(
    wechat: FakeWeChat, gateway: WeChatTemplateGateway
) -> None:
    wechat.delay_s = 1.0
    with pytest.raises(GatewayError) as timed_out:
        gateway.send(message(1))
    assert not timed_out.value.permanent
    assert "in time" in timed_out.value.reason


def test_an_unreachable_api_is_temporary(clock: FakeMonotonic) -> None:
    gateway = WeChatTemplateGateway(
        appid="wx1234",
        secret="the-secret",
        templates=TEMPLATES,
        api_base="http://127.0.0.1:9",  # discard port: nothing listens
        timeout_s=0.5,
        monotonic=clock,
    )
    with pytest.raises(GatewayError) as unreachable:
        gateway.send(message(1))
    assert not unreachable.value.permanent


def test_a_refused_secret_is_permanent_and_names_the_settings(wechat: FakeWeChat) -> None:
    gateway = WeChatTemplateGateway(
        appid="wx1234", secret="wrong", templates=TEMPLATES, api_base=wechat.base_url
    )
    with pytest.raises(GatewayError) as refused:
        gateway.send(message(1))
    assert refused.value.permanent
    assert "MANYI_REACH_WECHAT_SECRET" in refused.value.reason
    assert wechat.sends == []


def test_a_kind_without_a_template_is_permanent(
    wechat: FakeWeChat, gateway: WeChatTemplateGateway
) -> None:
    with pytest.raises(GatewayError) as missing:
        gateway.send(message(1, kind="appointment_booked"))
    assert missing.value.permanent
    assert "MANYI_REACH_WECHAT_TEMPLATES" in missing.value.reason
    assert wechat.sends == []


def test_a_second_send_of_one_outbox_id_sends_nothing_new(
    wechat: FakeWeChat, gateway: WeChatTemplateGateway
) -> None:
    assert gateway.send(message(4)) == gateway.send(message(4))
    assert len(wechat.sends) == 1
    assert gateway.receipts() == []


EVENT = """<xml>
<ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>
<FromUserName><![CDATA[oia2TjuEGTNoeX76QEjQNrcURxG8]]></FromUserName>
<CreateTime>1395658920</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>
<MsgID>200163836</MsgID>
<Status><![CDATA[{status}]]></Status>
</xml>"""


def test_a_template_event_is_a_receipt_for_the_msgid() -> None:
    receipt = parse_template_event(EVENT.replace("{status}", "success"))
    assert receipt is not None
    assert (receipt.gateway_id, receipt.state, receipt.status) == (
        "200163836",
        ReceiptState.DELIVERED,
        "success",
    )
    assert receipt.at == dt.datetime(2014, 3, 24, 11, 2, tzinfo=dt.UTC)


@pytest.mark.parametrize("status", ["failed:user block", "failed: system failed"])
def test_a_failed_template_event_is_a_failed_receipt(status: str) -> None:
    receipt = parse_template_event(EVENT.replace("{status}", status))
    assert receipt is not None
    assert receipt.state is ReceiptState.FAILED
    assert receipt.status == status


@pytest.mark.parametrize(
    "text",
    [
        EVENT.replace("TEMPLATESENDJOBFINISH", "subscribe"),
        "<xml><MsgType>text</MsgType><Content>你好</Content></xml>",
        "not xml at all",
        '<!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><Event>&a;</Event></xml>',
    ],
)
def test_anything_else_pushed_is_no_receipt(text: str) -> None:
    assert parse_template_event(text) is None


def test_templates_from_reads_the_configured_shape() -> None:
    assert templates_from({"called": {"template_id": "T2"}}) == {"called": WeChatTemplate("T2", {})}

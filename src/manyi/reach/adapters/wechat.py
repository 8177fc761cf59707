"""Template messages from the bank's WeChat official account (公众号模板消息), over HTTPS.

The documented exchange:

- `GET {api_base}/cgi-bin/token?grant_type=client_credential&appid=..&secret=..` answers
  `{"access_token": "...", "expires_in": 7200}`; the token is kept until five minutes before it
  expires (a token fetched again too often is itself rate-limited by WeChat);
- `POST {api_base}/cgi-bin/message/template/send?access_token=..` with
  `{"touser": openid, "template_id": ..., "url": link, "data": {field: {"value": ...}}}`
  answers `{"errcode": 0, "errmsg": "ok", "msgid": 200228332}`.

Which template a message kind uses, and which template field shows which of the message's
parameters, is configuration (MANYI_REACH_WECHAT_TEMPLATES, a JSON object):

    {"turn_near": {"template_id": "Xq3...9k", "fields": {"first": "$text",
                   "keyword1": "ticket", "keyword2": "ahead", "remark": "outlet"}}}

A field's source is a parameter name of the message (`OutgoingMessage.params`), or `$text`
for the whole rendered text. A kind without a template is refused (permanent).

errcode → outcome: 0 accepted (gateway_id = msgid); 40001, 40014, 42001 (token invalid or
expired) → the token is fetched again and the message sent once more; 43004 (the customer does
not follow the account), 40003 (invalid openid), 40037 (invalid template id), 47003 (template
data refused) → permanent; 45009 (rate limit), -1 (system busy), other codes, HTTP and network
errors and timeouts → temporary. A token WeChat refuses to issue (wrong appid or secret, this
server's IP not on the account's whitelist) is permanent, with a reason naming the settings.

Receipts: WeChat pushes a TEMPLATESENDJOBFINISH event to the account's server URL
(`/reach/wechat/callback`, `reach.web.wechat`); `parse_template_event` reads it there, and
`receipts()` has nothing to poll. WeChat signs each request to that URL, the server check (GET)
and every push (POST), with the token typed in the account's server configuration:
`signature` = SHA-1 hex of the token, `timestamp` and `nonce` sorted as strings and joined
(`callback_signature`); `signature_ok` compares in constant time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import threading
import time
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from manyi.reach.adapters.gateway import (
    Accepted,
    GatewayError,
    OutgoingMessage,
    Receipt,
    ReceiptState,
    Reply,
    mask_phone,
)

__all__ = [
    "GATEWAY_NAME",
    "WeChatTemplate",
    "WeChatTemplateGateway",
    "callback_signature",
    "parse_template_event",
    "signature_ok",
    "templates_from",
]

log = logging.getLogger("manyi.reach.wechat")

DEFAULT_API_BASE = "https://api.weixin.qq.com"
GATEWAY_NAME = "wechat"  # the outbox's `gateway` of the messages it accepted
TEXT_SOURCE = "$text"
TOKEN_MARGIN_S = 300.0
REMEMBERED_IDS = 10_000

TOKEN_EXPIRED = frozenset({40001, 40014, 42001})
PERMANENT = {
    43004: "the customer does not follow the official account",
    40003: "invalid openid",
    40037: "invalid template_id (check MANYI_REACH_WECHAT_TEMPLATES)",
    47003: "the template data was refused (check MANYI_REACH_WECHAT_TEMPLATES' fields)",
}


@dataclass(frozen=True)
class WeChatTemplate:
    template_id: str
    fields: Mapping[str, str]  # template field → the message parameter shown in it ($text: all)


def templates_from(config: Mapping[str, Mapping[str, Any]]) -> dict[str, WeChatTemplate]:
    """The validated JSON shape (see the module docstring) as templates by message kind."""
    return {
        kind: WeChatTemplate(str(entry["template_id"]), dict(entry.get("fields", {})))
        for kind, entry in config.items()
    }


class WeChatTemplateGateway:
    def __init__(
        self,
        *,
        appid: str,
        secret: str,
        templates: Mapping[str, WeChatTemplate],
        api_base: str = DEFAULT_API_BASE,
        timeout_s: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._appid, self._secret = appid, secret
        self._templates = dict(templates)
        self._http = httpx.Client(
            base_url=api_base.rstrip("/"), timeout=timeout_s, transport=transport
        )
        self._monotonic = monotonic  # token expiry is measured on it, not on the wall clock
        self._token: tuple[str, float] | None = None  # (token, valid until)
        self._accepted: OrderedDict[int, Accepted] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return GATEWAY_NAME

    def send(self, message: OutgoingMessage) -> Accepted:
        with self._lock:
            known = self._accepted.get(message.id)
            if known is not None:
                return known
            body = self._body(message)
            answer = self._post_template(body, self._access_token())
            if answer.get("errcode") in TOKEN_EXPIRED:
                log.info("WeChat access token refused (%s); fetching a new one", answer["errcode"])
                self._token = None
                answer = self._post_template(body, self._access_token())
            accepted = self._outcome(message, answer)
            self._accepted[message.id] = accepted
            while len(self._accepted) > REMEMBERED_IDS:
                self._accepted.popitem(last=False)
            return accepted

    def receipts(self) -> list[Receipt]:
        return []  # WeChat pushes them: parse_template_event

    def replies(self) -> list[Reply]:
        return []  # a follower's messages are pushed too; manyi does not read them yet

    def close(self) -> None:
        self._http.close()

    def _body(self, message: OutgoingMessage) -> dict[str, Any]:
        template = self._templates.get(message.kind)
        if template is None:
            raise GatewayError(
                f"no WeChat template for message kind {message.kind!r}"
                " (add it to MANYI_REACH_WECHAT_TEMPLATES)",
                permanent=True,
            )
        data: dict[str, dict[str, str]] = {}
        for field_name, source in template.fields.items():
            if source == TEXT_SOURCE:
                value = message.text
            elif source in message.params:
                value = message.params[source]
            else:
                raise GatewayError(
                    f"message kind {message.kind!r} has no parameter {source!r}"
                    f" for the template field {field_name!r}",
                    permanent=True,
                )
            data[field_name] = {"value": value}
        body: dict[str, Any] = {
            "touser": message.address,
            "template_id": template.template_id,
            "data": data,
        }
        if message.link:
            body["url"] = message.link
        return body

    def _outcome(self, message: OutgoingMessage, answer: dict[str, Any]) -> Accepted:
        code = answer.get("errcode", 0)
        who = mask_phone(message.address)
        if code == 0 and "msgid" in answer:
            log.info("WeChat message %s to %s accepted as %s", message.id, who, answer["msgid"])
            return Accepted(str(answer["msgid"]))
        reason = f"WeChat errcode {code}: {PERMANENT.get(code) or answer.get('errmsg', '')}"
        log.warning("WeChat message %s to %s refused: %s", message.id, who, reason)
        raise GatewayError(reason, permanent=code in PERMANENT)

    def _access_token(self) -> str:
        now = self._monotonic()
        if self._token is not None and now < self._token[1]:
            return self._token[0]
        answer = self._call(
            "GET",
            "/cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": self._appid,
                "secret": self._secret,
            },
        )
        token = answer.get("access_token")
        if not token:
            code = answer.get("errcode")
            raise GatewayError(
                f"WeChat issued no access token (errcode {code}: {answer.get('errmsg', '')});"
                " check MANYI_REACH_WECHAT_APPID, MANYI_REACH_WECHAT_SECRET and that this"
                " server's address is on the account's IP whitelist",
                permanent=code not in (-1, 45009),
            )
        expires_in = float(answer.get("expires_in", 7200))
        self._token = (str(token), now + max(expires_in - TOKEN_MARGIN_S, expires_in / 2))
        return self._token[0]

    def _post_template(self, body: dict[str, Any], token: str) -> dict[str, Any]:
        return self._call(
            "POST", "/cgi-bin/message/template/send", params={"access_token": token}, json=body
        )

    def _call(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **options)
        except httpx.TimeoutException:
            raise GatewayError(f"WeChat did not answer {path} in time") from None
        except httpx.HTTPError as exc:
            raise GatewayError(f"WeChat {path} unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise GatewayError(f"WeChat {path} answered HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise GatewayError(f"WeChat {path} answered something that is not JSON") from None
        if not isinstance(answer, dict):
            raise GatewayError(f"WeChat {path} answered an unexpected JSON shape")
        return answer


def callback_signature(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's signature of a request to the server URL: SHA-1 hex of the three values sorted
    (as strings) and joined, e.g. token "manyi", timestamp "1700000000", nonce "42" is the SHA-1
    of "1700000000" + "42" + "manyi"."""
    joined = "".join(sorted((token, timestamp, nonce)))
    return hashlib.sha1(joined.encode(), usedforsecurity=False).hexdigest()


def signature_ok(token: str, signature: str, timestamp: str, nonce: str) -> bool:
    """Whether `signature` is WeChat's for this token; never with an empty token or value."""
    if not (token and signature and timestamp and nonce):
        return False
    expected = callback_signature(token, timestamp, nonce)
    given = signature.strip().lower().encode()  # bytes: a non-ASCII str would raise
    return hmac.compare_digest(expected.encode(), given)


_EVENT_STATES = {"success": ReceiptState.DELIVERED}


def parse_template_event(xml_text: str) -> Receipt | None:
    """A TEMPLATESENDJOBFINISH push as a receipt; None for any other message or bad XML.

    Status is "success", "failed:user block" (the customer refused the account's messages) or
    "failed: system failed"; MsgID is the msgid the send answered; CreateTime is Unix seconds.
    """
    if "<!DOCTYPE" in xml_text or "<!ENTITY" in xml_text:
        return None  # WeChat sends neither; refusing them keeps entity expansion out
    try:
        root = ET.fromstring(xml_text)  # noqa: S314 (no DTD, see above)
    except ET.ParseError:
        return None
    if (root.findtext("Event") or "").strip() != "TEMPLATESENDJOBFINISH":
        return None
    msgid = (root.findtext("MsgID") or "").strip()
    status = (root.findtext("Status") or "").strip()
    if not msgid or not status:
        return None
    return Receipt(msgid, _EVENT_STATES.get(status, ReceiptState.FAILED), status, at=_unix(root))


def _unix(root: ET.Element) -> dt.datetime | None:
    """CreateTime as a moment; None when missing or not a plausible Unix time."""
    created = (root.findtext("CreateTime") or "").strip()
    if not (created.isascii() and created.isdigit()) or len(created) > 11:
        return None
    return dt.datetime.fromtimestamp(int(created), dt.UTC)

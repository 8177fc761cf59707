"""The official account's server URL, `/reach/wechat/callback` (docs/reach-gateways.md).

WeChat calls it in two ways, each signed with the token typed in the account's server
configuration (MANYI_REACH_WECHAT_TOKEN; `signature` = SHA-1 of token, `timestamp` and
`nonce` sorted and joined):

- **GET** when an administrator saves the server configuration: a good signature is answered
  with the `echostr` it brought, as plain text;
- **POST** for each push (XML, at most 64 KB): besides the signature, a `timestamp` more than
  five minutes from this server's clock is refused (a replayed push). A template message's
  receipt (TEMPLATESENDJOBFINISH) is recorded on its outbox message (`wechat_pushes`); any push
  is answered `success`, WeChat's word for "taken, do not push it again".

No token configured, a wrong signature or a stale push: 403, logged, nothing read or stored.
The route takes no sign-in and no CSRF token (`security.machine`): the signature is its
authority. Only the plain-text ("明文") and compatible ("兼容") message modes are read; in the
secure mode ("安全模式") every push is encrypted and is ignored.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from manyi.db import utcnow
from manyi.reach import wechat_pushes
from manyi.reach.adapters.wechat import signature_ok
from manyi.web.body_limit import BodyCap
from manyi.web.security import MachineDenied, in_unit_of_work, machine

router = APIRouter(include_in_schema=False)

CALLBACK_PATH = "/reach/wechat/callback"
MAX_PUSH_BYTES = 64 * 1024  # a push is well under 2 KB
CALLBACK_CAP = BodyCap("POST", CALLBACK_PATH, MAX_PUSH_BYTES, "The push is larger than 64 KB.")
FRESH_FOR = dt.timedelta(minutes=5)
MAX_ECHO = 128  # WeChat's echostr is a number of about 20 digits


def signed_by_wechat(request: Request) -> None:
    """`machine`'s check: the account's token signs the request; a push is fresh."""
    token = request.app.state.settings.reach_wechat_token.get_secret_value()
    if not token:
        raise MachineDenied("WeChat push refused: MANYI_REACH_WECHAT_TOKEN is not set")
    query = request.query_params
    timestamp = query.get("timestamp", "")
    if not signature_ok(token, query.get("signature", ""), timestamp, query.get("nonce", "")):
        raise MachineDenied("the signature does not match MANYI_REACH_WECHAT_TOKEN")
    if request.method == "POST" and not fresh(timestamp, utcnow()):
        raise MachineDenied(f"timestamp {timestamp[:20]!r} is over 5 minutes from this clock")


def fresh(timestamp: str, now: dt.datetime) -> bool:
    """Whether a push's Unix `timestamp` is within FRESH_FOR of `now`, either way (clocks
    differ a little; a push replayed later is refused)."""
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 11:
        return False
    sent = dt.datetime.fromtimestamp(int(timestamp), dt.UTC)
    return abs(now - sent) <= FRESH_FOR


@router.get(CALLBACK_PATH)
def verify_server(echostr: str = "", _wechat: None = machine(signed_by_wechat)) -> Response:
    return PlainTextResponse(echostr[:MAX_ECHO])


@router.post(CALLBACK_PATH)
async def take_push(request: Request, _wechat: None = machine(signed_by_wechat)) -> Response:
    text = (await request.body()).decode("utf-8", errors="replace")
    now = utcnow()
    await in_unit_of_work(request, lambda session: wechat_pushes.take_push(session, text, now))
    return PlainTextResponse("success")

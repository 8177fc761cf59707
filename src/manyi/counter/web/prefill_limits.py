"""Who the pre-fill's limits count, and how much each may send.

Phones in a lobby share the branch's Wi-Fi, so they share one client address: a limit on
the address alone locks the whole lobby out once a few customers have sent their forms.
So a phone is counted twice:

- by its browser, an id kept in the signed session cookie (every form post carries that
  cookie, as the CSRF token lives there): `PHONE_SUBMITS` stored pre-fills an hour, far
  more than one customer needs, and the live checks of one person typing;
- by its address, with a ceiling a busy lobby does not reach (`ADDRESS_SUBMITS` an hour)
  but a script that throws its cookie away each time does.

The kiosk is one browser shared by everyone, counted by its device token.

Only stored pre-fills count (a form sent back with problems rolls its count back). A
refused form is shown again with everything typed and the `Limit.who` of the limit
reached, which the form's template turns into a sentence.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from fastapi import Request

from manyi import ratelimit
from manyi.db import Session

BROWSER_KEY: Final = "prefill_browser"  # the session's browser id
SUBMIT_WINDOW_S: Final = 3600  # submit limits count per hour …
CHECK_WINDOW_S: Final = 600  # … live checks per ten minutes

PHONE_SUBMITS: Final = 10  # stored pre-fills per phone (browser) per hour
PHONE_CHECKS: Final = 600  # live checks per phone per ten minutes (about one a second)
ADDRESS_SUBMITS: Final = 300  # per client address per hour: a busy lobby, not a robot
ADDRESS_CHECKS: Final = 6000  # per client address per ten minutes

Who = Literal["phone", "network", "kiosk"]


@dataclass(frozen=True)
class Limit:
    """One count the pre-fill keeps, and its bounds."""

    key: str  # "browser:…", "ip:1.2.3.4", "device:7"
    submits: int  # stored pre-fills per hour
    checks: int  # live checks per ten minutes
    who: Who  # what the refusal names: this phone, this network, this kiosk


def browser_id(request: Request) -> str:
    """This browser's id, kept in its signed session cookie (made on first use)."""
    found = request.session.get(BROWSER_KEY)
    if isinstance(found, str) and found:
        return found
    made = secrets.token_urlsafe(12)
    request.session[BROWSER_KEY] = made
    return made


def phone_limits(request: Request) -> tuple[Limit, ...]:
    host = request.client.host if request.client else "unknown"
    return (
        Limit(f"browser:{browser_id(request)}", PHONE_SUBMITS, PHONE_CHECKS, "phone"),
        Limit(f"ip:{host}", ADDRESS_SUBMITS, ADDRESS_CHECKS, "network"),
    )


def device_limits(device_id: int, submits: int, checks: int) -> tuple[Limit, ...]:
    return (Limit(f"device:{device_id}", submits, checks, "kiosk"),)


def refused_submit(session: Session, limits: Sequence[Limit], now: dt.datetime) -> Limit | None:
    """Count one stored pre-fill against each limit; the first one it is over, if any.

    The caller rolls the unit of work back on a refusal, and with it every count.
    """
    for limit in limits:
        key = f"prefill-submit:{limit.key}"
        if not ratelimit.hit(session, key, limit.submits, SUBMIT_WINDOW_S, now):
            return limit
    return None


def refused_check(session: Session, limits: Sequence[Limit], now: dt.datetime) -> Limit | None:
    """Count one live check against each limit; the first one it is over, if any."""
    for limit in limits:
        key = f"prefill-check:{limit.key}"
        if not ratelimit.hit(session, key, limit.checks, CHECK_WINDOW_S, now):
            return limit
    return None

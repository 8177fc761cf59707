"""Notification rules: channels, message states, the retry rule, phone numbers.

Pure domain code: no web framework, no ORM. The outbox stores messages;
a worker claims due ones, hands each to its channel, and records the outcome:

    pending --claim--> sending --sent--> sent
       ^                  |  \\--failure, attempts left--> pending (next_attempt_at later)
       |                  |   \\--failure, last attempt or permanent refusal--> failed
       |                  \\--lease expired (worker died)--> claimable again
       \\--pass ran long: claim released, attempt not counted--/
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from manyi.org.model import Scope, UnitLevel


class ChannelName(enum.StrEnum):
    IN_APP = "in_app"  # the recipient's inbox in manyi (站内消息)
    SMS = "sms"  # a text message to the recipient's mobile phone (短信)


class MessageState(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a worker until `claimed_until`
    SENT = "sent"  # the channel accepted it (in-app: it is in the inbox)
    FAILED = "failed"  # given up; `last_error` says why


# Waits after the 1st, 2nd and 3rd failed attempt; the 4th failure is final.
RETRY_DELAYS: tuple[dt.timedelta, ...] = (
    dt.timedelta(seconds=30),
    dt.timedelta(minutes=2),
    dt.timedelta(minutes=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1

SUBJECT_MAX = 200
BODY_MAX = 2000
PAGE_MESSAGE_MAX = 500
ERROR_MAX = 500


class DeliveryError(Exception):
    """A channel could not deliver a message.

    `permanent` means retrying cannot help (the gateway refused the number,
    say): the message fails at once instead of waiting for its next attempt.
    """

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def retry_delay(attempts: int) -> dt.timedelta | None:
    """How long to wait after `attempts` failed attempts; None when that was the last."""
    if attempts < 1:
        raise ValueError("attempts counts the attempt that just failed, so it is at least 1")
    if attempts > len(RETRY_DELAYS):
        return None
    return RETRY_DELAYS[attempts - 1]


@dataclass(frozen=True)
class FailureOutcome:
    state: MessageState
    next_attempt_at: dt.datetime | None  # None when the message has failed for good


def after_failure(attempts: int, now: dt.datetime, *, permanent: bool = False) -> FailureOutcome:
    """What becomes of a message whose attempt number `attempts` just failed."""
    delay = None if permanent else retry_delay(attempts)
    if delay is None:
        return FailureOutcome(MessageState.FAILED, None)
    return FailureOutcome(MessageState.PENDING, now + delay)


def is_claimable(
    state: MessageState,
    attempts: int,
    next_attempt_at: dt.datetime,
    claimed_until: dt.datetime | None,
    now: dt.datetime,
) -> bool:
    """The worker's claim filter (delivery._claim runs the same rule in SQL).

    A pending message is due at `next_attempt_at`. A message left in
    `sending` by a worker that stopped becomes claimable again when its
    lease has run out, unless that was its last attempt (then it fails).
    """
    if state is MessageState.PENDING:
        return next_attempt_at <= now and (claimed_until is None or claimed_until < now)
    if state is MessageState.SENDING:
        return claimed_until is not None and claimed_until < now and attempts < MAX_ATTEMPTS
    return False


def clip_error(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"


# --- phone numbers --------------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[\s\-()]")
_PHONE = re.compile(r"^\+?\d{6,20}$")


def normalise_phone(text: str) -> str | None:
    """Digits (with an optional leading +) of a plausible phone number, or None."""
    compact = _PHONE_SEPARATORS.sub("", text or "")
    return compact if _PHONE.match(compact) else None


def mask_phone(number: str) -> str:
    """All but the last four digits hidden: '13812345678' -> '*******5678'."""
    digits = number.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


# --- what a channel receives ------------------------------------------------------

Translate = Callable[[str], str]


def render_subject(subject: str, data: Mapping[str, Any], translate: Translate | None) -> str:
    """The subject in the reader's language.

    A subject written by manyi itself is an English message id with
    `{params}` taken from `data["subject_params"]`, like error messages; a
    subject without params is shown as it is (after translation, if any).
    """
    params = data.get("subject_params") or {}
    template = translate(subject) if translate is not None else subject
    try:
        return template.format(**params) if params else template
    except (KeyError, IndexError, ValueError):
        return subject


@dataclass(frozen=True)
class OutboxMessage:
    """One message as a channel adapter sees it (no ORM object leaves the service)."""

    id: int
    channel: ChannelName
    unit_id: int
    recipient_staff_id: int
    address: str | None
    subject: str
    body: str
    attempts: int  # including the attempt in progress
    created_at: dt.datetime
    data: Mapping[str, Any] = field(default_factory=dict)

    def subject_text(self, translate: Translate | None = None) -> str:
        return render_subject(self.subject, self.data, translate)


# --- who may be paged ------------------------------------------------------------


def paging_scope(unit_id: int, level: UnitLevel, path: str) -> Scope:
    """Staff a lobby at this unit may page for second-line support (二线人员支援).

    An outlet's support comes from the branch it belongs to: the subtree of
    its parent (the outlet itself, its sister outlets and the branch's own
    back office). A unit above outlet level pages within its own subtree.
    """
    if level is not UnitLevel.OUTLET:
        return Scope(unit_id=unit_id, path=path)
    ids = [part for part in path.split("/") if part]
    if len(ids) < 2:
        return Scope(unit_id=unit_id, path=path)
    parent_path = "/" + "/".join(ids[:-1]) + "/"
    return Scope(unit_id=int(ids[-2]), path=parent_path)

"""Opinions and suggestions (意见建议): what customers say outside a complaint.

A bank hears its customers in forums, online media, letters and calls that are not complaints:
"the queue machine should speak dialect", "open the Saturday counter earlier". They are
registered with their source, classified on the complaint axes (business type, cause, appeal)
and a prominent-issue category, so the analysis sees them beside complaints, and answered.

They are **outside the regulatory clock**: the 15-day decision rule of CBIRC Order 2020 No. 3
applies to complaints, not to suggestions, so an opinion has no deadline, is never overdue and
never escalates. A customer whose "opinion" is really a complaint is registered as one.

States::

    new ──review──▶ reviewed ──adopt (reply)──▶ adopted
                       └─────decline (reply)──▶ not_adopted

The reply is what the bank tells the customer (or the forum): required on both outcomes.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from manyi.errors import InvalidInput

TEXT_MAX = 2000
REPLY_MAX = 1000
SOURCE_REF_MAX = 500


class SourceKind(enum.StrEnum):
    FORUM = "forum"  # 客户座谈会、客户论坛
    ONLINE_MEDIA = "online_media"  # 网络媒体、社交平台
    LETTER = "letter"  # 来信
    PHONE = "phone"  # 来电
    IN_PERSON = "in_person"  # 现场
    OTHER = "other"


SOURCE_NAMES: dict[SourceKind, tuple[str, str]] = {
    SourceKind.FORUM: ("客户座谈会/论坛", "Customer forum"),
    SourceKind.ONLINE_MEDIA: ("网络媒体", "Online media"),
    SourceKind.LETTER: ("来信", "Letter"),
    SourceKind.PHONE: ("来电", "Phone"),
    SourceKind.IN_PERSON: ("现场", "In person"),
    SourceKind.OTHER: ("其他", "Other"),
}


class OpinionState(enum.StrEnum):
    NEW = "new"
    REVIEWED = "reviewed"
    ADOPTED = "adopted"
    NOT_ADOPTED = "not_adopted"


STATE_NAMES: dict[OpinionState, tuple[str, str]] = {
    OpinionState.NEW: ("新登记", "New"),
    OpinionState.REVIEWED: ("已研究", "Reviewed"),
    OpinionState.ADOPTED: ("已采纳", "Adopted"),
    OpinionState.NOT_ADOPTED: ("未采纳", "Not adopted"),
}


class Step(enum.StrEnum):
    REVIEW = "review"
    ADOPT = "adopt"
    DECLINE = "decline"


_NEXT: dict[tuple[OpinionState, Step], OpinionState] = {
    (OpinionState.NEW, Step.REVIEW): OpinionState.REVIEWED,
    (OpinionState.REVIEWED, Step.ADOPT): OpinionState.ADOPTED,
    (OpinionState.REVIEWED, Step.DECLINE): OpinionState.NOT_ADOPTED,
}


def steps(state: OpinionState) -> list[Step]:
    """The steps open from a state, in the order a page offers them."""
    return [step for (s, step) in _NEXT if s is state]


def after(state: OpinionState, step: Step, reply: str) -> tuple[OpinionState, str]:
    """The state after a step and the reply kept; InvalidInput when the step is not open or
    an outcome has no reply."""
    target = _NEXT.get((state, step))
    if target is None:
        raise InvalidInput(
            "this step is not open for the opinion in its present state",
            "step",
            error_code="wrong_state",
        )
    reply = reply.strip()
    if step is not Step.REVIEW:
        if not reply:
            raise InvalidInput("write the reply to the customer", "reply")
        if len(reply) > REPLY_MAX:
            raise InvalidInput("the reply is longer than {max} characters", "reply", max=REPLY_MAX)
    return target, reply


@dataclass(frozen=True)
class NewOpinion:
    source_kind: SourceKind
    source_ref: str
    text: str
    unit_id: int
    received_at: dt.datetime


def check(
    source_kind: str,
    source_ref: str,
    text: str,
    unit_id: int | None,
    received_at: dt.datetime | None,
    now: dt.datetime,
) -> NewOpinion:
    """A registration checked field by field; InvalidInput names the first field at fault.
    (The classification codes are checked against the stored axes by the service.)"""
    try:
        kind = SourceKind(source_kind.strip())
    except ValueError:
        raise InvalidInput("choose where the opinion came from", "source_kind") from None
    source_ref = source_ref.strip()
    if len(source_ref) > SOURCE_REF_MAX:
        raise InvalidInput(
            "the source is longer than {max} characters", "source_ref", max=SOURCE_REF_MAX
        )
    if kind in (SourceKind.ONLINE_MEDIA, SourceKind.FORUM) and not source_ref:
        raise InvalidInput("give the link or the forum's name and date", "source_ref")
    text = text.strip()
    if not text:
        raise InvalidInput("write down what the customer said", "text")
    if len(text) > TEXT_MAX:
        raise InvalidInput("the text is longer than {max} characters", "text", max=TEXT_MAX)
    if unit_id is None:
        raise InvalidInput("choose the unit concerned", "unit_id")
    if received_at is None:
        raise InvalidInput("give the day and time it was received", "received_at")
    if received_at > now:
        raise InvalidInput("the time received is in the future", "received_at")
    return NewOpinion(kind, source_ref, text, unit_id, received_at)

"""Praise (表扬): a customer's thanks for a staff member, registered by the complaint desk or
the lobby manager against the staff member and their outlet.

Praise is the complaint desk's other half: the same people take it in, by phone, letter, online
or in person, and supervision's service stars count it (`complaints.facts.praise_for_staff`).
The rules here are what a registration must say; the date is the day the customer praised,
which may be earlier than the day it is typed in, but never later than today (the outlet's own
day) nor older than a year (a star period is a quarter or a year; older praise counts for
nothing and is more likely a typing error).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from manyi.errors import InvalidInput

TEXT_MAX = 1000
OLDEST_DAYS = 366


class PraiseChannel(enum.StrEnum):
    PHONE = "phone"  # 电话
    LETTER = "letter"  # 表扬信
    ONLINE = "online"  # 网络（网站、手机银行、公众号）
    IN_PERSON = "in_person"  # 现场


CHANNEL_NAMES: dict[PraiseChannel, tuple[str, str]] = {
    PraiseChannel.PHONE: ("电话", "Phone"),
    PraiseChannel.LETTER: ("表扬信", "Letter"),
    PraiseChannel.ONLINE: ("网络", "Online"),
    PraiseChannel.IN_PERSON: ("现场", "In person"),
}


@dataclass(frozen=True)
class NewPraise:
    staff_id: int
    channel: PraiseChannel
    received_on: dt.date
    text: str


def check(
    staff_id: int | None, channel: str, received_on: dt.date | None, text: str, today: dt.date
) -> NewPraise:
    """A registration checked field by field; InvalidInput names the first field at fault."""
    if staff_id is None:
        raise InvalidInput("choose the staff member who was praised", "staff_id")
    try:
        kind = PraiseChannel(channel.strip())
    except ValueError:
        raise InvalidInput("choose how the praise came in", "channel") from None
    if received_on is None:
        raise InvalidInput("give the day the customer praised (YYYY-MM-DD)", "received_on")
    if received_on > today:
        raise InvalidInput("the day of the praise is in the future", "received_on")
    if received_on < today - dt.timedelta(days=OLDEST_DAYS):
        raise InvalidInput("praise older than a year is not registered", "received_on")
    text = text.strip()
    if not text:
        raise InvalidInput("say what the customer praised", "text")
    if len(text) > TEXT_MAX:
        raise InvalidInput("the text is longer than {max} characters", "text", max=TEXT_MAX)
    return NewPraise(staff_id, kind, received_on, text)

"""Financial-literacy outreach (普及金融知识): events an outlet plans and holds outside its walls,
and what they add up to across the organisation (pure; `today` is an argument).

An event is planned (`planned`) for a day at a venue (a community, a school, a care home, a
market or another place) on one topic; it is then either held (`held`: the day it took place,
the participants, the materials handed out, the staff who went) or cancelled (`cancelled`, with
a reason). Both ends are final. The checks, each naming its field:

- planning: a title, a venue and a topic; the planned day is today or later, at most a year
  ahead (a plan for the past is a record, not a plan);
- holding: the day is not in the future and at most `RECORD_WINDOW_DAYS` back (recorded while
  it is remembered); at least one participant and at least one staff member; numbers within
  sense (`MAX_PARTICIPANTS`, `MAX_MATERIALS`);
- free text (title, venue, description, summary, a cancellation's reason) within its length,
  and with no personal data: a resident ID number (GB 11643, check digit right), a mainland
  mobile number or a bank card number (Luhn) left in it is refused. The events are reported
  upwards and exported; the people met are counted, never named.

The figures (`Tally`) are sums, so they add up across outlets and levels: an outlet's tally is
the sum of its events', a branch's the sum of its outlets'. Events count in a period by their
day: the day held for a held event, the planned day otherwise. Participants and materials
come from held events only.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from manyi.errors import Conflict, InvalidInput, Term
from manyi.personal import check_mobile, luhn_ok, resident_id_ok


class Venue(enum.StrEnum):
    COMMUNITY = "community"  # 社区
    SCHOOL = "school"  # 学校
    CARE_HOME = "care_home"  # 养老院
    MARKET = "market"  # 集市 / 商圈
    OTHER = "other"


class Topic(enum.StrEnum):
    FRAUD = "fraud"  # 防范电信网络诈骗
    ELDERLY_DIGITAL = "elderly_digital"  # 老年人智能技术运用
    RMB = "rmb"  # 人民币知识 (cash, counterfeit notes)
    CREDIT = "credit"  # 征信与借贷
    DEPOSIT_INSURANCE = "deposit_insurance"  # 存款保险
    ILLEGAL_FUNDRAISING = "illegal_fundraising"  # 防范非法集资
    PERSONAL_INFO = "personal_info"  # 个人信息保护
    OTHER = "other"


class State(enum.StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


class Action(enum.StrEnum):
    HOLD = "hold"
    CANCEL = "cancel"
    PHOTO = "photo"


# What each state allows; held and cancelled are final (a photo may still be added to a held
# event: the pictures often arrive a day later from a colleague's phone).
ALLOWED: Final = {
    State.PLANNED: frozenset({Action.HOLD, Action.CANCEL, Action.PHOTO}),
    State.HELD: frozenset({Action.PHOTO}),
    State.CANCELLED: frozenset[Action](),
}

TITLE_MAX: Final = 80
VENUE_MAX: Final = 80
DESCRIPTION_MAX: Final = 500
SUMMARY_MAX: Final = 500
REASON_MAX: Final = 200
MAX_PARTICIPANTS: Final = 100_000  # a stadium; more is a typing slip
MAX_MATERIALS: Final = 1_000_000
MAX_STAFF: Final = 30
PLAN_AHEAD_DAYS: Final = 366
RECORD_WINDOW_DAYS: Final = 90
PERIOD_MAX_DAYS: Final = 366 * 3


def venue_of(text: str) -> Venue:
    try:
        return Venue(text.strip())
    except ValueError:
        raise InvalidInput("choose the kind of venue", "venue_kind") from None


def topic_of(text: str) -> Topic:
    try:
        return Topic(text.strip())
    except ValueError:
        raise InvalidInput("choose the topic", "topic") from None


def check_action(state: State, action: Action) -> None:
    if action not in ALLOWED[state]:
        raise Conflict(
            "an event that is {state} cannot be changed so",
            "state",
            state=Term("outreach:" + state.value),
        )


# --- personal data in free text ----------------------------------------------------------
# Runs of digits, allowing the spaces and hyphens people type inside numbers ("138 0013 8000"),
# with an ID number's final X; a "+86" before a mobile number is part of it.
_NUMBER_RUN = re.compile(r"(?:\+?86[\s\-]?)?[0-9](?:[\s\-]?[0-9])*(?:[\s\-]?[Xx])?")


def personal_data_in(text: str, today: dt.date) -> str | None:
    """The kind of personal data found in `text` ("id_number", "mobile", "card"), or None.

    Text is NFKC-normalised first, so full-width digits count. A run must be a whole number
    (not part of a longer one) and pass its check: an ID number's check digit and birth date, a
    mobile number's prefix, a card number's Luhn digit; an order number that happens to have
    11 digits starting 13-19 is refused too, which is the safe side."""
    normal = unicodedata.normalize("NFKC", text)
    for match in _NUMBER_RUN.finditer(normal):
        # The run as typed, and each of its pieces: "120 13800138000" is two numbers.
        pieces = re.split(r"[\s\-]+", match.group(0))
        for run in ("".join(pieces), *pieces):
            found = _kind_of(run, today)
            if found is not None:
                return found
    return None


def _kind_of(run: str, today: dt.date) -> str | None:
    digits = run.removeprefix("+")
    if len(digits) == 18 and resident_id_ok(digits, today):
        return "id_number"
    if len(digits) in (11, 13) and _mobile_ok(run):
        return "mobile"
    if 16 <= len(digits) <= 19 and digits.isdigit() and luhn_ok(digits):
        return "card"
    return None


def _mobile_ok(text: str) -> bool:
    try:
        check_mobile(text)
    except ValueError:
        return False
    return True


_PERSONAL_WORDS: Final = {
    "id_number": "an ID number",
    "mobile": "a mobile number",
    "card": "a card number",
}


def clean_text(text: str, name: str, limit: int, today: dt.date, *, required: bool = False) -> str:
    """`text` with its white space folded, within `limit` characters and without personal
    data; refused naming the field `name`."""
    # Control characters (a NUL, which PostgreSQL refuses in text) count as white space.
    visible = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    cleaned = " ".join(visible.split())
    if required and not cleaned:
        raise InvalidInput("this field is required", name)
    if len(cleaned) > limit:
        raise InvalidInput("at most {n} characters", name, n=limit)
    found = personal_data_in(cleaned, today)
    if found is not None:
        raise InvalidInput(
            "remove {what}: events record no personal data",
            name,
            what=Term(_PERSONAL_WORDS[found]),
        )
    return cleaned


def count_of(text: str, name: str, lowest: int, highest: int) -> int:
    """A whole number typed in a form, between `lowest` and `highest`."""
    value = unicodedata.normalize("NFKC", text).strip().replace(",", "")
    if not value.isdecimal():
        raise InvalidInput("give a whole number", name)
    number = int(value) if len(value) <= 12 else highest + 1
    if not lowest <= number <= highest:
        raise InvalidInput("give a number from {low} to {high}", name, low=lowest, high=highest)
    return number


def date_of(text: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("give the date as YYYY-MM-DD", name) from None


# --- planning and holding ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """A planned event, checked."""

    title: str
    venue_kind: Venue
    venue: str
    topic: Topic
    planned_on: dt.date
    description: str = ""


def check_plan(
    *,
    title: str,
    venue_kind: str,
    venue: str,
    topic: str,
    planned_on: str,
    description: str,
    today: dt.date,
) -> Plan:
    """What the planning form says, checked; `today` is the outlet's local day."""
    clean_title = clean_text(title, "title", TITLE_MAX, today, required=True)
    kind = venue_of(venue_kind)
    place = clean_text(venue, "venue", VENUE_MAX, today, required=True)
    subject = topic_of(topic)
    day = date_of(planned_on, "planned_on")
    if day < today:
        raise InvalidInput("a planned date cannot be in the past", "planned_on")
    if day > today + dt.timedelta(days=PLAN_AHEAD_DAYS):
        raise InvalidInput("plan at most a year ahead", "planned_on")
    text = clean_text(description, "description", DESCRIPTION_MAX, today)
    return Plan(clean_title, kind, place, subject, day, text)


@dataclass(frozen=True, slots=True)
class Held:
    """A held event's record, checked."""

    held_on: dt.date
    participants: int
    materials: int
    staff_ids: tuple[int, ...]
    summary: str = ""


def check_held(
    *,
    held_on: str,
    participants: str,
    materials: str,
    staff_ids: Sequence[int],
    summary: str,
    today: dt.date,
) -> Held:
    """What the record form says, checked; `today` is the outlet's local day. Whether each
    staff member may be named is the use case's check (`check_staff`)."""
    day = date_of(held_on, "held_on")
    if day > today:
        raise InvalidInput("an event cannot be recorded as held in the future", "held_on")
    if day < today - dt.timedelta(days=RECORD_WINDOW_DAYS):
        raise InvalidInput(
            "record an event within {days} days of holding it", "held_on", days=RECORD_WINDOW_DAYS
        )
    people = count_of(participants, "participants", 1, MAX_PARTICIPANTS)
    handed = count_of(materials or "0", "materials", 0, MAX_MATERIALS)
    team = tuple(dict.fromkeys(staff_ids))  # in the order chosen, each once
    if not team:
        raise InvalidInput("name at least one member of staff who held the event", "staff")
    if len(team) > MAX_STAFF:
        raise InvalidInput("at most {n} staff", "staff", n=MAX_STAFF)
    text = clean_text(summary, "summary", SUMMARY_MAX, today)
    return Held(day, people, handed, team, text)


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: int
    active: bool
    unit_path: str


def check_staff(members: Iterable[StaffMember], outlet_path: str) -> None:
    """Everyone named is an active member of the event's outlet (or a unit below it)."""
    for member in members:
        if not member.active or not member.unit_path.startswith(outlet_path):
            raise InvalidInput("choose staff of the event's outlet", "staff")


def check_reason(reason: str, today: dt.date) -> str:
    return clean_text(reason, "reason", REASON_MAX, today, required=True)

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
from dataclasses import dataclass, field
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


# --- periods and figures -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """Days `start` to `end`, both included."""

    start: dt.date
    end: dt.date

    @classmethod
    def month_of(cls, day: dt.date) -> Period:
        first = day.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return cls(first, following - dt.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def period_of(start: str, end: str, today: dt.date) -> Period:
    """The period a page asks for: this month when neither end is given."""
    default = Period.month_of(today)
    first = date_of(start, "from") if start.strip() else default.start
    last = date_of(end, "to") if end.strip() else max(first, default.end)
    if last < first:
        raise InvalidInput("the period ends before it starts", "to")
    if (last - first).days + 1 > PERIOD_MAX_DAYS:
        raise InvalidInput("a period is at most {days} days", "to", days=PERIOD_MAX_DAYS)
    return Period(first, last)


@dataclass(frozen=True, slots=True)
class Group:
    """Events of one kind (state, topic, venue) at one outlet: a row of the SQL sums."""

    outlet_path: str
    state: str
    topic: str
    venue_kind: str
    events: int
    participants: int = 0
    materials: int = 0


@dataclass(slots=True)
class Tally:
    """Outreach figures of a unit over a period: additive, so units sum to their parent."""

    planned: int = 0
    held: int = 0
    cancelled: int = 0
    participants: int = 0
    materials: int = 0
    held_by_topic: dict[str, int] = field(default_factory=dict)
    held_by_venue: dict[str, int] = field(default_factory=dict)
    participants_by_topic: dict[str, int] = field(default_factory=dict)

    @property
    def events(self) -> int:
        """Events planned or held (a cancelled one did not reach anyone)."""
        return self.planned + self.held

    @property
    def per_event(self) -> float | None:
        """Participants per held event."""
        return self.participants / self.held if self.held else None

    def add(self, group: Group) -> None:
        if group.state == State.HELD:
            self.held += group.events
            self.participants += group.participants
            self.materials += group.materials
            _bump(self.held_by_topic, group.topic, group.events)
            _bump(self.held_by_venue, group.venue_kind, group.events)
            _bump(self.participants_by_topic, group.topic, group.participants)
        elif group.state == State.PLANNED:
            self.planned += group.events
        else:
            self.cancelled += group.events

    def merge(self, other: Tally) -> None:
        self.planned += other.planned
        self.held += other.held
        self.cancelled += other.cancelled
        self.participants += other.participants
        self.materials += other.materials
        for mine, theirs in (
            (self.held_by_topic, other.held_by_topic),
            (self.held_by_venue, other.held_by_venue),
            (self.participants_by_topic, other.participants_by_topic),
        ):
            for key, value in theirs.items():
                _bump(mine, key, value)


def _bump(counts: dict[str, int], key: str, by: int) -> None:
    counts[key] = counts.get(key, 0) + by


def roll_up(groups: Iterable[Group], unit_paths: Sequence[str]) -> dict[str, Tally]:
    """The groups summed per unit of `unit_paths` (each unit's subtree); a group under none
    of them is left out. Every unit gets a tally, empty when it held nothing.

    A unit holding a path is found by cutting the path at the units' depths (siblings share
    one), a dictionary look-up rather than a scan of every unit: head office has tier-1
    branches by the dozen, a tier-1 branch may have hundreds of outlets below it."""
    tallies = {p: Tally() for p in unit_paths}
    depths = sorted({p.count("/") for p in unit_paths})
    for group in groups:
        for depth in depths:
            cut = "/".join(group.outlet_path.split("/")[:depth]) + "/"
            if cut in tallies:
                tallies[cut].add(group)
                break
    return tallies


def total(tallies: Iterable[Tally]) -> Tally:
    whole = Tally()
    for tally in tallies:
        whole.merge(tally)
    return whole

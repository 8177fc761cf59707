"""Lobby rules: services, priority classes, counters, the outlet's policy, ticket states.

Pure domain code: no web framework, no ORM. The web app, the CLI and the
simulator all drive these same objects; a ticket and its transitions are
`ticket.py`, and `dispatch.py` picks the next ticket.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final
from zoneinfo import ZoneInfo

from manyi.errors import Conflict, InvalidInput, Term
from manyi.lobby.domain import days
from manyi.lobby.domain.voices import (
    DEFAULT_ANNOUNCEMENT_EN,
    DEFAULT_ANNOUNCEMENT_ZH,
    DEFAULT_CALL_HOLD_S,
    DEFAULT_SPEECH_RATE_PCT,
    check_announcement,
    check_voices,
)


class PriorityClass(enum.StrEnum):
    NORMAL = "normal"
    APPOINTMENT = "appointment"  # 预约
    VIP = "vip"  # 贵宾
    GREEN = "green"  # 绿色通道 / 爱心窗口: elderly, disabled, pregnant


class Channel(enum.StrEnum):
    KIOSK = "kiosk"
    PHONE = "phone"
    APPOINTMENT = "appointment"
    LOBBY_MANAGER = "lobby_manager"


class CounterKind(enum.StrEnum):
    REGULAR = "regular"
    VIP = "vip"
    FAST_LANE = "fast_lane"  # 简单业务快速通道
    GREEN = "green"
    FLEXIBLE = "flexible"  # 弹性窗口


class CounterState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"
    SERVING = "serving"


class TicketState(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    FINISHED = "finished"


class Outcome(enum.StrEnum):
    SERVED = "served"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    TRANSFERRED = "transferred"


# The members the counter's transitions test, as plain names (a ticket's: ticket.py).
# Reading a member through its class (`CounterState.OPEN`) goes through
# `EnumType.__getattr__` in Python 3.11, a Python-level hook of about 60 ns, and the
# simulator runs these transitions for every customer it moves.
_CLOSED: Final = CounterState.CLOSED
_OPEN: Final = CounterState.OPEN
_PAUSED: Final = CounterState.PAUSED
_BUSY: Final = CounterState.SERVING


# Two priority calls, then one normal, when every class has people waiting:
# green 2 + VIP 1 + appointment 1 against normal 2. See dispatch.py.
DEFAULT_WEIGHTS: Mapping[PriorityClass, int] = {
    PriorityClass.GREEN: 2,
    PriorityClass.VIP: 1,
    PriorityClass.APPOINTMENT: 1,
    PriorityClass.NORMAL: 2,
}
_PREFIX = re.compile(r"^[A-Z]$")
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,15}$")


@dataclass(frozen=True)
class Service:
    """A kind of business (业务) customers queue for."""

    code: str
    name_zh: str
    prefix: str
    expected_service_s: int
    name_en: str = ""
    fast_lane: bool = False
    skill: str | None = None

    def __post_init__(self) -> None:
        if not _CODE.fullmatch(self.code):
            raise InvalidInput(
                "service code must be 1–16 capital letters, digits, '-' or '_'", "code"
            )
        if not self.name_zh.strip():
            raise InvalidInput("service name is required", "name_zh")
        if not _PREFIX.fullmatch(self.prefix):
            raise InvalidInput("ticket prefix must be one capital letter A–Z", "prefix")
        if not 10 <= self.expected_service_s <= 4 * 3600:
            raise InvalidInput(
                "expected service time must be between 10 s and 4 h", "expected_service_s"
            )

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_zh


@dataclass(frozen=True)
class Policy:
    """An outlet's lobby settings."""

    weights: Mapping[PriorityClass, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    ageing_s: int = 900
    no_show_after_calls: int = 2
    requeue_grace_s: int = 600
    requeue_behind: int = 3
    target_wait_s: int = 600
    announcement_zh: str = DEFAULT_ANNOUNCEMENT_ZH
    announcement_en: str = DEFAULT_ANNOUNCEMENT_EN
    opens_at: dt.time = dt.time(0, 0)
    closes_at: dt.time | None = None  # None: until midnight
    timezone: str = "Asia/Shanghai"
    rating_window_s: int = 30  # the rating pad accepts an answer this long after service
    green_confirm: bool = True  # the kiosk asks who the green channel is for before issuing
    day_starts_at: dt.time = dt.time(0, 0)  # local start of the business day: see days.py
    # The board's voices (see docs/lobby-screens.md, "Board voices"): Mandarin always, then
    # English when on, then the Chinese text once more in a dialect voice the board has.
    announce_en: bool = False
    announce_dialect: str = ""  # BCP 47 tag of the dialect voice, e.g. "zh-HK" (粤语); "": none
    speech_rate_pct: int = DEFAULT_SPEECH_RATE_PCT  # 100 = the engine's normal pace
    call_hold_s: int = DEFAULT_CALL_HOLD_S  # a call stays the board's big call at least this long
    # The days it opens (days.open_on): ISO days of the week, and whether on public holidays.
    open_weekdays: frozenset[int] = days.WORKING_WEEK
    open_on_holidays: bool = False

    def __post_init__(self) -> None:
        # Read as objects: the check is for whatever was passed, whatever the annotation says.
        weights: Mapping[PriorityClass, object] = self.weights
        for klass in PriorityClass:
            weight = weights.get(klass)
            if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 100:
                raise InvalidInput(
                    "weight of class {klass} must be a whole number from 1 to 100",
                    "weights",
                    klass=klass.value,
                )
        if not 60 <= self.ageing_s <= 4 * 3600:
            raise InvalidInput("ageing threshold must be between 60 s and 4 h", "ageing_s")
        if not 1 <= self.no_show_after_calls <= 5:
            raise InvalidInput("no-show needs between 1 and 5 calls", "no_show_after_calls")
        if not 0 <= self.requeue_grace_s <= 3600:
            raise InvalidInput("re-queue grace must be between 0 and 1 h", "requeue_grace_s")
        if not 0 <= self.requeue_behind <= 50:
            raise InvalidInput("re-queue position must be between 0 and 50", "requeue_behind")
        if not 60 <= self.target_wait_s <= 3 * 3600:
            raise InvalidInput("target wait must be between 1 min and 3 h", "target_wait_s")
        if not 10 <= self.rating_window_s <= 600:
            raise InvalidInput("rating window must be between 10 s and 10 min", "rating_window_s")
        check_announcement(self.announcement_zh, "announcement_zh")
        check_announcement(self.announcement_en, "announcement_en")
        check_voices(self.announce_dialect, self.speech_rate_pct, self.call_hold_s)
        days.check_open_days(self.open_weekdays)
        if self.closes_at is not None and self.closes_at <= self.opens_at:
            raise InvalidInput("closing time must be after opening time", "closes_at")
        if self.day_starts_at >= days.LATEST_START:
            raise InvalidInput("the business day must start before 12:00", "day_starts_at")
        # An outlet that closes for the night keeps its opening hours in one business day,
        # so its numbers never restart while it is open.
        if not self.open_around_the_clock and self.day_starts_at > self.opens_at:
            raise InvalidInput(
                "the business day must start at or before the opening time {opens}",
                "day_starts_at",
                opens=self.opens_at.strftime("%H:%M"),
            )
        try:
            ZoneInfo(self.timezone)
        except (KeyError, ValueError, OSError):  # OSError: a folder such as "Asia"
            raise InvalidInput("unknown time zone {tz}", "timezone", tz=self.timezone) from None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def open_around_the_clock(self) -> bool:
        return self.opens_at == dt.time(0) and self.closes_at is None

    def business_day(self, now: dt.datetime) -> dt.date:
        """The outlet's business day at `now`: what numbers and daily figures follow."""
        return days.business_day(now, self.zone, self.day_starts_at)

    def is_open(self, now: dt.datetime) -> bool:
        local = now.astimezone(self.zone).time()
        return self.opens_at <= local and (self.closes_at is None or local < self.closes_at)

    def business_day_start(self, now: dt.datetime) -> dt.datetime:
        """When the business day of `now` began, as an aware UTC time."""
        return days.day_start(self.business_day(now), self.zone, self.day_starts_at)

    def business_day_end(self, now: dt.datetime) -> dt.datetime:
        """When the business day of `now` ends, as an aware UTC time."""
        return days.business_day_end(now, self.zone, self.day_starts_at)

    def first_queue_day(self, now: dt.datetime) -> dt.date:
        """The earliest business day whose waiting tickets are still in the queue at `now`.

        An outlet that closes for the night starts each business day with an empty queue:
        whoever still waits from an earlier day is sent home at the next sign-on. At an
        outlet open around the clock the queue never breaks, so a customer who was
        waiting when the day changed is still called in the new day (and after that
        day, too, they are sent home).
        """
        today = self.business_day(now)
        return today - days.ONE_DAY if self.open_around_the_clock else today

    def ticket_valid_until(self, issued_at: dt.datetime) -> dt.datetime:
        """How long a ticket issued at `issued_at` stays in the queue if nobody calls it."""
        # The day's end, or around the clock the next day's: computed from the day rather than
        # by asking for the day of the end, which would replace the last day's kept bounds
        # (`days.business_day`) with the next day's at every ticket.
        days_left = 2 if self.open_around_the_clock else 1
        day = self.business_day(issued_at) + days_left * days.ONE_DAY
        return days.day_start(day, self.zone, self.day_starts_at)


def format_number(prefix: str, seq: int) -> str:
    """A001 … A999, then A1000: the customer's number for the day."""
    return prefix + str(seq).zfill(3)  # f"{prefix}{seq:03d}" at half the cost


@dataclass(slots=True)
class Counter:
    """A service window (窗口) and who is at it."""

    id: int
    number: int
    kind: CounterKind
    services: tuple[str, ...]  # service codes, most preferred first
    state: CounterState = CounterState.CLOSED
    teller_id: int | None = None
    teller_skills: frozenset[str] = frozenset()
    current_ticket_id: int | None = None
    credits: dict[str, int] = field(default_factory=dict)  # weighted-cycle state

    def can_serve(self, service: Service) -> bool:
        return service.code in self.services and (
            service.skill is None or service.skill in self.teller_skills
        )

    def open(self, teller_id: int, skills: frozenset[str] = frozenset()) -> None:
        if self.state is not _CLOSED:
            raise Conflict("counter {n} is already open", "counter", n=self.number)
        self.state = _OPEN
        self.teller_id = teller_id
        self.teller_skills = skills
        self.credits = {}

    def close(self) -> None:
        self._not_serving(Term("close"))
        self.state = _CLOSED
        self.teller_id = None
        self.teller_skills = frozenset()

    def pause(self) -> None:
        self._not_serving(Term("pause"))
        if self.state is not _OPEN:
            raise Conflict("counter {n} is not open", "counter", n=self.number)
        self.state = _PAUSED

    def resume(self) -> None:
        if self.state is not _PAUSED:
            raise Conflict("counter {n} is not paused", "counter", n=self.number)
        self.state = _OPEN

    def ready_to_call(self) -> None:
        """Raise unless the counter may call the next customer now."""
        state = self.state
        if state is _OPEN:
            return
        if state is _BUSY:
            raise Conflict(
                "counter {n} still has a customer; complete, transfer or mark a no-show first",
                "counter",
                n=self.number,
            )
        if state is _PAUSED:
            raise Conflict("counter {n} is paused; resume it first", "counter", n=self.number)
        if state is _CLOSED:
            raise Conflict("counter {n} is closed; open it first", "counter", n=self.number)

    def take(self, ticket_id: int) -> None:
        self.state = _BUSY
        self.current_ticket_id = ticket_id

    def release(self) -> None:
        if self.state is _BUSY:
            self.state = _OPEN
        self.current_ticket_id = None

    def _not_serving(self, verb: Term) -> None:
        if self.state is _BUSY:
            raise Conflict(
                "counter {n} still has a customer; finish it before you {verb}",
                "counter",
                n=self.number,
                verb=verb,
            )

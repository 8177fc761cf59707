"""The outlet head's daily self-check (网点负责人全天候管理): the checklist, the day's rounds and
their times, when a round is missed, and the checks of a submitted round. Pure: `now` and the
calendar are arguments.

Three rounds a working day, each a handful of items drawn from the window-service standard
(`supervision.domain.standards`: the item a self-check item corresponds to is named, so a
failed item reads like the inspector's finding):

    round     due (local)                               open from     missed after
    opening   the outlet's opening time, else 09:00     due − 90 min  due + 60 min
    midday    12:00, when the outlet is open then       due − 60 min  due + 60 min
    closing   the outlet's closing time, else 17:00     due − 60 min  due + 60 min

An outlet open around the clock (the lobby's opening time 00:00, no closing time) keeps the
bank's ordinary hours for its self-check. A day the bank's calendar says is not a working day
has no rounds. Worked example, an outlet opening 09:00 and closing 17:00 in Beijing on Monday
30 November 2026: the opening round can be submitted from 07:30, is due at 09:00 and missed
from 10:00:00 (01:00 UTC, the moment the branch is alerted); a round submitted at 10:20 is
recorded *late* — still worth doing, never refused on its own day — and one not submitted by
the end of that local day stays *missed*.

Local times become instants in the outlet's zone. In a zone with daylight saving a time that
does not exist (the spring gap) is read with the offset before the change, so it lands an hour
later; a time that occurs twice is taken the first time. China has no daylight saving.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from manyi.errors import Conflict, InvalidInput, Term
from manyi.lobby.domain import days
from manyi.workdays.domain.calendar import HolidayCalendar

VERSION = 1  # the checklist's version; a round keeps the version it was done against
GRACE = dt.timedelta(minutes=60)
DEFAULT_OPENING = dt.time(9, 0)
MIDDAY = dt.time(12, 0)
DEFAULT_CLOSING = dt.time(17, 0)
NOTE_MAX = 200


class Round(enum.StrEnum):
    OPENING = "opening"  # 营业前检查
    MIDDAY = "midday"  # 午间巡查
    CLOSING = "closing"  # 营业终了检查


LEAD: dict[Round, dt.timedelta] = {
    Round.OPENING: dt.timedelta(minutes=90),
    Round.MIDDAY: dt.timedelta(minutes=60),
    Round.CLOSING: dt.timedelta(minutes=60),
}


# Their names as message ids (shown translated; a refusal names the round with them).
ROUND_WORDS: dict[Round, str] = {
    Round.OPENING: "Opening check",
    Round.MIDDAY: "Midday round",
    Round.CLOSING: "Closing check",
}


class Status(enum.StrEnum):
    UPCOMING = "upcoming"  # not open for submission yet
    OPEN = "open"  # can be done now, not yet due
    OVERDUE = "overdue"  # past due, within the grace
    MISSED = "missed"  # not done within the grace
    DONE = "done"  # done by the end of the grace
    LATE = "late"  # done after the grace, on its own day


STATUS_WORDS: dict[Status, str] = {
    Status.UPCOMING: "Not yet open",
    Status.OPEN: "Open now",
    Status.OVERDUE: "Due, within the grace",
    Status.MISSED: "Missed round",
    Status.DONE: "Done on time",
    Status.LATE: "Done late",
}


@dataclass(frozen=True)
class Item:
    code: str
    round: Round
    text_zh: str
    text_en: str
    standard: str  # the window-service standard's item it corresponds to ("" for none)
    photo_on_fail: bool  # a failure must be shown with a photo

    def text(self, lang: str) -> str:
        return self.text_en if lang == "en" and self.text_en else self.text_zh


def _i(code: str, rnd: Round, zh: str, en: str, std: str = "", photo: bool = False) -> Item:
    return Item(code, rnd, zh, en, std, photo)


OP, MD, CL = Round.OPENING, Round.MIDDAY, Round.CLOSING

# Version 1: six items a round, from the standard's groups (appearance, environment, elderly,
# disclosure, process, greeting) and the outlet head's own duties before, during and after the
# day. What a camera can show (the hall, machines, facilities, notices) needs a photo on failure.
CHECKLISTS: dict[int, tuple[Item, ...]] = {
    1: (
        _i("OP1", OP, "员工统一着装，佩戴工号牌上岗", "Staff in uniform, name badges worn", "A2"),
        _i("OP2", OP, "营业厅整洁，无杂物堆放", "Hall clean, nothing piled up", "E1", True),
        _i("OP3", OP, "叫号机、自助设备开机运行正常", "Queue system and machines up", "E2", True),
        _i(
            "OP4",
            OP,
            "爱心窗口开放，老花镜、轮椅等便民设施到位",
            "Priority counter open; glasses, wheelchair at hand",
            "EL2",
            True,
        ),
        _i(
            "OP5",
            OP,
            "收费标准、投诉电话、利率公告完整",
            "Fees, complaint number, rates shown",
            "D1",
            True,
        ),
        _i("OP6", OP, "晨会完成，当日窗口与人员安排落实", "Morning briefing held, staffing set"),
        _i(
            "MD1",
            MD,
            "大堂经理在岗，引导分流有序",
            "Lobby manager at the door, triage in order",
            "G1",
        ),
        _i("MD2", MD, "等候正常，必要时已开弹性窗口", "Waits normal; flexible counters opened"),
        _i(
            "MD3",
            MD,
            "自助设备运行正常并有人引导",
            "Machines working, with help at hand",
            "E2",
            True,
        ),
        _i(
            "MD4",
            MD,
            "老年客户优先办理，爱心窗口正常服务",
            "Elderly served first at the priority counter",
            "EL1",
        ),
        _i(
            "MD5", MD, "离柜放置暂停服务牌，无空岗", "Pause signs used, no counter left empty", "P3"
        ),
        _i("MD6", MD, "文明用语，无推诿拒办", "Polite language, nobody turned away", "G2"),
        _i("CL1", CL, "当日客户意见、投诉已登记处理", "Today's comments and complaints registered"),
        _i(
            "CL2",
            CL,
            "自助设备巡检完毕，故障已报修",
            "Machines checked, faults reported",
            "E2",
            True,
        ),
        _i("CL3", CL, "营业厅整理，设施复位", "Hall tidied, furniture back in place", "E1", True),
        _i("CL4", CL, "便民设施清点归位", "Elderly facilities counted and put away", "EL2"),
        _i(
            "CL5",
            CL,
            "未办结业务已交接，预约客户已告知",
            "Open business handed over, bookings told",
        ),
        _i(
            "CL6",
            CL,
            "公示信息核对，次日利率公告更新",
            "Notices checked, tomorrow's rates posted",
            "D3",
        ),
    ),
}


def checklist(version: int = VERSION) -> tuple[Item, ...]:
    return CHECKLISTS[version]


def items_of(rnd: Round, version: int = VERSION) -> tuple[Item, ...]:
    return tuple(i for i in CHECKLISTS[version] if i.round is rnd)


def round_of(value: str) -> Round:
    try:
        return Round(value.strip())
    except ValueError:
        raise InvalidInput(
            "there is no self-check round {round}", "round", round=value[:20]
        ) from None


@dataclass(frozen=True)
class Hours:
    """The outlet's opening hours from the lobby's policy (00:00 and None: around the clock),
    and the days it opens (its days of the week; public holidays or not)."""

    opens_at: dt.time = dt.time(0)
    closes_at: dt.time | None = None
    weekdays: frozenset[int] = days.WORKING_WEEK
    on_holidays: bool = False

    def open_on(self, day: dt.date, calendar: HolidayCalendar) -> bool:
        """Whether the outlet opens on `day`, by the bank's calendar (`days.open_on`): on its
        days of the week, make-up working days too, public holidays only if it opens on them."""
        bank_works = calendar.is_workday(day)
        holiday = not bank_works and calendar.holiday_name(day) is not None
        return days.open_on(day, self.weekdays, self.on_holidays, bank_works, holiday)


@dataclass(frozen=True)
class Planned:
    """One round of one outlet's local day, its instants in UTC."""

    round: Round
    day: dt.date
    open_from: dt.datetime
    due_at: dt.datetime
    missed_at: dt.datetime  # not submitted by then: missed (and the branch is alerted)
    day_ends: dt.datetime  # the last moment it can be submitted (late)


def _instant(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, at, zone).astimezone(dt.UTC)


def due_times(hours: Hours) -> dict[Round, dt.time]:
    """The local due time of each round the outlet has on a working day."""
    around_the_clock = hours.opens_at == dt.time(0) and hours.closes_at is None
    opening = DEFAULT_OPENING if around_the_clock else hours.opens_at
    closing = hours.closes_at or DEFAULT_CLOSING
    times = {Round.OPENING: opening}
    if opening < MIDDAY < closing:  # a half day closing at noon has no midday round
        times[Round.MIDDAY] = MIDDAY
    times[Round.CLOSING] = closing
    return times


def plan_day(day: dt.date, zone: str, hours: Hours, open_day: bool) -> list[Planned]:
    """The rounds of an outlet's local day (none on a day it does not open: `Hours.open_on`)."""
    if not open_day:
        return []
    tz = ZoneInfo(zone)
    ends = _instant(day + dt.timedelta(days=1), dt.time(0), tz) - dt.timedelta(microseconds=1)
    planned = []
    for rnd, at in due_times(hours).items():
        due = _instant(day, at, tz)
        planned.append(Planned(rnd, day, due - LEAD[rnd], due, due + GRACE, max(ends, due + GRACE)))
    return planned


def status(planned: Planned, submitted_at: dt.datetime | None, now: dt.datetime) -> Status:
    if submitted_at is not None:
        return Status.DONE if submitted_at < planned.missed_at else Status.LATE
    if now < planned.open_from:
        return Status.UPCOMING
    if now < planned.due_at:
        return Status.OPEN
    if now < planned.missed_at:
        return Status.OVERDUE
    return Status.MISSED


def local_day(now: dt.datetime, zone: str) -> dt.date:
    return now.astimezone(ZoneInfo(zone)).date()


@dataclass(frozen=True)
class Answer:
    code: str
    passed: bool | None  # None: not answered
    note: str = ""
    has_photo: bool = False


@dataclass(frozen=True)
class Checked:
    code: str
    passed: bool
    note: str


def check_window(planned: Planned, submitted: bool, now: dt.datetime) -> None:
    """A round is submitted once, from its opening until the end of its own local day."""
    if submitted:
        raise Conflict(
            "the {round} round of {day} is already done",
            "round",
            round=Term(ROUND_WORDS[planned.round]),
            day=planned.day.isoformat(),
        )
    if now < planned.open_from:
        raise Conflict(
            "the {round} round opens at {time}",
            "round",
            round=Term(ROUND_WORDS[planned.round]),
            time=planned.open_from.isoformat(timespec="minutes"),
        )
    if now > planned.day_ends:
        raise Conflict("a round is done on its own day", "round")


def check_answers(
    rnd: Round, answers: Mapping[str, Answer], version: int = VERSION
) -> list[Checked]:
    """Every item of the round answered; a failed item says what is wrong, and shows it with a
    photo where the checklist asks for one. The first fault is named by its item code."""
    items = items_of(rnd, version)
    known = {i.code for i in items}
    for code in answers:
        if code not in known:
            raise InvalidInput("there is no item {code} in this round", code, code=code[:20])
    checked = []
    for item in items:
        answer = answers.get(item.code)
        if answer is None or answer.passed is None:
            raise InvalidInput(
                "answer every item: {code} is not answered", item.code, code=item.code
            )
        note = " ".join(answer.note.split())
        if len(note) > NOTE_MAX:
            raise InvalidInput(
                "{code}: a note has at most {n} characters", item.code, code=item.code, n=NOTE_MAX
            )
        if not answer.passed and not note:
            raise InvalidInput("{code} failed: say what is wrong", item.code, code=item.code)
        if not answer.passed and item.photo_on_fail and not answer.has_photo:
            raise InvalidInput(
                "{code} failed: add a photo of what is wrong", item.code, code=item.code
            )
        checked.append(Checked(item.code, answer.passed, note))
    return checked


@dataclass
class Tally:
    """Rounds of a unit over a period, by status, and the failed items among the done ones."""

    planned: int = 0
    done: int = 0
    late: int = 0
    missed: int = 0
    pending: int = 0  # not due yet, or due and still within the grace
    failed_items: int = 0
    tasks: int = 0

    def add(self, state: Status, failed: int = 0, tasks: int = 0) -> None:
        self.planned += 1
        if state is Status.DONE:
            self.done += 1
        elif state is Status.LATE:
            self.late += 1
        elif state is Status.MISSED:
            self.missed += 1
        else:
            self.pending += 1
        self.failed_items += failed
        self.tasks += tasks

    @property
    def on_time_pct(self) -> int | None:
        """Done on time, of the rounds whose time has come (pending ones aside)."""
        settled = self.done + self.late + self.missed
        return round(100 * self.done / settled) if settled else None

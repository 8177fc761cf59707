"""Lobby model rules: validation, numbers, the outlet's day, ticket and counter transitions."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from manyi.errors import Conflict, InvalidInput
from manyi.lobby.domain.engine import Lobby
from manyi.lobby.domain.model import (
    DEFAULT_ANNOUNCEMENT_EN,
    DEFAULT_ANNOUNCEMENT_ZH,
    DEFAULT_WEIGHTS,
    Channel,
    Counter,
    CounterKind,
    CounterState,
    Outcome,
    Policy,
    PriorityClass,
    Service,
    TicketState,
    announcement,
    check_announcement,
    format_number,
)
from manyi.lobby.domain.ticket import Ticket

UTC = dt.UTC
# 10:00 in Shanghai.
T0 = dt.datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def sec(n: float) -> dt.timedelta:
    return dt.timedelta(seconds=n)


def service(**kw: Any) -> Service:
    fields: dict[str, Any] = {
        "code": "DEP",
        "name_zh": "存款",
        "prefix": "A",
        "expected_service_s": 300,
    }
    fields.update(kw)
    return Service(**fields)


def policy(**kw: Any) -> Policy:
    return Policy(**kw)


# --- Service validation ---------------------------------------------------------------


def test_valid_service_and_names() -> None:
    s = service(code="FX-1_B", name_en="Foreign exchange", prefix="Z")
    assert s.name("en") == "Foreign exchange"
    assert s.name("zh_CN") == "存款"
    assert service().name("en") == "存款"  # no English name: falls back to Chinese


@pytest.mark.parametrize("code", ["A", "0", "DEP", "A-B_C", "X" * 16, "9LIVES"])
def test_good_service_codes(code: str) -> None:
    assert service(code=code).code == code


@pytest.mark.parametrize(
    "code",
    ["", "dep", "Dep", "-DEP", "_DEP", "X" * 17, "DEP X", "DEP.1", "存款", "DEP\n", " DEP", "DEP "],
)
def test_bad_service_codes(code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        service(code=code)
    assert info.value.field == "code"


@pytest.mark.parametrize("prefix", ["", "a", "AB", "1", "-", "Ä", "甲", "A\n", " A"])
def test_bad_prefixes(prefix: str) -> None:
    with pytest.raises(InvalidInput) as info:
        service(prefix=prefix)
    assert info.value.field == "prefix"


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_service_needs_a_name(name: str) -> None:
    with pytest.raises(InvalidInput) as info:
        service(name_zh=name)
    assert info.value.field == "name_zh"


@pytest.mark.parametrize(("seconds", "ok"), [(9, False), (10, True), (14400, True), (14401, False)])
def test_expected_service_time_bounds(seconds: int, ok: bool) -> None:
    if ok:
        assert service(expected_service_s=seconds).expected_service_s == seconds
    else:
        with pytest.raises(InvalidInput) as info:
            service(expected_service_s=seconds)
        assert info.value.field == "expected_service_s"


# --- Policy validation ----------------------------------------------------------------


def test_default_policy_is_valid() -> None:
    p = Policy()
    assert dict(p.weights) == dict(DEFAULT_WEIGHTS)
    assert p.timezone == "Asia/Shanghai"


@pytest.mark.parametrize("klass", list(PriorityClass))
@pytest.mark.parametrize("bad", [0, -1, 101, 1.5, "2", None])
def test_bad_weights(klass: PriorityClass, bad: object) -> None:
    weights: dict[PriorityClass, Any] = dict(DEFAULT_WEIGHTS)
    weights[klass] = bad
    with pytest.raises(InvalidInput) as info:
        Policy(weights=weights)
    assert info.value.field == "weights"
    assert info.value.params["klass"] == klass.value


def test_missing_weight_is_rejected() -> None:
    weights: dict[PriorityClass, int] = {
        k: v for k, v in DEFAULT_WEIGHTS.items() if k is not PriorityClass.VIP
    }
    with pytest.raises(InvalidInput) as info:
        Policy(weights=weights)
    assert info.value.field == "weights"
    assert info.value.params["klass"] == "vip"


def test_weight_bounds_are_inclusive() -> None:
    Policy(weights=dict.fromkeys(PriorityClass, 1))
    Policy(weights=dict.fromkeys(PriorityClass, 100))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ageing_s", 59),
        ("ageing_s", 4 * 3600 + 1),
        ("no_show_after_calls", 0),
        ("no_show_after_calls", 6),
        ("requeue_grace_s", -1),
        ("requeue_grace_s", 3601),
        ("requeue_behind", -1),
        ("requeue_behind", 51),
        ("target_wait_s", 59),
        ("target_wait_s", 3 * 3600 + 1),
    ],
)
def test_policy_numbers_out_of_range(field: str, value: int) -> None:
    with pytest.raises(InvalidInput) as info:
        policy(**{field: value})
    assert info.value.field == field


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ageing_s", 60),
        ("ageing_s", 4 * 3600),
        ("no_show_after_calls", 1),
        ("no_show_after_calls", 5),
        ("requeue_grace_s", 0),
        ("requeue_grace_s", 3600),
        ("requeue_behind", 0),
        ("requeue_behind", 50),
        ("target_wait_s", 60),
        ("target_wait_s", 3 * 3600),
    ],
)
def test_policy_numbers_at_their_bounds(field: str, value: int) -> None:
    assert getattr(policy(**{field: value}), field) == value


BAD_TEMPLATES = [
    "",
    "   ",
    "{number}{counter}" + "x" * 190,  # 207 characters
    "请{number}号办理",  # no counter
    "请到{counter}号窗口",  # no number
    "{number}{counter}{teller}",  # unknown field
    "{number}{counter}{}",  # positional field
    "{number}{counter}{0}",
    "{number.upper}{counter}",  # attribute access
    "{number.no_such_thing}{counter}",
    "{number[0]}{counter}",  # indexing
    "{number}{counter}{",  # unmatched brace
    "{number}{counter}}",
    "{{number}}{counter}",  # escaped: no real {number}
    "{number:{service}}{counter}",  # a field nested in a format spec
    "{number:d}{counter}",  # a number is text: 'd' cannot format it
    "{number}{counter:s}",  # a counter is a whole number: 's' cannot format it
    "{number!x}{counter}",  # no such conversion
    "{number:%Y}{counter}",  # a date spec
]


@pytest.mark.parametrize("template", BAD_TEMPLATES)
@pytest.mark.parametrize("field", ["announcement_zh", "announcement_en"])
def test_bad_announcement_templates(template: str, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        policy(**{field: template})
    assert info.value.field == field


@pytest.mark.parametrize(
    "template",
    [
        DEFAULT_ANNOUNCEMENT_ZH,
        DEFAULT_ANNOUNCEMENT_EN,
        "{service}：请{number}号到{counter}号窗口",
        "{counter}{number}",
        "请{number}号到{counter:02d}号窗口",
        "{number!r} {counter}",
        "x" * 183 + "{number}{counter}",  # exactly 200 characters
    ],
)
def test_good_announcement_templates_format(template: str) -> None:
    check_announcement(template, "announcement_zh")
    text = announcement(template, "A012", 3, "存款")
    assert "A012" in text and "3" in text


def test_default_announcement_text() -> None:
    assert announcement(DEFAULT_ANNOUNCEMENT_ZH, "A012", 3) == "请A012号到3号窗口办理"
    assert announcement(Policy().announcement_zh, "A012", 3) == "请A012号到3号窗口办理"
    assert announcement(DEFAULT_ANNOUNCEMENT_EN, "A012", 3) == "Number A012, please go to counter 3"
    assert announcement("{service}: {number} → {counter}", "B007", 12, "外汇") == "外汇: B007 → 12"


def test_closing_must_follow_opening() -> None:
    for closes in (dt.time(8, 0), dt.time(8, 30)):
        with pytest.raises(InvalidInput) as info:
            Policy(opens_at=dt.time(8, 30), closes_at=closes)
        assert info.value.field == "closes_at"
    assert Policy(opens_at=dt.time(8, 30), closes_at=dt.time(8, 31)).closes_at == dt.time(8, 31)


@pytest.mark.parametrize(
    "tz", ["Mars/Olympus", "", "asia/shanghai", "Asia/Shanghai\n", "../etc/passwd", "Asia"]
)
def test_unknown_time_zone(tz: str) -> None:
    with pytest.raises(InvalidInput) as info:
        Policy(timezone=tz)
    assert info.value.field == "timezone"


def test_known_time_zones() -> None:
    assert Policy(timezone="Europe/Berlin").zone.key == "Europe/Berlin"
    assert Policy(timezone="UTC").business_day(T0) == dt.date(2026, 3, 10)


# --- numbers and the outlet's day -----------------------------------------------------


@pytest.mark.parametrize(
    ("seq", "number"),
    [(1, "A001"), (12, "A012"), (999, "A999"), (1000, "A1000"), (12345, "A12345")],
)
def test_format_number(seq: int, number: str) -> None:
    assert format_number("A", seq) == number


def test_business_day_and_its_end_across_shanghai_midnight() -> None:
    p = Policy()
    before = dt.datetime(2026, 3, 10, 15, 59, tzinfo=UTC)  # 23:59 in Shanghai
    midnight = dt.datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # 00:00 on the 11th
    after = dt.datetime(2026, 3, 10, 16, 1, tzinfo=UTC)
    assert p.business_day(before) == dt.date(2026, 3, 10)
    assert p.business_day(midnight) == dt.date(2026, 3, 11)
    assert p.business_day(after) == dt.date(2026, 3, 11)
    assert p.business_day_end(before) == midnight
    assert p.business_day_end(midnight) == dt.datetime(2026, 3, 11, 16, 0, tzinfo=UTC)
    assert p.business_day_end(after) == dt.datetime(2026, 3, 11, 16, 0, tzinfo=UTC)
    assert p.business_day_end(before).utcoffset() == dt.timedelta(0)
    # The same instant expressed in another offset is the same outlet day.
    plus8 = dt.timezone(dt.timedelta(hours=8))
    assert p.business_day(before.astimezone(plus8)) == dt.date(2026, 3, 10)


def test_day_end_on_a_daylight_saving_day() -> None:
    p = Policy(timezone="Europe/Berlin")
    # 29 March 2026 has 23 hours in Berlin: midnight CET is 23:00 UTC, the next midnight
    # (CEST) is 22:00 UTC.
    assert p.business_day_end(dt.datetime(2026, 3, 28, 22, 30, tzinfo=UTC)) == dt.datetime(
        2026, 3, 28, 23, 0, tzinfo=UTC
    )
    assert p.business_day_end(dt.datetime(2026, 3, 29, 12, 0, tzinfo=UTC)) == dt.datetime(
        2026, 3, 29, 22, 0, tzinfo=UTC
    )


def test_numbers_reset_at_the_outlets_local_midnight() -> None:
    lobby = Lobby.of(
        [service(), service(code="LOAN", prefix="B", name_zh="贷款")],
        [Counter(1, 1, CounterKind.REGULAR, ("DEP", "LOAN"))],
    )
    day = dt.datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    numbers = [lobby.issue("DEP", day).number for _ in range(3)]
    late = lobby.issue("DEP", dt.datetime(2026, 3, 10, 15, 59, tzinfo=UTC))
    loan = lobby.issue("LOAN", dt.datetime(2026, 3, 10, 15, 59, 59, tzinfo=UTC))
    # Same UTC date, but past midnight in Shanghai: a new day, a new series.
    fresh = lobby.issue("DEP", dt.datetime(2026, 3, 10, 16, 1, tzinfo=UTC))
    fresh_loan = lobby.issue("LOAN", dt.datetime(2026, 3, 10, 16, 2, tzinfo=UTC))
    second = lobby.issue("DEP", dt.datetime(2026, 3, 10, 16, 3, tzinfo=UTC))
    assert numbers == ["A001", "A002", "A003"]
    assert late.number == "A004"
    assert loan.number == "B001"
    assert fresh.number == "A001"
    assert fresh_loan.number == "B001"
    assert second.number == "A002"
    # Ids keep counting: numbers repeat across days, tickets do not.
    assert len({t.id for t in lobby.tickets.values()}) == len(lobby.tickets)


def test_is_open_follows_local_opening_hours() -> None:
    p = Policy(opens_at=dt.time(8, 30), closes_at=dt.time(17, 0))
    assert not p.is_open(dt.datetime(2026, 3, 10, 0, 29, 59, tzinfo=UTC))  # 08:29:59
    assert p.is_open(dt.datetime(2026, 3, 10, 0, 30, tzinfo=UTC))  # 08:30
    assert p.is_open(dt.datetime(2026, 3, 10, 8, 59, 59, tzinfo=UTC))  # 16:59:59
    assert not p.is_open(dt.datetime(2026, 3, 10, 9, 0, tzinfo=UTC))  # 17:00
    assert not p.is_open(dt.datetime(2026, 3, 10, 15, 0, tzinfo=UTC))  # 23:00
    until_midnight = Policy(opens_at=dt.time(9, 0))
    assert until_midnight.is_open(dt.datetime(2026, 3, 10, 15, 59, 59, tzinfo=UTC))
    assert not until_midnight.is_open(dt.datetime(2026, 3, 10, 16, 0, tzinfo=UTC))
    always = Policy()
    assert always.is_open(dt.datetime(2026, 3, 10, 16, 0, tzinfo=UTC))
    assert always.is_open(dt.datetime(2026, 3, 10, 15, 59, 59, tzinfo=UTC))


def test_closed_outlet_issues_nothing_and_uses_no_number() -> None:
    lobby = Lobby.of(
        [service()],
        [Counter(1, 1, CounterKind.REGULAR, ("DEP",))],
        policy=Policy(opens_at=dt.time(8, 30), closes_at=dt.time(17, 0)),
    )
    with pytest.raises(Conflict) as info:
        lobby.issue("DEP", dt.datetime(2026, 3, 10, 0, 0, tzinfo=UTC))  # 08:00
    assert info.value.error_code == "outlet_closed"
    assert lobby.tickets == {} and lobby.events == []
    assert lobby.issue("DEP", dt.datetime(2026, 3, 10, 0, 30, tzinfo=UTC)).number == "A001"


# --- Ticket transitions ---------------------------------------------------------------

CALLED_AT = T0 + sec(60)
RECALLED_AT = T0 + sec(90)
STARTED_AT = T0 + sec(120)
FINISHED_AT = T0 + sec(400)


def fresh_ticket() -> Ticket:
    return Ticket(
        id=7,
        number="A012",
        service_code="DEP",
        klass=PriorityClass.VIP,
        channel=Channel.KIOSK,
        issued_at=T0,
        queued_at=T0,
    )


def ticket_in(state: str) -> Ticket:
    """A ticket in a named state, reached through legal transitions."""
    t = fresh_ticket()
    if state == "waiting":
        return t
    t.call(3, 42, CALLED_AT)
    if state == "called":
        return t
    if state == "recalled":
        t.recall(RECALLED_AT)
        return t
    if state == "serving":
        t.start(STARTED_AT)
        return t
    if state == "served":
        t.start(STARTED_AT)
        t.complete(FINISHED_AT)
        return t
    if state == "no_show":
        t.recall(RECALLED_AT)
        t.no_show(FINISHED_AT, Policy())
        return t
    if state == "cancelled_waiting":
        t = fresh_ticket()
        t.cancel(FINISHED_AT)
        return t
    if state == "cancelled_called":
        t.cancel(FINISHED_AT)
        return t
    if state == "transferred":
        t.transfer(FINISHED_AT, 8, "LOAN", None)
        return t
    raise AssertionError(state)


STATES = [
    "waiting",
    "called",
    "recalled",
    "serving",
    "served",
    "no_show",
    "cancelled_waiting",
    "cancelled_called",
    "transferred",
]
NOW = FINISHED_AT + sec(30)
OPS: dict[str, Any] = {
    "call": lambda t: t.call(5, 43, NOW),
    "recall": lambda t: t.recall(NOW),
    "start": lambda t: t.start(NOW),
    "complete": lambda t: t.complete(NOW),
    "no_show": lambda t: t.no_show(NOW, Policy()),
    "requeue": lambda t: t.requeue(NOW, Policy(), NOW),
    "transfer": lambda t: t.transfer(NOW, 99, "LOAN", None),
    "cancel": lambda t: t.cancel(NOW),
}
LEGAL = {
    "call": {"waiting"},
    "recall": {"called", "recalled"},
    "start": {"called", "recalled"},
    "complete": {"called", "recalled", "serving"},
    "no_show": {"recalled"},  # the default policy needs two calls
    "requeue": {"no_show"},
    "transfer": {"called", "recalled", "serving"},
    "cancel": {"waiting", "called", "recalled"},
}
ILLEGAL = [(state, op) for op in OPS for state in STATES if state not in LEGAL[op]]


@pytest.mark.parametrize(("state", "op"), ILLEGAL)
def test_illegal_ticket_transitions_raise_and_change_nothing(state: str, op: str) -> None:
    t = ticket_in(state)
    before = copy.deepcopy(t)
    with pytest.raises(Conflict) as info:
        OPS[op](t)
    assert info.value.field == "ticket"
    assert info.value.params["number"] == "A012"
    assert t == before


@pytest.mark.parametrize(("state", "op"), [(s, op) for op in OPS for s in sorted(LEGAL[op])])
def test_legal_ticket_transitions_succeed(state: str, op: str) -> None:
    t = ticket_in(state)
    OPS[op](t)
    expected = {
        "call": TicketState.CALLED,
        "recall": TicketState.CALLED,
        "start": TicketState.SERVING,
        "requeue": TicketState.WAITING,
    }.get(op, TicketState.FINISHED)
    assert t.state is expected


def test_call_records_counter_teller_and_times() -> None:
    t = fresh_ticket()
    t.call(3, 42, CALLED_AT)
    assert t.state is TicketState.CALLED
    assert (t.call_count, t.counter_id, t.teller_id) == (1, 3, 42)
    assert t.first_called_at == t.last_called_at == CALLED_AT
    assert t.outcome is None and t.started_at is None and t.finished_at is None


def test_recall_counts_and_keeps_first_call_time() -> None:
    t = ticket_in("called")
    t.recall(RECALLED_AT)
    t.recall(RECALLED_AT + sec(30))
    assert t.state is TicketState.CALLED
    assert t.call_count == 3
    assert t.first_called_at == CALLED_AT
    assert t.last_called_at == RECALLED_AT + sec(30)


def test_start_then_complete() -> None:
    t = ticket_in("serving")
    assert (t.state, t.started_at) == (TicketState.SERVING, STARTED_AT)
    t.complete(FINISHED_AT)
    assert t.finished and t.state == TicketState.FINISHED
    assert t.outcome is Outcome.SERVED
    assert (t.started_at, t.finished_at) == (STARTED_AT, FINISHED_AT)


def test_complete_without_start_began_at_the_last_call() -> None:
    t = ticket_in("recalled")
    t.complete(FINISHED_AT)
    assert t.outcome is Outcome.SERVED
    assert t.started_at == RECALLED_AT  # the last call, not the first
    assert t.finished_at == FINISHED_AT


@pytest.mark.parametrize("calls_needed", [1, 2, 3, 5])
def test_no_show_needs_the_policys_number_of_calls(calls_needed: int) -> None:
    p = Policy(no_show_after_calls=calls_needed)
    t = fresh_ticket()
    t.call(3, 42, CALLED_AT)
    for i in range(1, calls_needed):
        before = copy.deepcopy(t)
        with pytest.raises(Conflict) as info:
            t.no_show(CALLED_AT + sec(i), p)
        assert info.value.params["calls"] == calls_needed
        assert t == before
        t.recall(CALLED_AT + sec(i))
    assert t.call_count == calls_needed
    t.no_show(FINISHED_AT, p)
    assert t.state is TicketState.FINISHED
    assert t.outcome is Outcome.NO_SHOW
    assert t.finished_at == FINISHED_AT
    assert t.started_at is None


def test_requeue_within_grace_waits_again() -> None:
    t = ticket_in("no_show")
    back_in_line = T0 + sec(5)
    t.requeue(FINISHED_AT + sec(600), Policy(requeue_grace_s=600), back_in_line)  # at the limit
    assert t.state is TicketState.WAITING
    assert t.outcome is None and t.finished_at is None
    assert (t.call_count, t.counter_id, t.teller_id) == (0, None, None)
    assert t.queued_at == back_in_line
    assert (t.id, t.number, t.issued_at) == (7, "A012", T0)
    # Called again: the first call of the visit is remembered.
    t.call(4, 44, FINISHED_AT + sec(700))
    assert t.first_called_at == CALLED_AT
    assert t.last_called_at == FINISHED_AT + sec(700)
    assert (t.call_count, t.counter_id, t.teller_id) == (1, 4, 44)


@pytest.mark.parametrize(("grace", "late_by"), [(600, 601), (0, 1), (60, 3600)])
def test_requeue_after_grace_is_refused(grace: int, late_by: int) -> None:
    t = ticket_in("no_show")
    before = copy.deepcopy(t)
    with pytest.raises(Conflict):
        t.requeue(FINISHED_AT + sec(late_by), Policy(requeue_grace_s=grace), FINISHED_AT)
    assert t == before


def test_requeue_with_zero_grace_only_at_once() -> None:
    t = ticket_in("no_show")
    t.requeue(FINISHED_AT, Policy(requeue_grace_s=0), FINISHED_AT)
    assert t.state is TicketState.WAITING


@pytest.mark.parametrize("state", ["called", "recalled", "serving"])
def test_transfer_ends_the_leg_and_starts_a_waiting_one(state: str) -> None:
    t = ticket_in(state)
    t.due_at = T0 + sec(1800)
    t.predicted_wait_s = 120
    nxt = t.transfer(FINISHED_AT, 99, "LOAN", 6)
    # The old leg is over.
    assert t.state is TicketState.FINISHED
    assert t.outcome is Outcome.TRANSFERRED
    assert t.finished_at == FINISHED_AT
    assert t.started_at == {"called": CALLED_AT, "recalled": RECALLED_AT}.get(state, STARTED_AT)
    assert (t.id, t.service_code, t.counter_id) == (7, "DEP", 3)
    # The new leg waits, keeping the customer's number and issue time.
    assert nxt is not t
    assert nxt.id == 99
    assert nxt.state is TicketState.WAITING
    assert (nxt.number, nxt.issued_at) == ("A012", T0)
    assert (nxt.klass, nxt.channel, nxt.due_at) == (t.klass, t.channel, t.due_at)
    assert nxt.service_code == "LOAN"
    assert nxt.target_counter_id == 6
    assert nxt.outcome is None and nxt.call_count == 0
    assert nxt.first_called_at is None and nxt.last_called_at is None
    assert nxt.started_at is None and nxt.finished_at is None
    assert nxt.counter_id is None and nxt.teller_id is None
    assert nxt.predicted_wait_s is None


def test_cancel_waiting_and_called() -> None:
    for state in ("waiting", "called"):
        t = ticket_in(state)
        t.cancel(FINISHED_AT)
        assert t.state is TicketState.FINISHED
        assert t.outcome is Outcome.CANCELLED
        assert t.finished_at == FINISHED_AT


# --- Counter transitions --------------------------------------------------------------


def counter_in(state: CounterState) -> Counter:
    c = Counter(5, 3, CounterKind.REGULAR, ("DEP", "LOAN"), credits={"green": 1})
    if state is CounterState.CLOSED:
        return c
    c.open(42, frozenset({"fx"}))
    c.credits = {"green": -2, "normal": 2}
    if state is CounterState.PAUSED:
        c.pause()
    elif state is CounterState.SERVING:
        c.take(77)
    return c


COUNTER_OPS: dict[str, Any] = {
    "open": lambda c: c.open(43, frozenset()),
    "close": lambda c: c.close(),
    "pause": lambda c: c.pause(),
    "resume": lambda c: c.resume(),
    "ready_to_call": lambda c: c.ready_to_call(),
}
COUNTER_LEGAL = {
    "open": {CounterState.CLOSED},
    "close": {CounterState.CLOSED, CounterState.OPEN, CounterState.PAUSED},
    "pause": {CounterState.OPEN},
    "resume": {CounterState.PAUSED},
    "ready_to_call": {CounterState.OPEN},
}
COUNTER_ILLEGAL = [
    (state, op) for op in COUNTER_OPS for state in CounterState if state not in COUNTER_LEGAL[op]
]


@pytest.mark.parametrize(("state", "op"), COUNTER_ILLEGAL)
def test_illegal_counter_transitions_raise_and_change_nothing(state: CounterState, op: str) -> None:
    c = counter_in(state)
    before = copy.deepcopy(c)
    with pytest.raises(Conflict) as info:
        COUNTER_OPS[op](c)
    assert info.value.field == "counter"
    assert info.value.params["n"] == 3
    assert c == before


def test_open_signs_a_teller_on_and_resets_the_cycle() -> None:
    c = counter_in(CounterState.CLOSED)
    c.open(42, frozenset({"fx"}))
    assert c.state is CounterState.OPEN
    assert (c.teller_id, c.teller_skills, c.credits) == (42, frozenset({"fx"}), {})
    c.ready_to_call()


def test_close_signs_the_teller_off() -> None:
    for state in (CounterState.OPEN, CounterState.PAUSED):
        c = counter_in(state)
        c.close()
        assert c.state is CounterState.CLOSED
        assert c.teller_id is None and c.teller_skills == frozenset()
        assert c.current_ticket_id is None


def test_closing_a_closed_counter_changes_nothing() -> None:
    c = counter_in(CounterState.CLOSED)
    before = copy.deepcopy(c)
    c.close()
    assert c == before


def test_pause_and_resume() -> None:
    c = counter_in(CounterState.OPEN)
    c.pause()
    assert (c.state, c.teller_id) == (CounterState.PAUSED, 42)  # still signed on
    c.resume()
    assert c.state == CounterState.OPEN
    assert c.credits == {"green": -2, "normal": 2}  # a pause keeps the cycle


def test_take_and_release() -> None:
    c = counter_in(CounterState.OPEN)
    c.take(77)
    assert (c.state, c.current_ticket_id) == (CounterState.SERVING, 77)
    c.release()
    assert (c.state, c.current_ticket_id) == (CounterState.OPEN, None)
    c.ready_to_call()


def test_can_serve_needs_the_service_and_the_skill() -> None:
    c = counter_in(CounterState.CLOSED)
    plain = service()
    fx = service(code="FX", prefix="F", skill="fx")
    other = service(code="GOLD", prefix="G")
    assert c.can_serve(plain)
    assert not c.can_serve(other)
    c.services = ("DEP", "FX")
    assert not c.can_serve(fx)  # nobody signed on with the skill
    c.open(42, frozenset({"fx"}))
    assert c.can_serve(fx)
    c.close()
    assert not c.can_serve(fx)


# --- the same rules through the in-memory lobby ---------------------------------------


def small_lobby(**kw: Any) -> Lobby:
    lobby = Lobby.of(
        [service(), service(code="LOAN", prefix="B", name_zh="贷款")],
        [
            Counter(1, 1, CounterKind.REGULAR, ("DEP",)),
            Counter(2, 2, CounterKind.REGULAR, ("LOAN", "DEP")),
        ],
        **kw,
    )
    lobby.open(1, 101, T0)
    lobby.open(2, 102, T0)
    return lobby


def test_lobby_no_show_then_requeue_then_served() -> None:
    lobby = small_lobby()
    t = lobby.issue("DEP", T0)
    assert lobby.call_next(1, T0 + sec(10)) is t
    with pytest.raises(Conflict):
        lobby.no_show(1, T0 + sec(20))  # one call is not enough
    assert lobby.counters[1].current_ticket_id == t.id
    lobby.recall(1, T0 + sec(30))
    lobby.no_show(1, T0 + sec(60))
    assert lobby.counters[1].state is CounterState.OPEN
    assert lobby.counters[1].current_ticket_id is None
    lobby.requeue(t.id, T0 + sec(120))
    assert t.state is TicketState.WAITING
    assert lobby.call_next(2, T0 + sec(130)) is t
    lobby.complete(2, T0 + sec(200))
    assert t.outcome is Outcome.SERVED
    kinds = [e.kind for e in lobby.events if e.ticket_id == t.id]
    assert kinds == [
        "issued",
        "called",
        "recalled",
        "no_show",
        "requeued",
        "called",
        "completed",
    ]


def test_lobby_transfer_needs_a_new_service_or_a_counter() -> None:
    lobby = small_lobby()
    t = lobby.issue("DEP", T0)
    lobby.call_next(1, T0)
    before = copy.deepcopy((lobby.tickets, lobby.counters))
    with pytest.raises(InvalidInput) as info:
        lobby.transfer(1, T0 + sec(5))
    assert info.value.field == "service"
    with pytest.raises(InvalidInput) as info:
        lobby.transfer(1, T0 + sec(5), "LOAN", target_counter_id=1)  # 1 serves no loans
    assert info.value.field == "counter"
    assert (lobby.tickets, lobby.counters) == before
    nxt = lobby.transfer(1, T0 + sec(5), "LOAN")
    assert t.outcome is Outcome.TRANSFERRED
    assert (nxt.number, nxt.issued_at, nxt.service_code) == (t.number, t.issued_at, "LOAN")
    assert lobby.counters[1].current_ticket_id is None
    assert lobby.waiting == [nxt]
    assert lobby.call_next(2, T0 + sec(6)) is nxt


def test_lobby_cancel_a_called_ticket_frees_its_counter() -> None:
    lobby = small_lobby()
    t = lobby.issue("DEP", T0)
    lobby.call_next(1, T0)
    lobby.cancel(t.id, T0 + sec(1))
    assert t.outcome is Outcome.CANCELLED
    assert lobby.counters[1].state is CounterState.OPEN
    assert lobby.call_next(1, T0 + sec(2)) is None


def test_lobby_cannot_call_while_serving_paused_or_closed() -> None:
    lobby = small_lobby()
    lobby.issue("DEP", T0)
    lobby.issue("DEP", T0)
    lobby.call_next(1, T0)
    with pytest.raises(Conflict):
        lobby.call_next(1, T0)
    lobby.pause(2, T0)
    with pytest.raises(Conflict):
        lobby.call_next(2, T0)
    lobby.resume(2, T0)
    lobby.close(2, T0)
    with pytest.raises(Conflict):
        lobby.call_next(2, T0)
    assert len(lobby.waiting) == 1

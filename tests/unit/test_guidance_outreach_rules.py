"""The outreach rules (普及金融知识), pure: states, the planning and holding checks, personal data
in free text, periods, and tallies that add up across units."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyi.errors import Conflict, InvalidInput
from manyi.guidance.domain import outreach as rules
from manyi.guidance.domain import outreach_figures as figures
from manyi.guidance.domain.outreach import Action, State
from manyi.guidance.domain.outreach_figures import Group, Period, Tally
from manyi.personal import id_check_char, luhn_ok
from manyi.web.i18n import translator

TODAY = dt.date(2026, 11, 30)
ID_BODY = "11010519491231002"
ID_NUMBER = ID_BODY + id_check_char(ID_BODY)
CARD_BODY = "622202000000000000"
CARD = CARD_BODY + next(d for d in "0123456789" if luhn_ok(CARD_BODY + d))


def plan(**changes: str) -> rules.Plan:
    fields = {
        "title": "走进校园：认识人民币",
        "venue_kind": "school",
        "venue": "实验小学",
        "topic": "rmb",
        "planned_on": "2026-12-03",
        "description": "",
    } | changes
    return rules.check_plan(**fields, today=TODAY)


def held(**changes: object) -> rules.Held:
    fields: dict[str, object] = {
        "held_on": "2026-11-30",
        "participants": "45",
        "materials": "",
        "staff_ids": [7],
        "summary": "",
    } | changes
    return rules.check_held(**fields, today=TODAY)  # type: ignore[arg-type]


def refused(call: object, field: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call()  # type: ignore[operator]
    assert caught.value.field == field
    return caught.value


def test_planned_events_are_held_or_cancelled_and_both_are_final() -> None:
    rules.check_action(State.PLANNED, Action.HOLD)
    rules.check_action(State.PLANNED, Action.CANCEL)
    rules.check_action(State.HELD, Action.PHOTO)  # the pictures often come a day later
    for state, action in (
        (State.HELD, Action.HOLD),
        (State.HELD, Action.CANCEL),
        (State.CANCELLED, Action.HOLD),
        (State.CANCELLED, Action.PHOTO),
    ):
        with pytest.raises(Conflict) as caught:
            rules.check_action(state, action)
        assert caught.value.text(translator("zh-CN")) in (
            "活动已开展，不能进行此操作",
            "活动已取消，不能进行此操作",
        )


def test_a_plan_is_checked_field_by_field() -> None:
    checked = plan(title="  走进校园：\n认识人民币\x00", description="带上验钞笔")
    assert checked.title == "走进校园： 认识人民币" and checked.topic is rules.Topic.RMB
    assert plan(planned_on="2026-11-30").planned_on == TODAY  # today is still a plan
    refused(lambda: plan(planned_on="2026-11-29"), "planned_on")
    refused(lambda: plan(planned_on="2027-12-31"), "planned_on")
    refused(lambda: plan(planned_on="30/11/2026"), "planned_on")
    refused(lambda: plan(title=" "), "title")
    refused(lambda: plan(title="长" * 81), "title")
    refused(lambda: plan(venue=""), "venue")
    refused(lambda: plan(venue_kind="stadium"), "venue_kind")
    refused(lambda: plan(topic=""), "topic")
    refused(lambda: plan(description="字" * 501), "description")


def test_a_held_event_needs_people_staff_and_a_day_not_in_the_future() -> None:
    record = held(staff_ids=[7, 9, 7], materials="1,200")
    assert record.staff_ids == (7, 9) and record.materials == 1200 and record.participants == 45
    assert held(held_on="2026-09-01").held_on == dt.date(2026, 9, 1)  # 90 days back
    refused(lambda: held(held_on="2026-12-01"), "held_on")
    refused(lambda: held(held_on="2026-08-31"), "held_on")
    refused(lambda: held(participants="0"), "participants")
    refused(lambda: held(participants=""), "participants")
    refused(lambda: held(participants="-3"), "participants")
    refused(lambda: held(participants="100001"), "participants")
    refused(lambda: held(participants="9" * 5000), "participants")
    refused(lambda: held(materials="2.5"), "materials")
    refused(lambda: held(staff_ids=[]), "staff")
    refused(lambda: held(staff_ids=list(range(31))), "staff")
    assert held(participants="１２０").participants == 120  # typed with a Chinese input method


def test_staff_named_must_be_active_members_of_the_outlet() -> None:
    outlet = "/1/2/3/"
    rules.check_staff([rules.StaffMember(1, True, outlet)], outlet)
    refused(lambda: rules.check_staff([rules.StaffMember(1, False, outlet)], outlet), "staff")
    refused(lambda: rules.check_staff([rules.StaffMember(1, True, "/1/2/")], outlet), "staff")
    refused(lambda: rules.check_staff([rules.StaffMember(1, True, "/1/2/30/")], outlet), "staff")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"身份证{ID_NUMBER}的老人", "id_number"),
        (f"{ID_NUMBER[:6]} {ID_NUMBER[6:14]} {ID_NUMBER[14:]}", "id_number"),
        (f"{ID_NUMBER[:-1]}x", "id_number" if ID_NUMBER.endswith("X") else None),
        ("联系人 13800138000", "mobile"),
        ("电话：138-0013-8000", "mobile"),
        ("+86 138 0013 8000", "mobile"),
        ("１３８００１３８０００", "mobile"),  # full-width digits
        ("来了120人 13800138000", "mobile"),
        (f"卡号 {CARD}", "card"),
        ("2026-11-30 共120人，发放资料300份", None),
        ("订单号 12800138000", None),  # 12 is no mobile prefix
        (ID_BODY + "0" if id_check_char(ID_BODY) != "0" else ID_BODY + "1", None),  # bad check
        ("", None),
    ],
)
def test_personal_data_left_in_free_text_is_found(text: str, kind: str | None) -> None:
    assert rules.personal_data_in(text, TODAY) == kind


def test_personal_data_is_refused_in_words_the_user_reads() -> None:
    error = refused(lambda: plan(description="请联系王阿姨 13800138000"), "description")
    assert error.text(translator("zh-CN")) == "请删除手机号码：活动记录不得包含个人信息"
    assert error.text(translator("en")) == (
        "remove a mobile number: events record no personal data"
    )
    refused(lambda: held(summary=f"帮助客户 {ID_NUMBER} 激活手机银行"), "summary")
    refused(lambda: rules.check_reason(f"卡 {CARD} 挂失", TODAY), "reason")
    refused(lambda: rules.check_reason("  ", TODAY), "reason")


def test_periods_default_to_the_month_and_are_bounded() -> None:
    assert figures.period_of("", "", TODAY) == Period(dt.date(2026, 11, 1), TODAY)
    assert figures.period_of("", "", dt.date(2026, 12, 31)).start == dt.date(2026, 12, 1)
    assert Period.month_of(dt.date(2028, 2, 10)).days == 29
    assert figures.period_of("2026-01-01", "", TODAY) == Period(dt.date(2026, 1, 1), TODAY)
    assert figures.period_of("2026-12-05", "", TODAY).end == dt.date(2026, 12, 5)
    refused(lambda: figures.period_of("2026-11-30", "2026-11-01", TODAY), "to")
    refused(lambda: figures.period_of("2020-01-01", "2026-11-30", TODAY), "to")
    refused(lambda: figures.period_of("yesterday", "", TODAY), "from")


OUT_A, OUT_A2, OUT_B = "/1/2/4/", "/1/2/5/", "/1/3/6/"


def test_groups_roll_up_to_the_unit_above_them() -> None:
    groups = [
        Group(OUT_A, "held", "fraud", "community", 2, 80, 200),
        Group(OUT_A2, "held", "rmb", "school", 1, 300, 0),
        Group(OUT_A, "planned", "fraud", "market", 3),
        Group(OUT_B, "cancelled", "credit", "care_home", 1),
        Group("/9/", "held", "fraud", "community", 5, 500, 0),  # outside every unit
    ]
    tallies = figures.roll_up(groups, ["/1/2/", "/1/3/"])
    a, b = tallies["/1/2/"], tallies["/1/3/"]
    assert (a.held, a.planned, a.participants, a.materials, a.events) == (3, 3, 380, 200, 6)
    assert a.held_by_topic == {"fraud": 2, "rmb": 1}
    assert a.participants_by_topic == {"fraud": 80, "rmb": 300}
    assert a.held_by_venue == {"community": 2, "school": 1}
    assert (b.cancelled, b.events, b.per_event) == (1, 0, None)
    assert a.per_event == pytest.approx(380 / 3)
    whole = figures.total(tallies.values())
    assert (whole.held, whole.cancelled, whole.participants) == (3, 1, 380)


GROUPS = st.lists(
    st.builds(
        Group,
        outlet_path=st.sampled_from([OUT_A, OUT_A2, OUT_B]),
        state=st.sampled_from([s.value for s in State]),
        topic=st.sampled_from([t.value for t in rules.Topic]),
        venue_kind=st.sampled_from([v.value for v in rules.Venue]),
        events=st.integers(1, 50),
        participants=st.integers(0, 5000),
        materials=st.integers(0, 5000),
    ),
    max_size=30,
)


@given(GROUPS)
def test_figures_are_the_same_summed_per_outlet_or_per_branch(groups: list[Group]) -> None:
    per_outlet = figures.total(figures.roll_up(groups, [OUT_A, OUT_A2, OUT_B]).values())
    per_branch = figures.total(figures.roll_up(groups, ["/1/2/", "/1/3/"]).values())
    at_top = figures.roll_up(groups, ["/1/"])["/1/"]
    assert per_outlet == per_branch == at_top
    assert at_top.held == sum(at_top.held_by_topic.values()) == sum(at_top.held_by_venue.values())
    assert at_top.participants == sum(at_top.participants_by_topic.values())
    assert isinstance(at_top, Tally)

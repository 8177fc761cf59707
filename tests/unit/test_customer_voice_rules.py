"""The pure rules of the customer's voice: what a praise registration must say, and an
opinion's registration and states (no clock: outside the regulatory deadlines)."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.complaints.domain import praise
from manyi.errors import InvalidInput
from manyi.insight.domain import opinions as rules
from manyi.insight.domain.opinions import OpinionState, Step

TODAY = dt.date(2026, 11, 30)
NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)


def test_praise_is_checked_field_by_field() -> None:
    ok = praise.check(7, " letter ", TODAY, " 谢谢柜员 ", TODAY)
    assert (ok.staff_id, ok.channel, ok.text) == (7, praise.PraiseChannel.LETTER, "谢谢柜员")
    # A year back is the oldest a praise may be (a star period is at most a year).
    assert praise.check(7, "phone", TODAY - dt.timedelta(days=366), "x", TODAY)
    for args, field in [
        ((None, "phone", TODAY, "x"), "staff_id"),
        ((7, "fax", TODAY, "x"), "channel"),
        ((7, "phone", None, "x"), "received_on"),
        ((7, "phone", TODAY + dt.timedelta(days=1), "x"), "received_on"),
        ((7, "phone", TODAY - dt.timedelta(days=367), "x"), "received_on"),
        ((7, "phone", TODAY, " "), "text"),
        ((7, "phone", TODAY, "x" * (praise.TEXT_MAX + 1)), "text"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            praise.check(*args, TODAY)  # type: ignore[arg-type]
        assert refused.value.field == field, args


def test_an_opinion_goes_new_reviewed_then_adopted_or_not_with_a_reply() -> None:
    assert rules.steps(OpinionState.NEW) == [Step.REVIEW]
    assert rules.steps(OpinionState.REVIEWED) == [Step.ADOPT, Step.DECLINE]
    assert rules.steps(OpinionState.ADOPTED) == [] and rules.steps(OpinionState.NOT_ADOPTED) == []
    assert rules.after(OpinionState.NEW, Step.REVIEW, "") == (OpinionState.REVIEWED, "")
    assert rules.after(OpinionState.REVIEWED, Step.DECLINE, " 暂不采纳 ") == (
        OpinionState.NOT_ADOPTED,
        "暂不采纳",
    )
    with pytest.raises(InvalidInput) as early:
        rules.after(OpinionState.NEW, Step.ADOPT, "好")
    assert early.value.error_code == "wrong_state"
    with pytest.raises(InvalidInput) as again:
        rules.after(OpinionState.ADOPTED, Step.DECLINE, "好")
    assert again.value.error_code == "wrong_state"
    for reply in ("", "  ", "x" * (rules.REPLY_MAX + 1)):
        with pytest.raises(InvalidInput) as bad:
            rules.after(OpinionState.REVIEWED, Step.ADOPT, reply)
        assert bad.value.field == "reply"


def test_an_opinion_needs_its_source_text_unit_and_a_past_time() -> None:
    new = rules.check("letter", "", " 建议增加老年人专窗 ", 3, NOW, NOW)
    assert (new.source_kind, new.text, new.unit_id) == (
        rules.SourceKind.LETTER,
        "建议增加老年人专窗",
        3,
    )
    for args, field in [
        (("rumour", "", "x", 3, NOW), "source_kind"),
        (("online_media", " ", "x", 3, NOW), "source_ref"),
        (("forum", "", "x", 3, NOW), "source_ref"),
        (("other", "y" * 501, "x", 3, NOW), "source_ref"),
        (("phone", "", "", 3, NOW), "text"),
        (("phone", "", "x" * (rules.TEXT_MAX + 1), 3, NOW), "text"),
        (("phone", "", "x", None, NOW), "unit_id"),
        (("phone", "", "x", 3, None), "received_at"),
        (("phone", "", "x", 3, NOW + dt.timedelta(minutes=1)), "received_at"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            rules.check(*args, NOW)  # type: ignore[arg-type]
        assert refused.value.field == field, args

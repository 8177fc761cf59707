"""Notification rules: the retry schedule, states, claimability, phone masking, paging scope."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.notify.model import (
    MAX_ATTEMPTS,
    ChannelName,
    MessageState,
    after_failure,
    clip_error,
    is_claimable,
    mask_phone,
    normalise_phone,
    paging_scope,
    render_subject,
    retry_delay,
)
from manyi.org.model import UnitLevel

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)


def test_names_are_the_stored_values() -> None:
    assert [c.value for c in ChannelName] == ["in_app", "sms"]
    assert [s.value for s in MessageState] == ["pending", "sending", "sent", "failed"]


@pytest.mark.parametrize(
    ("attempts", "wait"),
    [(1, dt.timedelta(seconds=30)), (2, dt.timedelta(minutes=2)), (3, dt.timedelta(minutes=10))],
)
def test_backoff_after_each_failed_attempt(attempts: int, wait: dt.timedelta) -> None:
    assert retry_delay(attempts) == wait
    outcome = after_failure(attempts, NOW)
    assert outcome.state is MessageState.PENDING
    assert outcome.next_attempt_at == NOW + wait


def test_fourth_failure_is_final() -> None:
    assert MAX_ATTEMPTS == 4
    assert retry_delay(4) is None
    assert after_failure(4, NOW) == after_failure(9, NOW)
    assert after_failure(4, NOW).state is MessageState.FAILED
    assert after_failure(4, NOW).next_attempt_at is None


def test_permanent_refusal_fails_at_once() -> None:
    outcome = after_failure(1, NOW, permanent=True)
    assert outcome.state is MessageState.FAILED and outcome.next_attempt_at is None


def test_attempts_start_at_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        retry_delay(0)


def test_total_retry_window_is_under_a_quarter_of_an_hour() -> None:
    waits = [retry_delay(n) for n in range(1, MAX_ATTEMPTS)]
    assert sum((w for w in waits if w), dt.timedelta()) == dt.timedelta(minutes=12, seconds=30)


def test_claimable_pending_when_due() -> None:
    later = NOW + dt.timedelta(seconds=1)
    assert is_claimable(MessageState.PENDING, 0, NOW, None, NOW)
    assert not is_claimable(MessageState.PENDING, 0, later, None, NOW)
    # A lease still running on a pending row (a release raced) keeps it.
    assert not is_claimable(MessageState.PENDING, 1, NOW, later, NOW)


def test_claimable_sending_only_after_the_lease_and_with_attempts_left() -> None:
    before, after = NOW - dt.timedelta(seconds=1), NOW + dt.timedelta(seconds=1)
    assert not is_claimable(MessageState.SENDING, 1, before, after, NOW)
    assert is_claimable(MessageState.SENDING, 1, before, before, NOW)
    assert not is_claimable(MessageState.SENDING, MAX_ATTEMPTS, before, before, NOW)
    assert not is_claimable(MessageState.SENDING, 1, before, None, NOW)


@pytest.mark.parametrize("state", [MessageState.SENT, MessageState.FAILED])
def test_finished_messages_are_never_claimed(state: MessageState) -> None:
    assert not is_claimable(state, 1, NOW - dt.timedelta(days=1), None, NOW)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "+8613812345678"),
        ("(010) 6255 0000", "01062550000"),
        ("12345", None),
        ("call me", None),
        ("", None),
        ("+", None),
    ],
)
def test_normalise_phone(raw: str, expected: str | None) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    ("number", "masked"),
    [("13812345678", "*******5678"), ("+8613812345678", "**********5678"), ("1234", "****")],
)
def test_mask_phone_keeps_last_four(number: str, masked: str) -> None:
    assert mask_phone(number) == masked


def test_clip_error_is_one_short_line() -> None:
    assert clip_error("refused:\n  bad   number") == "refused: bad number"
    assert len(clip_error("x" * 2000)) == 500


def test_paging_scope_of_an_outlet_is_its_branch() -> None:
    scope = paging_scope(9, UnitLevel.OUTLET, "/1/4/7/9/")
    assert (scope.unit_id, scope.path) == (7, "/1/4/7/")
    assert scope.contains("/1/4/7/9/") and scope.contains("/1/4/7/10/")
    assert not scope.contains("/1/4/8/") and not scope.contains("/1/4/")


def test_paging_scope_above_outlets_is_the_unit_itself() -> None:
    scope = paging_scope(7, UnitLevel.TIER2_BRANCH, "/1/4/7/")
    assert (scope.unit_id, scope.path) == (7, "/1/4/7/")


def test_subjects_are_translated_then_filled() -> None:
    data = {"subject_params": {"unit": "甲网点"}}
    template = "Second-line support needed at {unit}"
    assert render_subject(template, data, None) == "Second-line support needed at 甲网点"
    zh = {template: "{unit}需要二线人员支援"}
    assert render_subject(template, data, lambda s: zh.get(s, s)) == "甲网点需要二线人员支援"
    assert render_subject("Plain {subject}", {}, None) == "Plain {subject}"

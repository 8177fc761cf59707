"""Shared pieces of the counter field tests: a fixed day and the problem a field check reports
for a value."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.counter.domain.field_problems import FieldError, FieldProblem
from manyi.counter.domain.fields import check_value

TODAY = dt.date(2025, 6, 1)


def problem(field_id: str, value: object) -> FieldProblem:
    with pytest.raises(FieldError) as caught:
        check_value(field_id, value, today=TODAY)
    assert caught.value.field == field_id
    return caught.value.problem

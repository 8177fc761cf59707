"""Reading complaint files: manyi's own CSV (its rows, every problem of a row, flags and
region, its header)."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.complaints.domain.taxonomy import Flag, Intake
from manyi.complaints.imports.formats import ImportFormatError, parse_file
from tests.complaint_import_helpers import DATA, by_id

# --- manyi's own CSV ---------------------------------------------------------------------


def test_the_own_format() -> None:
    result = parse_file((DATA / "own_format.csv").read_bytes(), "csv")
    assert result.read == 8
    found = by_id(result)
    assert [r.external_id for r in result.records] == ["M-1", "M-2", "M-8"]
    fee = found["M-1"]
    assert (fee.line, fee.received_on, fee.decided_on) == (
        2,
        dt.date(2024, 1, 5),
        dt.date(2024, 1, 12),
    )
    assert (fee.intake, fee.business_code, fee.cause_code, fee.channel_code) == (
        Intake.COUNTER,
        "cards.credit",
        "pricing",
        "onsite",
    )
    assert (fee.subject, fee.closed, fee.decision) == ("年费争议", True, "已退还年费")
    assert fee.description == "客户称办卡时未被告知年费。\n要求退还年费。"
    queue = found["M-2"]
    assert queue.line == 4  # after M-1's two-line description
    assert queue.subject == "排队等候超过一小时，只开了两个窗口。"  # from the description
    assert (queue.closed, queue.decided_on) == (False, None)
    bare = found["M-8"]
    assert (bare.intake, bare.business_code, bare.closed, bare.subject) == (
        Intake.EMAIL,
        None,
        False,
        "",
    )
    assert [(e.line, e.field) for e in result.errors] == [
        (5, "received_on"),
        (6, "intake"),
        (7, "business_type"),
        (8, "closed"),
        (9, "decided_on"),
    ]
    assert result.errors[1].reason.startswith("intake 'fax' is not an intake channel (expected")
    assert result.errors[2].reason == "business_type 'cards.gold' is not a business code"
    assert result.errors[4].reason == "decided_on 2024-01-05 is before 2024-01-10"


def test_the_own_format_collects_every_problem_of_a_row() -> None:
    data = "external_id,received_on,cause,flags\n,2024-13-01,nonsense,group;vip\n"
    result = parse_file(data.encode(), "csv")
    assert [e.field for e in result.errors] == ["external_id", "received_on", "cause", "flags"]
    assert result.errors[3].reason.startswith("flags 'vip' is not a flag (expected group,")


def test_the_own_format_reads_flags_and_region() -> None:
    data = "external_id,received_on,flags,region,intake\nA,2024-01-01,group; repeat,北京分行,\n"
    (record,) = parse_file(data.encode(), "csv").records
    assert record.flags == frozenset({Flag.GROUP, Flag.REPEAT})
    assert record.region == "北京分行"
    assert record.intake is Intake.IMPORT  # no intake given: history of unknown origin


def test_the_own_format_header_is_checked() -> None:
    with pytest.raises(ImportFormatError, match=r"unknown column.*'recieved_on'") as caught:
        parse_file(b"external_id,recieved_on\nA,2024-01-01\n", "csv")
    assert caught.value.line == 1
    with pytest.raises(ImportFormatError, match=r"missing required column.*received_on"):
        parse_file(b"external_id,subject\nA,x\n", "csv")

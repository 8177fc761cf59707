"""Values for fuzzing the HTML forms (tests/integration/test_form_fuzz.py): the nasty ones,
plausible ones of the test bank, and Hypothesis strategies that mix them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Iterable
from typing import Any

from hypothesis import strategies as st

Good = dict[str, list[str]]  # plausible values by field name

# Posted in every field at once, on every route that lets the persona in: the classes of
# input that have answered 500 before (issue 16 #5) are tried every run, not by chance.
EVERY_FIELD = ["²", "\x00", "-9223372036854775809", "9999-12-31", "<b>'\"; --"]


NASTY = [
    "",
    " ",
    "²",
    "١٢٣",  # Arabic-Indic digits: isdigit() says yes, int() may not agree
    "0",
    "-1",
    "1.5",
    "1e309",
    "NaN",
    "-9223372036854775809",
    "9223372036854775808",
    "9" * 40,
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "9999-12-31T23:59:59",
    "0001-01-01T00:00",
    "2026-11-30T10:00:00+25:00",
    "\x00",
    "a\x00b",
    "' OR '1'='1' --",
    '"; DROP TABLE staff; --',
    "<script>alert(1)</script>",
    "{0}{number:>3000000}%s%n",
    "../../../etc/passwd",
    "\u202eRTL\u200b",
    "🙂" * 3,
    "x" * 3000,
    "on",
    "true",
    "[]",
    '{"a": 1}',
]


def plausible(ids: dict[str, dict[str, Any]]) -> Good:
    """Values the test bank would accept, by field name, so checks past the first are reached."""
    unit, staff = str(ids["unit_id"]["A"]), str(ids["staff_id"]["A"])
    return {
        "outlet": ["OUT-A"],
        "outlet_id": [unit],
        "unit_id": [unit],
        "parent_id": [unit],
        "responsible_unit_id": [unit],
        "unit_code": ["OUT-A", "SUB-A"],
        "responsible_unit_code": ["OUT-A"],
        "staff_id": [staff],
        "handler_id": [staff],
        "expert_id": ["1", staff],
        "named_staff_ids": [staff],
        "complaint_ids": [str(ids["complaint_id"]["A"])],
        "level": ["outlet", "tier2_branch", "1"],
        "kind": ["kiosk", "rating_pad", "counter_pad", "board"],
        "roles": ["teller", "branch_head", "administrator"],
        "counter": ["1"],
        "valid_days": ["30"],
        "code": ["OUT-A", "deposit", "default"],
        "t": ["deposit", "withdrawal", "open_account"],
        "username": ["teller.a", "new.user"],
        "password": ["Another-pass-2027"],  # not the personas': no sign-in as someone else
        "new_password": ["Another-pass-2027"],
        "confirm_password": ["Another-pass-2027"],
        # No "current_password": the persona's own password stays, so it can sign in again.
        "consent": ["on", "1"],
        "active": ["on", "1", "0"],
        "public": ["on"],
        "timezone": ["Asia/Shanghai", "Mars/Olympus"],
        "intake_channel": ["counter", "phone", "regulator"],
        "received_at": ["2026-11-30T09:00", "2026-11-30"],
        "regulator_received_on": ["2026-11-29"],
        "phone": ["13812345678"],
        "complainant_phone": ["13812345678"],
        "id_number": ["11010519491231002X"],
        "complainant_id_number": ["11010519491231002X"],
        "reference": [str(ids["reference"]["A"])],
        "axis": ["business", "cause", "channel"],
        "close_after_days": ["15", "0"],
        "decision": ["upheld", "rejected"],
        "reply_channel": ["phone", "letter"],
        "amount": ["100.00", "1,000.5"],
        "card": ["6222020000000000001"],
        "document": ["{}", '{"code": "deposit"}'],
    }


def values_for(field: str, good: Good) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(good.get(field, ["甲网点", "1"])),
        st.sampled_from(NASTY),
        st.text(max_size=40),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.dates().map(dt.date.isoformat),
        st.datetimes().map(dt.datetime.isoformat),
    )


def form_of(
    fields: Iterable[str], lists: Container[str], files: Container[str], good: Good
) -> st.SearchStrategy[dict[str, Any]]:
    """A posted form: each field absent, once or (for lists) several times; files as uploads.
    `_extra` is a field the route does not know."""
    data: dict[str, Any] = {}
    for field in fields:
        if field in files:
            upload = st.tuples(
                st.sampled_from(["a.pdf", "", "../x.exe", "图片.jpg", "a\x00.png", "x" * 300]),
                st.binary(max_size=300),
                st.sampled_from(["application/pdf", "image/png", "text/csv", "", "x/\x00"]),
            )
            data[field] = st.one_of(st.none(), upload)
        elif field in lists:
            data[field] = st.lists(values_for(field, good), max_size=3)
        else:
            data[field] = st.one_of(st.none(), values_for(field, good))
    data["_extra"] = st.one_of(st.none(), st.sampled_from(NASTY))
    return st.fixed_dictionaries(data)

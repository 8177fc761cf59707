"""Files a rolled-back upload left behind are removed by the worker (issue 16 #4).

The file is written before the unit of work commits (so a reader never sees half a file);
when the unit of work then rolls back, no attachment names it. The worker's hourly job removes
such files once they are an hour old, and never a file an attachment names.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from manyi.complaints import attachments, intake
from manyi.db import Database
from tests.complaint_bank import ComplaintBank, build_complaint_bank
from tests.conftest import FIXED_NOW, Bank

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def cb(db: Database, bank: Bank) -> ComplaintBank:
    return build_complaint_bank(db, bank)


def register(db: Database, cb: ComplaintBank) -> int:
    with db.session() as session:
        return intake.register(
            session, cb.caller(db, "hotline"), cb.hotline_form(), FIXED_NOW
        ).complaint.id


def age(path: Path, hours: float) -> None:
    when = (FIXED_NOW - dt.timedelta(hours=hours)).timestamp()
    os.utime(path, (when, when))


def test_a_rolled_back_upload_s_file_is_swept_and_kept_ones_stay(
    db: Database, cb: ComplaintBank, tmp_path: Path
) -> None:
    case_id = register(db, cb)
    from manyi.complaints.tables import Complaint

    kept_data, lost_data = PNG + b"kept", PNG + b"lost"
    caller = cb.caller(db, "hotline")  # before a unit of work holds the database
    with db.session() as session:
        complaint = session.get(Complaint, case_id)
        assert complaint is not None
        kept = attachments.attach(
            session,
            caller,
            complaint,
            FIXED_NOW,
            var_dir=tmp_path,
            filename="a.png",
            data=kept_data,
        )
        kept_path = attachments.store_path(tmp_path, kept.sha256)
    with pytest.raises(RuntimeError), db.session() as session:  # written, then rolled back
        complaint = session.get(Complaint, case_id)
        assert complaint is not None
        lost = attachments.attach(
            session,
            caller,
            complaint,
            FIXED_NOW,
            var_dir=tmp_path,
            filename="b.png",
            data=lost_data,
        )
        lost_path = attachments.store_path(tmp_path, lost.sha256)
        raise RuntimeError("the unit of work fails after the file was written")
    half = lost_path.with_name("f" * 64 + ".part")
    half.write_bytes(b"half")
    assert kept_path.exists() and lost_path.exists()
    for path in (kept_path, lost_path, half):
        age(path, 0.5)
    with db.session() as session:  # too young: an upload may still be committing
        assert attachments.sweep(session, tmp_path, FIXED_NOW) == 0
    for path in (kept_path, lost_path, half):
        age(path, 2)
    with db.session() as session:
        assert attachments.sweep(session, tmp_path, FIXED_NOW) == 2
    assert kept_path.exists() and not lost_path.exists() and not half.exists()
    with db.session() as session:  # run again: nothing left to do
        assert attachments.sweep(session, tmp_path, FIXED_NOW) == 0

"""Complaint counts for other features to read (service stars in supervision).

A complaint may name the staff members it is about (`ComplaintNamedStaff`, reason "named", set
at registration; the same rows keep them from handling it, 回避). It records no "upheld"
verdict, so the nearest fact manyi has of complaints against a teller is the number of
complaints naming them received in a period, withdrawn ones left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.complaints.tables import Complaint, ComplaintNamedStaff


def naming_staff(
    session: Session, staff_ids: Sequence[int], *, since: dt.datetime, until: dt.datetime
) -> dict[int, int]:
    """{staff id: complaints naming them received in [since, until), not withdrawn}."""
    if not staff_ids:
        return {}
    statement = (
        select(ComplaintNamedStaff.staff_id, func.count())
        .join(Complaint, Complaint.id == ComplaintNamedStaff.complaint_id)
        .where(
            ComplaintNamedStaff.staff_id.in_(list(staff_ids)),
            ComplaintNamedStaff.reason == "named",
            Complaint.received_at >= since,
            Complaint.received_at < until,
            Complaint.state != "withdrawn",
        )
        .group_by(ComplaintNamedStaff.staff_id)
    )
    return {int(staff): int(n) for staff, n in session.execute(statement).all()}

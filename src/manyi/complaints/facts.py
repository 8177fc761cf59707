"""What complaints publish for other features to read (listed in PUBLIC): small counts, no
personal data.

- `received_by_unit`: complaints received in a window, per responsible unit, within a data
  scope. Supervision's spot-check sampler weighs outlets up by their complaints of the last 90
  days (`supervision.domain.sampler`). Every complaint received counts, whatever became of it
  (withdrawn or not upheld included): the sampler wants where customers were unhappy enough to
  complain, not the verdict.
- `naming_staff`: complaints naming a staff member, for supervision's service stars. A
  complaint may name the staff members it is about (`ComplaintNamedStaff`, reason "named", set
  at registration; the same rows keep them from handling it, 回避). It records no "upheld"
  verdict, so the nearest fact manyi has of complaints against a teller is the number of
  complaints naming them received in a period, withdrawn ones left out.
- `case_by_reference`: one complaint by its reference, within a data scope, as a finding a
  misconduct case may be opened from (supervision): its unit, the day it was received, its
  subject and the staff it names. Nothing about the complainant.
- `reference_of_intake`: the reference of the complaint registered with a channel reference
  (the demo bank's supervision finds the complaints the complaints demo seeded, DEMO-…).
- `praise_for_staff`: praise (表扬) registered for staff members in a period, for supervision's
  service stars (the complaint desk registers praise as it registers complaints: `praise`).
- `complaint_for_library`, `praise_for_library`: an upheld (or partly upheld) complaint or a
  praise as the source of a typical case (lobby guidance's case library), within a data scope:
  the text a case starts from and the names a case must leave out (the complainant's, the staff
  named or praised). The names are for the case library's check only and are never stored there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.complaints.domain.model import Verdict
from manyi.complaints.praise_tables import ComplaintPraise
from manyi.complaints.tables import Complaint, ComplaintNamedStaff
from manyi.org.scope import in_scope
from manyi.org.tables import Staff


def received_by_unit(
    session: Session, scope_path: str, since: dt.datetime, until: dt.datetime
) -> dict[int, int]:
    """{responsible unit id: complaints received in [since, until)} for units in the scope."""
    rows = session.execute(
        select(Complaint.responsible_unit_id, func.count())
        .where(
            in_scope(Complaint.responsible_unit_path, scope_path),
            Complaint.received_at >= since,
            Complaint.received_at < until,
        )
        .group_by(Complaint.responsible_unit_id)
    ).all()
    return {int(unit): int(count) for unit, count in rows}


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


@dataclass(frozen=True)
class ComplaintFinding:
    """A complaint as a source of a misconduct case: no personal data of the complainant."""

    id: int
    reference: str
    responsible_unit_id: int
    received_at: dt.datetime
    timezone: str
    subject: str
    named_staff_ids: tuple[int, ...]  # staff the complaint is about ("named"), in id order


def case_by_reference(session: Session, scope_path: str, reference: str) -> ComplaintFinding | None:
    """The complaint with this reference if its responsible unit lies in the scope; None for
    an unknown reference and for one outside the scope alike (existence is not revealed)."""
    reference = (reference or "").strip()
    if not reference:
        return None
    complaint = session.scalar(
        select(Complaint).where(
            Complaint.reference == reference,
            in_scope(Complaint.responsible_unit_path, scope_path),
        )
    )
    if complaint is None:
        return None
    named = session.scalars(
        select(ComplaintNamedStaff.staff_id)
        .where(
            ComplaintNamedStaff.complaint_id == complaint.id,
            ComplaintNamedStaff.reason == "named",
        )
        .order_by(ComplaintNamedStaff.staff_id)
    ).all()
    return ComplaintFinding(
        id=complaint.id,
        reference=complaint.reference,
        responsible_unit_id=complaint.responsible_unit_id,
        received_at=complaint.received_at,
        timezone=complaint.timezone,
        subject=complaint.subject,
        named_staff_ids=tuple(int(i) for i in named),
    )


def reference_of_intake(session: Session, intake_ref: str) -> str | None:
    """The reference of the (first) complaint registered with this channel reference."""
    return session.scalar(
        select(Complaint.reference)
        .where(Complaint.intake_ref == intake_ref)
        .order_by(Complaint.id)
        .limit(1)
    )


def praise_for_staff(
    session: Session, staff_ids: Sequence[int], *, start: dt.date, end: dt.date
) -> dict[int, int]:
    """{staff id: praise registered for them, received from `start` to `end` inclusive}.

    Counted by the day the customer praised (`received_on`), wherever the staff member works
    now: praise follows the person, as complaints naming them do."""
    if not staff_ids:
        return {}
    P = ComplaintPraise
    statement = (
        select(P.staff_id, func.count())
        .where(P.staff_id.in_(list(staff_ids)), P.received_on >= start, P.received_on <= end)
        .group_by(P.staff_id)
    )
    return {int(staff): int(n) for staff, n in session.execute(statement).all()}


@dataclass(frozen=True)
class LibrarySource:
    """A complaint or a praise as the source of a typical case."""

    reference: str
    unit_id: int
    unit_path: str
    text: str  # what a case may start from (personal data still in it: the author rewrites it)
    names: tuple[str, ...]  # the people in it, to keep out of the case
    usable: bool  # a complaint: decided upheld or partly upheld; a praise: always


def complaint_for_library(
    session: Session, scope_path: str, reference: str
) -> LibrarySource | None:
    """The complaint with this reference in the scope; None when unknown or outside it."""
    complaint = session.scalar(
        select(Complaint).where(
            Complaint.reference == (reference or "").strip(),
            in_scope(Complaint.responsible_unit_path, scope_path),
        )
    )
    if complaint is None:
        return None
    staff = session.scalars(
        select(Staff.display_name)
        .join(ComplaintNamedStaff, ComplaintNamedStaff.staff_id == Staff.id)
        .where(ComplaintNamedStaff.complaint_id == complaint.id)
    ).all()
    parts = [complaint.subject, complaint.description, complaint.decision]
    return LibrarySource(
        complaint.reference,
        complaint.responsible_unit_id,
        complaint.responsible_unit_path,
        "\n\n".join(p.strip() for p in parts if p and p.strip()),
        tuple(n for n in (complaint.complainant_name, *staff) if n),
        complaint.verdict in (Verdict.UPHELD.value, Verdict.PARTLY.value),
    )


def praise_for_library(session: Session, scope_path: str, praise_id: int) -> LibrarySource | None:
    """The praise with this id in the scope; None when unknown or outside it."""
    row = session.execute(
        select(ComplaintPraise, Staff.display_name)
        .join(Staff, Staff.id == ComplaintPraise.staff_id)
        .where(ComplaintPraise.id == praise_id, in_scope(ComplaintPraise.unit_path, scope_path))
    ).first()
    if row is None:
        return None
    praise, name = row
    return LibrarySource(
        str(praise.id), praise.unit_id, praise.unit_path, praise.text, (name,), True
    )


def library_sources(
    session: Session, scope_path: str, limit: int = 20
) -> tuple[list[tuple[str, int]], list[tuple[int, int]]]:
    """Recent sources of typical cases in the scope: (reference, unit id) of upheld or partly
    upheld complaints and (praise id, unit id) of praise, newest first."""
    complaints = session.execute(
        select(Complaint.reference, Complaint.responsible_unit_id)
        .where(
            Complaint.verdict.in_((Verdict.UPHELD.value, Verdict.PARTLY.value)),
            in_scope(Complaint.responsible_unit_path, scope_path),
        )
        .order_by(Complaint.id.desc())
        .limit(limit)
    ).all()
    praise = session.execute(
        select(ComplaintPraise.id, ComplaintPraise.unit_id)
        .where(in_scope(ComplaintPraise.unit_path, scope_path))
        .order_by(ComplaintPraise.id.desc())
        .limit(limit)
    ).all()
    return [(str(r), int(u)) for r, u in complaints], [(int(p), int(u)) for p, u in praise]

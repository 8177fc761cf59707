"""Retention: cases closed longer ago than the bank keeps personal data are anonymised.

The regulation asks a bank to keep complaint records for at least three years; past the bank's
own retention (`MANYI_COMPLAINT_RETENTION_DAYS`, never less than that) `purge` removes what
identifies or describes the person: the complainant's name, numbers and addresses, their blind
indexes (the person key, the phone's and the name's), the free texts (subject, account, request,
decision, root cause, timeline notes and details) and the attached files. What statistics need
stays: reference, dates, unit, channel, business and cause, flags, states, deadlines and the
outcome. A case is anonymised once; the run is recorded on the audit chain. `dry_run` says what
would be done and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.complaints import attachments
from manyi.complaints.domain.model import FINISHED_STATES
from manyi.complaints.tables import Complaint, ComplaintAttachment, ComplaintEvent

MIN_RETENTION_DAYS = 1096  # three years, leap day included: the regulation's least
ANONYMISED = "（已匿名化）"  # what the free texts read afterwards


@dataclass
class PurgeReport:
    cutoff: dt.datetime
    references: list[str] = field(default_factory=list)
    files: int = 0
    dry_run: bool = False


def purge(
    session: Session,
    actor: audit.Actor,
    now: dt.datetime,
    retention_days: int,
    var_dir: Path,
    *,
    dry_run: bool = False,
) -> PurgeReport:
    if retention_days < MIN_RETENTION_DAYS:
        raise ValueError(f"retention must be at least {MIN_RETENTION_DAYS} days (three years)")
    cutoff = now - dt.timedelta(days=retention_days)
    finished_at = func.coalesce(Complaint.closed_at, Complaint.updated_at)
    due = session.scalars(
        select(Complaint)
        .where(
            Complaint.state.in_([s.value for s in FINISHED_STATES]),
            finished_at < cutoff,
            or_(Complaint.complainant_name != "", Complaint.description != ANONYMISED),
        )
        .order_by(Complaint.id)
    ).all()
    report = PurgeReport(cutoff=cutoff, references=[c.reference for c in due], dry_run=dry_run)
    if dry_run or not due:
        return report
    for case in due:
        _anonymise(session, case)
        report.files += _drop_attachments(session, case, var_dir)
    audit.record(
        session,
        actor,
        entity_type="complaint",
        entity_id="retention",
        action="complaint.purge",
        summary={
            "cases": len(due),
            "files": report.files,
            "before": cutoff.isoformat(),
            "references": report.references[:100],
        },
        now=now,
    )
    return report


def _anonymise(session: Session, case: Complaint) -> None:
    case.complainant_name = case.complainant_phone = case.complainant_id_number = ""
    case.complainant_email = case.complainant_address = ""
    case.person_key = case.complainant_phone_index = case.complainant_name_index = None
    case.query_code_hash = None  # nobody can look it up any more
    case.subject = ANONYMISED
    case.description = ANONYMISED
    case.request = ""
    case.decision = ANONYMISED if case.decision else ""
    case.root_cause = ANONYMISED if case.root_cause else ""
    case.product = ""
    case.intake_ref = ""
    for event in session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == case.id)
    ):
        event.note = ""
        event.data = {}


def _drop_attachments(session: Session, case: Complaint, var_dir: Path) -> int:
    """Remove the case's attachments; a file goes with its last attachment."""
    rows = session.scalars(
        select(ComplaintAttachment).where(ComplaintAttachment.complaint_id == case.id)
    ).all()
    removed = 0
    for row in rows:
        session.delete(row)
        session.flush()
        still = session.scalar(select(func.count()).where(ComplaintAttachment.sha256 == row.sha256))
        if not still:
            path = attachments.store_path(var_dir, row.sha256)
            if path.exists():
                path.unlink()
                removed += 1
    return removed

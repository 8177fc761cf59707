"""Loading historical complaints from a file into the database.

Parsing is `import_formats` (pure); this module stores what parsed. Rows are
keyed by (source, external id): re-importing a file adds nothing, and two
imports racing each other cannot store a row twice (the unique constraint
with ON CONFLICT DO NOTHING). Closed rows land closed; rows the old system
still had open land open in the responsible unit's queue with their true
deadline, so the deadline scan takes them up like any other case.

One audit event records each run (file hash and counts); the rows are
inserted in batches so 100,000 rows take well under a minute.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.bulk import insert_returning
from manyi.complaints import clock
from manyi.complaints.access import Caller
from manyi.complaints.domain.deadlines import due_at
from manyi.complaints.domain.model import Action, CloseReason, State
from manyi.complaints.domain.policies import DeadlinePolicy
from manyi.complaints.domain.taxonomy import Flag, department_for
from manyi.complaints.domain.workcal import Calendars
from manyi.complaints.imports.base import ImportedComplaint, LineError
from manyi.complaints.imports.formats import parse_file
from manyi.complaints.tables import Complaint, ComplaintEvent
from manyi.db import Database
from manyi.errors import InvalidInput
from manyi.org.model import Permission
from manyi.org.tables import Unit

COMPLAINTS = cast(Table, Complaint.__table__)
EVENTS = cast(Table, ComplaintEvent.__table__)
BATCH = 400  # rows per INSERT: about 20,000 parameters, within SQLite's limit


@dataclass
class ImportSummary:
    read: int = 0
    imported: int = 0
    skipped: int = 0  # bad rows
    duplicates: int = 0  # already stored, or repeated in the file
    still_open: int = 0
    errors: list[LineError] = field(default_factory=list)
    read_as: str = ""  # "UTF-8 with BOM", "GB18030 (guessed)", "Excel workbook, sheet 'x'"
    line_word: str = "line"  # "row" for a workbook: the numbers are its rows
    clean: bool = True  # every byte was valid in the encoding the file was read in

    def line(self) -> str:
        text = (
            f"read {self.read}, imported {self.imported}, skipped {self.skipped}, "
            f"duplicates {self.duplicates}"
        )
        if self.still_open:
            text += f" ({self.still_open} still open, now in the unit's queue)"
        return text


def reference_for(source: str, external_id: str) -> str:
    plain = f"IM-{source}-{external_id}"
    if len(plain) <= 32:
        return plain
    return "IM-" + hashlib.sha256(f"{source}:{external_id}".encode()).hexdigest()[:24]


def import_file(
    db: Database,
    caller: Caller,
    data: bytes,
    fmt: str,
    *,
    unit_code: str | None,
    mapping: Mapping[str, object] | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    now: dt.datetime,
) -> ImportSummary:
    """Parse and store a file (CSV or .xlsx); ImportFormatError (nothing stored) when the file
    is unusable. `encoding` overrides the guess for a CSV; `sheet` names a workbook's sheet."""
    caller.need(Permission.COMPLAINTS_REGISTER)
    parsed = parse_file(data, fmt, mapping, encoding=encoding, sheet=sheet)
    summary = ImportSummary(
        read=parsed.read,
        errors=list(parsed.errors),
        read_as=parsed.read_as,
        line_word=parsed.line_word,
        clean=parsed.clean,
    )
    summary.duplicates = sum(1 for e in parsed.errors if e.duplicate)
    summary.skipped = len(parsed.errors) - summary.duplicates
    source = fmt
    with db.session() as session:
        unit = _unit(session, unit_code)
        policy_row = clock.policy_row(session)
        policy = clock.policy_of(policy_row)
        for batch in _batches(parsed.records, BATCH):
            # Rows already stored are skipped by ON CONFLICT DO NOTHING: what comes back is new.
            inserted = _insert(session, batch, source, unit, policy, policy_row.code, now)
            summary.duplicates += len(batch) - len(inserted)
            summary.imported += len(inserted)
            summary.still_open += sum(
                1 for r in batch if r.external_id in inserted and not r.closed
            )
        audit.record(
            session,
            caller.actor,
            entity_type="complaint_import",
            entity_id=hashlib.sha256(data).hexdigest()[:16],
            action="complaint.import",
            summary={
                "format": fmt,
                "read_as": parsed.read_as,
                "unit": unit.code,
                "read": summary.read,
                "imported": summary.imported,
                "skipped": summary.skipped,
                "duplicates": summary.duplicates,
            },
            unit_id=unit.id,
            unit_path=unit.path,
            now=now,
        )
    return summary


def _unit(session: Session, code: str | None) -> Unit:
    if code:
        unit = session.scalar(select(Unit).where(Unit.code == code))
        if unit is None or not unit.active:
            raise InvalidInput("there is no active unit {code}", "unit", code=code)
        return unit
    root = session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))
    if root is None:
        raise InvalidInput("create the organisation's units before importing complaints", "unit")
    return root


def _batches(
    records: Sequence[ImportedComplaint], size: int
) -> Iterator[Sequence[ImportedComplaint]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]


def _local_start(day: dt.date, tz: str) -> dt.datetime:
    """Noon of the local day: a date-only receipt counts from that day whatever the zone."""
    return dt.datetime.combine(day, dt.time(12), clock.zone(tz)).astimezone(dt.UTC)


def _row(
    record: ImportedComplaint,
    source: str,
    unit: Unit,
    policy: DeadlinePolicy,
    policy_code: str,
    now: dt.datetime,
    working_days: Calendars,
) -> dict[str, Any]:
    received = _local_start(record.received_on, unit.timezone)
    flags = sorted(
        {f.value for f in record.flags} | ({Flag.REGULATOR.value} if source == "cfpb" else set())
    )
    decided_at = _local_start(record.decided_on, unit.timezone) if record.decided_on else None
    due = due_at(policy, record.received_on, 0, unit.timezone, working_days)
    row: dict[str, Any] = {
        "reference": reference_for(source, record.external_id),
        "source": source,
        "external_id": record.external_id,
        "intake": record.intake.value,
        "intake_ref": record.region[:200],
        "channel_code": record.channel_code,
        "business_code": record.business_code,
        "cause_code": record.cause_code,
        "department": department_for(record.business_code),
        "flags": flags,
        "subject": record.subject[:200] or "—",
        "description": record.description,
        "request": "",
        "product": record.product[:300],
        "complainant_name": "",
        "complainant_phone": "",
        "complainant_id_number": "",
        "complainant_email": "",
        "complainant_address": "",
        "person_key": None,
        "registered_unit_id": unit.id,
        "responsible_unit_id": unit.id,
        "responsible_unit_path": unit.path,
        "handler_id": None,
        "registered_by_id": None,
        "received_at": received,
        "registered_at": now,
        "regulator_ref": "",
        "regulator_received_on": None,
        "policy_code": policy_code,
        "timezone": unit.timezone,
        "deadline_stage": 0,
        "clock_started_at": received,
        "due_at": due,
        "risk_notified": 0,
        "escalation_level": 0,
        "breached": record.timely is False,
        "overdue_since": due if record.timely is False else None,
        "reopen_count": 0,
        "decision": record.decision,
        "reply_channel": None,
        "decided_at": decided_at,
        "root_cause": "",
        "rectification_ref": "",
        "updated_at": now,
    }
    if record.closed:
        row.update(
            state=State.CLOSED.value,
            closed_at=decided_at or received,
            close_reason=CloseReason.IMPORTED.value,
            next_check_at=None,
        )
    else:
        row.update(state=State.REGISTERED.value, closed_at=None, close_reason=None)
        row["next_check_at"] = now  # the next deadline scan works out warnings and escalation
        row["breached"] = row["breached"] or now >= due
        row["overdue_since"] = due if row["breached"] else None
    return row


def _insert(
    session: Session,
    records: Sequence[ImportedComplaint],
    source: str,
    unit: Unit,
    policy: DeadlinePolicy,
    policy_code: str,
    now: dt.datetime,
) -> set[str]:
    """Insert the rows; returns the external ids actually stored (a racing import may win some)."""
    if not records:
        return set()
    working_days = clock.calendars(session)
    rows = [_row(r, source, unit, policy, policy_code, now, working_days) for r in records]
    conn = session.connection()
    stored = insert_returning(
        conn,
        COMPLAINTS,
        rows,
        returning=("id", "external_id", "state"),
        skip_conflicts_on=("source", "external_id"),
    )
    if not stored:
        return set()
    lines = {r.external_id: r.line for r in records}
    events = [
        {
            "complaint_id": complaint_id,
            "at": now,
            "actor_id": None,
            "actor_name": "import",
            "action": Action.REGISTER.value,
            "from_state": None,
            "to_state": state,
            "note": "",
            "data": {"source": source, "line": lines[external_id]},
            "public": False,
        }
        for complaint_id, external_id, state in stored
    ]
    insert_returning(conn, EVENTS, events, returning=("id",))
    return {external_id for _, external_id, _ in stored}

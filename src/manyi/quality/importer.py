"""`manyi quality import`: responses from a survey firm or another system, stored once.

Parsing is `imports.csv_format` (pure); here each line's outlet (a unit code, which must be an
outlet) and teller (a username) are looked up, and a line naming an unknown one is a bad line
like any other. A file with bad lines stores nothing unless `skip_bad` is given, then only its
good lines. Responses are keyed by ('import', response_id): re-importing a file adds nothing.
One audit event records each import that stored (file hash, batch id and counts).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.db import Database
from manyi.org.model import UnitLevel
from manyi.org.tables import Staff, Unit
from manyi.quality.imports.csv_format import LineProblem, ResponseLine, parse_csv
from manyi.quality.store import NewResponse, insert_responses

FORMATS = ("csv",)
SOURCE = "import"


@dataclass
class ImportSummary:
    read: int = 0  # data lines read, good and bad
    imported: int = 0  # rows added
    already: int = 0  # good lines whose response_id was stored before
    batch: str = ""  # imported_batch of the rows added (and the audit event's entity id)
    stored: bool = False  # False: the file had bad lines and nothing was stored
    problems: list[LineProblem] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"read {self.read}, imported {self.imported}, already stored {self.already}, "
            f"bad {len(self.problems)}"
        )


def batch_id(data: bytes, now: dt.datetime) -> str:
    """`20261130T020000Z-<12 hex of the file's SHA-256>`: when, and which file."""
    return f"{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{hashlib.sha256(data).hexdigest()[:12]}"


def import_file(
    db: Database,
    actor: audit.Actor,
    data: bytes,
    fmt: str,
    *,
    skip_bad: bool,
    now: dt.datetime,
) -> ImportSummary:
    """Parse, check and store a file. FileFormatError (nothing stored) when it cannot be read."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (expected {' or '.join(FORMATS)})")
    parsed = parse_csv(data, now)
    summary = ImportSummary(read=parsed.read, problems=list(parsed.problems))
    with db.session() as session:
        outlets = _outlets(session, {r.outlet for r in parsed.lines})
        tellers = _tellers(session, {r.teller for r in parsed.lines if r.teller})
        good = _resolve(parsed.lines, outlets, tellers, summary.problems)
        summary.problems.sort(key=lambda p: p.line)  # stable: a line's problems in column order
        if summary.problems and not skip_bad:
            return summary
        summary.batch = batch_id(data, now)
        rows = [_new(r, outlets[r.outlet], tellers, summary.batch) for r in good]
        summary.imported = insert_responses(session, rows)
        summary.already = len(rows) - summary.imported
        summary.stored = True
        audit.record(
            session,
            actor,
            entity_type="quality_import",
            entity_id=summary.batch,
            action="quality.import",
            summary={
                "format": fmt,
                "sha256": hashlib.sha256(data).hexdigest(),
                "read": summary.read,
                "imported": summary.imported,
                "already": summary.already,
                "bad": len(summary.problems),
            },
            now=now,
        )
    return summary


def _outlets(session: Session, codes: set[str]) -> dict[str, Unit]:
    if not codes:
        return {}
    found = session.scalars(select(Unit).where(Unit.code.in_(sorted(codes))))
    return {unit.code: unit for unit in found}


def _tellers(session: Session, usernames: set[str]) -> dict[str, int]:
    if not usernames:
        return {}
    found = session.execute(
        select(Staff.username, Staff.id).where(Staff.username.in_(sorted(usernames)))
    )
    return {username: staff_id for username, staff_id in found}


def _resolve(
    lines: Sequence[ResponseLine],
    outlets: dict[str, Unit],
    tellers: dict[str, int],
    problems: list[LineProblem],
) -> list[ResponseLine]:
    good = []
    for record in lines:
        ok = True
        unit = outlets.get(record.outlet)
        if unit is None:
            problems.append(LineProblem(record.line, "outlet", f"there is no unit {record.outlet}"))
            ok = False
        elif unit.level != UnitLevel.OUTLET:
            reason = f"unit {record.outlet} is a {unit.level}: responses belong to an outlet"
            problems.append(LineProblem(record.line, "outlet", reason))
            ok = False
        if record.teller and record.teller not in tellers:
            reason = f"there is no staff member with the username {record.teller}"
            problems.append(LineProblem(record.line, "teller", reason))
            ok = False
        if ok:
            good.append(record)
    return good


def _new(record: ResponseLine, unit: Unit, tellers: dict[str, int], batch: str) -> NewResponse:
    return NewResponse(
        source=SOURCE,
        external_id=record.response_id,
        outlet_id=unit.id,
        unit_path=unit.path,
        channel=record.channel,
        answered_at=record.answered_at,
        csat=record.csat,
        nps=record.nps,
        ces=record.ces,
        teller_staff_id=tellers[record.teller] if record.teller else None,
        service=record.service,
        comment=record.comment,
        imported_batch=batch,
    )

"""Attachments: images and PDF files kept under `var/` by content hash.

The type is decided by the file's first bytes, not by its name or the
browser's claim; anything else is refused. The same file attached twice to a
case is stored once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.complaints.access import Caller

# Re-exported: the file rules moved to the pure `domain.files`, shared with other features.
from manyi.complaints.domain.files import KINDS as KINDS
from manyi.complaints.domain.files import MAX_BYTES as MAX_BYTES
from manyi.complaints.domain.files import clean_filename as clean_filename
from manyi.complaints.domain.files import sniff as sniff
from manyi.complaints.domain.model import Action, State, next_state
from manyi.complaints.tables import Complaint, ComplaintAttachment
from manyi.complaints.timeline import record
from manyi.errors import InvalidInput, NotFound

MAX_PER_CASE = 10


def store_path(var_dir: Path, sha256: str) -> Path:
    return var_dir / "complaints" / sha256[:2] / sha256


def attach(
    session: Session,
    caller: Caller,
    complaint: Complaint,
    now: dt.datetime,
    *,
    var_dir: Path,
    filename: str,
    data: bytes,
    public: bool = False,
) -> ComplaintAttachment:
    """Check and keep one file for the case (the caller's right to act was checked already)."""
    next_state(State(complaint.state), Action.ATTACH)
    if not data:
        raise InvalidInput("the file is empty", "file")
    if len(data) > MAX_BYTES:
        raise InvalidInput("a file may have at most {mb} MB", "file", mb=MAX_BYTES // (1024 * 1024))
    kind = sniff(data)
    if kind is None:
        raise InvalidInput("only JPEG, PNG, WebP images and PDF files are accepted", "file")
    count = session.scalar(
        select(func.count()).where(ComplaintAttachment.complaint_id == complaint.id)
    )
    if (count or 0) >= MAX_PER_CASE:
        raise InvalidInput("a complaint may have at most {n} attachments", "file", n=MAX_PER_CASE)
    digest = hashlib.sha256(data).hexdigest()
    existing = session.scalar(
        select(ComplaintAttachment).where(
            ComplaintAttachment.complaint_id == complaint.id, ComplaintAttachment.sha256 == digest
        )
    )
    if existing is not None:
        return existing
    path = store_path(var_dir, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)  # atomic: a reader never sees half a file
    attachment = ComplaintAttachment(
        complaint_id=complaint.id,
        sha256=digest,
        filename=clean_filename(filename),
        content_type=kind,
        size=len(data),
        uploaded_by_id=caller.staff_id,
        uploaded_at=now,
        public=public,
    )
    session.add(attachment)
    session.flush()
    record(
        session,
        complaint,
        caller,
        Action.ATTACH,
        now,
        from_state=complaint.state,
        data={"attachment_id": attachment.id, "filename": attachment.filename, "sha256": digest},
    )
    return attachment


def listing(session: Session, complaint_id: int) -> list[ComplaintAttachment]:
    return list(
        session.scalars(
            select(ComplaintAttachment)
            .where(ComplaintAttachment.complaint_id == complaint_id)
            .order_by(ComplaintAttachment.uploaded_at, ComplaintAttachment.id)
        )
    )


def read(
    session: Session, complaint_id: int, attachment_id: int, var_dir: Path
) -> tuple[ComplaintAttachment, bytes]:
    attachment = session.get(ComplaintAttachment, attachment_id)
    if attachment is None or attachment.complaint_id != complaint_id:
        raise NotFound("there is no attachment {id}", id=attachment_id)
    path = store_path(var_dir, attachment.sha256)
    if not path.exists():
        raise NotFound("the file of attachment {id} is missing from storage", id=attachment_id)
    return attachment, path.read_bytes()


# A file younger than this may belong to an upload whose unit of work has not committed yet.
SWEEP_GRACE = dt.timedelta(hours=1)


def sweep(session: Session, var_dir: Path, now: dt.datetime) -> int:
    """Remove stored files no attachment names: left by an upload whose unit of work rolled
    back after the file was written (or half-written `.part` files). Only files older than
    `SWEEP_GRACE`, so an upload in progress keeps its file. Returns how many were removed."""
    root = var_dir / "complaints"
    if not root.is_dir():
        return 0
    cutoff = (now - SWEEP_GRACE).timestamp()
    old = [p for p in root.glob("??/*") if p.is_file() and p.stat().st_mtime < cutoff]
    names = {p.name for p in old if not p.name.endswith(".part")}
    kept: set[str] = set()
    listed = sorted(names)
    for start in range(0, len(listed), 500):
        batch = listed[start : start + 500]
        kept.update(
            session.scalars(
                select(ComplaintAttachment.sha256).where(ComplaintAttachment.sha256.in_(batch))
            )
        )
    removed = 0
    for path in old:
        if path.name not in kept:
            path.unlink(missing_ok=True)
            removed += 1
    return removed

"""Evidence files of rectification tasks: photos and PDF files kept under `var/supervision/` by
content hash, checked with the same safeguards as complaint attachments (the type from the
file's first bytes, at most 10 MB a file; `complaints.domain.files`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.complaints.domain.files import MAX_BYTES, clean_filename, sniff
from manyi.errors import InvalidInput
from manyi.supervision.rectification_tables import RectificationEvidence

MAX_FILES = 10  # per submission
MAX_TOTAL_BYTES = 30 * 1024 * 1024  # per submission, all files together


@dataclass(frozen=True)
class Upload:
    """A file as the entry point read it (at most MAX_BYTES + 1 bytes, so a larger one shows)."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def check_files(uploads: list[Upload]) -> list[CheckedFile]:
    """Refuse the whole submission when one file is not one we keep; nothing is written."""
    files = [u for u in uploads if u.filename or u.data]
    if not files:
        raise InvalidInput("attach at least one photo or PDF file as evidence", "files")
    if len(files) > MAX_FILES:
        raise InvalidInput("a submission may have at most {n} files", "files", n=MAX_FILES)
    if sum(len(u.data) for u in files) > MAX_TOTAL_BYTES:
        raise InvalidInput(
            "the files may have at most {mb} MB together",
            "files",
            mb=MAX_TOTAL_BYTES // (1024 * 1024),
        )
    checked = []
    for upload in files:
        name = clean_filename(upload.filename, "evidence")
        if not upload.data:
            raise InvalidInput("the file {name} is empty", "files", name=name)
        if len(upload.data) > MAX_BYTES:
            raise InvalidInput(
                "a file may have at most {mb} MB", "files", mb=MAX_BYTES // (1024 * 1024)
            )
        kind = sniff(upload.data)
        if kind is None:
            raise InvalidInput("only JPEG, PNG, WebP images and PDF files are accepted", "files")
        checked.append(CheckedFile(name, kind, upload.data))
    return checked


def store_path(var_dir: Path, sha256: str) -> Path:
    return var_dir / "supervision" / sha256[:2] / sha256


def keep(var_dir: Path, sha256: str, data: bytes) -> None:
    path = store_path(var_dir, sha256)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(path)  # atomic: a reader never sees half a file


# A file younger than this may belong to a submission whose unit of work has not committed yet.
SWEEP_GRACE = dt.timedelta(hours=1)


def sweep(session: Session, var_dir: Path, now: dt.datetime) -> int:
    """Remove stored files no evidence row names (left by a submission whose unit of work
    rolled back after the file was written, or half-written `.part` files), once older than
    SWEEP_GRACE. Returns how many were removed."""
    root = var_dir / "supervision"
    if not root.is_dir():
        return 0
    cutoff = (now - SWEEP_GRACE).timestamp()
    old = [p for p in root.glob("??/*") if p.is_file() and p.stat().st_mtime < cutoff]
    listed = sorted({p.name for p in old if not p.name.endswith(".part")})
    kept: set[str] = set()
    for start in range(0, len(listed), 500):
        batch = listed[start : start + 500]
        kept.update(
            session.scalars(
                select(RectificationEvidence.sha256).where(RectificationEvidence.sha256.in_(batch))
            )
        )
    removed = 0
    for path in old:
        if path.name not in kept:
            path.unlink(missing_ok=True)
            removed += 1
    return removed

"""Photos as evidence on an inspection's scorecard, with the upload safeguards complaint
attachments use (`complaints.domain.files`: the type from the file's first bytes, at most
10 MB); only images are kept here (JPEG, PNG, WebP). Files live under `var/inspections/` by
content hash, so the same photo twice is stored once."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy.orm import Session

from manyi import audit
from manyi.complaints.domain.files import MAX_BYTES, clean_filename, sniff
from manyi.errors import InvalidInput, NotFound
from manyi.supervision.domain import scorecard
from manyi.supervision.domain.visits import VisitState
from manyi.supervision.inspections import (
    audit_visit,
    load_visit,
    result_row,
    results_of,
    take_up,
)
from manyi.supervision.standards import standard_by_id

IMAGE_KINDS = frozenset({"image/jpeg", "image/png", "image/webp"})
MAX_PHOTOS_PER_ITEM = 5


def store_path(var_dir: Path, sha256: str) -> Path:
    return var_dir / "inspections" / sha256[:2] / sha256


def keep(var_dir: Path, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    path = store_path(var_dir, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)  # atomic: a reader never sees half a file
    return digest


def attach_photo(
    session: Session,
    actor: audit.Actor,
    visit_id: int,
    item_code: str,
    *,
    filename: str,
    data: bytes,
    var_dir: Path,
    now: dt.datetime,
) -> str:
    """Keep a photo (JPEG, PNG or WebP, checked by its bytes) as evidence for one item; returns
    its SHA-256. The same photo twice on an item is kept once."""
    visit = load_visit(session, actor, visit_id)
    take_up(visit, actor)
    standard = standard_by_id(session, visit.standard_id)
    scorecard.check_codes(standard.items, [item_code])
    if not data:
        raise InvalidInput("the file is empty", "photo")
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            "a file may have at most {mb} MB", "photo", mb=MAX_BYTES // (1024 * 1024)
        )
    kind = sniff(data)
    if kind not in IMAGE_KINDS:
        raise InvalidInput("only JPEG, PNG and WebP photos are accepted", "photo")
    rows = results_of(session, visit.id)
    row = result_row(session, rows, visit, item_code, actor, now)
    photos = list(row.photos or [])
    if len(photos) >= MAX_PHOTOS_PER_ITEM:
        raise InvalidInput("an item may have at most {n} photos", "photo", n=MAX_PHOTOS_PER_ITEM)
    digest = keep(var_dir, data)
    if all(p["sha256"] != digest for p in photos):
        photos.append(
            {
                "sha256": digest,
                "filename": clean_filename(filename, "photo"),
                "content_type": kind,
                "size": len(data),
            }
        )
        row.photos = photos  # a new list: the JSON column sees the change
        row.recorded_at, row.recorded_by_id = now, actor.id
    if visit.state == VisitState.PLANNED:
        visit.state = VisitState.IN_PROGRESS.value
    session.flush()
    audit_visit(session, actor, visit, "photo", {"item": item_code, "sha256": digest}, now)
    return digest


def read_photo(
    session: Session, actor: audit.Actor, visit_id: int, sha256: str, var_dir: Path
) -> tuple[str, bytes]:
    """(content type, bytes) of a photo of the visit, if the actor's scope holds it."""
    visit = load_visit(session, actor, visit_id)
    for row in results_of(session, visit.id).values():
        for photo in row.photos or []:
            if photo["sha256"] == sha256:
                path = store_path(var_dir, sha256)
                if not path.exists():
                    break
                return str(photo["content_type"]), path.read_bytes()
    raise NotFound("there is no such photo in visit {id}", "photo", id=visit_id)

"""Evidence files of rectification tasks: photos and PDF files kept under `var/supervision/` by
content hash, checked with the same safeguards as complaint attachments (the type from the
file's first bytes, at most 10 MB a file; `complaints.domain.files`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from manyi.complaints.domain.files import MAX_BYTES, clean_filename, sniff
from manyi.errors import InvalidInput

MAX_FILES = 10  # per submission


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

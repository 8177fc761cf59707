"""Which uploaded files are kept: the type decided by the file's first bytes, not by its name
or the browser's claim; the size cap; a safe file name. Pure: shared by complaint attachments
and by other features' evidence uploads (through `complaints.domain`)."""

from __future__ import annotations

import os

MAX_BYTES = 10 * 1024 * 1024
KINDS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}


def sniff(data: bytes) -> str | None:
    """The content type from the file's signature, or None when it is not one we keep."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def clean_filename(name: str, default: str = "attachment") -> str:
    base = os.path.basename(name.replace("\\", "/")).strip() or default
    return "".join(ch for ch in base if ch.isprintable())[:200]

"""Anchors: the chain's head, signed and kept outside the database, append-only.

An anchor says "at `at`, the chain's row `seq` had the seal `hash`", signed with the audit key.
Whoever can rewrite the database cannot rewrite the anchors already written elsewhere, so
`verify --anchors` catches a chain rewritten before an anchor (even with the key in hand) and a
tail cut back past one (rows deleted and the head reset to match).

`AnchorStore` is the interface: `DirectoryAnchorStore` writes one file per anchor and never
overwrites one (a directory on a write-once mount, or copied off the machine, by default). An
object store with a retention lock (S3 Object Lock in compliance mode, or the bank's WORM
storage) fits the same two methods: put a new object under a new name; list and read them all.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from manyi.audit.chain import ChainProblem
from manyi.audit.keys import AuditKeys


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: dt.datetime
    key_id: str
    signature: str

    def text(self) -> bytes:
        stamp = self.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        fields = ["manyi-audit-anchor-v1", self.seq, self.hash, stamp, self.key_id]
        return json.dumps(fields, separators=(",", ":")).encode("utf-8")


def sign(keys: AuditKeys, seq: int, hash: str, at: dt.datetime) -> Anchor:
    unsigned = Anchor(seq, hash, at.astimezone(dt.UTC), keys.current_id, "")
    signature = keys.seal(keys.current_id, unsigned.text())
    assert signature is not None  # the current key is always among the keys
    return Anchor(unsigned.seq, unsigned.hash, unsigned.at, unsigned.key_id, signature)


class AnchorStore(Protocol):
    def append(self, anchor: Anchor) -> str:
        """Keep the anchor, never replacing one kept before; return where it went."""

    def read_all(self) -> tuple[list[Anchor], list[str]]:
        """Every anchor kept, oldest first, and the names of entries that could not be read."""


class DirectoryAnchorStore:
    """One JSON file per anchor, `<seq>-<time>.json`, created exclusively and made read-only."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def append(self, anchor: Anchor) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{anchor.seq:012d}-{anchor.at:%Y%m%dT%H%M%S%fZ}.json"
        path = self.directory / name
        body = {
            "seq": anchor.seq,
            "hash": anchor.hash,
            "at": anchor.at.isoformat(),
            "key_id": anchor.key_id,
            "signature": anchor.signature,
        }
        with path.open("x", encoding="utf-8") as handle:  # "x": never over an existing one
            json.dump(body, handle)
            handle.flush()
            os.fsync(handle.fileno())
        path.chmod(0o444)
        return str(path)

    def read_all(self) -> tuple[list[Anchor], list[str]]:
        anchors: list[Anchor] = []
        unreadable: list[str] = []
        if not self.directory.is_dir():
            return anchors, unreadable
        for path in sorted(self.directory.glob("*.json")):
            try:
                body = json.loads(path.read_text(encoding="utf-8"))
                anchors.append(
                    Anchor(
                        int(body["seq"]),
                        str(body["hash"]),
                        dt.datetime.fromisoformat(body["at"]),
                        str(body["key_id"]),
                        str(body["signature"]),
                    )
                )
            except (OSError, ValueError, KeyError, TypeError):
                unreadable.append(path.name)
        anchors.sort(key=lambda a: (a.seq, a.at))
        return anchors, unreadable


def check(
    anchors: Sequence[Anchor],
    keys: AuditKeys,
    last_seq: int,
    hash_at: Callable[[int], str | None],
) -> ChainProblem | None:
    """The first anchor the chain contradicts: forged, cut back past, or rewritten before.

    `last_seq` is the last row the database holds; `hash_at(seq)` that row's seal (None when
    the row is not there).
    """
    for anchor in anchors:
        when = anchor.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        if keys.seal(anchor.key_id, anchor.text()) != anchor.signature:
            return ChainProblem(
                anchor.seq,
                "anchor_forged",
                f"the anchor of {when} does not carry a valid signature",
            )
        if anchor.seq > last_seq:
            return ChainProblem(
                last_seq + 1,
                "truncated",
                f"the chain ends at row {last_seq}, but the anchor of {when} saw row {anchor.seq}:"
                " rows were deleted from the end",
            )
        if hash_at(anchor.seq) != anchor.hash:
            return ChainProblem(
                anchor.seq,
                "rewritten",
                f"row {anchor.seq} is not the row the anchor of {when} saw: the chain was"
                " rewritten before that anchor",
            )
    return None

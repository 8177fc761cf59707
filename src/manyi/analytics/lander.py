"""Land event envelopes (the stream's shared contract, docs/analytics.md) as Parquet files.

Idempotence by envelope id, in two parts:

- a batch is written as one file per partition named by a digest of the batch's ids
  (`part-<digest>.parquet`): the same batch delivered again replaces its own files, so a
  consumer that crashed after writing and before acknowledging costs nothing;
- batches that only overlap (a restarted consumer's redelivery cut differently) leave the same
  event in two files of one partition; the roll-ups read a partition of several files as
  `events_landed` (rollup_sql), keeping one row per id. An envelope's row is a pure function of
  the envelope, and an id always names the same envelope, so the copies are identical rows and
  `SELECT DISTINCT` is that de-dup. `compaction` later rewrites a finished day's partitions as
  one file each, which the roll-ups read without the de-dup.

A ledger of landed ids was the alternative; it would be a second store to keep consistent with
the files (and to shard at 25 million events a day), where the digest needs nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from manyi.analytics.layout import SCHEMA, local_day_and_hour, write_partitioned

_INT_FIELDS = ("outlet_id", "tier1_id", "ticket_id", "counter_id", "staff_id")
_PROMOTED_TEXT = ("service_code", "klass", "outcome")
_PROMOTED_SECONDS = ("wait_s", "service_s")
SOURCES = frozenset({"lobby", "complaints", "counter", "quality"})


class EnvelopeError(ValueError):
    """An envelope that cannot be landed; the message names its place in the batch and field."""


@dataclass(frozen=True)
class Landed:
    events: int  # distinct envelopes in the batch
    files: tuple[str, ...]


def land(envelopes: Sequence[Mapping[str, Any]], root: str, zone: str) -> Landed:
    """Write a batch of envelopes under `root`; checks the whole batch before writing any file."""
    table = envelopes_table(envelopes, zone)
    if table.num_rows == 0:
        return Landed(0, ())
    digest = hashlib.sha256("\n".join(sorted(table["id"].to_pylist())).encode()).hexdigest()
    files = write_partitioned(table, root, f"part-{digest[:24]}.parquet")
    return Landed(table.num_rows, tuple(files))


def envelopes_table(envelopes: Sequence[Mapping[str, Any]], zone: str) -> pa.Table:
    """The batch as a table in the store's schema, one row per distinct id."""
    unique: dict[str, Mapping[str, Any]] = {}
    for position, envelope in enumerate(envelopes, start=1):
        _check(position, envelope)
        unique.setdefault(envelope["id"], envelope)
    rows = list(unique.values())
    columns: dict[str, Any] = {
        "id": [e["id"] for e in rows],
        "source": [e["source"] for e in rows],
        "kind": [e["kind"] for e in rows],
    }
    at = pa.array([e["at"] for e in rows], pa.string())
    try:
        columns["at"] = at.cast(pa.timestamp("us", tz="UTC"))
    except pa.ArrowInvalid as exc:
        raise EnvelopeError(f"field 'at': not an ISO-8601 UTC instant ({exc})") from None
    columns["day"], columns["hour"] = local_day_and_hour(columns["at"], zone)
    for name in _INT_FIELDS:
        columns[name] = [e.get(name) for e in rows]
    datas = [e.get("data") or {} for e in rows]
    for name in _PROMOTED_TEXT:
        columns[name] = [_text(d.get(name)) for d in datas]
    for name in _PROMOTED_SECONDS:
        columns[name] = [_seconds(d.get(name)) for d in datas]
    columns["data"] = [json.dumps(d, ensure_ascii=False, separators=(",", ":")) for d in datas]
    return pa.table(columns, schema=SCHEMA)


def _check(position: int, envelope: Mapping[str, Any]) -> None:
    where = f"envelope {position}"
    if not isinstance(envelope, Mapping):
        raise EnvelopeError(f"{where}: not an object")
    for name in ("id", "kind", "at"):
        if not isinstance(envelope.get(name), str) or not envelope[name]:
            raise EnvelopeError(f"{where}: field {name!r} must be a non-empty string")
    if envelope.get("source") not in SOURCES:
        raise EnvelopeError(f"{where}: field 'source' must be one of {', '.join(sorted(SOURCES))}")
    if not envelope["at"].endswith("Z"):
        raise EnvelopeError(f"{where}: field 'at' must be UTC ending in Z")
    for name in _INT_FIELDS:
        value = envelope.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise EnvelopeError(f"{where}: field {name!r} must be an integer or null")
    data = envelope.get("data")
    if data is not None and not isinstance(data, Mapping):
        raise EnvelopeError(f"{where}: field 'data' must be an object")
    for name in _PROMOTED_SECONDS:
        value = (data or {}).get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise EnvelopeError(f"{where}: field 'data.{name}' must be a number of seconds")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _seconds(value: object) -> int | None:
    # Whole seconds: integer sums are exact, so both engines give the very same means.
    return None if value is None else round(float(value))  # type: ignore[arg-type]

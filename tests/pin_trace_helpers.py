"""Looking for a PIN's traces: the secrets in every form, and where to search for them.

Used by tests/integration/test_counter_pin_trace.py (the service) and
test_counter_pin_trace_web.py (the teller's screen).
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, text

from manyi import log_lines
from manyi.counter.adapters.pin_pad import PinBlock, SessionKey, SimulatedPinPad
from manyi.db import Base, Database
from manyi.personal import id_check_char

PIN = "90817263"
WRONG_PIN = "46203917"
ID_NUMBER = "11010819870512543" + id_check_char("11010819870512543")


class SpyPad:
    """The simulated pad, keeping copies of what it hands out so the test can look for them."""

    def __init__(self, key: SessionKey) -> None:
        self.pad = SimulatedPinPad(key)
        self.key = key
        self.blocks: list[PinBlock] = []
        self.ciphertexts: list[bytes] = []
        self.clear_blocks: list[bytes] = []

    def enter_pin(self, card_or_account: str, prompt: str) -> PinBlock:
        block = self.pad.enter_pin(card_or_account, prompt)
        view = block.ciphertext_view()
        self.ciphertexts.append(view.tobytes())
        view.release()
        self.clear_blocks.append(bytes(self.key.open(block)))
        self.blocks.append(block)
        return block


def needles(pad: SpyPad) -> dict[str, bytes]:
    """Every form of the secrets to look for, by name."""
    found: dict[str, bytes] = {"pin": PIN.encode(), "wrong pin": WRONG_PIN.encode()}
    for kind, values in (("ciphertext", pad.ciphertexts), ("clear block", pad.clear_blocks)):
        for n, raw in enumerate(values):
            forms = {
                "raw": raw,
                "hex": raw.hex().encode(),
                "HEX": raw.hex().upper().encode(),
                "base64": base64.b64encode(raw),
                "urlsafe base64": base64.urlsafe_b64encode(raw).rstrip(b"="),
            }
            if kind == "ciphertext":  # the sealed part without its nonce, too
                forms["sealed hex"] = raw[12:].hex().encode()
            for form, value in forms.items():
                found[f"{kind} {n} {form}"] = value
    return found


def database_text(db: Database) -> bytes:
    """Every column of every row, as text (bytes columns as raw, hex and base64 too)."""
    out = bytearray()
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        raw = bytes(value)
                        out += raw + raw.hex().encode() + base64.b64encode(raw)
                    else:
                        out += str(value).encode()
                    out += b"\x1f"
    return bytes(out)


def database_raw(db: Database, url: str) -> bytes:
    """The database as its engine keeps or dumps it."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        parts = [path, path.with_name(path.name + "-wal")]
        return b"".join(p.read_bytes() for p in parts if p.exists())
    out = bytearray()
    with db.engine.connect() as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
        for table in list(tables):
            for (line,) in conn.execute(text(f'SELECT t::text FROM "{table}" t')):
                out += line.encode() + b"\n"
    if shutil.which("pg_dump"):
        parts = urlsplit(url.replace("+psycopg", ""))
        dump = subprocess.run(
            [
                "pg_dump",
                "--data-only",
                "-h",
                parts.hostname or "127.0.0.1",
                "-p",
                str(parts.port or 5432),
                "-U",
                parts.username or "postgres",
                parts.path.lstrip("/"),
            ],
            capture_output=True,
            check=True,
            timeout=60,
            env={**os.environ, "PGPASSWORD": parts.password or ""},
        )
        assert b"COPY public.counter_bundle_items" in dump.stdout
        out += dump.stdout
    return bytes(out)


def files_under(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def logs(caplog: pytest.LogCaptureFixture) -> bytes:
    """Every record as text, as its parts, and as the JSON line MANYI_LOG_FORMAT=json makes of
    it (the access lines' fields: method, route, status, client, staff id)."""
    json_lines = log_lines.formatter("json")
    parts = [caplog.text]
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        parts.append(repr(record.__dict__))
        parts.append(json_lines.format(record))
    return "\n".join(parts).encode("utf-8", "backslashreplace")

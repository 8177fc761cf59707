"""Personal data sealed at rest (AES-256-GCM) and found again through a keyed blind index.

Pure: no database, no settings. `manyi.db.EncryptedText` and `EncryptedJSON` seal and open
column values with the process keyring (`install` / `keyring`), and services compute blind
indexes with the keys their session carries (`keys_of(session.info)`), as the audit keys do.

The envelope, as stored::

    v1.<key id>.<base64url(nonce | ciphertext | tag)>

* AES-256-GCM with a fresh random 96-bit nonce for every value: the same name written twice
  is stored as two different texts, so equal values cannot be spotted in the table.
* The associated data binds the version, the key id and the value's place (e.g.
  ``complaints.complainant_phone``): a ciphertext copied into another column, or into another
  key id's envelope, fails to open instead of showing up where it does not belong.
* The key id names the key (a fingerprint, or the id given with it), so keys can rotate: new
  values take the current key, and a retired key still opens what it sealed until the rows are
  sealed again (`manyi db reseal`).
* An empty value ("") is stored as it is: it says only that the field was not filled, and
  keeps `complainant_name != ''` working for the retention purge.

Blind index: HMAC-SHA-256 under a separate secret, the pepper, of a purpose and the
normalised value (``"mobile\\x0013812345678"``). Equal values give equal indexes, so exact
look-ups work ("the same complainant", "the case with this phone number"), and that equality is
all the index tells: without the pepper nobody can test guesses against it, which a plain hash
of an 11-digit phone number or a 40-bit code could not stop.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "DEVELOPMENT_BLIND_INDEX_PEPPER",
    "DEVELOPMENT_DATA_KEY",
    "DEVELOPMENT_DATA_KEYS",
    "SESSION_INFO_KEY",
    "DataKeys",
    "SealError",
    "install",
    "is_sealed",
    "keyring",
    "keys_from_settings",
    "keys_of",
    "parse_key",
]

VERSION = "v1"
NONCE_BYTES = 12  # 96 bits, GCM's own size: never reused, as each is drawn at random
KEY_BYTES = 32  # AES-256
MIN_PEPPER_BYTES = 32
SESSION_INFO_KEY = "data_keys"  # where a Database's sessions carry their DataKeys

# Public (they are in this file): a development database's personal data is hidden only from
# those who do not read the source. Production refuses both (config.py).
DEVELOPMENT_DATA_KEY = "dev:" + base64.b64encode(b"manyi-development-data-key-32byt").decode()
DEVELOPMENT_BLIND_INDEX_PEPPER = "manyi-development-blind-index-pepper-do-not-use"

_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")


class SealError(ValueError):
    """A stored value that cannot be opened: unknown key id, altered, or not an envelope."""


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"manyi-data-key-id\x00" + key).hexdigest()[:8]


def parse_key(text: str) -> tuple[str, bytes]:
    """A key setting as (key id, 32 bytes): ``[id:]<base64 or hex of 32 bytes>``.

    Without an id, the id is a fingerprint of the key (not the key). Raises ValueError naming
    what is wrong, never showing the key.
    """
    text = text.strip()
    kid, _, encoded = text.rpartition(":")
    key = _decode_key(encoded)
    if kid and not _KEY_ID.fullmatch(kid):
        raise ValueError("a key id is 1 to 16 letters, digits, '-' or '_'")
    return (kid or _key_id(key)), key


def _decode_key(encoded: str) -> bytes:
    if re.fullmatch(r"[0-9a-fA-F]{64}", encoded):
        return bytes.fromhex(encoded)
    padded = encoded + "=" * (-len(encoded) % 4)
    for altchars in (None, b"-_"):  # standard or URL-safe base64
        try:
            key = base64.b64decode(padded, altchars=altchars, validate=True)
        except (binascii.Error, ValueError):
            continue
        if len(key) == KEY_BYTES:
            return key
    raise ValueError(
        f"a data key is {KEY_BYTES} random bytes in base64 or hex (e.g. `python -c 'import"
        " secrets, base64; print(base64.b64encode(secrets.token_bytes(32)).decode())'`)"
    )


@dataclass(frozen=True)
class DataKeys:
    """The current data key, retired keys that still open older values, and the pepper."""

    current_id: str
    keys: Mapping[str, bytes]
    pepper: bytes

    @classmethod
    def of(cls, current: str, retired: Iterable[str] = (), *, pepper: str) -> DataKeys:
        keys: dict[str, bytes] = {}
        for text in (*retired, current):
            kid, key = parse_key(text)
            if keys.get(kid, key) != key:
                raise ValueError(f"two different data keys have the id {kid}")
            keys[kid] = key
        return cls(parse_key(current)[0], keys, pepper.encode("utf-8"))

    # --- the envelope -------------------------------------------------------------------

    def seal(self, plaintext: str, place: str) -> str:
        """`plaintext` sealed under the current key, bound to `place` (table.column)."""
        if plaintext == "":
            return ""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.current_id]).encrypt(
            nonce, plaintext.encode("utf-8"), _associated(self.current_id, place)
        )
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
        return f"{VERSION}.{self.current_id}.{body}"

    def open(self, stored: str, place: str) -> str:
        """The plaintext of an envelope sealed for `place`; raises SealError otherwise."""
        if stored == "":
            return ""
        version, kid, body = _parts(stored)
        if version != VERSION:
            raise SealError(f"{place}: not a sealed value")
        key = self.keys.get(kid)
        if key is None:
            raise SealError(f"{place}: sealed under key {kid}, which is not configured")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            plain = AESGCM(key).decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated(kid, place)
            )
        except (InvalidTag, ValueError, binascii.Error):
            raise SealError(f"{place}: the sealed value was altered or belongs elsewhere") from None
        return plain.decode("utf-8")

    def key_id_of(self, stored: str) -> str | None:
        """The key id an envelope names (None for an empty or unsealed value)."""
        return _parts(stored)[1] if is_sealed(stored) else None

    # --- the blind index ---------------------------------------------------------------

    def blind_index(self, purpose: str, value: str) -> str:
        """HMAC-SHA-256 (hex) under the pepper of a purpose and an already normalised value."""
        message = purpose.encode("ascii") + b"\x00" + value.encode("utf-8")
        return hmac.new(self.pepper, message, hashlib.sha256).hexdigest()


def _associated(kid: str, place: str) -> bytes:
    return f"manyi:{VERSION}:{kid}:{place}".encode()


def _parts(stored: str) -> tuple[str, str, str]:
    version, _, rest = stored.partition(".")
    kid, _, body = rest.partition(".")
    return version, kid, body


def is_sealed(stored: str | None) -> bool:
    """Whether a stored text is an envelope (as opposed to empty or plaintext)."""
    if not stored:
        return False
    version, kid, body = _parts(stored)
    return version == VERSION and bool(_KEY_ID.fullmatch(kid)) and len(body) > 2 * NONCE_BYTES


DEVELOPMENT_DATA_KEYS = DataKeys.of(DEVELOPMENT_DATA_KEY, pepper=DEVELOPMENT_BLIND_INDEX_PEPPER)


def keys_from_settings(data_key: str, retired: str, pepper: str) -> DataKeys:
    """`MANYI_DATA_KEY`, `MANYI_DATA_RETIRED_KEYS` (comma-separated) and the pepper."""
    return DataKeys.of(
        data_key, [k.strip() for k in retired.split(",") if k.strip()], pepper=pepper
    )


def keys_of(session_info: Mapping[str, Any]) -> DataKeys:
    """The keys a session's blind indexes use: its Database's, or the development keys."""
    keys = session_info.get(SESSION_INFO_KEY)
    return keys if isinstance(keys, DataKeys) else DEVELOPMENT_DATA_KEYS


# --- the process keyring ---------------------------------------------------------------
# A column type seals and opens values with no session at hand, so the keys it uses are the
# process's: `manyi.db.Database` installs its session_info's keys when it opens (the web app,
# the CLI and the worker each open one Database from the settings). A process that opens
# several Databases with different keys (tests do) seals with the last one's.

_keyring: DataKeys = DEVELOPMENT_DATA_KEYS


def install(keys: DataKeys) -> None:
    global _keyring
    _keyring = keys


def keyring() -> DataKeys:
    return _keyring

"""The keys that seal the audit chain: HMAC-SHA-256, each known by a key id.

A key id is a fingerprint of the key (not the key): each event stores the id of the key that
sealed it, so a bank can rotate keys — new events take the current key, and verification finds
each older event's key among the retired ones it is given. Someone who can write to the database
but does not hold a key cannot seal a changed row again.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Public (it is in this file): a development database's chain is tamper-evident only to those
# who do not read the source. Production refuses it (config.py).
DEVELOPMENT_AUDIT_KEY = "manyi-development-audit-key-do-not-use-in-production"
MIN_KEY_LENGTH = 32
SESSION_INFO_KEY = "audit_keys"  # where a Database's sessions carry their AuditKeys


def key_id(secret: str) -> str:
    """A short fingerprint that names the key without giving it away."""
    return hashlib.sha256(b"manyi-audit-key-id\x00" + secret.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class AuditKeys:
    """The current sealing key and the retired ones that still verify older events."""

    current_id: str
    secrets: Mapping[str, bytes]

    @classmethod
    def of(cls, current: str, retired: Iterable[str] = ()) -> AuditKeys:
        secrets = {key_id(s): s.encode("utf-8") for s in (*retired, current) if s}
        return cls(key_id(current), secrets)

    def seal(self, key: str, message: bytes) -> str | None:
        """HMAC-SHA-256 of `message` under the key with id `key`; None if the key is unknown."""
        secret = self.secrets.get(key)
        if secret is None:
            return None
        return hmac.new(secret, message, hashlib.sha256).hexdigest()


DEVELOPMENT_KEYS = AuditKeys.of(DEVELOPMENT_AUDIT_KEY)


def keys_from_settings(audit_key: str, retired: str) -> AuditKeys:
    """`MANYI_AUDIT_KEY` and `MANYI_AUDIT_RETIRED_KEYS` (comma-separated) as AuditKeys."""
    return AuditKeys.of(audit_key, [k.strip() for k in retired.split(",") if k.strip()])


def keys_of(session_info: Mapping[str, Any]) -> AuditKeys:
    """The keys a session seals with: its Database's, or the development key."""
    keys = session_info.get(SESSION_INFO_KEY)
    return keys if isinstance(keys, AuditKeys) else DEVELOPMENT_KEYS

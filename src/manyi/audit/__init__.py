"""Append-only audit log shared by every feature, each event sealed with HMAC-SHA-256 under the
bank's key and chained to the one before: `record` an event, read a record's `history`, `verify`
the chain (and its anchors outside the database). Settings read `keys` to build the sealing
keys."""

from manyi.audit.service import SYSTEM, Actor, VerifyResult, history, record, verify

PUBLIC = ("keys",)

__all__ = ["SYSTEM", "Actor", "VerifyResult", "history", "record", "verify"]

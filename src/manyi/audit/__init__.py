"""Append-only, hash-chained audit log shared by every feature: `record` an event, `verify` the
chain."""

from manyi.audit.service import SYSTEM, Actor, VerifyResult, record, verify

PUBLIC: tuple[str, ...] = ()

__all__ = ["SYSTEM", "Actor", "VerifyResult", "record", "verify"]

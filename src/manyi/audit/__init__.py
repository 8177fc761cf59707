"""Append-only, hash-chained audit log shared by every feature."""

from manyi.audit.service import SYSTEM, Actor, VerifyResult, record, verify

__all__ = ["SYSTEM", "Actor", "VerifyResult", "record", "verify"]

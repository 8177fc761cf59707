"""The catalogue in the database: every version of every transaction type, as rows.

A row is written once and never changed: a head-office administrator's edit adds version + 1
(`catalogue.new_version` checks it), and bundles keep the (code, version) of each item, so
they are validated and run with the version they were made with. The catalogue is bank-wide:
administrators elsewhere read it but do not change it. An edit that changes the authorisation
rules (who must authorise, above which amount) is proposed instead, and published only when a
different head-office administrator approves it (maker-checker, `decide_change`). The row's
digest is the type's SHA-256; a row whose document no longer matches it is refused when loaded.

The packaged demo catalogue (`catalogue_data/transactions.json`) seeds the table; seeding
again adds only what is missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from manyi import audit
from manyi.approvals import service as approvals
from manyi.approvals.domain import Decision
from manyi.approvals.tables import PendingChange
from manyi.counter.access import Clerk
from manyi.counter.domain.catalogue import (
    Catalogue,
    TransactionType,
    changes_authorisation,
    new_version,
)
from manyi.counter.tables import CounterTransactionType
from manyi.db import utcnow
from manyi.errors import Conflict, InvalidInput, NotFound
from manyi.org.model import Permission, check_bank_wide_settings

__all__ = [
    "catalogue",
    "check_editor",
    "decide_change",
    "edit",
    "get_type",
    "latest_rows",
    "latest_types",
    "pending_changes",
    "seed_catalogue",
    "type_of",
    "version_counts",
    "versions_of",
]

SEEDED_BY: Final = "catalogue seed"
FAMILY: Final = "counter.catalogue"  # audit ids: counter.catalogue.propose, .approve, …
EDIT: Final = "counter_catalogue.edit"  # the kind of a pending change
REASON_MAX: Final = 500  # characters of the reason given for an edit

# Types are immutable per (code, version, digest): each process builds one once.
_built: dict[tuple[str, int, str], TransactionType] = {}


def type_of(row: CounterTransactionType) -> TransactionType:
    """The domain type of a stored version; refuses a document altered behind our back."""
    key = (row.code, row.version, row.digest)
    tx = _built.get(key)
    if tx is None:
        tx = TransactionType.from_schema(row.document)
        if tx.key != (row.code, row.version) or tx.digest != row.digest:
            raise Conflict(
                "transaction type {code} v{version} was altered in storage",
                code=row.code,
                version=row.version,
            )
        _built[key] = tx
    return tx


def _row(tx: TransactionType, who: str, staff_id: int | None, now: dt.datetime) -> Any:
    return CounterTransactionType(
        code=tx.code,
        version=tx.version,
        name_zh=tx.names.zh,
        name_en=tx.names.en,
        document=dict(tx.schema),
        digest=tx.digest,
        created_by_id=staff_id,
        created_by=who,
        created_at=now,
    )


def seed_catalogue(
    session: Session, actor: audit.Actor = audit.SYSTEM, now: dt.datetime | None = None
) -> int:
    """Store the packaged types that are missing; returns how many were added."""
    now = now or utcnow()
    stored = set(
        session.execute(select(CounterTransactionType.code, CounterTransactionType.version))
    )
    added = [tx for tx in Catalogue.load() if tx.key not in stored]
    for tx in added:
        session.add(_row(tx, SEEDED_BY, None, now))
    if added:
        session.flush()
        audit.record(
            session,
            actor,
            entity_type="counter_catalogue",
            entity_id="packaged",
            action="counter.catalogue.seed",
            summary={"types": [f"{tx.code} v{tx.version}" for tx in added]},
            now=now,
        )
    return len(added)


def catalogue(session: Session) -> Catalogue:
    """Every stored version."""
    rows = session.scalars(select(CounterTransactionType).order_by(CounterTransactionType.id))
    return Catalogue(type_of(row) for row in rows)


def get_type(session: Session, code: str, version: int | None = None) -> TransactionType:
    """One version of a type; the latest when `version` is None."""
    statement = select(CounterTransactionType).where(CounterTransactionType.code == code)
    if version is None:
        statement = statement.order_by(CounterTransactionType.version.desc()).limit(1)
    else:
        statement = statement.where(CounterTransactionType.version == version)
    row = session.scalar(statement)
    if row is None:
        raise NotFound(
            "there is no transaction type {code}", "transactions", code=f"{code} v{version or ''}"
        )
    return type_of(row)


def latest_rows(session: Session) -> list[CounterTransactionType]:
    """The current version of each type, in the order they were first stored."""
    newest = (
        select(CounterTransactionType.code, func.max(CounterTransactionType.version).label("v"))
        .group_by(CounterTransactionType.code)
        .subquery()
    )
    first = (
        select(CounterTransactionType.code, func.min(CounterTransactionType.id).label("first"))
        .group_by(CounterTransactionType.code)
        .subquery()
    )
    statement = (
        select(CounterTransactionType)
        .join(
            newest,
            (newest.c.code == CounterTransactionType.code)
            & (newest.c.v == CounterTransactionType.version),
        )
        .join(first, first.c.code == CounterTransactionType.code)
        .order_by(first.c.first)
    )
    return list(session.scalars(statement))


def version_counts(session: Session) -> dict[str, int]:
    """How many versions each type code has stored (the catalogue list)."""
    per_code = select(CounterTransactionType.code, func.count()).group_by(
        CounterTransactionType.code
    )
    return {code: int(count) for code, count in session.execute(per_code)}


def versions_of(session: Session, code: str) -> list[CounterTransactionType]:
    """Every stored version of `code`, newest first (the type's history)."""
    return list(
        session.scalars(
            select(CounterTransactionType)
            .where(CounterTransactionType.code == code)
            .order_by(CounterTransactionType.version.desc())
        )
    )


def latest_types(session: Session, codes: Sequence[str]) -> list[TransactionType]:
    """The current version of each code, in the order given (a code may repeat)."""
    if not codes:
        raise InvalidInput("choose at least one transaction", "transactions")
    found = {row.code: row for row in latest_rows(session) if row.code in set(codes)}
    for code in codes:
        if code not in found:
            raise InvalidInput("there is no transaction type {code}", "transactions", code=code)
    return [type_of(found[code]) for code in codes]


def types_for(session: Session, keys: Iterable[tuple[str, int]]) -> list[TransactionType]:
    """The stored versions named by (code, version), in the order given."""
    return [get_type(session, code, version) for code, version in keys]


def check_editor(clerk: Clerk) -> None:
    """Refuse anyone but a head-office administrator: the catalogue is bank-wide."""
    clerk.need(Permission.COUNTER_CONFIGURE)
    check_bank_wide_settings(clerk.unit_level)


def edit(
    session: Session,
    clerk: Clerk,
    code: str,
    new_schema: Mapping[str, Any],
    now: dt.datetime | None = None,
    *,
    reason: str = "",
) -> TransactionType | PendingChange:
    """A head-office administrator's edit of a type, with why it changed: published at once as
    the next version, or, when it changes the authorisation rules, proposed for a second
    head-office administrator's approval (the pending change is returned)."""
    check_editor(clerk)
    now = now or utcnow()
    why = " ".join(reason.split())
    if len(why) > REASON_MAX:
        raise InvalidInput("the reason is longer than {n} characters", "reason", n=REASON_MAX)
    current = get_type(session, code)
    tx = new_version(current, new_schema)
    if not changes_authorisation(current, tx):
        return _publish(session, clerk, tx, why, now)
    return approvals.propose(
        session,
        clerk.actor,
        family=FAMILY,
        kind=EDIT,
        subject=code,
        payload={"base_version": current.version, "schema": dict(tx.schema)},
        summary={
            "code": code,
            "version": tx.version,
            "rules_before": [rule.to_dict() for rule in current.rules],
            "rules_after": [rule.to_dict() for rule in tx.rules],
        },
        reason=why,
        now=now,
    )


def pending_changes(session: Session, code: str | None = None) -> list[PendingChange]:
    """Proposed edits waiting for a second head-office administrator (of one type, or all)."""
    changes = approvals.pending(session, (EDIT,))
    return [c for c in changes if code is None or c.subject == code]


def decide_change(
    session: Session,
    clerk: Clerk,
    change_id: int,
    decision: Decision,
    reason: str = "",
    now: dt.datetime | None = None,
) -> PendingChange:
    """Approve (and publish), reject or withdraw a proposed edit of the authorisation rules.

    The edit is published as proposed, as the version after the one it was made on; if the
    type got another version meanwhile, approving is refused (the proposal is stale: reject or
    withdraw it, and propose again on the current version).
    """
    check_editor(clerk)
    now = now or utcnow()
    change = approvals.decide_change(
        session, clerk.actor, change_id, decision, reason, family=FAMILY, kinds=(EDIT,), now=now
    )
    if decision is Decision.APPROVE:
        current = get_type(session, change.subject)
        if current.version != change.payload["base_version"]:
            raise Conflict(
                "{code} has a newer version than this proposal; reject it and propose again",
                code=change.subject,
            )
        tx = new_version(current, change.payload["schema"])
        _publish(session, clerk, tx, change.reason, now, change=change)
    return change


def _publish(
    session: Session,
    clerk: Clerk,
    tx: TransactionType,
    why: str,
    now: dt.datetime,
    *,
    change: PendingChange | None = None,
) -> TransactionType:
    """Store `tx` as the type's next version; by its maker when a second person approved it."""
    if change is None:
        row = _row(tx, clerk.name, clerk.staff_id, now)
    else:
        row = _row(tx, change.proposed_by, change.proposed_by_id, now)
    row.reason = why
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise Conflict(
            "{code} was edited by someone else just now; open it again",
            "schema",
            code=tx.code,
        ) from None
    summary: dict[str, Any] = {
        "code": tx.code,
        "version": tx.version,
        "digest": tx.digest,
        "reason": why,
    }
    if change is not None:
        summary |= {"change": change.id, "proposed_by": change.proposed_by}
    audit.record(
        session,
        clerk.actor,
        entity_type="counter_transaction_type",
        entity_id=f"{tx.code}:{tx.version}",
        action="counter.catalogue.edit",
        summary=summary,
        now=now,
    )
    return tx

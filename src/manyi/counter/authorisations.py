"""One authorisation per bundle (一次授权): the request, local decisions, the remote queue.

Who authorises. One role, 授权主管 (`Role.SUPERVISOR`), and where the supervisor sits
decides what they do:

- a supervisor **at an outlet** decides the supervisor-level requests of that outlet, on
  their own screen (`pending_here`, `approve`, `reject`);
- a supervisor **at a branch** (tier-2, tier-1 or head office) is the remote authorisation
  centre (远程授权中心) for the outlets below that branch: remote-level requests wait in a
  queue they claim from (`claim_next`), then approve or reject. A bank with one centre per
  tier-1 branch places its centre's supervisors there; no unit flag is needed.

Nobody authorises a bundle they opened themselves (Forbidden), even with both roles.

The request. `request_authorisation` computes the level over every item (authorisation.py)
and stores the request with every item's line, including those that need nothing, so the
supervisor approves the visit as a whole. `counter_authorisations.bundle_id` is unique: a
bundle raises at most one request, whatever happens (a second raises Conflict), and a
rejected bundle can only be cancelled.

Claiming. `claim_next` picks the oldest pending remote request in the supervisor's subtree
and marks it claimed by them. On PostgreSQL the pick is ``SELECT … FOR UPDATE SKIP
LOCKED``, so two supervisors claiming at the same instant get different requests, never
the same; every engine then runs ``UPDATE … WHERE id = :id AND state = 'pending'`` and
only a changed row counts (SQLite serialises writers with ``BEGIN IMMEDIATE``). A supervisor
who already holds a claim gets it back instead of a new one. Decisions are the same kind
of filtered UPDATE, so two supervisors pressing "approve" at once cannot both decide.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from manyi import audit
from manyi.counter import store
from manyi.counter.access import Clerk
from manyi.counter.domain.authorisation_rules import Level
from manyi.counter.domain.bundle_states import Action, check_request, next_state
from manyi.counter.tables import CounterAuthorisation, CounterBundle, CounterBundleMeasure
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from manyi.org.model import Permission
from manyi.org.scope import in_scope

__all__ = [
    "approve",
    "claim_next",
    "pending_here",
    "reject",
    "release",
    "remote_queue",
    "request_authorisation",
]

NOTE_MAX: Final = 500


def _record(
    session: Session, clerk: Clerk, row: CounterAuthorisation, action: str, now: dt.datetime
) -> None:
    bundle = session.get_one(CounterBundle, row.bundle_id)
    audit.record(
        session,
        clerk.actor,
        entity_type="counter_authorisation",
        entity_id=row.id,
        action="counter.authorisation." + action,
        summary={"bundle": bundle.reference, "level": row.level, "state": row.state},
        unit_id=row.outlet_id,
        unit_path=row.outlet_path,
        now=now,
    )


def request_authorisation(
    session: Session, teller: Clerk, reference: str, now: dt.datetime
) -> CounterAuthorisation:
    """Raise the bundle's one request, at the highest level any item needs."""
    bundle = store.own_bundle(session, teller, reference)
    check_request(
        bundle.state,
        identity_required=store.needs_identity(session, bundle, now),
        identity_checked=bundle.id_checked_at is not None,
    )
    existing = session.scalar(
        select(CounterAuthorisation.id).where(CounterAuthorisation.bundle_id == bundle.id)
    )
    if existing is not None:
        raise _already()
    request = store.assess(session, bundle, now)
    if request is None:
        raise Conflict(
            "this bundle needs no authorisation", "bundle", error_code="no_authorisation_needed"
        )
    row = CounterAuthorisation(
        bundle_id=bundle.id,
        level=request.level.code,
        outlet_id=bundle.outlet_id,
        outlet_path=bundle.outlet_path,
        lines=[
            {"item": n, "label": line.label, "level": line.level.code, "reasons": line.reasons}
            for n, line in enumerate(request.lines, start=1)
        ],
        state="pending",
        requested_by_id=teller.staff_id,
        requested_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # a second request raced the first one
        raise _already() from None
    bundle.state = next_state(bundle.state, Action.REQUEST_AUTHORISATION).value
    session.get_one(CounterBundleMeasure, bundle.id).authorisations = 1
    _record(session, teller, row, "request", now)
    return row


def _already() -> Conflict:
    return Conflict(
        "this bundle has already raised its authorisation request",
        "bundle",
        error_code="authorisation_requested",
    )


def _request_for(session: Session, clerk: Clerk, request_id: int) -> CounterAuthorisation:
    row = session.get(CounterAuthorisation, request_id)
    if row is None or not clerk.sees(row.outlet_path):
        raise NotFound("there is no authorisation request {id}", "request", id=request_id)
    return row


def _may_decide(session: Session, supervisor: Clerk, row: CounterAuthorisation) -> str:
    """The state the request must be in for this supervisor to decide it."""
    supervisor.need(Permission.COUNTER_AUTHORISE)
    bundle = session.get_one(CounterBundle, row.bundle_id)
    if bundle.teller_id == supervisor.staff_id:
        raise Forbidden(
            "you cannot authorise a bundle you opened yourself", "request", error_code="own_bundle"
        )
    if row.level == Level.SUPERVISOR.code:
        if supervisor.unit_id != row.outlet_id:
            raise Forbidden(
                "only a supervisor of the bundle's outlet authorises it",
                "request",
                error_code="not_this_outlet",
            )
        return "pending"
    supervisor.need(Permission.COUNTER_REMOTE_AUTHORISE)
    if supervisor.at_outlet:
        raise Forbidden(
            "this bundle needs the remote authorisation centre", "request", error_code="remote"
        )
    if row.claimed_by_id != supervisor.staff_id:
        raise Conflict(
            "claim this request from the queue first", "request", error_code="not_claimed"
        )
    return "claimed"


def _decide(
    session: Session,
    supervisor: Clerk,
    request_id: int,
    now: dt.datetime,
    *,
    approved: bool,
    note: str,
) -> CounterAuthorisation:
    row = _request_for(session, supervisor, request_id)
    expected = _may_decide(session, supervisor, row)
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput("at most {max} characters", "note", max=NOTE_MAX)
    if not approved and not note:
        raise InvalidInput("say why the bundle is rejected", "note")
    bundle = session.scalar(
        select(CounterBundle).where(CounterBundle.id == row.bundle_id).with_for_update()
    )
    assert bundle is not None
    target = next_state(bundle.state, Action.APPROVE if approved else Action.REJECT)
    values: dict[str, Any] = {
        "state": "approved" if approved else "rejected",
        "decided_by_id": supervisor.staff_id,
        "decided_by": supervisor.name,
        "decided_at": now,
        "note": note,
    }
    won = session.execute(
        update(CounterAuthorisation)
        .where(CounterAuthorisation.id == row.id, CounterAuthorisation.state == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("this request was decided already", "request", error_code="already_decided")
    session.refresh(row)
    bundle.state = target.value
    _record(session, supervisor, row, "approve" if approved else "reject", now)
    return row


def approve(
    session: Session, supervisor: Clerk, request_id: int, now: dt.datetime, note: str = ""
) -> CounterAuthorisation:
    return _decide(session, supervisor, request_id, now, approved=True, note=note)


def reject(
    session: Session, supervisor: Clerk, request_id: int, now: dt.datetime, note: str
) -> CounterAuthorisation:
    return _decide(session, supervisor, request_id, now, approved=False, note=note)


def _centre(supervisor: Clerk) -> None:
    supervisor.need(Permission.COUNTER_REMOTE_AUTHORISE)
    if supervisor.at_outlet:
        raise Forbidden(
            "the remote queue is for supervisors of the authorisation centre",
            "request",
            error_code="not_centre",
        )


def claim_next(
    session: Session, supervisor: Clerk, now: dt.datetime
) -> CounterAuthorisation | None:
    """Claim the oldest pending remote request below the supervisor's branch; None if none."""
    _centre(supervisor)
    held = session.scalar(
        select(CounterAuthorisation)
        .where(
            CounterAuthorisation.state == "claimed",
            CounterAuthorisation.claimed_by_id == supervisor.staff_id,
        )
        .order_by(CounterAuthorisation.claimed_at)
        .limit(1)
    )
    if held is not None:
        return held
    postgres = session.get_bind().dialect.name == "postgresql"
    for _ in range(5):
        pick = (
            select(CounterAuthorisation.id)
            .where(
                CounterAuthorisation.level == Level.REMOTE.code,
                CounterAuthorisation.state == "pending",
                in_scope(CounterAuthorisation.outlet_path, supervisor.unit_path),
            )
            .order_by(CounterAuthorisation.requested_at, CounterAuthorisation.id)
            .limit(1)
        )
        if postgres:
            pick = pick.with_for_update(skip_locked=True)
        request_id = session.scalar(pick)
        if request_id is None:
            return None
        won = session.execute(
            update(CounterAuthorisation)
            .where(CounterAuthorisation.id == request_id, CounterAuthorisation.state == "pending")
            .values(state="claimed", claimed_by_id=supervisor.staff_id, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        if won.rowcount == 1:  # type: ignore[attr-defined]
            row = session.get_one(CounterAuthorisation, request_id)
            session.refresh(row)
            _record(session, supervisor, row, "claim", now)
            return row
    return None


def release(
    session: Session, supervisor: Clerk, request_id: int, now: dt.datetime
) -> CounterAuthorisation:
    """Put a claimed request back in the queue (the supervisor is called away)."""
    _centre(supervisor)
    row = _request_for(session, supervisor, request_id)
    won = session.execute(
        update(CounterAuthorisation)
        .where(
            CounterAuthorisation.id == row.id,
            CounterAuthorisation.state == "claimed",
            CounterAuthorisation.claimed_by_id == supervisor.staff_id,
        )
        .values(state="pending", claimed_by_id=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("you do not hold this request", "request", error_code="not_claimed")
    session.refresh(row)
    _record(session, supervisor, row, "release", now)
    return row


def remote_queue(session: Session, supervisor: Clerk) -> list[CounterAuthorisation]:
    """The centre's queue below the supervisor's branch: pending and claimed remote requests,
    oldest first (for the queue screen; claiming is `claim_next`)."""
    _centre(supervisor)
    return list(
        session.scalars(
            select(CounterAuthorisation)
            .where(
                CounterAuthorisation.level == Level.REMOTE.code,
                CounterAuthorisation.state.in_(("pending", "claimed")),
                in_scope(CounterAuthorisation.outlet_path, supervisor.unit_path),
            )
            .order_by(CounterAuthorisation.requested_at, CounterAuthorisation.id)
        )
    )


def pending_here(session: Session, supervisor: Clerk) -> list[CounterAuthorisation]:
    """Supervisor-level requests waiting at the supervisor's own outlet, oldest first."""
    supervisor.need(Permission.COUNTER_AUTHORISE)
    return list(
        session.scalars(
            select(CounterAuthorisation)
            .where(
                CounterAuthorisation.outlet_id == supervisor.unit_id,
                CounterAuthorisation.level == Level.SUPERVISOR.code,
                CounterAuthorisation.state == "pending",
            )
            .order_by(CounterAuthorisation.requested_at, CounterAuthorisation.id)
        )
    )

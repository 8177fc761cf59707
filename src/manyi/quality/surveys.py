"""Surveys: definitions (versioned), sampling rules, invitations and answers.

- `current_definition` / `save_definition`: each trigger's survey; an edit adds a version, and an
  invitation keeps the version it was made with, so an answer is checked against what was asked.
  A trigger without any version gets its default (`domain.surveys.DEFAULTS`) as version 1.
- `survey_rules.rule_for`: the sampling rate and quiet period of a trigger at an outlet (the
  nearest rule up the organisation tree; none: every visit, 30 quiet days).
- `invite`: at most one invitation per visit (unique `visit_key`), in the sample, and none while
  the same customer (`customer_key`, a blind index) was invited within the quiet period.
- `open_invitation` / `answer`: the customer's page; an answer is stored once in
  `quality_responses` (source 'survey', external_id = the invitation's id), so reports count it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from manyi import audit, sealed
from manyi.db import EncryptedText
from manyi.driver_sql import Driver
from manyi.errors import Conflict, InvalidInput, NotFound
from manyi.org.model import check_bank_wide_settings
from manyi.org.tables import Unit
from manyi.quality import ports, survey_rules
from manyi.quality.domain import surveys as rules
from manyi.quality.store import NewResponse, insert_responses
from manyi.quality.survey_tables import SurveyDefinitionRow, SurveyInvitation


@dataclass(frozen=True, slots=True)
class Visit:
    """A finished visit that may be surveyed (built by the scan, `survey_scan`)."""

    trigger: str
    visit_key: str  # "t:<outlet>:<day>:<number>", "b:<id>", "c:<id>": one invitation each
    outlet_id: int
    unit_path: str
    teller_staff_id: int | None = None
    service: str | None = None
    customer_key: str | None = None  # blind index of the customer, when known


# --- definitions ------------------------------------------------------------


def current_definition(
    session: Session, trigger: str, *, store: bool = True
) -> SurveyDefinitionRow:
    """The latest version of a trigger's survey (its default stored as version 1 if none, or
    only shown, not stored, without `store`: for pages that read)."""
    if trigger not in rules.TRIGGERS:
        raise InvalidInput("unknown survey trigger {trigger}", "trigger", trigger=trigger)
    row = session.scalars(
        select(SurveyDefinitionRow)
        .where(SurveyDefinitionRow.trigger == trigger)
        .order_by(SurveyDefinitionRow.version.desc())
        .limit(1)
    ).first()
    if row is not None or not store:
        return row or _default_row(trigger)
    row = _default_row(trigger)
    try:
        # Two first completions of the day at a new bank store the default at the same moment:
        # in a savepoint, the one that loses takes the winner's row instead of failing.
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return current_definition(session, trigger, store=False)  # the winner's, committed
    return row


def _default_row(trigger: str) -> SurveyDefinitionRow:
    return SurveyDefinitionRow(
        trigger=trigger,
        version=1,
        body=rules.DEFAULTS[trigger],
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )


def definitions(session: Session) -> list[tuple[SurveyDefinitionRow, int]]:
    """Each trigger's current survey and how many versions it has, in trigger order."""
    counts = dict(
        session.execute(
            select(SurveyDefinitionRow.trigger, func.count()).group_by(SurveyDefinitionRow.trigger)
        ).all()
    )
    return [
        (current_definition(session, t, store=False), int(counts.get(t, 1))) for t in rules.TRIGGERS
    ]


def seed_defaults(session: Session) -> int:
    """Store each trigger's default survey where it has none (setup and the demo); how many."""
    before = session.scalar(select(func.count()).select_from(SurveyDefinitionRow)) or 0
    for trigger in rules.TRIGGERS:
        current_definition(session, trigger)
    after = session.scalar(select(func.count()).select_from(SurveyDefinitionRow)) or 0
    return after - before


def save_definition(
    session: Session, actor: audit.Actor, data: Any, now: dt.datetime, *, level: str
) -> SurveyDefinitionRow:
    """A new version of a survey from its JSON form; InvalidInput naming the fault. Surveys are
    bank-wide: only head office (`level`, the actor's unit level) edits them."""
    check_bank_wide_settings(level)
    try:
        definition = rules.parse_definition(data)
    except rules.SurveyError as exc:
        params: dict[str, Any] = dict(exc.params)
        raise InvalidInput(
            "{where}: " + exc.message, exc.field, where=exc.field, **params
        ) from None
    latest = current_definition(session, definition.trigger)
    row = SurveyDefinitionRow(
        trigger=definition.trigger,
        version=latest.version + 1,
        body=rules.to_json(definition),
        created_at=now,
        created_by_id=actor.id,
    )
    session.add(row)
    session.flush()
    _forget_definitions(session)
    audit.record(
        session,
        actor,
        entity_type="survey_definition",
        entity_id=row.id,
        action="quality.survey_saved",
        summary={"trigger": row.trigger, "version": row.version},
        now=now,
    )
    return row


# --- invitations --------------------------------------------------------------


def invite(
    session: Session, visit: Visit, now: dt.datetime, expiry_days: int
) -> SurveyInvitation | None:
    """An invitation for this visit, or None (already invited, not sampled, quiet period)."""
    made = invite_id(session, visit, now, expiry_days)
    return None if made is None else session.get(SurveyInvitation, made)


def invite_id(session: Session, visit: Visit, now: dt.datetime, expiry_days: int) -> int | None:
    """`invite`, answering with the new invitation's id only: what a served ticket needs.

    One INSERT when the visit is sampled and its customer is not in a quiet period (the rule
    and the survey's version come from this process's copies: `survey_rules`, `_definition_id`).
    The visit's unique key decides a race: the scan and a completion (or a voucher) inviting
    the same visit at once both go on, and the one that comes second simply invites nobody.
    """
    rate, quiet_days = survey_rules.rule_for(session, visit.trigger, visit.unit_path)
    if not rules.sampled(visit.visit_key, rate):
        return None
    if visit.customer_key and quiet_days:
        recent = session.scalar(
            select(SurveyInvitation.id)
            .where(
                SurveyInvitation.customer_key == visit.customer_key,
                SurveyInvitation.created_at > now - dt.timedelta(days=quiet_days),
            )
            .limit(1)
        )
        if recent is not None:
            return None
    token = secrets.token_urlsafe(24)
    found = Driver(session).one(
        _INSERT_INVITATION + " RETURNING id",
        _invitation_values(session, visit, token, now, expiry_days),
    )
    if found is None:  # invited already (by the scan, say)
        return None
    made = int(found[0])
    if visit.customer_key:  # a known customer may also get it as a message (quality.ports)
        ports.messages().survey_invitation(
            session,
            made,
            visit.customer_key,
            visit.trigger,
            f"/s/{token}?via=message",
            visit.outlet_id,
            now,
        )
    return made


def invitation_insert(
    session: Session, visit: Visit, now: dt.datetime, expiry_days: int
) -> tuple[str, tuple[Any, ...]] | None:
    """`invite_id`'s INSERT, for a caller that sends it with a statement of its own (a served
    ticket's, with its rating prompt: one round trip fewer), or None when the visit is not
    sampled. Only for a visit without a customer: the message a known customer gets needs the
    new invitation's id. A visit invited already (by the scan) invites nobody, as ever."""
    if visit.customer_key:
        raise ValueError("a known customer's invitation goes through invite_id")
    rate, _quiet_days = survey_rules.rule_for(session, visit.trigger, visit.unit_path)
    if not rules.sampled(visit.visit_key, rate):
        return None
    token = secrets.token_urlsafe(24)
    return _INSERT_INVITATION, _invitation_values(session, visit, token, now, expiry_days)


def _invitation_values(
    session: Session, visit: Visit, token: str, now: dt.datetime, expiry_days: int
) -> tuple[Any, ...]:
    d = Driver(session)
    return (
        rules.token_hash(token),
        sealed.keyring().seal(token, _TOKEN_COLUMN.place),  # as the column's type seals
        visit.trigger,
        visit.visit_key,
        _definition_id(session, visit.trigger),
        visit.outlet_id,
        visit.unit_path,
        visit.teller_staff_id,
        visit.service,
        visit.customer_key,
        d.stamp(now),
        d.stamp(now + dt.timedelta(days=expiry_days)),
    )


# Every served ticket comes here: the row goes to the driver itself (`manyi.driver_sql`).
_INSERT_INVITATION = (
    "INSERT INTO survey_invitations (token_hash, token, trigger, visit_key, definition_id,"
    " outlet_id, unit_path, teller_staff_id, service, customer_key, created_at, expires_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (visit_key) DO NOTHING"
)
_TOKEN_COLUMN: EncryptedText = SurveyInvitation.__table__.c.token.type  # type: ignore[assignment]

# Each process keeps the id of each trigger's current survey for DEFINITION_TTL_S seconds (as
# the sampling rules, `survey_rules`); a new version saved in this process is seen at once.
DEFINITION_TTL_S = 10.0
_definitions: WeakKeyDictionary[Engine, dict[str, tuple[float, int]]] = WeakKeyDictionary()
_definitions_guard = threading.Lock()


def _definition_id(session: Session, trigger: str) -> int:
    engine = session.get_bind().engine
    now = time.monotonic()
    with _definitions_guard:
        hit = _definitions.get(engine, {}).get(trigger)
    if hit is not None and now - hit[0] < DEFINITION_TTL_S:
        return hit[1]
    found = current_definition(session, trigger, store=False).id
    if found is None:
        # None stored yet: the default is stored in this transaction, and its id not kept, for
        # the transaction may still roll back (a request that fails later on): a kept id would
        # then name a survey that does not exist (a foreign-key error at every invitation).
        return current_definition(session, trigger).id
    with _definitions_guard:
        _definitions.setdefault(engine, {})[trigger] = (now, found)
    return found


def _forget_definitions(session: Session) -> None:
    with _definitions_guard:
        _definitions.pop(session.get_bind().engine, None)


def client_hash(address: str, user_agent: str) -> str:
    """Who answered, as far as the anti-gaming checks need: a hash of address and browser."""
    return hashlib.sha256(f"{address}|{user_agent}".encode()).hexdigest()


def link_token(session: Session, visit_key: str, now: dt.datetime) -> str | None:
    """The token of a visit's open invitation (for the customer's own channels), else None."""
    invitation = session.scalars(
        select(SurveyInvitation).where(SurveyInvitation.visit_key == visit_key)
    ).first()
    if invitation is None or invitation.answered_at is not None or invitation.expires_at <= now:
        return None
    return invitation.token


def known(session: Session, token: str) -> bool:
    """Whether a token is an invitation's (answered or not): for its QR code."""
    found = session.scalar(
        select(SurveyInvitation.id).where(SurveyInvitation.token_hash == rules.token_hash(token))
    )
    return found is not None


@dataclass(frozen=True, slots=True)
class Opened:
    invitation: SurveyInvitation
    definition: rules.Definition
    outlet_zh: str
    outlet_en: str


def open_invitation(session: Session, token: str, now: dt.datetime) -> Opened:
    """The invitation of a token with its survey; NotFound, or Conflict when answered or gone."""
    invitation = session.scalars(
        select(SurveyInvitation).where(SurveyInvitation.token_hash == rules.token_hash(token))
    ).first()
    if invitation is None:
        raise NotFound("This survey link is not valid.", error_code="survey_unknown")
    if invitation.answered_at is not None:
        raise Conflict(
            "This survey has already been answered. Thank you!", error_code="survey_answered"
        )
    if invitation.expires_at <= now:
        raise Conflict("This survey link has expired.", error_code="survey_expired")
    body = session.get(SurveyDefinitionRow, invitation.definition_id)
    assert body is not None  # a foreign key
    outlet = session.get(Unit, invitation.outlet_id)
    assert outlet is not None
    return Opened(
        invitation,
        rules.parse_definition(body.body),
        outlet.name_zh,
        outlet.name_en or outlet.name_zh,
    )


def answer(
    session: Session,
    token: str,
    form: dict[str, list[str]],
    now: dt.datetime,
    channel: str,
    client_hash: str | None,
) -> SurveyInvitation:
    """Store the answer once: the invitation is claimed by a filtered UPDATE (two submits at
    the same moment: one wins, the other is refused), then the response is inserted."""
    opened = open_invitation(session, token, now)
    try:
        given = rules.check_answer(opened.definition, form)
    except rules.SurveyError as exc:
        params: dict[str, Any] = dict(exc.params)
        raise InvalidInput(exc.message, exc.field, **params) from None
    reach = channel if channel in rules.REACHES else "link"
    invitation = opened.invitation
    result = session.execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.id == invitation.id, SurveyInvitation.answered_at.is_(None))
        .values(answered_at=now, channel=reach, client_hash=client_hash, answers=given.values)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(result, "rowcount", 0) or 0) != 1:
        raise Conflict(
            "This survey has already been answered. Thank you!", error_code="survey_answered"
        )
    insert_responses(
        session,
        [
            NewResponse(
                source="survey",
                external_id=str(invitation.id),
                outlet_id=invitation.outlet_id,
                unit_path=invitation.unit_path,
                channel=reach,
                answered_at=now,
                csat=given.csat,
                nps=given.nps,
                ces=given.ces,
                teller_staff_id=invitation.teller_staff_id,
                service=invitation.service,
                trigger=invitation.trigger,
                comment=given.comment,
            )
        ],
    )
    session.refresh(invitation)
    return invitation

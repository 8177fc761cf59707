"""Pre-fill (预填单): the customer fills one merged form before reaching the counter.

`submit_prefill` checks the values on the server with the same rules the page runs as the
customer types (`merge.MergedForm.validate`, each item with its own type version), stores
the normalised merged values once (a shared field such as the mobile number is one value,
not one per item) and returns a pre-fill code for the QR code and the counter.

The code: 8 characters from an alphabet without 0/O and 1/I, so it can be read aloud and typed;
40 bits. Only a keyed blind index of it is stored (`code_hash`), with its first three characters
in clear to find the row. The values are sealed at rest (`tables.CounterPrefill`). It is valid
until the outlet's day ends: the lobby's closing time when the outlet has one and it is still
ahead, else local midnight. An unknown, mistyped or expired code gets the same neutral "not
found".

Guessing codes is the web layer's to stop: the public endpoints that submit a pre-fill or
look one up go through `manyi.ratelimit` (per client and per outlet); a code only opens a
bundle at the counter of its own outlet, after which the ID card is read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from manyi import audit, sealed
from manyi.counter import catalogue_store
from manyi.counter.domain.execution import MAX_ITEMS
from manyi.counter.domain.field_checks import compact
from manyi.counter.domain.field_problems import FieldProblem
from manyi.counter.domain.fields import check_value
from manyi.counter.domain.merge import MergedForm, merge
from manyi.counter.tables import CounterPrefill
from manyi.errors import InvalidInput, NotFound
from manyi.lobby import layouts
from manyi.lobby.tables import LobbySettings, LobbyTicket
from manyi.org.model import UnitLevel
from manyi.org.tables import Unit
from manyi.sealed import DataKeys

__all__ = [
    "CODE_ALPHABET",
    "FormInvalid",
    "Prefilled",
    "clean_values",
    "code_hash",
    "day_ends_at",
    "find_prefill",
    "merged_form",
    "outlet_by_code",
    "submit_prefill",
]

CODE_ALPHABET: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH: Final = 8
PREFIX_LENGTH: Final = 3
PUBLIC: Final = audit.Actor(id=None, name="public")
CHANNELS: Final = ("phone", "kiosk", "counter")  # counter: filled by the teller (bundles.py)


class FormInvalid(InvalidInput):
    """Values the merged form refuses; `problems` has one entry per field, in form order."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        super().__init__(
            "please check {count} fields: {fields}",
            problems[0].field,
            error_code="form_invalid",
            count=len(problems),
            fields=", ".join(p.field for p in problems),
        )
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Prefilled:
    prefill: CounterPrefill
    code: str  # shown once (and as a QR code); only its hash is stored
    form: MergedForm

    @property
    def expires_at(self) -> dt.datetime:
        return self.prefill.expires_at


def code_hash(code: str, keys: DataKeys) -> str:
    """The code's blind index: HMAC-SHA-256 under the pepper of the SHA-256 stored before the
    index was keyed (migration 0016 keyed those in place); a guess cannot be tested offline."""
    return keys.blind_index(
        "prefill_code", hashlib.sha256(f"manyi-prefill:{code}".encode()).hexdigest()
    )


def normalise_code(text: str) -> str | None:
    """The code as stored ("k7p-m2qx" → "K7PM2QX…"), or None when it cannot be one."""
    code = compact(text)
    if len(code) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in code):
        return None
    return code


def outlet_by_code(session: Session, code: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None or not unit.active or unit.unit_level is not UnitLevel.OUTLET:
        raise NotFound("no outlet {code}", "outlet", code=code)
    return unit


def day_ends_at(session: Session, outlet: Unit, now: dt.datetime) -> dt.datetime:
    """When the outlet's business day ends: its closing time if still ahead, else the start of
    its next business day (midnight, or e.g. 04:00 at an outlet open around the clock).

    Wall-clock times are combined with the outlet's zone, so a closing time is right across
    a DST change in zones that have one.
    """
    zone = ZoneInfo(outlet.timezone)
    local = now.astimezone(zone)
    settings = session.get(LobbySettings, outlet.id)
    if settings is None:  # no lobby configured: the calendar day
        midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), zone)
        return midnight.astimezone(dt.UTC)
    if settings.closes_at:
        closing = dt.datetime.combine(local.date(), dt.time.fromisoformat(settings.closes_at), zone)
        if local < closing:
            return closing.astimezone(dt.UTC)
    return layouts.policy_of(settings, outlet.timezone).business_day_end(now)


def merged_form(session: Session, codes: Sequence[str]) -> MergedForm:
    """The one form for these transactions (their current versions), for the pre-fill page."""
    if len(codes) > MAX_ITEMS:
        raise InvalidInput("a bundle has 1 to {max} items", "transactions", max=MAX_ITEMS)
    return merge(catalogue_store.latest_types(session, codes))


def clean_values(form: MergedForm, values: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """The values normalised field by field ("1,000.5" → "1000.50"); raises `FormInvalid`."""
    problems = form.validate(values, today=today)
    if problems:
        raise FormInvalid(problems)
    return {
        key: check_value(form.field(key).field_id, value, today=today)
        for key, value in values.items()
        if value not in (None, "")
    }


def _ticket_token(session: Session, outlet: Unit, token: str, today: dt.date) -> str:
    """The token of a ticket of this outlet, issued today and not finished."""
    row = session.scalar(
        select(LobbyTicket)
        .where(LobbyTicket.public_token == token)
        .order_by(LobbyTicket.id.desc())
        .limit(1)
    )
    if row is None or row.outlet_id != outlet.id or row.local_day != today:
        raise NotFound("no such ticket", "ticket_token")
    if row.state == "finished":
        raise NotFound("no such ticket", "ticket_token")
    return token


def submit_prefill(
    session: Session,
    outlet_code: str,
    codes: Sequence[str],
    values: Mapping[str, Any],
    now: dt.datetime,
    *,
    ticket_token: str | None = None,
    channel: str = "phone",
    actor: audit.Actor = PUBLIC,
) -> Prefilled:
    """Check and store a customer's merged form; returns the pre-fill code.

    Nothing is stored when any field is wrong: `FormInvalid` lists every problem.
    """
    if channel not in CHANNELS:
        raise InvalidInput("unknown channel {value}", "channel", value=channel)
    outlet = outlet_by_code(session, outlet_code)
    today = now.astimezone(ZoneInfo(outlet.timezone)).date()
    form = merged_form(session, codes)
    clean = clean_values(form, values, today)
    token = _ticket_token(session, outlet, ticket_token, today) if ticket_token else None
    expires_at = day_ends_at(session, outlet, now)
    for attempt in range(3):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        prefill = CounterPrefill(
            outlet_id=outlet.id,
            channel=channel,
            code_prefix=code[:PREFIX_LENGTH],
            code_hash=code_hash(code, sealed.keys_of(session.info)),
            items=[{"code": tx.code, "version": tx.version} for tx in form.items],
            form_values=clean,
            ticket_token=token,
            created_at=now,
            expires_at=expires_at,
        )
        try:
            with session.begin_nested():
                session.add(prefill)
        except IntegrityError:  # the same code twice (1 in 2^40 a day): draw again
            if attempt == 2:
                raise
            continue
        break
    audit.record(
        session,
        actor,
        entity_type="counter_prefill",
        entity_id=prefill.id,
        action="counter.prefill.submit",
        summary={
            "outlet": outlet.code,
            "channel": channel,
            "transactions": [f"{tx.code} v{tx.version}" for tx in form.items],
            "ticket": bool(token),
        },
        unit_id=outlet.id,
        unit_path=outlet.path,
        now=now,
    )
    return Prefilled(prefill, code, form)


def find_prefill(
    session: Session, code: str, now: dt.datetime, *, outlet_id: int | None = None
) -> CounterPrefill:
    """The live pre-fill with this code (of this outlet, when given), else a neutral NotFound."""
    clean = normalise_code(code)
    if clean is not None:
        statement = select(CounterPrefill).where(
            CounterPrefill.code_prefix == clean[:PREFIX_LENGTH], CounterPrefill.expires_at > now
        )
        if outlet_id is not None:
            statement = statement.where(CounterPrefill.outlet_id == outlet_id)
        wanted = code_hash(clean, sealed.keys_of(session.info))
        for row in session.scalars(statement):
            if hmac.compare_digest(row.code_hash, wanted):
                return row
    raise NotFound("no pre-fill has this code, or it has expired", "code")

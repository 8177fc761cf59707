"""What the teller's bundle screen shows, built from the services (no rules of its own).

`bundle_context` turns a `queries.view` into plain rows for the template: the merged values
by section (a choice shows its label, a value an earlier item produces says so), each item
with its result, the steps of the visit with the one that comes next, and the one button
that does it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from starlette.requests import Request

from manyi.counter import demo, queries, store
from manyi.counter.access import Clerk
from manyi.counter.adapters import registry
from manyi.counter.adapters.id_reader import SimulatedIdCardReader
from manyi.counter.adapters.pin_pad import SimulatedPinPad
from manyi.counter.domain.authorisation_rules import AuthorisationRequest, Level
from manyi.counter.domain.bundle_states import Action, BundleState
from manyi.counter.domain.fields import field_dictionary
from manyi.counter.domain.merge import MergedForm
from manyi.counter.tables import CounterSignature, CounterVoucher
from manyi.counter.web.bundle_words import (
    amount_text,
    card_status_words,
    field_label,
    item_result,
    output_labels,
    result_labels,
    shown,
)
from manyi.counter.web.common import condition_text, level_labels, reason_text
from manyi.counter.web.prefill_forms import name_in
from manyi.db import Session, utcnow
from manyi.org.tables import Unit
from manyi.web.i18n import Translate, request_language, translator
from manyi.web.security import Principal

__all__ = ["bundle_context", "station_of"]

S = BundleState
_RAN: Final = frozenset({S.DONE, S.PARTIAL, S.FAILED})
# Function keys of the screen, as on the calling pad: the next step is always one key.
KEYS: Final = {
    "confirm": "F1",
    "identity": "F2",
    "authorisation": "F3",
    "run": "F4",
    "sign": "F5",
    "voucher": "F6",
    "cancel": "F9",
}


def station_of(principal: Principal) -> str:
    """The counter station whose devices (reader, PIN pad) this teller uses."""
    return f"{principal.unit_code}/{principal.username}"


@dataclass(frozen=True)
class ValueRow:
    key: str
    label: str
    shown: str
    raw: str
    required: bool
    produced: bool  # filled by an earlier item when it runs: nothing to correct
    corrected: bool


@dataclass(frozen=True)
class SectionRows:
    title: str
    rows: list[ValueRow]


@dataclass(frozen=True)
class ItemRow:
    number: int
    name: str
    version: int
    needs_pin: bool
    status: str
    result: str
    outputs: list[tuple[str, str]]
    core_reference: str


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    done: bool
    current: bool


@dataclass(frozen=True)
class CorrectionRow:
    """One correction as the teller reads it: the field's label, the values as shown."""

    label: str
    old: str
    new: str
    confirmed: bool


@dataclass(frozen=True)
class NeededLine:
    """One item of the authorisation the bundle needs, in the page's language."""

    level: str
    name: str
    money: str
    reasons: list[str]


@dataclass
class NextStep:
    key: str  # confirm | identity | authorisation | wait | run | retry | sign | voucher | none
    text: str
    extra: dict[str, Any] = field(default_factory=dict)


def _sections(
    form: MergedForm, values: dict[str, Any], corrected: set[str], _: Translate, lang: str
) -> list[SectionRows]:
    produced = {(link.item, link.field_id) for link in form.links}
    out = []
    for section in form.sections:
        rows = []
        for key in section.fields:
            merged = form.field(key)
            value = values.get(key)
            rows.append(
                ValueRow(
                    key=key,
                    label=name_in(merged.label, lang),
                    shown=shown(form, key, value, _, lang),
                    raw="" if value is None else str(value),
                    required=merged.required,
                    produced=(merged.item, merged.field_id) in produced,
                    corrected=key in corrected,
                )
            )
        for link in form.links:
            if link.item == section.item:
                source = form.items[link.source - 1]
                label = name_in(field_dictionary()[link.field_id].label, lang)
                rows.append(
                    ValueRow(
                        key=f"item{link.item}.{link.field_id}",
                        label=label,
                        shown=_("from item {n}, {name}").format(
                            n=link.source, name=name_in(source.names, lang)
                        ),
                        raw="",
                        required=True,
                        produced=True,
                        corrected=False,
                    )
                )
        out.append(SectionRows(name_in(section.names, lang), rows))
    return out


def _corrections(view: queries.BundleView, _: Translate, lang: str) -> list[CorrectionRow]:
    form = view.form

    def as_shown(key: str, value: object) -> str:
        try:
            return shown(form, key, value, _, lang)
        except KeyError:  # a field the form no longer has: the value as stored
            return "—" if value in (None, "") else str(value)

    return [
        CorrectionRow(
            label=field_label(form, c.field, lang),
            old=as_shown(c.field, c.old_value),
            new=as_shown(c.field, c.new_value),
            confirmed=c.confirmed_at is not None,
        )
        for c in view.corrections
    ]


def _items(view: queries.BundleView, _: Translate, lang: str) -> list[ItemRow]:
    labels = result_labels(_)
    names, states = output_labels(_), card_status_words(_)
    rows = []
    for item, tx in zip(view.items, view.types, strict=True):
        result = item_result(item.status, item.error_code, labels, _)
        rows.append(
            ItemRow(
                number=item.number,
                name=name_in(tx.names, lang),
                version=item.version,
                needs_pin=item.needs_pin,
                status=item.status,
                result=result,
                outputs=[
                    (names.get(k, k), states.get(v, v) if k == "card_status" else v)
                    for k, v in sorted(item.outputs.items())
                ],
                core_reference=item.core_reference or "",
            )
        )
    return rows


def _needed_lines(
    view: queries.BundleView, needed: AuthorisationRequest | None, _: Translate, lang: str
) -> list[NeededLine]:
    """The request's lines as the teller reads them: the type's name in the page's language
    (not the stored "1. 存款 / Cash deposit" label) and each reason worded."""
    if needed is None:
        return []
    return [
        NeededLine(
            level=line.level.code,
            name=name_in(tx.names, lang),
            money=_money(item.item_values),
            reasons=[reason_text(reason, _) for reason in line.reasons],
        )
        for line, item, tx in zip(needed.lines, view.items, view.types, strict=True)
    ]


def item_label(view: queries.BundleView, number: int, lang: str) -> str:
    """Item `number` as the teller reads it: "2. 取款 CNY 60,000.00", in the page's language."""
    for item, tx in zip(view.items, view.types, strict=True):
        if item.number == number:
            money = _money(item.item_values)
            return f"{number}. {name_in(tx.names, lang)}" + (f" {money}" if money else "")
    return str(number)


def _money(values: dict[str, Any]) -> str:
    amount = values.get("amount")
    if amount in (None, ""):
        return ""
    return f"{values.get('currency') or 'CNY'} {amount_text(amount)}"


def _steps(
    view: queries.BundleView, level: Level, identity_required: bool, _: Translate
) -> list[Step]:
    b = view.bundle
    state = S(b.state)
    wanted: list[tuple[str, str, bool]] = [
        ("confirm", _("Customer confirms"), b.confirmed_at is not None),
    ]
    if identity_required:
        wanted.append(("identity", _("ID card read"), b.id_checked_at is not None))
    if level > Level.NONE:
        approved = view.request is not None and view.request.state == "approved"
        authorised = state is S.AUTHORISED or b.finished_at is not None or approved
        wanted.append(("authorisation", _("Authorisation"), authorised))
    needs_pin = any(i.needs_pin for i in view.items)
    run_label = _("One PIN entry and run") if needs_pin else _("Run")
    wanted.append(("run", run_label, b.finished_at is not None))
    wanted.append(("sign", _("Customer signs"), b.signed_at is not None))
    wanted.append(("voucher", _("E-voucher"), b.archived_at is not None))
    first_open = next((k for k, _label, done in wanted if not done), "")
    if state in (S.CANCELLED, S.REJECTED):
        first_open = ""
    return [Step(k, label, done, k == first_open) for k, label, done in wanted]


def _next(
    view: queries.BundleView,
    level: Level,
    identity_required: bool,
    _: Translate,
    pin_tries: int,
) -> NextStep:
    b = view.bundle
    state = S(b.state)
    if state is S.PIN_RETRY:
        left = max(pin_tries - (b.wrong_pins or 0), 0)
        return NextStep(
            "retry_pin",
            _(
                "Wrong PIN: nothing of that item was posted. The customer may type the PIN "
                "again ({n} more tries); the authorisation still holds."
            ).format(n=left),
            {"left": left},
        )
    if state is S.DRAFT:
        return NextStep("confirm", _("Show the form to the customer; they confirm every value."))
    if state in (S.CONFIRMED, S.IDENTITY_CHECKED):
        if identity_required and b.id_checked_at is None:
            return NextStep("identity", _("Ask the customer to place their ID card on the reader."))
        if level > Level.NONE:
            return NextStep(
                "authorisation",
                _("This bundle needs one authorisation: {level}.").format(
                    level=level_labels(_)[level.code]
                ),
            )
        return NextStep("run", "")
    if state is S.AWAITING_AUTHORISATION:
        return NextStep("wait", _("Waiting for the supervisor's decision…"))
    if state is S.AUTHORISED:
        return NextStep("run", "")
    if state is S.INTERRUPTED:
        return NextStep(
            "retry",
            _("An answer from the core system was lost. Retry: nothing is posted twice."),
        )
    if state in _RAN:
        return NextStep("sign", _("Ask the customer to sign once for the results."))
    if state is S.SIGNED:
        return NextStep("voucher", _("Issue the e-voucher for the whole visit."))
    return NextStep("none", "")


def bundle_context(
    request: Request, session: Session, clerk: Clerk, principal: Principal, reference: str
) -> dict[str, Any]:
    lang = request_language(request)
    _ = translator(lang)
    view = queries.view(session, clerk, reference)
    b = view.bundle
    needed = store.assess(session, b, utcnow())
    level = needed.level if needed is not None else Level.NONE
    outlet = session.get_one(Unit, b.outlet_id)
    rt = registry.current()
    station = station_of(principal)
    simulated_reader = isinstance(rt.id_reader(station), SimulatedIdCardReader)
    simulated_pad = isinstance(rt.pin_pad(station), SimulatedPinPad)
    pending = {c.field for c in view.corrections if c.confirmed_at is None}
    identity = store.identity_reasons(session, b, utcnow())
    next_step = _next(view, level, bool(identity), _, request.app.state.settings.counter_pin_tries)
    own = b.teller_id == clerk.staff_id
    pin_needed = any(i.needs_pin and i.status != "posted" for i in view.items)
    return {
        "view": view,
        "b": b,
        "own": own,
        "zone": outlet.timezone,
        "outlet": outlet,
        "sections": _sections(view.form, dict(b.form_values), pending, _, lang),
        "items": _items(view, _, lang),
        "steps": _steps(view, level, bool(identity), _),
        "identity_reasons": [
            (item_label(view, number, lang), [condition_text(c, _) for c in why])
            for number, why in identity
        ],
        "next": next_step,
        "level": level,
        "needed": needed,
        "needed_lines": _needed_lines(view, needed, _, lang),
        "request_row": view.request,
        "corrections": _corrections(view, _, lang),
        "pending_corrections": pending,
        "can_correct": own and Action.CORRECT in view.actions,
        "can_cancel": own and Action.CANCEL in view.actions,
        "pin_needed": pin_needed,
        "simulated_reader": simulated_reader,
        "demo_mode": request.app.state.settings.demo_mode,
        "simulated_pad": simulated_pad,
        "demo_customers": demo.customers() if simulated_reader else [],
        "signed": session.get(CounterSignature, b.id) is not None,
        "voucher": session.get(CounterVoucher, b.id),
        "keys": KEYS,
        "request_states": {
            "pending": _("Waiting for a supervisor"),
            "claimed": _("A supervisor is checking it"),
            "approved": _("Approved"),
            "rejected": _("Refused"),
            "withdrawn": _("Withdrawn"),
        },
        "flag_names": {
            "elderly": _("Elderly customer"),
            "high_risk": _("High-risk customer"),
            "watchlist": _("On the watch list"),
            "first_time_large": _("First large transaction"),
        },
    }

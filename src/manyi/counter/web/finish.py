"""The end of a visit at the counter: the run with one PIN entry, the one signature, the
e-voucher.

Run. The customer types the PIN once on the counter's PIN pad; `running.run` asks the pad
for the encrypted block and wipes it when the run ends. With the **simulated** pad there is
no hardware, so the screen shows its keypad in a dialog: the digits arrive with the run
request and are handed to the simulated pad in that same request, which seals them into the
block at once and overwrites them (devices.py); they are never stored, logged or kept after
the request, and a refused run clears what was typed. A bank's pad (registry.py) is read by
its own adapter, and the form's `pin` is then ignored.

Signature. `/counter/bundles/{reference}/sign` is the customer-facing signature pad: the
visit's results in large type and a box to sign in with finger, stylus or mouse. The drawing
is sent as a PNG (a data URL) and kept with the bundle (voucher.sign); the e-voucher then
holds it. The PDF is served from the archive after checking its SHA-256 (a reprint is the
same bytes).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from manyi.counter import badges, queries, running, voucher
from manyi.counter import store as bundle_store
from manyi.counter.access import Clerk
from manyi.counter.adapters import registry
from manyi.counter.adapters.pin_pad import SimulatedPinPad
from manyi.counter.domain.field_checks import amount_of
from manyi.counter.domain.fields import field_dictionary
from manyi.counter.web.bundle_screen import bundle_context, station_of
from manyi.counter.web.bundle_words import item_result, result_labels
from manyi.counter.web.common import clerk_of, page
from manyi.counter.web.prefill_forms import name_in
from manyi.counter.web.teller import act, refuse
from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.org.model import Permission
from manyi.web.i18n import Translate, request_language, translator
from manyi.web.security import DbSession, Principal, require

router = APIRouter(prefix="/counter", include_in_schema=False)

OPERATE = require(Permission.COUNTER_OPERATE)
PNG_DATA_URL: Final = "data:image/png;base64,"
SIGNATURE_FIELD_MAX: Final = (voucher.MAX_SIGNATURE_BYTES * 4) // 3 + len(PNG_DATA_URL) + 8


@router.post("/bundles/{reference}/run")
def run(
    reference: str,
    request: Request,
    pin: Annotated[str, Form()] = "",
    stop_pin: Annotated[str, Form()] = "",
    principal: Principal = OPERATE,
    session: Session = DbSession,
) -> Response:
    """Run (or retry) the bundle; the customer's one PIN entry happens inside."""
    rt = registry.current()
    pad = rt.pin_pad(station_of(principal))
    simulated = pad if isinstance(pad, SimulatedPinPad) else None
    pin_tries = request.app.state.settings.counter_pin_tries

    def run_once(s: Session, clerk: Clerk, ref: str) -> running.RunOutcome:
        try:
            if simulated is not None and pin:
                simulated.customer_types(pin)
            return running.run(
                s,
                clerk,
                ref,
                utcnow(),
                pin_pad=pad,
                core=rt.core,
                pin_tries=pin_tries,
                stop_pin=stop_pin == "yes",
            )
        finally:
            if simulated is not None:
                simulated.clear()  # keystrokes no entry used (a refused run) do not wait

    return act(
        request,
        session,
        principal,
        reference,
        lambda outcome: f"ran-{outcome.bundle.state}",
        run_once,
    )


@router.get("/bundles/{reference}/review")
def customer_review(
    reference: str, request: Request, principal: Principal = OPERATE, session: Session = DbSession
) -> Response:
    """The customer-facing check of the form: they confirm every value (again, after a
    correction) with their own button."""
    try:
        context = bundle_context(request, session, clerk_of(principal), principal, reference)
    except ManyiError as exc:
        return refuse(request, session, principal, reference, exc)
    context["teller"] = badges.badge_of(session, context["b"].teller_id, utcnow())
    return page(request, "counter/customer_review.html", context)


@router.get("/bundles/{reference}/sign")
def signature_pad(
    reference: str, request: Request, principal: Principal = OPERATE, session: Session = DbSession
) -> Response:
    """The customer-facing page: what was done, and one box to sign in."""
    lang = request_language(request)
    _ = translator(lang)
    try:
        view = queries.view(session, clerk_of(principal), reference)
    except ManyiError as exc:
        return refuse(request, session, principal, reference, exc)
    lines = signature_lines(view, _, lang)
    context = {
        "b": view.bundle,
        "lines": lines,
        "customer": str(view.bundle.form_values.get("customer_name") or ""),
        "error": request.query_params.get("error", "")[:200],
        "teller": badges.badge_of(session, view.bundle.teller_id, utcnow()),
    }
    return page(request, "counter/signature_pad.html", context)


@dataclass(frozen=True)
class SignatureLine:
    number: int
    name: str
    amount: str  # "60,000.00", or "" for an item without an amount (a card loss)
    currency: str  # the currency's name in the page's language, e.g. 人民币
    result: str
    posted: bool


def signature_lines(view: queries.BundleView, _: Translate, lang: str) -> list[SignatureLine]:
    """What the customer signs for: each item with its amount, currency and result."""
    labels = result_labels(_)
    currencies = {o.value: name_in(o.names, lang) for o in field_dictionary()["currency"].options}
    lines = []
    for item, tx in zip(view.items, view.types, strict=True):
        amount = amount_of(item.item_values.get("amount"))
        code = str(item.item_values.get("currency") or "CNY")
        lines.append(
            SignatureLine(
                number=item.number,
                name=name_in(tx.names, lang),
                amount="" if amount is None else f"{amount:,.2f}",
                currency="" if amount is None else currencies.get(code, code),
                result=item_result(item.status, item.error_code, labels, _),
                posted=item.status == "posted",
            )
        )
    return lines


def _png(data_url: str) -> bytes:
    if not data_url.startswith(PNG_DATA_URL):
        raise InvalidInput("the customer has not signed yet", "signature")
    try:
        return base64.b64decode(data_url[len(PNG_DATA_URL) :], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("the signature must be a PNG image", "signature") from None


@router.post("/bundles/{reference}/sign")
def sign(
    reference: str,
    request: Request,
    signature: Annotated[str, Form(max_length=SIGNATURE_FIELD_MAX)] = "",
    principal: Principal = OPERATE,
    session: Session = DbSession,
) -> Response:
    return act(
        request,
        session,
        principal,
        reference,
        "signed",
        lambda s, clerk, ref: _sign(s, clerk, ref, signature),
    )


def _sign(session: Session, clerk: Clerk, reference: str, signature: str) -> object:
    # Whose bundle it is comes first: anyone else is refused before what they sent is read.
    bundle_store.own_bundle(session, clerk, reference)
    return voucher.sign(session, clerk, reference, _png(signature), utcnow())


@router.post("/bundles/{reference}/voucher")
def issue_voucher(
    reference: str, request: Request, principal: Principal = OPERATE, session: Session = DbSession
) -> Response:
    """The voucher's labels are in the language of the counter's screens, the customer's."""
    var_dir = request.app.state.settings.var_dir
    lang = request_language(request)
    return act(
        request,
        session,
        principal,
        reference,
        "archived",
        lambda s, clerk, ref: voucher.issue_voucher(
            s, clerk, ref, utcnow(), var_dir=var_dir, lang=lang
        ),
    )


@router.get("/bundles/{reference}/voucher.pdf")
def voucher_file(
    reference: str,
    request: Request,
    principal: Principal = require(Permission.COUNTER_OPERATE),
    session: Session = DbSession,
) -> Response:
    """The archived e-voucher, byte for byte (a reprint is the same document)."""
    try:
        data = voucher.voucher_pdf(
            session, clerk_of(principal), reference, var_dir=request.app.state.settings.var_dir
        )
    except ManyiError as exc:
        return refuse(request, session, principal, reference, exc)
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{reference}.pdf"',
            "Cache-Control": "no-store",
        },
    )

"""The on-site tablet page (`/visits/{reference}/tablet`, 768 px): arrival with time and place,
photos as evidence, the counter bundle with the transactions allowed away from the counter,
then the counter's own pages (ID check, one remote authorisation, the customer's signature,
the e-voucher), and closing the visit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from manyi.complaints.domain.files import MAX_BYTES
from manyi.counter import away
from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.org.model import Permission
from manyi.special import access, queries, visits
from manyi.special.domain.eligibility import default_rules
from manyi.special.tables import SpecialVisit
from manyi.special.web.common import error_of, visit_page, who_of
from manyi.web.body_limit import BodyCap
from manyi.web.i18n import request_language
from manyi.web.security import DbSession, Principal, require

router = APIRouter(include_in_schema=False)

ONSITE = require(Permission.VISITS_REQUEST)

# One photo and the form around it (registered in `manyi.web.wiring.body_caps`).
PHOTO_CAP = BodyCap(
    "POST",
    r"/visits/(?P<reference>[A-Za-z0-9-]+)/photos",
    MAX_BYTES + 64 * 1024,
    "a file may have at most {mb} MB",
    {"mb": MAX_BYTES // (1024 * 1024)},
    back="/visits/{reference}/tablet",
)


def _tablet(
    request: Request,
    session: Session,
    visit: SpecialVisit,
    codes: list[str],
    values: dict[str, str] | None = None,
    status: int = 200,
    **extra: Any,
) -> Response:
    lang = request_language(request)
    need = default_rules().needs.get(visit.need)
    allowed = away.allowed_away(session)
    allowed_codes = {code for code, _zh, _en in allowed}
    if not codes and need is not None and need.transaction in allowed_codes:
        codes = [need.transaction]
    fields: list[away.AwayField] = []
    known = visits.bundle_values(visit)
    if codes and visit.bundle_reference is None and visit.state == "visited":
        try:
            fields = [f for f in away.form_fields(session, codes) if f.key not in known]
        except ManyiError as exc:
            extra = {**error_of(request, exc), **extra}
            status = exc.status_code if status == 200 else status
    if values is None:  # what the request already says: its amount, in yuan
        values = {f.key: "CNY" for f in fields if f.key.split(".")[-1] == "currency"}
        if visit.amount is not None:
            values |= {f.key: f"{visit.amount}" for f in fields if f.key.endswith("amount")}
    signed = bool(visit.bundle_reference) and away.signed(session, visit.bundle_reference or "")
    context = {
        "allowed": [(c, zh if lang != "en" else en) for c, zh, en in allowed],
        "codes": codes,
        "fields": fields,
        "values": values,
        "signed": signed,
        "lang": lang,
        **extra,
    }
    return visit_page(request, session, visit, "special/tablet.html", status, **context)


@router.get("/visits/{reference}/tablet")
def tablet(
    request: Request, reference: str, principal: Principal = ONSITE, session: Session = DbSession
) -> Response:
    visit = access.load(session, who_of(principal), reference)
    return _tablet(request, session, visit, request.query_params.getlist("t"))


def _onsite_step(
    request: Request, session: Session, principal: Principal, reference: str, run: Any
) -> Response:
    try:
        run()
    except ManyiError as exc:
        session.rollback()
        visit = access.load(session, who_of(principal), reference)
        return _tablet(request, session, visit, [], None, exc.status_code, **error_of(request, exc))
    return RedirectResponse(f"/visits/{reference}/tablet", status_code=303)


@router.post("/visits/{reference}/arrive")
def arrive(
    request: Request,
    reference: str,
    visit_place: Annotated[str, Form()] = "",
    geo: Annotated[str, Form()] = "",
    principal: Principal = ONSITE,
    session: Session = DbSession,
) -> Response:
    who = who_of(principal)
    return _onsite_step(
        request,
        session,
        principal,
        reference,
        lambda: visits.record_visit(session, who, reference, visit_place, geo, utcnow()),
    )


@router.post("/visits/{reference}/photos")
def upload_photo(
    request: Request,
    reference: str,
    photo: Annotated[UploadFile | None, File()] = None,
    principal: Principal = ONSITE,
    session: Session = DbSession,
) -> Response:
    who = who_of(principal)

    def run() -> None:
        if photo is None or not photo.filename:
            raise InvalidInput("choose a photo to upload", "photo")
        visits.add_photo(session, who, reference, photo.file.read(MAX_BYTES + 1), utcnow())

    return _onsite_step(request, session, principal, reference, run)


@router.get("/visits/{reference}/photos/{photo_id}")
def show_photo(
    reference: str,
    photo_id: int,
    principal: Principal = require(Permission.VISITS_VIEW),
    session: Session = DbSession,
) -> Response:
    visit = access.load(session, who_of(principal), reference)
    found = queries.photo(session, visit, photo_id)
    if found is None:
        return Response(status_code=404)
    return Response(
        found.data,
        media_type=found.content_type,
        headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


@router.post("/visits/{reference}/bundle")
async def start_bundle(
    request: Request, reference: str, principal: Principal = ONSITE, session: Session = DbSession
) -> Response:
    form = await request.form()
    codes = [str(c) for c in form.getlist("t") if str(c)]
    values = {
        str(k)[2:]: str(v) for k, v in form.multi_items() if str(k).startswith("f.") and str(v)
    }
    who = who_of(principal)
    try:
        bundle = visits.start_bundle(session, who, reference, codes, values, utcnow())
    except ManyiError as exc:
        session.rollback()
        visit = access.load(session, who, reference)
        return _tablet(
            request, session, visit, codes, values, exc.status_code, **error_of(request, exc)
        )
    return RedirectResponse(f"/counter/bundles/{bundle}", status_code=303)


@router.post("/visits/{reference}/close")
def close(
    request: Request, reference: str, principal: Principal = ONSITE, session: Session = DbSession
) -> Response:
    who = who_of(principal)
    return _onsite_step(
        request,
        session,
        principal,
        reference,
        lambda: visits.close(session, who, reference, utcnow()),
    )

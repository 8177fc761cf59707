"""One signature and one e-voucher per bundle (一次签名, 电子回单).

`sign` keeps the customer's signature (a PNG from the signature pad) once, after the run.
`issue_voucher` renders the PDF of the whole bundle (voucher_pdf.py), stores it under
``<var_dir>/counter/vouchers/<aa>/<sha256>.pdf`` and its SHA-256 in the row, and archives
the bundle. `voucher_pdf` reprints it: the same bytes, checked against the stored hash, so
a file changed on disk is refused rather than handed out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.counter import ports
from manyi.counter import store as bundle_store
from manyi.counter import voucher_text as words
from manyi.counter.access import Clerk, bundle_for
from manyi.counter.adapters.voucher_pdf import VoucherData, VoucherLine, render
from manyi.counter.domain.bundle_states import Action, next_state
from manyi.counter.domain.field_checks import amount_of
from manyi.counter.tables import (
    CounterAuthorisation,
    CounterBundle,
    CounterBundleItem,
    CounterSignature,
    CounterVoucher,
)
from manyi.errors import Conflict, InvalidInput, NotFound
from manyi.org.model import Permission
from manyi.org.tables import Staff, Unit
from manyi.personal import mask_card, mask_id

__all__ = ["issue_voucher", "sign", "voucher_path", "voucher_pdf"]

MAX_SIGNATURE_BYTES: Final = 512 * 1024
MAX_SIGNATURE_PIXELS: Final = (2400, 1200)
_PNG: Final = b"\x89PNG\r\n\x1a\n"
_MASKED_OUTPUTS: Final = frozenset({"account_number", "card_number"})


def voucher_path(var_dir: Path, sha256: str) -> Path:
    return var_dir / "counter" / "vouchers" / sha256[:2] / f"{sha256}.pdf"


def _check_png(data: bytes) -> None:
    if not data.startswith(_PNG):
        raise InvalidInput("the signature must be a PNG image", "signature")
    if len(data) > MAX_SIGNATURE_BYTES:
        raise InvalidInput("the signature image is too large", "signature")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput("the signature must be a PNG image", "signature") from None
    if width > MAX_SIGNATURE_PIXELS[0] or height > MAX_SIGNATURE_PIXELS[1]:
        raise InvalidInput("the signature image is too large", "signature")


def sign(
    session: Session, teller: Clerk, reference: str, png: bytes, now: dt.datetime
) -> CounterSignature:
    """Keep the customer's one signature for the bundle's results."""
    bundle = bundle_store.own_bundle(session, teller, reference)
    target = next_state(bundle.state, Action.SIGN)
    _check_png(png)
    if session.get(CounterSignature, bundle.id) is not None:
        raise Conflict("the customer has signed already", "signature", error_code="signed")
    digest = hashlib.sha256(png).hexdigest()
    signature = CounterSignature(
        bundle_id=bundle.id, png=png, sha256=digest, signed_at=now, captured_by_id=teller.staff_id
    )
    session.add(signature)
    bundle.state, bundle.signed_at = target.value, now
    bundle_store.record(session, teller, bundle, "sign", now, signature=digest)
    return signature


def _details(item: CounterBundleItem, lang: str) -> str:
    """The item's outputs and why it was not done, in words; codes the customer cannot
    read (an output without a label, the core's English message) are left out."""
    parts = []
    for key, value in sorted(item.outputs.items()):
        shown = mask_card(value) if key in _MASKED_OUTPUTS else str(value)
        text = words.output_text(key, shown, lang)
        if text is not None:
            parts.append(text)
    if reason := words.error_text(item.error_code or "", item.status, lang):
        parts.append(reason)
    return ("; " if lang == "en" else "；").join(parts)


def _amount(values: dict[str, object]) -> str:
    amount = amount_of(values.get("amount"))
    return "" if amount is None else f"{values.get('currency') or 'CNY'} {amount:,.2f}"


def _authorisation(row: CounterAuthorisation | None, zone: ZoneInfo, lang: str) -> str:
    if row is None:
        return words.authorisation_text("", "", "", "", lang)
    when = row.decided_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if row.decided_at else ""
    return words.authorisation_text(row.level, row.state, row.decided_by or "", when, lang)


def _data(session: Session, bundle: CounterBundle, now: dt.datetime, lang: str) -> VoucherData:
    outlet = session.get_one(Unit, bundle.outlet_id)
    zone = ZoneInfo(outlet.timezone)
    teller = session.get_one(Staff, bundle.teller_id)
    signature = session.get_one(CounterSignature, bundle.id)
    items = bundle_store.items_of(session, bundle)
    types = bundle_store.types_of(session, items)
    request = session.scalar(
        select(CounterAuthorisation).where(CounterAuthorisation.bundle_id == bundle.id)
    )
    values = bundle.form_values
    customer = str(values.get("customer_name") or "")
    if values.get("id_number"):
        masked = mask_id(str(values["id_number"]))
        customer += f" ({masked})" if lang == "en" else f"（{masked}）"

    outlet_name = outlet.name_en if lang == "en" and outlet.name_en else outlet.name_zh

    def local(at: dt.datetime) -> str:
        return at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")

    return VoucherData(
        reference=bundle.reference,
        outlet=f"{outlet_name} ({outlet.code})"
        if lang == "en"
        else f"{outlet_name}（{outlet.code}）",
        teller=teller.display_name,
        customer=customer,
        time=f"{local(now)} {_offset(now.astimezone(zone))}",
        lines=[
            VoucherLine(
                number=item.number,
                name=tx.names.en if lang == "en" else tx.names.zh,
                amount=_amount(item.item_values),
                status=words.status_text(item.status, lang),
                core_reference=item.core_reference,
                details=_details(item, lang),
            )
            for item, tx in zip(items, types, strict=True)
        ],
        authorisation=_authorisation(request, zone, lang),
        signature_png=signature.png,
        signed_at=local(signature.signed_at),
        lang=lang,
        # The visit's survey (quality, through the counter's port), as a QR code.
        survey_url=ports.survey_links().bundle_survey_url(session, bundle.id, now) or "",
    )


def _offset(at: dt.datetime) -> str:
    """ "UTC+08:00": the zone of the times shown, without the zone database's name."""
    offset = at.strftime("%z") or "+0000"
    return f"UTC{offset[:3]}:{offset[3:]}"


def issue_voucher(
    session: Session,
    teller: Clerk,
    reference: str,
    now: dt.datetime,
    *,
    var_dir: Path,
    lang: str = "zh-CN",
) -> CounterVoucher:
    """Render, store and register the bundle's e-voucher; the bundle is then archived.

    `lang` is the customer's language: "zh-CN" (the default) or "en"."""
    bundle = bundle_store.own_bundle(session, teller, reference)
    target = next_state(bundle.state, Action.ARCHIVE)
    pdf, pages = render(_data(session, bundle, now, "en" if lang == "en" else "zh-CN"))
    digest = hashlib.sha256(pdf).hexdigest()
    path = voucher_path(var_dir, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(pdf)
        partial.replace(path)  # a reader never sees half a file
    voucher = CounterVoucher(
        bundle_id=bundle.id,
        sha256=digest,
        size=len(pdf),
        pages=pages,
        issued_at=now,
        issued_by_id=teller.staff_id,
    )
    session.add(voucher)
    bundle.state, bundle.archived_at = target.value, now
    bundle_store.record(session, teller, bundle, "archive", now, voucher=digest)
    return voucher


def voucher_pdf(session: Session, clerk: Clerk, reference: str, *, var_dir: Path) -> bytes:
    """The stored e-voucher, byte for byte, after checking it against its hash."""
    clerk.need_any(Permission.COUNTER_OPERATE, Permission.COUNTER_VIEW)
    bundle = bundle_for(session, clerk, reference)
    voucher = session.get(CounterVoucher, bundle.id)
    if voucher is None:
        raise NotFound("bundle {reference} has no e-voucher yet", "bundle", reference=reference)
    path = voucher_path(var_dir, voucher.sha256)
    if not path.exists():
        raise NotFound(
            "the e-voucher file of {reference} is missing", "bundle", reference=reference
        )
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != voucher.sha256:
        raise Conflict(
            "the stored e-voucher of {reference} does not match its hash",
            "bundle",
            error_code="voucher_altered",
            reference=reference,
        )
    return data

"""One signature and one e-voucher per bundle: the PDF opens, its hash is kept, a reprint
gives the same bytes, and a file changed on disk is refused."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pypdf
import pytest

from manyi.counter import authorisations, running, voucher
from manyi.counter.tables import CounterSignature, CounterVoucher
from manyi.db import Database
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.counter_helpers import (
    MINUTE,
    Sim,
    act,
    customer,
    png,
    ready,
)
from tests.lobby_helpers import T0


def ran(db: Database, sim: Sim) -> str:
    """An authorised two-item bundle for 张伟, run: a withdrawal of 60,000 and a deposit."""
    values = customer(sim, "zhang_wei") | {
        "item1.amount": "60000",
        "item1.currency": "CNY",
        "item2.amount": "1000",
        "item2.currency": "CNY",
        "item2.remarks": "工资",
    }
    reference = ready(db, sim, "zhang_wei", ["withdraw", "deposit"], values)
    request = act(db, "teller.a", authorisations.request_authorisation, reference, T0)
    act(db, "sup.a", authorisations.approve, request.id, T0 + MINUTE)
    sim.pad.customer_types("123456")
    act(db, "teller.a", running.run, reference, T0 + 2 * MINUTE, pin_pad=sim.pad, core=sim.core)
    return reference


def test_the_voucher_is_signed_stored_by_hash_and_reprinted_identically(
    db: Database, sim: Sim, tmp_path: Path
) -> None:
    reference = ran(db, sim)
    signature = png()
    act(db, "teller.a", voucher.sign, reference, signature, T0 + 3 * MINUTE)
    issued = act(
        db, "teller.a", voucher.issue_voucher, reference, T0 + 4 * MINUTE, var_dir=tmp_path
    )
    path = voucher.voucher_path(tmp_path, issued.sha256)
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == issued.sha256 and issued.size == len(data)
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == issued.pages == 1
    text = reader.pages[0].extract_text()
    for expected in (
        reference,
        "电子回单",
        "OUT-A",
        "柜员甲",
        "张伟",
        "330106********0319",
        "60,000.00",
        "主管授权",
        "sup.a",
    ):
        assert expected in text, expected
    assert "330106198503120319" not in text  # the ID number is masked
    assert reader.pages[0].images  # the signature is on it
    with db.session() as session:
        row = session.get_one(CounterSignature, issued.bundle_id)
        assert row.png == signature and row.sha256 == hashlib.sha256(signature).hexdigest()
        assert session.get_one(CounterVoucher, issued.bundle_id).sha256 == issued.sha256
    # Reprints are the same bytes, for the teller and for the outlet's head.
    assert act(db, "teller.a", voucher.voucher_pdf, reference, var_dir=tmp_path) == data
    assert act(db, "head.a", voucher.voucher_pdf, reference, var_dir=tmp_path) == data
    with pytest.raises(NotFound):
        act(db, "head.b", voucher.voucher_pdf, reference, var_dir=tmp_path)
    with pytest.raises(Conflict):  # archived: issued once
        act(db, "teller.a", voucher.issue_voucher, reference, T0, var_dir=tmp_path)
    # A file changed on disk is refused, not handed out.
    path.write_bytes(data.replace(b"%%EOF", b"%%EOF\n% changed"))
    with pytest.raises(Conflict) as refused:
        act(db, "teller.a", voucher.voucher_pdf, reference, var_dir=tmp_path)
    assert refused.value.error_code == "voucher_altered"


def test_the_customer_signs_once_after_the_run(db: Database, sim: Sim, tmp_path: Path) -> None:
    values = customer(sim, "zhang_wei") | {"item1.amount": "100", "item1.currency": "CNY"}
    reference = ready(db, sim, "zhang_wei", ["withdraw"], values)
    with pytest.raises(Conflict):  # nothing ran yet
        act(db, "teller.a", voucher.sign, reference, png(), T0)
    sim.pad.customer_types("123456")
    act(db, "teller.a", running.run, reference, T0, pin_pad=sim.pad, core=sim.core)
    with pytest.raises(Conflict):  # not signed yet
        act(db, "teller.a", voucher.issue_voucher, reference, T0, var_dir=tmp_path)
    for bad in (b"GIF89a", png()[:40], b"\x89PNG\r\n\x1a\n" + b"\0" * 600_000):
        with pytest.raises(InvalidInput):
            act(db, "teller.a", voucher.sign, reference, bad, T0)
    with pytest.raises(InvalidInput):
        act(db, "teller.a", voucher.sign, reference, png(3000, 40), T0)
    with pytest.raises(Forbidden):
        act(db, "teller.a2", voucher.sign, reference, png(), T0)
    act(db, "teller.a", voucher.sign, reference, png(), T0)
    with pytest.raises(Conflict):
        act(db, "teller.a", voucher.sign, reference, png(), T0)
    with pytest.raises(NotFound):  # no voucher yet
        act(db, "teller.a", voucher.voucher_pdf, reference, var_dir=tmp_path)
    issued = act(db, "teller.a", voucher.issue_voucher, reference, T0, var_dir=tmp_path)
    assert issued.pages == 1


def _issued_text(db: Database, reference: str, tmp_path: Path, lang: str) -> str:
    act(db, "teller.a", voucher.sign, reference, png(), T0 + 3 * MINUTE)
    issued = act(
        db,
        "teller.a",
        voucher.issue_voucher,
        reference,
        T0 + 4 * MINUTE,
        var_dir=tmp_path,
        lang=lang,
    )
    data = voucher.voucher_path(tmp_path, issued.sha256).read_bytes()
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())  # a cell's line breaks as spaces


_INTERNAL = ("balance_after", "pin_invalid", "PIN is wrong", "(v1)", "supervisor", "approved", "·")


def test_the_voucher_speaks_the_customers_language_without_internal_codes(
    db: Database, sim: Sim, tmp_path: Path
) -> None:
    text = _issued_text(db, ran(db, sim), tmp_path, "zh-CN")
    for expected in ("交易后余额：", "成功", "主管授权，已同意（sup.a，", "取款", "交易流水号"):
        assert expected in text, expected
    for internal in (*_INTERNAL, "Withdrawal", "Cash", "E-voucher", "Asia/Shanghai"):
        assert internal not in text, internal


def test_an_english_voucher_has_english_labels_only(db: Database, sim: Sim, tmp_path: Path) -> None:
    text = _issued_text(db, ran(db, sim), tmp_path, "en")
    for expected in ("E-voucher", "Balance after: ", "Supervisor authorisation, approved (sup.a"):
        assert expected in text, expected
    for internal in (*_INTERNAL[:4], "电子回单", "业务编号", "成功"):
        assert internal not in text, internal


def test_a_refused_item_says_why_in_words_not_the_cores_code(
    db: Database, sim: Sim, tmp_path: Path
) -> None:
    values = customer(sim, "zhang_wei") | {"item1.amount": "100", "item1.currency": "CNY"}
    reference = ready(db, sim, "zhang_wei", ["withdraw"], values)
    sim.pad.customer_types("999999")  # the wrong PIN; then she does not try again
    act(db, "teller.a", running.run, reference, T0 + 2 * MINUTE, pin_pad=sim.pad, core=sim.core)
    act(
        db,
        "teller.a",
        running.run,
        reference,
        T0 + 3 * MINUTE,
        pin_pad=sim.pad,
        core=sim.core,
        stop_pin=True,
    )
    text = _issued_text(db, reference, tmp_path, "zh-CN")
    assert "密码错误" in text and "未成功" in text
    for internal in _INTERNAL:
        assert internal not in text, internal


def test_the_voucher_carries_the_visits_survey_as_a_qr_code(
    db: Database, sim: Sim, tmp_path: Path
) -> None:
    # Quality behind the counter's port, as the application wires it (manyi.web.app).
    from sqlalchemy import select

    from manyi.counter import ports
    from manyi.quality.counter_adapters import BundleSurveys
    from manyi.quality.survey_tables import SurveyInvitation

    ports.register_survey_links(BundleSurveys(7, "https://m.bank.example"))
    try:
        text = _issued_text(db, ran(db, sim), tmp_path, "zh-CN")
    finally:
        ports.register_survey_links(ports._NoSurveys())
    assert "扫码评价本次服务" in text
    with db.read() as session:
        invitation = session.scalars(select(SurveyInvitation)).one()
        assert invitation.trigger == "bundle" and invitation.customer_key  # quiet period key
    # Without the address phones reach manyi at, no QR code (and no invitation from it).
    ports.register_survey_links(BundleSurveys(7, ""))
    try:
        assert "扫码评价" not in _issued_text(db, ran(db, sim), tmp_path, "zh-CN")
    finally:
        ports.register_survey_links(ports._NoSurveys())

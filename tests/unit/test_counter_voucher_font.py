"""The e-voucher's embedded font has a glyph for every character the voucher draws."""

from __future__ import annotations

import io
from typing import Any

import pypdf

from manyi.counter import voucher_text
from manyi.counter.adapters.voucher_pdf import FONT, VoucherData, VoucherLine, missing, render
from tests.counter_helpers import png


def _data(lang: str, customer: str = "欧阳·娜娜（330106********0319）") -> VoucherData:
    line = VoucherLine(
        number=1,
        name="取款" if lang != "en" else "Cash withdrawal",
        amount="CNY 60,000.00",
        status=voucher_text.status_text("failed", lang),
        core_reference="CORE-000123",
        details="；".join(
            [
                voucher_text.output_text("balance_after", "321000.00", lang) or "",
                voucher_text.error_text("pin_invalid", "failed", lang),
            ]
        ),
    )
    return VoucherData(
        reference="BD2026120400000001",
        outlet="演示银行杭州西湖支行（OUT-A）",
        teller="柜员甲",
        customer=customer,
        time="2026-12-04 10:30:00 UTC+08:00",
        lines=[line],
        authorisation=voucher_text.authorisation_text(
            "remote", "approved", "sup.a", "2026-12-04 10:20", lang
        ),
        signature_png=png(),
        signed_at="2026-12-04 10:29:00",
        lang=lang,
    )


def test_every_character_of_every_voucher_word_is_in_the_embedded_font() -> None:
    words: list[str] = []
    for lang in ("zh-CN", "en"):
        words += _data(lang).texts()
        for status in ("posted", "failed", "skipped", "unknown", "pending"):
            words.append(voucher_text.status_text(status, lang))
        for code in (
            "insufficient_funds",
            "frozen_account",
            "account_not_found",
            "card_not_found",
            "pin_invalid",
            "timeout",
            "rejected",
            "other",
        ):
            words.append(voucher_text.error_text(code, "failed", lang))
        words.append(voucher_text.error_text("", "skipped", lang))
        for key in (
            "account_number",
            "balance_after",
            "card_number",
            "mobile_banking",
            "mobile",
            "card_status",
            "rate",
            "maturity_date",
            "interest",
            "paid",
            "paid_out",
            "days",
            "biller",
            "product",
            "holding",
        ):
            words.append(voucher_text.output_text(key, "1.00", lang) or key)
        for card_state in ("active", "lost"):
            words.append(voucher_text.output_text("card_status", card_state, lang) or "")
        for level in ("", "supervisor", "remote"):
            for state in ("approved", "rejected", "withdrawn"):
                words.append(voucher_text.authorisation_text(level, state, "x", "y", lang))
    assert missing("".join(words)) == set()
    assert missing("·（）：；，。") == set()  # the old empty box, and the CJK punctuation used


def test_the_font_is_embedded_and_a_rare_character_falls_back_instead_of_a_box() -> None:
    pdf, pages = render(_data("zh-CN", customer="𠮷野家（330106********0319）"))
    assert pages == 1
    assert missing("𠮷野家") == {"𠮷"}
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    resources: Any = reader.pages[0]["/Resources"]
    fonts = resources["/Font"]
    names = {str(font.get_object()["/BaseFont"]) for font in fonts.values()}
    assert any(name.endswith("+" + FONT) or FONT in name for name in names), names
    assert any("STSong-Light" in name for name in names), names
    descendants = [
        font.get_object() for font in fonts.values() if FONT in str(font.get_object()["/BaseFont"])
    ]
    assert all("/FontFile2" in d["/FontDescriptor"] for d in descendants), "embedded"
    text = reader.pages[0].extract_text()
    assert "欧阳" not in text and "野家" in text and "交易后余额：321,000.00" in text
    assert render(_data("zh-CN"))[0] == render(_data("zh-CN"))[0]  # deterministic

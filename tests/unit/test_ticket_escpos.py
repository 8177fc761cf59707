"""The printed queue ticket as ESC/POS bytes: the manual's command sections, the QR code,
paper widths, text wrapped by display width, and text that can neither inject nor crash."""

from __future__ import annotations

from dataclasses import replace

import pytest

from manyi.lobby.adapters import escpos
from manyi.lobby.adapters.printing import Lang, format_wait, render_escpos
from tests.ticket_slip_helpers import SLIP

# Written out from the manual rather than from the module's constants.
INIT_CHINESE = b"\x1b\x40\x1c\x26"
CUT = b"\x1d\x56\x42\x00"


def header(rule_columns: int) -> bytes:
    return (
        INIT_CHINESE
        + b"\x1b\x61\x01\x1b\x45\x01"  # centre, bold
        + "中关村支行营业部".encode("gb18030")
        + b"\n\x1b\x45\x00"
        + b"-" * rule_columns
        + b"\n"
        + b"\x1d\x21\x33A012\n\x1d\x21\x00"  # quadruple size, the number, normal size
    )


def qr_commands(url: bytes, module_dots: int) -> bytes:
    size = len(url) + 3
    return (
        b"\x1d\x28\x6b\x04\x00\x31\x41\x32\x00"  # 165: model 2
        + b"\x1d\x28\x6b\x03\x00\x31\x43"
        + bytes([module_dots])  # 167: module size
        + b"\x1d\x28\x6b\x03\x00\x31\x45\x31"  # 169: error correction M
        + b"\x1d\x28\x6b"
        + bytes([size % 256, size // 256])
        + b"\x31\x50\x30"
        + url  # 180: store
        + b"\x1d\x28\x6b\x03\x00\x31\x51\x30"  # 181: print
    )


# -- ESC/POS ----------------------------------------------------------------


@pytest.mark.parametrize(("paper", "columns", "dots"), [(80, 48, 6), (58, 32, 5)])
def test_escpos_sections_are_the_manuals_bytes(paper: int, columns: int, dots: int) -> None:
    data = render_escpos(SLIP, paper)

    assert data.startswith(header(columns))
    assert qr_commands(b"https://bank.example/q/t/abc123", dots) in data
    assert data.endswith(b"\x1b\x64\x02" + CUT)  # feed two lines, partial cut
    for text in (
        "个人业务",
        "绿色通道",
        "前面等候：3 人",
        "预计等待：约 3 分钟",
        "请留意叫号，过号请重新取号",
    ):
        assert text.encode("gb18030") + b"\n" in data
    assert "取号时间：2026-03-10 09:05\n".encode("gb18030") in data
    # Nothing outside GB18030's byte ranges and the commands: no UTF-8 leaked through.
    assert "中".encode() not in data


def test_qr_store_length_spills_into_ph_for_long_urls() -> None:
    url = "https://bank.example/q/t/" + "x" * 275  # 300 bytes: pL pH = 303 = 0x012F
    data = render_escpos(replace(SLIP, status_url=url), 80)
    assert b"\x1d\x28\x6b\x2f\x01\x31\x50\x30" + url.encode() + b"\x1d\x28\x6b" in data


def test_80_and_58_mm_lay_out_differently() -> None:
    wide, narrow = render_escpos(SLIP, 80), render_escpos(SLIP, 58)
    assert b"-" * 48 + b"\n" in wide
    assert b"-" * 33 not in narrow and b"-" * 32 + b"\n" in narrow
    assert wide != narrow


@pytest.mark.parametrize("paper", [0, 57, 76, 110])
def test_other_paper_widths_are_refused(paper: int) -> None:
    with pytest.raises(ValueError, match="80 or 58 mm"):
        render_escpos(SLIP, paper)


def test_long_text_wraps_by_display_width_on_the_slip() -> None:
    outlet = "中国工商银行北京市分行海淀区中关村大街支行营业部"  # 24 characters, 48 columns
    data = render_escpos(replace(SLIP, outlet_name=outlet), 58)
    first, second = outlet[:16], outlet[16:]
    assert (
        b"\x1b\x45\x01" + first.encode("gb18030") + b"\n" + second.encode("gb18030") + b"\n" in data
    )


def test_a_long_number_drops_to_double_size() -> None:
    data = render_escpos(replace(SLIP, number="VIP00012"), 58)  # 8 × 4 = 32 ≤ 32 still fits
    assert b"\x1d\x21\x33VIP00012\n" in data
    data = render_escpos(replace(SLIP, number="VIP000123"), 58)
    assert b"\x1d\x21\x11VIP000123\n" in data


def test_wrap_counts_cjk_as_two_columns() -> None:
    assert escpos.columns("A中b—") == 1 + 2 + 1 + 2
    assert escpos.wrap("中关村支行营业部", 10) == ["中关村支行", "营业部"]
    assert escpos.wrap("ABC中", 4) == ["ABC", "中"]
    assert escpos.wrap("Please listen for your number", 12) == [
        "Please",
        "listen for",
        "your number",
    ]
    assert escpos.wrap("", 10) == []
    assert escpos.wrap("中", 1) == ["中"]  # a glyph wider than the line still prints


def test_fit_truncates_with_an_ellipsis_within_the_width() -> None:
    lines = escpos.fit("一二三四五六七八九十", 8, 2)
    assert lines == ["一二三四", "五六七…"]
    assert all(escpos.columns(line) <= 8 for line in lines)
    assert escpos.fit("short", 8, 1) == ["short"]


def test_text_can_neither_inject_commands_nor_crash_the_encoder() -> None:
    assert escpos.encode("a\x1bd\x05b\nc") == b"a d b c"
    assert escpos.encode("x\ud800y") == b"x?y"
    data = render_escpos(replace(SLIP, outlet_name="\x1d\x56\x41 支行\ud800"), 80)
    assert data.count(CUT) == 1 and data.endswith(CUT)
    assert b"\x1b\x45\x01" + "VA 支行?".encode("gb18030") + b"\n" in data  # stripped, then wrapped


def test_english_slip_keeps_chinese_mode_for_chinese_names() -> None:
    data = render_escpos(replace(SLIP, lang="en", predicted_wait_s=None), 80)
    assert data.startswith(INIT_CHINESE)
    assert b"People ahead: 3\n" in data
    assert "Estimated wait: —\n".encode("gb18030") in data
    assert b"Taken at: 2026-03-10 09:05\n" in data


@pytest.mark.parametrize(
    ("seconds", "lang", "text"),
    [
        (None, "zh", "—"),
        (None, "en", "—"),
        (0, "zh", "不到 1 分钟"),
        (59, "zh", "不到 1 分钟"),
        (60, "zh", "约 1 分钟"),
        (61, "en", "about 2 min"),
        (125, "en", "about 3 min"),
        (-5, "en", "less than 1 min"),
    ],
)
def test_wait_is_whole_minutes_rounded_up(seconds: int | None, lang: Lang, text: str) -> None:
    assert format_wait(seconds, lang) == text


def test_slip_refuses_an_unknown_language() -> None:
    with pytest.raises(ValueError, match="'zh' or 'en'"):
        replace(SLIP, lang="fr")

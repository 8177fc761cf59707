"""ESC/POS commands for thermal receipt printers, as bytes.

The constants and builders follow the command reference of Epson's ESC/POS
(and the Chinese-market printers that copy it: Xprinter, Gprinter, SNBC, …),
so a line such as ``ALIGN_CENTRE + BOLD_ON`` reads like the manual.

Chinese text: those printers ship with a GB18030 (or its GBK subset) font.
``FS &`` enters Chinese character mode, after which every byte pair with a
lead byte of 0x81–0xFE prints as one full-width glyph, and bytes below 0x80
print as ASCII. A full-width glyph is 24 dots wide in Font A (12 × 24), an
ASCII character 12 dots, hence the two-column count of every non-ASCII
character below. Printers that only hold the GB2312 or GBK font print a
blank or a box for rarer GB18030 code points; nothing here can detect that.

Everything in this module was verified only as bytes against the manual: no
printer is attached to the machine the tests run on.
"""

from __future__ import annotations

import unicodedata
from typing import Final

# Control characters, by their names in the manual.
LF: Final = b"\x0a"
ESC: Final = b"\x1b"
FS: Final = b"\x1c"
GS: Final = b"\x1d"

INIT: Final = ESC + b"@"  # ESC @: clear the buffer, reset modes
CHINESE_MODE_ON: Final = FS + b"&"  # FS &: select Kanji (Chinese) character mode
CHINESE_MODE_OFF: Final = FS + b"."  # FS .: cancel it
ALIGN_LEFT: Final = ESC + b"a\x00"  # ESC a n: justification, at the start of a line only
ALIGN_CENTRE: Final = ESC + b"a\x01"
BOLD_ON: Final = ESC + b"E\x01"  # ESC E n: emphasised mode
BOLD_OFF: Final = ESC + b"E\x00"
SIZE_NORMAL: Final = GS + b"!\x00"  # GS ! n: width multiplier in bits 4–6, height in bits 0–2
SIZE_DOUBLE: Final = GS + b"!\x11"
SIZE_QUADRUPLE: Final = GS + b"!\x33"
CUT_FEED_N: Final = GS + b"V\x42"  # GS V 66 n: feed to the cutter (+ n units), partial cut

# GS ( k <pL> <pH> cn=49 (QR code) fn …: the QR code functions.
QR_FUNCTION: Final = GS + b"(k"
QR_CN: Final = b"\x31"
QR_MODEL_2: Final = b"\x32"  # n1 of function 165 (49 = model 1, 50 = model 2, 51 = micro)
QR_ERROR_M: Final = b"\x31"  # n of function 169 (48 L, 49 M, 50 Q, 51 H)
QR_MAX_DATA: Final = 7089  # the largest store-data payload a printer accepts


def feed_lines(n: int) -> bytes:
    """ESC d n: print what is buffered and feed n lines."""
    if not 0 <= n <= 255:
        raise ValueError(f"feed must be 0–255 lines, got {n}")
    return ESC + b"d" + bytes([n])


def cut(feed_units: int = 0) -> bytes:
    """GS V 66 n: feed to the cutting position plus n motion units, then partial cut."""
    if not 0 <= feed_units <= 255:
        raise ValueError(f"cut feed must be 0–255 units, got {feed_units}")
    return CUT_FEED_N + bytes([feed_units])


def _qr(fn: bytes, params: bytes) -> bytes:
    """GS ( k pL pH cn fn params; pL + pH × 256 counts cn, fn and the params."""
    length = len(params) + 2
    return QR_FUNCTION + length.to_bytes(2, "little") + QR_CN + fn + params


def qr_code(data: bytes, module_size: int) -> bytes:
    """The five QR functions in the order a printer expects them.

    165 selects model 2, 167 the module size in dots, 169 error correction M,
    180 stores the data (``m`` = 48, then the bytes; pL pH = data length + 3),
    181 prints the stored symbol. The printer picks the smallest version that
    holds the data, so the printed width is (version's modules + 8 quiet) × size.
    """
    if not 1 <= module_size <= 16:
        raise ValueError(f"QR module size must be 1–16 dots, got {module_size}")
    if not 1 <= len(data) <= QR_MAX_DATA:
        raise ValueError(f"QR data must be 1–{QR_MAX_DATA} bytes, got {len(data)}")
    return (
        _qr(b"\x41", QR_MODEL_2 + b"\x00")  # 165
        + _qr(b"\x43", bytes([module_size]))  # 167
        + _qr(b"\x45", QR_ERROR_M)  # 169
        + _qr(b"\x50", b"\x30" + data)  # 180
        + _qr(b"\x51", b"\x30")  # 181
    )


# -- text -------------------------------------------------------------------

REPLACEMENT: Final = "?"


def printable(text: str) -> str:
    """Text the printer can take: control characters become spaces (so a name can
    never smuggle a command into the stream) and characters without a GB18030 code
    (lone surrogates) become "?"."""
    out: list[str] = []
    for char in text:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            out.append(" ")
            continue
        try:
            char.encode("gb18030")
        except UnicodeEncodeError:
            out.append(REPLACEMENT)
        else:
            out.append(char)
    return "".join(out)


def encode(text: str) -> bytes:
    """GB18030 bytes of `text`; never raises."""
    return printable(text).encode("gb18030", errors="replace")


def char_columns(char: str) -> int:
    """Columns one character takes in Chinese mode: ASCII 1, anything else 2.

    In Chinese mode the printer draws every multi-byte GB18030 code as a
    full-width glyph, including punctuation such as "—" and "…" that a
    terminal would draw narrow.
    """
    return 1 if ord(char) < 0x80 else 2


def columns(text: str) -> int:
    return sum(char_columns(c) for c in text)


def wrap(text: str, width: int) -> list[str]:
    """Break `text` into lines of at most `width` columns.

    A line of Latin text breaks at its last space when it has one; Chinese text
    (which has no spaces) breaks anywhere. A character wider than the line on
    its own still gets a line.
    """
    lines: list[str] = []
    rest = printable(text).strip()
    while rest:
        used = 0
        cut_at = 0
        for i, char in enumerate(rest):
            used += char_columns(char)
            if used > width:
                break
            cut_at = i + 1
        else:
            lines.append(rest)
            break
        cut_at = max(cut_at, 1)
        space = rest.rfind(" ", 0, cut_at + 1)
        if space > 0:
            cut_at = space
        lines.append(rest[:cut_at].rstrip())
        rest = rest[cut_at:].lstrip()
    return lines


ELLIPSIS: Final = "…"


def fit(text: str, width: int, max_lines: int) -> list[str]:
    """`wrap`, keeping at most `max_lines` lines; a cut text ends with "…"."""
    lines = wrap(text, width)
    if len(lines) <= max_lines:
        return lines
    last = lines[max_lines - 1]
    room = width - columns(ELLIPSIS)
    while last and columns(last) > room:
        last = last[:-1]
    return [*lines[: max_lines - 1], last.rstrip() + ELLIPSIS]

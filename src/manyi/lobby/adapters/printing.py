"""The printed queue ticket (排队小票): its content, its QR code, and the printers.

A kiosk prints a ticket in one of two ways:

- **Directly attached thermal printer.** `render_escpos` lays the ticket out as
  ESC/POS bytes (see `escpos.py`) and a `TicketPrinter` adapter delivers them:
  to a character device (USB printers appear as ``/dev/usb/lp0`` on Linux) or
  over TCP to port 9100, the "raw" protocol of network receipt printers, which
  print whatever bytes arrive. ``printer_from_url`` builds the adapter from a
  setting such as ``tcp://10.1.2.3:9100``.
- **Through the browser.** The kiosk page prints ``templates/ticket_print.html``
  (sized for 80 or 58 mm paper); its adapter is `NullPrinter`.

Either way the QR code is made here, never by a web service: it holds the
customer's status URL, and that must not leave the bank.

Verified here only as bytes (the tests compare them with the ESC/POS manual);
no printer was attached. A real printer expects: Font A (12 × 24 dots), 48
columns on 80 mm paper (576 printable dots) and 32 on 58 mm (384 dots), a GB18030
or GBK font in Chinese mode, QR code support (GS ( k), and an auto-cutter
(printers without one ignore GS V).
"""

from __future__ import annotations

import datetime as dt
import math
import socket
from dataclasses import dataclass, field
from typing import Literal, Protocol
from urllib.parse import unquote, urlsplit

import segno

from manyi.lobby.adapters import escpos

Lang = Literal["zh", "en"]

# Printable columns in Font A, and the QR module size in dots, per paper width.
# A status URL gives a version 4–6 symbol: 41–49 modules with the quiet zone,
# about 31–37 mm at 6 dots (80 mm paper) and 26–31 mm at 5 dots (58 mm paper).
PAPER_COLUMNS: dict[int, int] = {80: 48, 58: 32}
QR_MODULE_DOTS: dict[int, int] = {80: 6, 58: 5}

# The slip's own words. The ESC/POS path runs without a request, so it does not go
# through the web catalogue; the HTML view translates its labels with `_`.
LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "ahead": "前面等候：{n} 人",
        "wait": "预计等待：{wait}",
        "issued": "取号时间：{time}",
        "scan": "扫码查看排队进度",
        "about": "约 {n} 分钟",
        "range": "约 {low}–{high} 分钟",
        "up_to": "{high} 分钟内",
        "soon": "不到 1 分钟",
        "no_counter": "暂无窗口办理此业务，请咨询大堂经理",
        "green": "绿色通道",
        "vip": "贵宾",
        "appointment": "预约",
        "footer": "请留意叫号，过号请咨询大堂经理。",
    },
    "en": {
        "ahead": "People ahead: {n}",
        "wait": "Estimated wait: {wait}",
        "issued": "Taken at: {time}",
        "scan": "Scan to follow your place in the queue",
        "about": "about {n} min",
        "range": "about {low}–{high} min",
        "up_to": "within {high} min",
        "soon": "less than 1 min",
        "no_counter": "No open counter serves this now; please ask the lobby manager",
        "green": "Green channel",
        "vip": "VIP",
        "appointment": "Appointment",
        "footer": "Please listen for your number. A missed number may need a new ticket.",
    },
}
NO_ESTIMATE = "—"


def check_paper(paper_mm: int) -> int:
    if paper_mm not in PAPER_COLUMNS:
        raise ValueError(f"paper width must be 80 or 58 mm, got {paper_mm!r}")
    return paper_mm


def format_wait(
    seconds: int | None,
    lang: Lang,
    low_s: int | None = None,
    high_s: int | None = None,
    *,
    served: bool = True,
) -> str:
    """The predicted wait in whole minutes: its 80 % range when known ("约 8–12 分钟": the
    low end rounded down, the high end up; "5 分钟内" from 0), else the estimate rounded up
    ("约 3 分钟").
    The screens' `waitText` (static/js/lobby/common.js) follows the same rules."""
    words = LABELS[lang]
    if not served:
        return words["no_counter"]
    if low_s is not None and high_s is not None:
        if high_s < 60:
            return words["soon"]
        low, high = low_s // 60, math.ceil(high_s / 60)
        if low >= high:
            return words["about"].format(n=high)
        return words["range" if low else "up_to"].format(low=low, high=high)
    if seconds is None:
        return NO_ESTIMATE
    if seconds < 60:
        return words["soon"]
    return words["about"].format(n=math.ceil(seconds / 60))


@dataclass(frozen=True)
class TicketSlip:
    """What a printed ticket shows; the times are already in the outlet's zone."""

    outlet_name: str
    number: str  # "A012"
    service_name: str
    klass_label: str  # "" for a normal ticket, else e.g. "绿色通道"
    people_ahead: int
    predicted_wait_s: int | None
    issued_at_local: dt.datetime
    status_url: str  # absolute URL of the customer's status page
    footer: str  # "请留意叫号，过号请重新取号"
    lang: Lang
    wait_low_s: int | None = None  # the 80 % range, when known
    wait_high_s: int | None = None
    served: bool = True  # False: no open counter serves the service now

    def __post_init__(self) -> None:
        if self.lang not in LABELS:
            raise ValueError(f"slip language must be 'zh' or 'en', got {self.lang!r}")

    @property
    def wait_text(self) -> str:
        return format_wait(
            self.predicted_wait_s,
            self.lang,
            self.wait_low_s,
            self.wait_high_s,
            served=self.served,
        )

    @property
    def issued_text(self) -> str:
        return self.issued_at_local.strftime("%Y-%m-%d %H:%M")


# -- QR code for the browser --------------------------------------------------


def qr_matrix(data: str, *, border: int = 0) -> list[list[bool]]:
    """Rows of dark (True) and light modules of `data`'s QR code, error correction M."""
    code = segno.make(data, error="m", micro=False, boost_error=False)
    return [[bool(m) for m in row] for row in code.matrix_iter(scale=1, border=border)]


def qr_svg(data: str, *, scale: int = 4, border: int = 2) -> str:
    """An inline ``<svg>`` of `data`'s QR code: black modules on white, error correction M.

    segno encodes; the SVG is written here so that the markup holds nothing but
    numbers (the data itself never appears, so it is safe to embed unescaped) and
    carries a viewBox, letting CSS size it (the print view makes it 30 mm wide).
    Each dark run of a row is one ``M x y h… v1 h… z`` rectangle.
    """
    if scale < 1 or border < 0:
        raise ValueError("QR scale must be at least 1 and the border not negative")
    rows = qr_matrix(data, border=border)
    size = len(rows)
    runs: list[str] = []
    for y, row in enumerate(rows):
        x = 0
        while x < size:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < size and row[x]:
                x += 1
            runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    pixels = size * scale
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{pixels}" height="{pixels}" '
        f'viewBox="0 0 {size} {size}" shape-rendering="crispEdges" '
        f'class="qr-code"><rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )


# -- ESC/POS -----------------------------------------------------------------


def render_escpos(slip: TicketSlip, paper_mm: int) -> bytes:
    """The ticket as the bytes an ESC/POS printer prints and cuts.

    From the top: outlet name (bold, centred, two lines at most), a rule, the
    number at four times the size (twice when it would not fit), service and
    class, people ahead, predicted wait, issue time, the QR code of the status
    URL, the footer, then a feed to the cutter and a partial cut.
    """
    width = PAPER_COLUMNS[check_paper(paper_mm)]
    labels = LABELS[slip.lang]
    out = bytearray(escpos.INIT + escpos.CHINESE_MODE_ON)

    def lines(text: str, max_lines: int) -> None:
        for line in escpos.fit(text, width, max_lines):
            out.extend(escpos.encode(line) + escpos.LF)

    out += escpos.ALIGN_CENTRE + escpos.BOLD_ON
    lines(slip.outlet_name, 2)
    out += escpos.BOLD_OFF
    out += escpos.encode("-" * width) + escpos.LF

    number = escpos.printable(slip.number).strip()
    if escpos.columns(number) * 4 <= width:
        out += escpos.SIZE_QUADRUPLE
        lines(number, 1)
    else:
        out += escpos.SIZE_DOUBLE
        for line in escpos.fit(number, width // 2, 1):
            out += escpos.encode(line) + escpos.LF
    out += escpos.SIZE_NORMAL

    out += escpos.BOLD_ON
    lines(slip.service_name, 2)
    if slip.klass_label:
        lines(slip.klass_label, 1)
    out += escpos.BOLD_OFF + escpos.feed_lines(1)

    out += escpos.ALIGN_LEFT
    if slip.served:
        lines(labels["ahead"].format(n=slip.people_ahead), 1)
    lines(labels["wait"].format(wait=slip.wait_text), 1)
    lines(labels["issued"].format(time=slip.issued_text), 1)

    out += escpos.ALIGN_CENTRE + escpos.feed_lines(1)
    out += escpos.qr_code(slip.status_url.encode("utf-8"), QR_MODULE_DOTS[paper_mm])
    out += escpos.LF  # some printers leave the print position beside the symbol
    lines(labels["scan"], 2)
    out += escpos.feed_lines(1)
    lines(slip.footer, 3)
    out += escpos.ALIGN_LEFT + escpos.CHINESE_MODE_OFF
    # Two blank lines of bottom margin; GS V 66 then brings them past the cutter itself.
    out += escpos.feed_lines(2) + escpos.cut(0)
    return bytes(out)


# -- printers -----------------------------------------------------------------


class PrinterError(Exception):
    """The printer could not be reached or refused the data; the message says which."""


class TicketPrinter(Protocol):
    def print_slip(self, slip: TicketSlip) -> None: ...


class EscPosDevicePrinter:
    """A printer whose driver exposes a character device (``/dev/usb/lp0``).

    The kernel's usblp driver passes the bytes to the printer unchanged; the
    process needs write access to the device (group ``lp`` on Debian).
    """

    def __init__(self, path: str, paper_mm: int = 80) -> None:
        self.path = path
        self.paper_mm = check_paper(paper_mm)

    def print_slip(self, slip: TicketSlip) -> None:
        data = render_escpos(slip, self.paper_mm)
        try:
            with open(self.path, "wb", buffering=0) as device:
                device.write(data)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise PrinterError(f"cannot write to printer {self.path}: {reason}") from exc


class EscPosNetworkPrinter:
    """A network printer speaking the raw protocol: TCP, usually port 9100.

    The printer prints the bytes as they arrive; nothing comes back. The
    connection is closed with a FIN after the last byte so the printer sees
    the end of the job.
    """

    def __init__(
        self, host: str, port: int = 9100, paper_mm: int = 80, timeout_s: float = 5
    ) -> None:
        self.host = host
        self.port = port
        self.paper_mm = check_paper(paper_mm)
        self.timeout_s = timeout_s

    def print_slip(self, slip: TicketSlip) -> None:
        data = render_escpos(slip, self.paper_mm)
        where = f"{self.host}:{self.port}"
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout_s) as conn:
                conn.sendall(data)
                conn.shutdown(socket.SHUT_WR)
        except TimeoutError as exc:
            raise PrinterError(
                f"printer {where} did not answer within {self.timeout_s:g} s"
            ) from exc
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise PrinterError(f"cannot send to printer {where}: {reason}") from exc


@dataclass
class NullPrinter:
    """Prints nothing and keeps the slips: for kiosks that print through the browser."""

    slips: list[TicketSlip] = field(default_factory=list)

    def print_slip(self, slip: TicketSlip) -> None:
        self.slips.append(slip)


def printer_from_url(url: str, paper_mm: int) -> TicketPrinter:
    """The printer a setting names.

    ``tcp://host:port`` (port 9100 when left out) is a network printer,
    ``file:///dev/usb/lp0`` or a bare absolute path a device, ``none`` no printer.
    """
    check_paper(paper_mm)
    text = url.strip()
    if text.lower() == "none":
        return NullPrinter()
    if text.startswith("/"):
        return EscPosDevicePrinter(text, paper_mm)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "tcp":
        try:
            port = parts.port or 9100
        except ValueError:
            raise ValueError(f"printer URL {url!r} has an invalid port") from None
        if not parts.hostname or parts.path not in ("", "/") or parts.query:
            raise ValueError(f"printer URL {url!r} must be tcp://host:port")
        return EscPosNetworkPrinter(parts.hostname, port, paper_mm)
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ValueError(f"printer URL {url!r} must be file:///absolute/path")
        return EscPosDevicePrinter(unquote(parts.path), paper_mm)
    raise ValueError(
        f"unknown printer {url!r}: use tcp://host:port, file:///dev/usb/lp0, a path, or none"
    )

"""The printed queue ticket: ESC/POS bytes, the QR code, printer adapters, the print view."""

from __future__ import annotations

import datetime as dt
import re
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import segno
from jinja2 import Environment, FileSystemLoader

from manyi.lobby.adapters import escpos
from manyi.lobby.adapters.printing import (
    EscPosDevicePrinter,
    EscPosNetworkPrinter,
    Lang,
    NullPrinter,
    PrinterError,
    TicketSlip,
    format_wait,
    printer_from_url,
    qr_svg,
    render_escpos,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "manyi" / "lobby" / "templates"

SLIP = TicketSlip(
    outlet_name="中关村支行营业部",
    number="A012",
    service_name="个人业务",
    klass_label="绿色通道",
    people_ahead=3,
    predicted_wait_s=125,
    issued_at_local=dt.datetime(2026, 3, 10, 9, 5, 42),
    status_url="https://bank.example/q/t/abc123",
    footer="请留意叫号，过号请重新取号",
    lang="zh",
)

# Written out from the manual rather than from the module's constants.
INIT_CHINESE = b"\x1b\x40\x1c\x26"
CUT = b"\x1d\x56\x42\x00"


STATIC = Path(__file__).resolve().parents[2] / "src" / "manyi" / "web" / "static"


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


# -- QR code for the browser ------------------------------------------------

RUN = re.compile(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z")


def decode_svg(svg: str) -> list[list[bool]]:
    root = ET.fromstring(svg)  # noqa: S314 (our own output; must be well-formed XML)
    ns = "{http://www.w3.org/2000/svg}"
    _, _, width, height = (int(v) for v in root.attrib["viewBox"].split())
    assert width == height
    path = root.find(f"{ns}path")
    assert path is not None and path.attrib["fill"] == "#000"
    d = path.attrib["d"]
    assert RUN.sub("", d) == ""  # nothing but dark runs
    matrix = [[False] * width for _ in range(height)]
    for x, y, run, back in RUN.findall(d):
        assert run == back
        for i in range(int(x), int(x) + int(run)):
            matrix[int(y)][i] = True
    return matrix


@pytest.mark.parametrize("border", [0, 2, 4])
def test_qr_svg_draws_segnos_error_m_matrix(border: int) -> None:
    url = SLIP.status_url
    svg = qr_svg(url, scale=3, border=border)
    code = segno.make(url, error="m", micro=False, boost_error=False)
    expected = [[bool(m) for m in row] for row in code.matrix_iter(scale=1, border=border)]

    assert decode_svg(svg) == expected
    side = len(expected)
    assert f'width="{side * 3}" height="{side * 3}"' in svg
    assert code.error == "M"


def test_qr_svg_is_inline_markup_without_the_data() -> None:
    svg = qr_svg('https://bank.example/q/t/"><script>alert(1)</script>')
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert "<?xml" not in svg and "script" not in svg and "bank.example" not in svg
    assert '<rect width="' in svg and 'fill="#fff"' in svg


# -- printers ---------------------------------------------------------------


@pytest.fixture
def raw_9100_server() -> Iterator[tuple[int, list[bytes]]]:
    """A local stand-in for a raw-protocol printer: records each connection's bytes."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(5)
    jobs: list[bytes] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(5)
            chunks = []
            while chunk := conn.recv(4096):
                chunks.append(chunk)
            jobs.append(b"".join(chunks))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], jobs
    thread.join(timeout=5)
    listener.close()


def test_network_printer_sends_exactly_the_rendered_bytes(
    raw_9100_server: tuple[int, list[bytes]],
) -> None:
    port, jobs = raw_9100_server
    EscPosNetworkPrinter("127.0.0.1", port, paper_mm=58, timeout_s=5).print_slip(SLIP)
    for _ in range(50):
        if jobs:
            break
        threading.Event().wait(0.05)
    assert jobs == [render_escpos(SLIP, 58)]


def test_unreachable_network_printer_raises_a_readable_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    printer = EscPosNetworkPrinter("127.0.0.1", port, timeout_s=2)
    with pytest.raises(PrinterError, match=f"127.0.0.1:{port}") as caught:
        printer.print_slip(SLIP)
    assert "refused" in str(caught.value).lower()


def test_device_printer_writes_the_bytes(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    EscPosDevicePrinter(str(device), paper_mm=80).print_slip(SLIP)
    assert device.read_bytes() == render_escpos(SLIP, 80)


def test_missing_device_raises_a_readable_error(tmp_path: Path) -> None:
    path = tmp_path / "usb" / "lp9"
    with pytest.raises(PrinterError, match=f"cannot write to printer {path}: No such file"):
        EscPosDevicePrinter(str(path)).print_slip(SLIP)


def test_null_printer_keeps_the_slips() -> None:
    printer = NullPrinter()
    printer.print_slip(SLIP)
    assert printer.slips == [SLIP]


def test_printer_from_url_understands_the_three_kinds() -> None:
    net = printer_from_url("tcp://10.1.2.3:9101", 58)
    assert isinstance(net, EscPosNetworkPrinter)
    assert (net.host, net.port, net.paper_mm) == ("10.1.2.3", 9101, 58)
    default_port = printer_from_url(" tcp://printer.branch.local ", 80)
    assert isinstance(default_port, EscPosNetworkPrinter) and default_port.port == 9100

    for url in ("file:///dev/usb/lp0", "file://localhost/dev/usb/lp0", "/dev/usb/lp0"):
        device = printer_from_url(url, 80)
        assert isinstance(device, EscPosDevicePrinter) and device.path == "/dev/usb/lp0"

    assert isinstance(printer_from_url("none", 80), NullPrinter)
    assert isinstance(printer_from_url("NONE", 58), NullPrinter)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "unknown printer"),
        ("lp0", "unknown printer"),
        ("http://printer:9100", "unknown printer"),
        ("usb://lp0", "unknown printer"),
        ("tcp://:9100", "must be tcp://host:port"),
        ("tcp://printer:9100/queue", "must be tcp://host:port"),
        ("tcp://printer:99999", "invalid port"),
        ("tcp://printer:nine", "invalid port"),
        ("file://otherhost/dev/lp0", "file:///absolute/path"),
    ],
)
def test_printer_from_url_refuses_what_it_does_not_know(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        printer_from_url(url, 80)


def test_printer_from_url_checks_the_paper() -> None:
    with pytest.raises(ValueError, match="80 or 58 mm"):
        printer_from_url("none", 76)


# -- the print view -----------------------------------------------------------


def render_view(paper: int, *, autoprint: bool = False, slip: TicketSlip = SLIP) -> str:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True)
    return env.get_template("ticket_print.html").render(
        slip=slip,
        qr_svg=qr_svg(slip.status_url),
        paper=paper,
        lang="zh-CN",
        _=lambda s: f"[{s}]",
        autoprint=autoprint,
    )


@pytest.mark.parametrize("paper", [80, 58])
def test_print_view_is_sized_for_the_paper(paper: int) -> None:
    html = render_view(paper)
    assert f"@page {{ size: {paper}mm auto; margin: 0 }}" in html
    assert f"width: {paper}mm;" in html
    assert 'data-testid="ticket-number">A012</p>' in html
    assert "中关村支行营业部" in html and "绿色通道" in html and "约 3 分钟" in html
    assert "2026-03-10 09:05" in html
    assert qr_svg(SLIP.status_url) in html  # inline, not escaped
    assert "/static/css/tokens.css" in html
    assert "window.print" not in html
    other = 58 if paper == 80 else 80
    assert f"size: {other}mm" not in html


def test_print_view_translates_its_labels_and_escapes_the_slip() -> None:
    html = render_view(80, slip=replace(SLIP, outlet_name="<b>支行</b>", klass_label=""))
    for label in ("Your number", "People ahead", "Estimated wait", "Ticket taken at"):
        assert f"[{label}]" in html
    assert "&lt;b&gt;支行&lt;/b&gt;" in html and "<b>" not in html
    assert 'class="klass"' not in html


def test_print_view_prints_itself_and_tells_the_kiosk_when_asked() -> None:
    html = render_view(58, autoprint=True)
    assert '<script src="/static/js/autoprint.js"></script>' in html  # a file: no inline script
    assert "autoprint.js" not in render_view(58, autoprint=False)
    script = (STATIC / "js" / "autoprint.js").read_text(encoding="utf-8")
    assert "window.print();" in script
    assert 'postMessage({ manyi: "printed" }, window.location.origin)' in script
    assert "window.parent !== window" in script


@pytest.mark.parametrize(
    ("low", "high", "lang", "text"),
    [
        (480, 720, "zh", "约 8–12 分钟"),
        (500, 690, "en", "about 8–12 min"),  # the low end rounds down, the high end up
        (0, 300, "zh", "5 分钟内"),
        (0, 40, "zh", "不到 1 分钟"),
        (300, 300, "zh", "约 5 分钟"),
    ],
)
def test_wait_range_wording(low: int, high: int, lang: Lang, text: str) -> None:
    assert format_wait(400, lang, low, high) == text


def test_a_service_no_open_counter_serves_promises_no_wait() -> None:
    assert format_wait(None, "zh", served=False) == "暂无窗口办理此业务，请咨询大堂经理"
    assert format_wait(0, "en", 0, 60, served=False).startswith("No open counter serves this")

"""The queue ticket's print view in the browser: the QR code as inline SVG, the page sized for
the paper, translated and escaped, printing itself when asked, and the wait wording."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
import segno
from jinja2 import Environment, FileSystemLoader

from manyi.lobby.adapters.printing import Lang, TicketSlip, format_wait, qr_svg
from tests.ticket_slip_helpers import SLIP

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "manyi" / "lobby" / "templates"


STATIC = Path(__file__).resolve().parents[2] / "src" / "manyi" / "web" / "static"


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

"""The lobby's pages over HTTP: pairing a device, who opens which screen, the
printed ticket and its QR code, and the cookie-paired browser's CSRF guard."""

from __future__ import annotations

import datetime as dt
import socket
import threading

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from manyi import cli
from manyi.config import get_settings
from manyi.db import Database
from manyi.org import device_tokens
from manyi.web.security import DEVICE_COOKIE
from tests.conftest import SYSTEM, Bank
from tests.lobby_helpers import configure
from tests.web_helpers import csrf_of, device_client, make_client, staff_client

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def lobby(db: Database, bank: Bank) -> Bank:
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    return bank


def secret_for(db: Database, outlet_id: int, kind: str, counter: int | None = None) -> str:
    with db.session() as session:
        _, secret = device_tokens.issue_token(
            session,
            SYSTEM,
            outlet_id=outlet_id,
            kind=kind,
            name=kind,
            valid_days=1,
            counter=counter,
        )
    return secret


def paired(db: Database, secret: str, counter: str = "") -> tuple[TestClient, str]:
    client = make_client(db)
    token = csrf_of(client, "/device/pair")
    response = client.post(
        "/device/pair", data={"token": secret, "counter": counter, "csrf_token": token}
    )
    return client, response.headers.get("location", str(response.status_code))


def test_pairing_sends_each_device_to_its_screen(db: Database, lobby: Bank) -> None:
    outlet = lobby.unit("OUT-A")
    kiosk, where = paired(db, secret_for(db, outlet, "kiosk"))
    assert where == "/device/kiosk"
    assert kiosk.cookies.get(DEVICE_COOKIE, "").startswith("mdt_")
    page = kiosk.get("/device/kiosk")
    assert page.status_code == 200 and "请选择您要办理的业务" in page.text
    assert kiosk.get("/device").headers["location"] == "/device/kiosk"
    assert kiosk.get("/device/board").status_code == 403  # a kiosk is not a board

    board, where = paired(db, secret_for(db, outlet, "display"))
    assert where == "/device/board" and "正在叫号" in board.get("/device/board").text

    pad_secret = secret_for(db, outlet, "rating_pad", counter=3)
    _, status = paired(db, pad_secret, counter="4")
    assert status == "400"  # the pad belongs to counter 3
    pad, where = paired(db, pad_secret)  # its counter comes with its token
    assert where == "/device/rating/3"
    assert "您对我们的服务满意吗" in pad.get("/device/rating/3").text
    assert pad.get("/device/rating/99").status_code == 403  # not its counter

    _, status = paired(db, "mdt_not-a-token")
    assert status == "400"
    anonymous = make_client(db)
    assert anonymous.get("/device/board").headers["location"] == "/device/pair"


def test_a_paired_browser_needs_the_csrf_token_to_act(db: Database, lobby: Bank) -> None:
    kiosk, _ = paired(db, secret_for(db, lobby.unit("OUT-A"), "kiosk"))
    refused = kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"})
    assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
    token = csrf_of(kiosk, "/device/pair")
    issued = kiosk.post(
        "/device/api/v1/lobby/tickets", json={"service": "A"}, headers={"x-csrf-token": token}
    )
    assert issued.status_code == 201, issued.text


def test_printed_ticket_and_qr_code(db: Database, lobby: Bank) -> None:
    kiosk = device_client(db, lobby.unit("OUT-A"), "kiosk")
    ticket = kiosk.post("/device/api/v1/lobby/tickets", json={"service": "B", "class": "green"})
    token = ticket.json()["token"]
    public = make_client(db)
    for paper in (80, 58):
        view = public.get(f"/t/{token}/print?paper={paper}&autoprint=1")
        assert view.status_code == 200
        assert "B001" in view.text and "绿色通道" in view.text and "<svg" in view.text
        assert f"{paper}mm" in view.text and 'src="/static/js/autoprint.js"' in view.text
    assert public.get(f"/t/{token}/print?paper=72").status_code == 422
    qr = public.get(f"/t/{token}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert public.get("/t/no-such-token/qr.svg").status_code == 404
    status = public.get(f"/t/{token}")
    assert status.status_code == 200 and "B001" in status.text and "等候中" in status.text


def test_the_ticket_s_qr_code_holds_the_public_address(db: Database, lobby: Bank) -> None:
    """With MANYI_PUBLIC_BASE_URL set, the slip's link is one a phone can open."""
    kiosk = device_client(db, lobby.unit("OUT-A"), "kiosk")
    token = kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"}).json()["token"]
    escpos = f"/device/api/v1/lobby/tickets/{token}/escpos"
    assert f"http://testserver/t/{token}".encode() in kiosk.get(escpos).content  # as reached
    configured = make_client(db, public_base_url="https://manyi.example-bank.cn")
    configured.headers["Authorization"] = kiosk.headers["Authorization"]
    raw = configured.get(escpos).content  # the QR code's bytes hold the link
    assert f"https://manyi.example-bank.cn/t/{token}".encode() in raw
    assert b"testserver" not in raw


def test_staff_pages_follow_roles(db: Database, lobby: Bank) -> None:
    teller = staff_client(db, "teller.a")
    console = teller.get("/lobby/console")
    assert console.status_code == 200 and "柜员工作台" in console.text
    assert teller.get("/lobby/dashboard").status_code == 200
    assert teller.get("/lobby/dashboard?outlet=OUT-B").status_code == 404
    head = staff_client(db, "head.a")
    assert head.get("/lobby/console").status_code == 403  # a branch head does not work a counter
    admin = staff_client(db, "admin")  # at head office: chooses an outlet first
    choose = admin.get("/lobby/dashboard")
    assert choose.status_code == 200 and "?outlet=OUT-A" in choose.text
    assert make_client(db).get("/lobby/dashboard").status_code == 303


def test_kiosk_fetches_escpos_bytes_and_the_desk_reprints(
    db: Database, lobby: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    kiosk = device_client(db, lobby.unit("OUT-A"), "kiosk")
    token = kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"}).json()["token"]
    raw = kiosk.get(f"/device/api/v1/lobby/tickets/{token}/escpos?paper=58")
    assert raw.status_code == 200 and raw.headers["content-type"] == "application/octet-stream"
    assert raw.content.startswith(b"\x1b@") and b"A001" in raw.content
    assert "甲网点".encode("gb18030") in raw.content
    assert kiosk.get(f"/device/api/v1/lobby/tickets/{token}/escpos?paper=70").status_code == 422
    board = device_client(db, lobby.unit("OUT-A"), "display")
    assert board.get(f"/device/api/v1/lobby/tickets/{token}/escpos").status_code == 403
    configure(db, lobby.unit("OUT-B"), opens=dt.time(0), closes=None)
    other = device_client(db, lobby.unit("OUT-B"), "kiosk")
    assert other.get(f"/device/api/v1/lobby/tickets/{token}/escpos").status_code == 404

    # The lobby desk reprints the same ticket on a network printer (raw port 9100).
    received = bytearray()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def accept() -> None:
        conn, _ = server.accept()
        with conn:
            while chunk := conn.recv(65536):
                received.extend(chunk)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    get_settings.cache_clear()  # the command reads the settings once per process
    port = server.getsockname()[1]
    result = CliRunner().invoke(
        cli.app,
        # `--` first: a token may start with "-" (token_urlsafe), which would read as an option
        ["lobby", "print", "--printer", f"tcp://127.0.0.1:{port}", "--paper", "58", "--", token],
    )
    thread.join(timeout=5)
    server.close()
    assert result.exit_code == 0, result.output
    assert "A001" in result.output
    assert bytes(received).startswith(b"\x1b@") and b"A001" in received
    bad = CliRunner().invoke(cli.app, ["lobby", "print", "--printer", "lpt1", "--", token])
    assert bad.exit_code == 2 and "--printer" in bad.output
    missing = CliRunner().invoke(cli.app, ["lobby", "print", "nope", "--printer", "none"])
    assert missing.exit_code == 1
    get_settings.cache_clear()


def test_demo_screens_pair_with_the_printed_tokens(db: Database) -> None:
    from manyi import demo

    with db.session() as session:
        assert demo.seed(session).devices_created == 3
    with db.session() as session:
        assert demo.seed(session).devices_created == 0
    for _outlet, kind, _name, secret, _counter in demo.DEMO_DEVICES:
        client, where = paired(db, secret, counter="3")
        assert where.startswith(("/device/kiosk", "/device/board", "/device/rating/3")), kind
        assert client.get(where).status_code == 200

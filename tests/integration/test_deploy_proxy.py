"""manyi behind the nginx site it ships, over HTTPS, as a bank runs it (deploy/, operations.md).

Debian's nginx runs deploy/nginx/manyi.conf itself (only its ports, certificate and log paths
replaced: tests/proxy_server.py) in front of manyi served by uvicorn with the settings of
deploy/manyi.env.example (its secrets, database and directories replaced). The branch's PC is
127.0.0.2; nginx reaches manyi from 127.0.0.1, the one trusted proxy the example names. Through
the proxy: the sign-in page, a kiosk's ticket, a board's event stream that gets that ticket's
event as it happens, and the client address manyi records is the PC's, whatever X-Forwarded-For
the PC sends. Beside it: plain HTTP is sent to HTTPS, and the same header sent to manyi
directly, not through nginx, is ignored.

Servers are started once for the module (a few seconds).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import shutil
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import time_machine
from sqlalchemy import select

from manyi.audit.tables import AuditEvent
from manyi.config import Settings, load_settings
from manyi.db import Database
from manyi.org import device_tokens
from manyi.web.app import create_app
from manyi.web.proxies import parse_networks
from tests.conftest import FIXED_NOW, SYSTEM, Bank
from tests.lobby_helpers import configure
from tests.proxy_server import (
    NGINX,
    ROOT,
    Proxy,
    manyi_serve_options,
    nginx_in_front,
    plug_defaults,
    serve_as_manyi_does,
)

ENV_EXAMPLE = ROOT / "deploy" / "manyi.env.example"
BRANCH_PC = "127.0.0.2"  # the client; nginx reaches manyi from 127.0.0.1
FORGED = "198.51.100.7"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

pytestmark = pytest.mark.skipif(
    not Path(NGINX).exists(), reason="nginx is not installed (make proxy-server)"
)


def example_settings() -> dict[str, str]:
    """deploy/manyi.env.example's variables, without the MANYI_ prefix."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            assert name.startswith("MANYI_"), name
            values[name.removeprefix("MANYI_").lower()] = value
    return values


def production_values(database_url: str, var_dir: Path) -> dict[str, str]:
    """The example's settings with what a bank fills in: keys, its database, its directories."""
    values = example_settings()
    values.update(
        secret_key=secrets.token_urlsafe(48),
        audit_key=secrets.token_urlsafe(48),
        data_key="t1:" + secrets.token_hex(32),
        blind_index_pepper=secrets.token_urlsafe(48),
        database_url=database_url,
        var_dir=str(var_dir),
        audit_anchor_dir=str(var_dir / "anchors"),
    )
    return values


@dataclass(frozen=True)
class Stack:
    proxy: Proxy
    app: str  # manyi itself, not through nginx
    db: Database
    kiosk: dict[str, str]
    board: dict[str, str]

    def client(self, base: str) -> httpx.Client:
        """The branch's PC, trusting the proxy's certificate."""
        trust = ssl.create_default_context(cafile=str(self.proxy.certificate))
        transport = httpx.HTTPTransport(local_address=BRANCH_PC, verify=trust)
        return httpx.Client(base_url=base, transport=transport, timeout=5.0)


@pytest.fixture(scope="module")
def stack(
    _bank_file: tuple[Path, Bank], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    directory = tmp_path_factory.mktemp("deploy")
    database_file = directory / "manyi.sqlite3"
    shutil.copyfile(_bank_file[0], database_file)
    bank = _bank_file[1]
    db = Database(f"sqlite:///{database_file}")
    # The server checks device tokens and stamps events at its own now: a clock that starts at
    # FIXED_NOW, Monday 10:00 in Beijing, and ticks (streams wait in real time).
    with time_machine.travel(FIXED_NOW, tick=True):
        outlet = bank.unit("OUT-A")
        configure(db, outlet, opens=dt.time(0), closes=None)
        tokens = {}
        with db.session() as session:
            for kind in ("kiosk", "display"):
                _, secret = device_tokens.issue_token(
                    session, SYSTEM, outlet_id=outlet, kind=kind, name=kind, valid_days=30
                )
                tokens[kind] = {"Authorization": f"Bearer {secret}"}
        values = production_values(db.url, directory / "var")
        options = manyi_serve_options({f"MANYI_{k.upper()}": v for k, v in values.items()})
        # What the example asks of `manyi serve`; the test's server listens on a free port.
        assert (options["host"], options["port"]) == ("127.0.0.1", 8000)
        assert options["workers"] == int(values["web_workers"]) > 1
        app = create_app(load_settings(**values), db)
        with serve_as_manyi_does(app, options) as port:
            nginx_dir = directory / "nginx"
            nginx_dir.mkdir()
            with nginx_in_front(port, nginx_dir) as proxy:
                yield Stack(
                    proxy, f"http://127.0.0.1:{port}", db, tokens["kiosk"], tokens["display"]
                )
    db.dispose()
    plug_defaults()  # the next module in this process expects the defaults plugged


def events(response: httpx.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    """A Server-Sent Events stream's (event, data), as the lines arrive."""
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if not line:
            if "data" in fields:
                yield fields.get("event", "message"), json.loads(fields["data"])
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


def sign_in_failures(db: Database) -> list[str]:
    """The client address manyi recorded on each failed sign-in, in order."""
    with db.session() as session:
        summaries = session.scalars(
            select(AuditEvent.summary)
            .where(AuditEvent.action == "auth.sign_in_failed")
            .order_by(AuditEvent.seq)
        ).all()
    return [str(json.loads(summary)["client"]) for summary in summaries]


def client_seen(stack: Stack, base: str, **headers: str) -> str:
    """Fail a sign-in from the branch's PC, a new browser; the client address manyi recorded."""
    before = len(sign_in_failures(stack.db))
    with stack.client(base) as http:
        page = http.get("/signin")
        match = CSRF_RE.search(page.text)
        assert match, page.text
        # The session cookie by hand: production marks it Secure, and manyi reached directly
        # (not through nginx) speaks plain HTTP, where a client would not send it back.
        cookie = "; ".join(c.split(";")[0] for c in page.headers.get_list("set-cookie"))
        refused = http.post(
            "/signin",
            data={"username": "nobody", "password": "not-the-password", "csrf_token": match[1]},
            headers={"Cookie": cookie, **headers},
        )
        assert refused.status_code in (400, 401, 403, 200), refused.text
    recorded = sign_in_failures(stack.db)
    assert len(recorded) == before + 1
    return recorded[-1]


def test_the_example_settings_match_the_nginx_site() -> None:
    """What manyi.env.example says is where nginx sends requests, and nginx is trusted."""
    values = example_settings()
    shipped = (ROOT / "deploy" / "nginx" / "manyi.conf").read_text()
    assert f"server {values['host']}:{values['port']};" in shipped
    # nginx on the same server reaches manyi from the loopback address.
    assert any(
        network.version == 4 and network.network_address.is_loopback
        for network in parse_networks(values["trusted_proxies"])
    )
    # Every variable is one manyi knows (a misspelt one would be ignored silently).
    assert set(values) <= set(Settings.model_fields)


def test_a_page_over_https_and_plain_http_sent_to_it(stack: Stack) -> None:
    with stack.client(stack.proxy.https) as http:
        page = http.get("/signin")
        assert page.status_code == 200
        assert page.http_version == "HTTP/1.1"
        assert 'name="csrf_token"' in page.text
        assert page.headers["strict-transport-security"] == "max-age=31536000"
        assert "script-src 'self'" in page.headers["content-security-policy"]  # manyi's own
        # Production: the session cookie is only ever sent back over HTTPS.
        assert "secure" in page.headers["set-cookie"].lower()
    with stack.client(stack.proxy.http) as plain:
        moved = plain.get("/signin?next=/lobby")
        assert moved.status_code == 301
        assert moved.headers["location"] == "https://127.0.0.1/signin?next=/lobby"


def test_a_board_gets_a_kiosk_ticket_as_it_is_issued(stack: Stack) -> None:
    with (
        stack.client(stack.proxy.https) as board,
        stack.client(stack.proxy.https) as kiosk,
        board.stream("GET", "/device/api/v1/lobby/events", headers=stack.board) as stream,
    ):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        received = events(stream)
        assert next(received)[0] == "hello"
        ticket = kiosk.post(
            "/device/api/v1/lobby/tickets", json={"service": "A"}, headers=stack.kiosk
        )
        assert ticket.status_code == 201, ticket.text
        number = ticket.json()["number"]
        # The stream's read times out after 5 s, far short of nginx's buffer filling: an
        # event that arrives at all was not held back.
        kind, data = next(received)
        assert (kind, data["number"]) == ("lobby", number)


def test_manyi_sees_the_client_not_the_proxy_and_no_forged_header(stack: Stack) -> None:
    assert client_seen(stack, stack.proxy.https) == BRANCH_PC
    # A header the PC makes up is kept on the left by nginx, and manyi reads from the right.
    assert client_seen(stack, stack.proxy.https, **{"X-Forwarded-For": FORGED}) == BRANCH_PC
    # Around nginx, to manyi itself: the header does not come from a trusted proxy.
    assert client_seen(stack, stack.app, **{"X-Forwarded-For": FORGED}) == BRANCH_PC

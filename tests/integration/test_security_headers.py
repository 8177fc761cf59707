"""Every response carries the security headers; no page holds an inline script (issue 16 #6)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from manyi.db import Database
from manyi.web.headers import HEADERS
from tests.conftest import PASSWORD, Bank
from tests.web_helpers import make_client, sign_in

pytestmark = pytest.mark.usefixtures("frozen_clock")
SRC = Path(__file__).resolve().parents[2] / "src" / "manyi"


def test_every_kind_of_response_carries_the_headers(db: Database, bank: Bank) -> None:
    client = make_client(db)
    sign_in(client, "admin", PASSWORD)
    for path in ("/", "/signin", "/api/v1/units", "/static/css/tokens.css", "/nowhere", "/docs"):
        response = client.get(path)
        for name, value in HEADERS.items():
            assert response.headers.get(name) == value, (path, name)
    policy = HEADERS["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    assert "frame-ancestors 'self'" in policy


def test_no_template_holds_an_inline_script_or_handler() -> None:
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>")
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.html")
        if inline.search(path.read_text(encoding="utf-8"))
        or handler.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []

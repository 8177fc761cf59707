"""Helpers for driving the app through its HTTP interface."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from manyi.config import load_settings
from manyi.db import Database
from manyi.web.app import create_app

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_client(database: Database, **settings: object) -> TestClient:
    app = create_app(
        load_settings(
            database_url=database.url, secret_key="test-secret-key-" + "x" * 32, **settings
        ),
        database,
    )
    return TestClient(app, follow_redirects=False)


def csrf_of(client: TestClient, path: str = "/signin") -> str:
    page = client.get(path)
    match = CSRF_RE.search(page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str) -> None:
    token = csrf_of(client)
    response = client.post(
        "/signin", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text


def signed_in_client(database: Database, persona: str, password: str) -> TestClient:
    client = make_client(database)
    sign_in(client, persona.replace("_", "."), password)
    return client

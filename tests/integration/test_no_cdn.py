"""Banks' intranets have no internet: every asset is served by manyi."""

from __future__ import annotations

import re
from pathlib import Path

from manyi.db import Database
from tests.web_helpers import make_client

SRC = Path(__file__).resolve().parents[2] / "src" / "manyi"
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)


def test_templates_load_nothing_from_outside() -> None:
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.html")
        if EXTERNAL.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders
    for css in (SRC / "web" / "static" / "css").glob("*.css"):
        assert "url(http" not in css.read_text(encoding="utf-8")
        assert "@import" not in css.read_text(encoding="utf-8")


def test_api_docs_use_local_assets(db: Database) -> None:
    client = make_client(db)
    page = client.get("/docs").text
    assets = re.findall(r"""(?:src|href)="([^"]+)\"""", page)
    assert assets and all(a.startswith("/static/") for a in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert client.get("/openapi.json").json()["info"]["title"].startswith("manyi")

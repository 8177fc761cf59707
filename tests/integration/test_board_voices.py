"""The board's voices through the lobby configuration API, on both engines: saved, read back,
given to the board's page, and refused with the field named when out of range."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from manyi.db import Database
from tests.conftest import Bank
from tests.lobby_helpers import configure
from tests.web_helpers import device_client, staff_client

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def lobby(db: Database, bank: Bank) -> Bank:
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    return bank


def test_voices_are_configured_and_reach_the_board(db: Database, lobby: Bank) -> None:
    head = staff_client(db, "head.a")
    config = head.get("/api/v1/lobby/outlets/OUT-A/config").json()
    settings = config["settings"]
    assert (settings["announce_en"], settings["announce_dialect"]) == (False, "")
    assert (settings["speech_rate_pct"], settings["call_hold_s"]) == (90, 10)

    del config["outlet"], settings["timezone"]
    settings.update(announce_en=True, announce_dialect="zh-HK", speech_rate_pct=70, call_hold_s=15)
    saved = head.put("/api/v1/lobby/outlets/OUT-A/config", json=config)
    assert saved.status_code == 200, saved.text
    again = head.get("/api/v1/lobby/outlets/OUT-A/config").json()["settings"]
    assert again["announce_en"] is True
    assert again["announce_dialect"] == "zh-HK"
    assert (again["speech_rate_pct"], again["call_hold_s"]) == (70, 15)

    board = device_client(db, lobby.unit("OUT-A"), "display")
    page = board.get("/device/board")
    assert page.status_code == 200
    found = re.search(r'<script type="application/json" id="config">(.*?)</script>', page.text)
    assert found is not None
    board_config = json.loads(found.group(1))
    assert board_config["voices"] == {"en": True, "dialect": "zh-HK", "rate": 0.7}
    assert board_config["hold_ms"] == 15_000

    for change, field in (
        ({"speech_rate_pct": 40}, "settings.speech_rate_pct"),
        ({"call_hold_s": 2}, "settings.call_hold_s"),
        ({"announce_dialect": "zh-CN"}, "settings.announce_dialect"),
    ):
        bad = {**config, "settings": {**settings, **change}}
        response = head.put("/api/v1/lobby/outlets/OUT-A/config", json=bad)
        assert response.status_code == 422, (change, response.text)
        assert response.json()["field"] == field
    assert head.get("/api/v1/lobby/outlets/OUT-A/config").json()["settings"] == again

"""The observability settings, the request id's sanity check, a JSON log line, the route label,
and what `manyi serve` prepares for several processes."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.routing import Mount, Route

from manyi import cli, dbops, log_lines, request_ids
from manyi.audit.chain import sealed_text
from manyi.config import SettingsError, get_settings, load_settings
from manyi.lobby.web.device_lane import DeviceLane
from manyi.observe.metrics import MULTIPROC_ENV
from manyi.observe.middleware import route_label
from tests.clock import FIXED_NOW


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"metrics_allow": "10.0.0.0/8, monitoring-host"}, "MANYI_METRICS_ALLOW"),
        ({"metrics_allow": "0.0.0.0/0"}, "MANYI_METRICS_ALLOW"),
        ({"log_format": "xml"}, "MANYI_LOG_FORMAT"),
        ({"metrics_gauges": "teller"}, "MANYI_METRICS_GAUGES"),
        ({"tracing": "jaeger"}, "MANYI_TRACING"),
    ],
)
def test_a_bad_setting_names_its_variable(overrides: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings(**overrides)


def test_settings_defaults_and_spelling() -> None:
    settings = load_settings(log_format="JSON", metrics_gauges=" Tier1 ")
    assert (settings.log_format, settings.metrics_gauges) == ("json", "tier1")
    defaults = load_settings()
    assert defaults.metrics_allow == "127.0.0.1/32,::1/128"
    assert (defaults.log_format, defaults.tracing) == ("text", "off")


@pytest.mark.parametrize(
    "incoming",
    ["nginx-0123456789abcdef", "5f0c2b9e-3c1d-4a5e-9b7f-0e1d2c3b4a59", "trace:00f067aa0ba902b7"],
)
def test_a_sane_incoming_id_is_kept(incoming: str) -> None:
    assert request_ids.adopt(incoming) == incoming


@pytest.mark.parametrize(
    "incoming", [None, "", "short", "x" * 65, "two words here", "id\nforged line", '"quoted"']
)
def test_anything_else_gets_a_new_id(incoming: str | None) -> None:
    made = request_ids.adopt(incoming)
    assert made != incoming and len(made) == 32 and made.isalnum()


def test_a_json_line_has_the_request_id_and_the_fields() -> None:
    record = logging.LogRecord("manyi.access", logging.INFO, __file__, 1, "GET %s", ("/x",), None)
    record.fields = {"route": "/x/{id}", "status": 200, "message": "not overwritten"}
    token = request_ids.set_current("req-0123456789")
    try:
        line = json.loads(log_lines.formatter("json").format(record))
    finally:
        request_ids.reset(token)
    assert line["request_id"] == "req-0123456789" and line["message"] == "GET /x"
    assert (line["route"], line["status"], line["level"]) == ("/x/{id}", 200, "INFO")
    assert "request_id" not in json.loads(log_lines.formatter("json").format(record))


def test_the_route_label_is_the_template() -> None:
    route = Route("/complaints/{case_id}", endpoint=lambda request: None)
    assert route_label({"route": route, "path": "/complaints/42"}) == "/complaints/{case_id}"
    assert route_label({"path": "/wp-admin"}) == "unmatched"
    static = Mount("/static", routes=[])
    assert route_label({"route": static, "path": "/static/app.css"}) == "/static/{path}"
    lane = DeviceLane(Route("/", endpoint=lambda request: None), handlers={})
    pad = "/device/api/v1/lobby/counters/12/call-next"
    assert (
        route_label({"route": lane, "path": pad})
        == "/device/api/v1/lobby/counters/{number}/call-next"
    )
    kiosk = "/device/api/v1/lobby/tickets"
    assert route_label({"route": lane, "path": kiosk}) == kiosk


def test_serve_with_workers_counts_into_an_emptied_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`manyi serve --workers 2` (uvicorn itself replaced): the metrics directory under
    MANYI_VAR_DIR, emptied, in the environment the workers inherit; JSON logs take over
    uvicorn's logging and access lines."""
    runs: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: runs.append(kwargs))
    # No database here: the schema check `serve` makes first is test_db_upgrade_path's.
    monkeypatch.setattr(dbops, "require_current", lambda url: None)
    for name, value in (("MANYI_VAR_DIR", str(tmp_path)), ("MANYI_LOG_FORMAT", "json")):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MANYI_WEB_WORKERS", "1")  # serve sets it: put back afterwards
    monkeypatch.setenv(MULTIPROC_ENV, "")  # serve sets it too: removed afterwards
    monkeypatch.delenv(MULTIPROC_ENV)
    httpx_level = logging.getLogger("httpx").level
    stale = tmp_path / "metrics" / "counter_4242.db"
    stale.parent.mkdir()
    stale.write_bytes(b"an earlier run's counts")
    get_settings.cache_clear()
    try:
        cli.serve(host=None, port=None, reload=False, workers=2)
    finally:
        get_settings.cache_clear()
        logging.getLogger("httpx").setLevel(httpx_level)
    assert os.environ[MULTIPROC_ENV] == str(tmp_path / "metrics") and not stale.exists()
    (run,) = runs
    assert (run["workers"], run["log_config"], run["access_log"]) == (2, None, False)


def test_the_request_id_is_sealed_only_when_there_is_one() -> None:
    """Rows without one keep the text they were sealed with before migration 0055; adding,
    changing or blanking a row's id changes the text its seal covers."""
    fields: dict[str, Any] = {
        "seq": 1,
        "occurred_at": FIXED_NOW,
        "actor_id": None,
        "actor": "system",
        "unit_id": None,
        "unit_path": "",
        "entity_type": "unit",
        "entity_id": "1",
        "action": "unit.created",
        "summary": "{}",
        "prev_hash": "0" * 64,
        "key_id": "k1",
    }
    before = sealed_text(**fields)
    assert sealed_text(**fields, request_id="") == before
    stamped = sealed_text(**fields, request_id="nginx-0123456789abcdef")
    assert stamped != before
    assert stamped != sealed_text(**fields, request_id="nginx-0123456789abcdeF")

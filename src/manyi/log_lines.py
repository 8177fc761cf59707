"""Log lines as text (the default) or as one JSON object each (`MANYI_LOG_FORMAT=json`).

A JSON line has `time` (UTC, ISO 8601), `level`, `logger`, `message`, the `request_id` of the
request it was written for (the one in the `X-Request-ID` header and on the audit event), and
the fields a record carries in `extra={"fields": {...}}` — the access line's method, route,
status and duration (`manyi.observe.middleware`). Only what the code put in the message and
those fields is written: never a request's body, query string or headers (personal data and
PINs travel there), which is what tests/integration/test_json_logs.py and the PIN trace
test check.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from manyi import request_ids

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FIELDS = "fields"  # the attribute of a log record holding its structured fields


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_ids.current()
        if request_id:
            line["request_id"] = request_id
        fields = getattr(record, FIELDS, None)
        if isinstance(fields, dict):
            line.update({k: v for k, v in fields.items() if k not in line})
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure(level: str, log_format: str) -> None:
    """Set up the root logger for a process (the web app, the worker, `manyi serve`).

    Does nothing when logging is already set up (by a test runner, say)."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=level, handlers=[handler])
    if level != "DEBUG":
        # httpx writes every URL it requests at INFO, query string and all: the WeChat API's
        # access token travels there (manyi.reach). Its warnings and errors still come through.
        logging.getLogger("httpx").setLevel(logging.WARNING)

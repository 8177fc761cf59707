"""Entry point for uvicorn: builds the app from the environment."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from manyi import dbops
from manyi import log_lines as logs
from manyi.config import get_settings
from manyi.web.app import create_app

log = logging.getLogger("manyi.web")


def create() -> FastAPI:
    settings = get_settings()
    logs.configure(settings.log_level, settings.log_format)
    # Every process of `manyi serve` (and uvicorn started by other means) checks the schema: a
    # server on an older or a newer schema would fail request by request, or write rows that
    # the other version misreads. `manyi serve` has said why already when it refuses.
    try:
        dbops.require_current(settings.database_url)
    except (dbops.SchemaMismatch, dbops.SchemaUnreadable) as exc:
        log.critical("%s", exc)
        raise SystemExit(3) from None
    return create_app(settings)

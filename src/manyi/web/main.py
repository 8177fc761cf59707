"""Entry point for uvicorn: builds the app from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from manyi import log_lines as logs
from manyi.config import get_settings
from manyi.web.app import create_app


def create() -> FastAPI:
    settings = get_settings()
    logs.configure(settings.log_level, settings.log_format)
    return create_app(settings)

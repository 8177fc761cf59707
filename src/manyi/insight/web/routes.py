"""All of complaint intelligence's pages, one router for the application to include."""

from __future__ import annotations

from fastapi import APIRouter

from manyi.insight.web import alerts, categories, tracker

router = APIRouter(include_in_schema=False)
router.include_router(categories.router)  # before the tracker's /insight/issues/{code}
router.include_router(tracker.router)
router.include_router(alerts.router)

"""Supervision's staff and public pages, gathered. Each part adds its router here."""

from __future__ import annotations

from fastapi import APIRouter


def build_router() -> APIRouter:
    from manyi.supervision.web import stars

    router = APIRouter(include_in_schema=False)
    router.include_router(stars.router)  # service stars (sup-stars)
    return router


router = build_router()

"""Supervision's staff and public pages, gathered. Each part adds its router here."""

from __future__ import annotations

from fastapi import APIRouter


def build_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    return router


router = build_router()

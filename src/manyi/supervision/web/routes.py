"""Supervision's staff and public pages, gathered. Each part adds its router here."""

from __future__ import annotations

from fastapi import APIRouter

from manyi.supervision.web import mystery_pages, plans, remote, shopper


def build_router() -> APIRouter:
    from manyi.supervision.web import inspection_pages, scorecard_page, standards_page

    router = APIRouter(include_in_schema=False)
    # Inspections: the results page first, so /export.xlsx is not read as a visit id.
    router.include_router(inspection_pages.router)
    router.include_router(scorecard_page.router)
    router.include_router(standards_page.router)
    # Inspection plans: scheduled plans, spot checks, mystery shopping, remote checks.
    router.include_router(plans.router)
    router.include_router(mystery_pages.router)
    router.include_router(remote.router)
    router.include_router(shopper.router)
    return router


router = build_router()

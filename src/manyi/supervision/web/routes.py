"""Supervision's staff and public pages, gathered. Each part adds its router here."""

from __future__ import annotations

from fastapi import APIRouter


def build_router() -> APIRouter:
    from manyi.supervision.web import (
        bulletin_pages,
        inspection_pages,
        misconduct_pages,
        mystery_pages,
        plans,
        rectification,
        rectification_new,
        rectification_task,
        remote,
        scorecard_page,
        shopper,
        standards_page,
        stars,
    )

    router = APIRouter(include_in_schema=False)
    router.include_router(rectification.router)
    router.include_router(rectification_new.router)
    router.include_router(rectification_task.router)
    # The bulletin form's path is longer than the case page's: it goes first.
    router.include_router(bulletin_pages.router)
    router.include_router(misconduct_pages.router)
    # Inspections: the results page first, so /export.xlsx is not read as a visit id.
    router.include_router(inspection_pages.router)
    router.include_router(scorecard_page.router)
    router.include_router(standards_page.router)
    # Inspection plans: scheduled plans, spot checks, mystery shopping, remote checks.
    router.include_router(plans.router)
    router.include_router(mystery_pages.router)
    router.include_router(remote.router)
    router.include_router(shopper.router)
    router.include_router(stars.router)  # service stars
    return router


router = build_router()

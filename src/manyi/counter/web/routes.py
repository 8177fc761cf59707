"""The counter's staff pages, gathered: the teller's bundles (views_teller), the supervisors'
authorisations (views_authorise), the catalogue editor (views_catalogue) and the measures
(views_measures). Fixed paths come before `/counter/bundles/{reference}`-style ones inside
each module."""

from __future__ import annotations

from fastapi import APIRouter


def build_router() -> APIRouter:
    from manyi.counter.web.authorisations import router as authorise_router
    from manyi.counter.web.catalogue import router as catalogue_router
    from manyi.counter.web.fill import router as fill_router
    from manyi.counter.web.finish import router as finish_router
    from manyi.counter.web.measures import router as measures_router
    from manyi.counter.web.teller import router as teller_router

    router = APIRouter(include_in_schema=False)
    router.include_router(authorise_router)
    router.include_router(catalogue_router)
    router.include_router(measures_router)
    router.include_router(teller_router)
    router.include_router(finish_router)
    router.include_router(fill_router)
    return router


router = build_router()

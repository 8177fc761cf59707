"""The organisation's admin pages (/admin): units (`units`), staff (`staff`) and device
tokens (`devices`), thin: parse, call the org services, render. `forms` holds what their
forms share. `router` gathers the three; the application includes it.
"""

from fastapi import APIRouter

from manyi.org.web.devices import router as devices_router
from manyi.org.web.staff import router as staff_router
from manyi.org.web.units import router as units_router

router = APIRouter(include_in_schema=False)
router.include_router(units_router)
router.include_router(staff_router)
router.include_router(devices_router)

__all__ = ["router"]

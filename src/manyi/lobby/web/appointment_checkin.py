"""The kiosk's appointment check-in (预约签到): the code typed on the keypad or scanned from the
customer's QR goes to whoever offers appointments (`ports.AppointmentCheckInPort`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from manyi.db import Session, utcnow
from manyi.errors import Forbidden
from manyi.lobby import ports
from manyi.org.device_tokens import DeviceKind
from manyi.org.tables import DeviceToken
from manyi.web.security import device, in_unit_of_work

router = APIRouter(tags=["lobby"])


class CheckInIn(BaseModel):
    code: str = Field(
        min_length=1, max_length=64, description="the check-in code, or the QR's text"
    )


@router.post(
    "/device/api/v1/lobby/appointments/check-in",
    summary="Kiosk: check in an appointment by its code; issues its ticket",
)
async def kiosk_check_in(
    body: CheckInIn, request: Request, token: DeviceToken = device()
) -> JSONResponse:
    if token.kind != DeviceKind.KIOSK.value:
        raise Forbidden("only a kiosk issues tickets", "device")
    outlet_id = token.outlet_id

    def work(session: Session) -> dict[str, Any]:
        done = ports.appointment_check_in().check_in(session, outlet_id, body.code, utcnow())
        return {
            "number": done.number,
            "service": done.service_code,
            "late": done.late,
            "slot_start": done.slot_start.isoformat(),
            "status_path": f"/t/{done.public_token}",
        }

    return JSONResponse(await in_unit_of_work(request, work), status_code=201)

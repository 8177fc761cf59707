"""What special needs from features it does not import, plugged by the composition roots.

Customer reach keeps the family's number and sends the "visit scheduled" message
(`FamilyMessagePort`); quality invites the customer to the follow-up survey after a closed
visit (`SurveyPort`, trigger "visit"). Special imports neither: `manyi.web.wiring.plug_features()`
and `manyi.cli` register adapters over reach's and quality's own services. Unplugged, the
number is not kept (the request is refused if one is given) and no survey is sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Protocol

from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import InvalidInput


class FamilyMessagePort(Protocol):
    def remember(
        self, session: Session, actor: audit.Actor, phone: str, now: dt.datetime
    ) -> tuple[int, str]:
        """The contact id of this mobile number, with the family's consent to visit messages
        recorded (source "visit"); and the number masked for pages. Refuses a bad number
        with `InvalidInput` on field "phone"."""
        ...

    def tell_scheduled(
        self,
        session: Session,
        contact_id: int,
        params: Mapping[str, str],
        now: dt.datetime,
        *,
        unit_id: int,
        dedupe_key: str,
    ) -> str:
        """Send "two staff will visit on …" (reach's VISIT_SCHEDULED); returns the outcome
        state ("pending", "suppressed", "no_consent", …)."""
        ...

    def masked(self, session: Session, contact_id: int) -> str: ...


class SurveyPort(Protocol):
    def invite(
        self,
        session: Session,
        visit_id: int,
        outlet_id: int,
        unit_path: str,
        staff_id: int | None,
        contact_id: int | None,
        now: dt.datetime,
    ) -> bool:
        """Invite the customer to the "visit" survey; False when not invited (sampled out,
        already invited, quiet period)."""
        ...


class _NoMessages:
    def remember(
        self, session: Session, actor: audit.Actor, phone: str, now: dt.datetime
    ) -> tuple[int, str]:
        raise InvalidInput("customer messages are not available here", "phone")

    def tell_scheduled(
        self,
        session: Session,
        contact_id: int,
        params: Mapping[str, str],
        now: dt.datetime,
        *,
        unit_id: int,
        dedupe_key: str,
    ) -> str:
        return "no_gateway"

    def masked(self, session: Session, contact_id: int) -> str:
        return ""


class _NoSurveys:
    def invite(
        self,
        session: Session,
        visit_id: int,
        outlet_id: int,
        unit_path: str,
        staff_id: int | None,
        contact_id: int | None,
        now: dt.datetime,
    ) -> bool:
        return False


_messages: FamilyMessagePort = _NoMessages()
_surveys: SurveyPort = _NoSurveys()


def register_messages(port: FamilyMessagePort) -> None:
    global _messages
    _messages = port


def register_surveys(port: SurveyPort) -> None:
    global _surveys
    _surveys = port


def messages() -> FamilyMessagePort:
    return _messages


def surveys() -> SurveyPort:
    return _surveys

"""Quality behind the lobby's survey port (`lobby.ports.SurveyPort`), registered by the
application (`manyi.web.wiring.plug_features`).

A ticket completed as served is invited at once (the same rules as the worker's scan:
`surveys.invite`), so the customer's status page shows "请评价本次服务" right away and the rating
pad can show the link as a QR code after its one question.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.lobby import ports
from manyi.lobby.tables import LobbyTicket
from manyi.org.tables import Unit
from manyi.quality import surveys
from manyi.quality.survey_scan import ticket_visit_key


class SurveyAdapter:
    def __init__(self, expiry_days: int) -> None:
        self.expiry_days = expiry_days

    def _ticket(self, session: Session, ticket_id: int) -> surveys.Visit | None:
        found = session.execute(
            select(
                LobbyTicket.outlet_id,
                LobbyTicket.local_day,
                LobbyTicket.number,
                LobbyTicket.teller_id,
                LobbyTicket.service_code,
                Unit.path,
            )
            .join(Unit, Unit.id == LobbyTicket.outlet_id)
            .where(LobbyTicket.id == ticket_id)
        ).one_or_none()
        if found is None:
            return None
        return surveys.Visit(
            "ticket",
            ticket_visit_key(found.outlet_id, found.local_day, found.number),
            found.outlet_id,
            found.path,
            found.teller_id,
            found.service_code,
        )

    def ticket_served(
        self, session: Session, served: ports.ServedTicket, now: dt.datetime
    ) -> ports.Write | None:
        """The invitation, if the visit is sampled, for the lobby to send with its rating
        prompt (a ticket's visit has no known customer to message: nothing needs its id)."""
        visit = surveys.Visit(
            "ticket",
            ticket_visit_key(served.outlet_id, served.local_day, served.number),
            served.outlet_id,
            served.outlet_path,
            served.teller_id,
            served.service_code,
        )
        found = surveys.invitation_insert(session, visit, now, self.expiry_days)
        return None if found is None else ports.Write(*found)

    def survey_path(
        self, session: Session, outlet_id: int, ticket_id: int, now: dt.datetime
    ) -> str | None:
        visit = self._ticket(session, ticket_id)
        token = None if visit is None else surveys.link_token(session, visit.visit_key, now)
        return None if token is None else f"/s/{token}"


def register(expiry_days: int = 7) -> None:
    ports.register_surveys(SurveyAdapter(expiry_days))

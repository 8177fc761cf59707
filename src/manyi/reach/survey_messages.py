"""Survey invitations as customer messages: reach's side of quality's `CustomerMessagePort`.

Quality knows the customer only by a key (a blind index); reach finds the contact that key
belongs to, and sends the invitation's link if the customer consented to surveys. Quality's
own rules (sampling, the quiet period per customer) have already chosen to invite; reach adds
its own (consent, quiet hours: an invitation created in the evening goes in the morning, the
per-number rate limit). Without a public address for manyi (MANYI_PUBLIC_BASE_URL) a link in a
text message could not be opened, so nothing is sent.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from manyi.reach import contacts, messages
from manyi.reach.domain.messages import Kind


class SurveyMessages:
    def __init__(self, zone: dt.tzinfo, public_base_url: str) -> None:
        self.zone = zone
        self.base = public_base_url.rstrip("/")

    def survey_invitation(
        self,
        session: Session,
        invitation_id: int,
        customer_key: str,
        trigger: str,
        path: str,
        outlet_id: int,
        now: dt.datetime,
    ) -> bool:
        if not self.base:
            return False
        link = self.base + path
        outcome = messages.send(
            session,
            contacts.find(session, customer_key),
            Kind.SURVEY_INVITATION,
            {"link": link},
            now,
            self.zone,
            unit_id=outlet_id,
            link=link,
            dedupe_key=f"survey:{invitation_id}",
        )
        return outcome.message_id is not None and outcome.state == "pending"

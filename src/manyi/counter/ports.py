"""What the counter asks of other features, as ports filled at start-up by the application
(`manyi.web.wiring.plug_features`); the counter imports no other business feature.

`SurveyLinkPort`: the link of the visit's satisfaction survey (quality), drawn on the e-voucher
as a QR code. Without an adapter (or without the address phones reach manyi at), no QR.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy.orm import Session


class SurveyLinkPort(Protocol):
    def bundle_survey_url(self, session: Session, bundle_id: int, now: dt.datetime) -> str | None:
        """The full URL of the survey for this bundle's visit (invited now if due), or None."""


class _NoSurveys:
    def bundle_survey_url(self, session: Session, bundle_id: int, now: dt.datetime) -> str | None:
        return None


_survey_links: SurveyLinkPort = _NoSurveys()


def register_survey_links(adapter: SurveyLinkPort) -> None:
    global _survey_links
    _survey_links = adapter


def survey_links() -> SurveyLinkPort:
    return _survey_links

"""Quality behind the counter's survey port (`counter.ports.SurveyLinkPort`, matched by shape:
quality imports nothing of the counter), registered by the application.

When the e-voucher is issued, the bundle's visit is invited (the same rules as the worker's
scan: one per visit, sampled, quiet period) and the voucher carries its link as a QR code. The
link needs the address phones reach manyi at (`MANYI_PUBLIC_BASE_URL`): without it, no QR.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from manyi.quality import surveys
from manyi.quality.survey_scan import bundle_visit


class BundleSurveys:
    def __init__(self, expiry_days: int, public_base_url: str) -> None:
        self.expiry_days = expiry_days
        self.base = public_base_url.rstrip("/")

    def bundle_survey_url(self, session: Session, bundle_id: int, now: dt.datetime) -> str | None:
        if not self.base:
            return None
        visit = bundle_visit(session, bundle_id)
        if visit is None:
            return None
        surveys.invite(session, visit, now, self.expiry_days)
        token = surveys.link_token(session, visit.visit_key, now)
        return None if token is None else f"{self.base}/s/{token}?via=voucher"

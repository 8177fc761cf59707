"""What complaint intelligence plugs into complaints' classification port: suggestions on new
complaints and on the case page, staff's decisions on them, and the prominent-issue categories
for the classify form. Registered by the composition roots (`manyi.web.app.plug_features`,
`manyi.cli`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from manyi.complaints import ports
from manyi.complaints.tables import Complaint
from manyi.insight import issues, suggestions


class Classification:
    def issue_categories(self, session: Session, lang: str) -> list[tuple[str, str]]:
        return [(c.code, c.name(lang)) for c in issues.categories(session)]

    def after_registered(self, session: Session, complaint_id: int, now: dt.datetime) -> None:
        suggestions.after_registered(session, complaint_id, now)

    def for_case(self, session: Session, complaint_id: int) -> ports.CaseSuggestions:
        complaint = session.get(Complaint, complaint_id)
        rows = suggestions.of_case(session, complaint_id)
        if complaint is None:
            return ports.CaseSuggestions()
        return ports.CaseSuggestions(
            suggestions=tuple(
                ports.Suggestion(
                    target=r.target,
                    value=r.value,
                    confidence=r.confidence,
                    model_version=r.model_version,
                    outcome=r.outcome,
                )
                for r in rows
            ),
            machine_made=suggestions.machine_made(complaint, rows),
            problems=tuple(suggestions.problems(session)),
        )

    def classified(
        self,
        session: Session,
        complaint_id: int,
        values: dict[str, str | None],
        staff_id: int | None,
        now: dt.datetime,
    ) -> None:
        suggestions.staff_classified(session, complaint_id, values, staff_id, now)


def register() -> None:
    ports.register_classification(Classification())

"""What complaint intelligence plugs into complaints' classification port: suggestions on new
complaints and on the case page, staff's decisions on them, and the prominent-issue categories
for the classify form. Registered by the composition roots (`manyi.web.wiring.plug_features`,
`manyi.cli`)."""

from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy.orm import Session

from manyi.complaints import ports
from manyi.complaints.tables import Complaint
from manyi.insight import issues, model_store, opinions, suggestions

log = logging.getLogger(__name__)


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


def warm_up() -> None:
    """Import the classifier and load jieba's dictionary now, so the first complaint registered
    in this process does not wait for them (seconds) while it holds its write transaction."""
    try:
        from manyi.insight.domain import classifier, text_features

        del classifier  # imported: numpy, scipy, scikit-learn are loaded
        text_features.words("预热分词词典")  # jieba reads its dictionary
    except Exception:  # a warm-up is a help; the first suggestion loads them anyway
        log.exception("classifier warm-up failed")


# An opinion's fields and the classifier's targets (the product is not asked of an opinion).
_OPINION_FIELDS = {
    "business": "business_code",
    "cause": "cause_code",
    "appeal": "appeal_code",
    "issue": "issue_code",
}


class OpinionSuggestions:
    """Opinions and suggestions are classified like complaints: the active models' best guess for
    each field, shown on the opinion's page, never applied or stored."""

    def suggest(self, session: Session, text: str) -> dict[str, tuple[str, float]]:
        found: dict[str, tuple[str, float]] = {}
        for target, loaded in model_store.load_all(session).items():
            field = _OPINION_FIELDS.get(target)
            if field is None or not isinstance(loaded, model_store.Loaded):
                continue
            best = loaded.model.predict([text])[0]
            found[field] = (best.label, best.confidence)
        return found


def register(*, warm: bool = False) -> None:
    """Plug the classifier into complaints (and opinions); `warm` loads its libraries in the
    background (a production web process, which should not make its first complainant wait)."""
    ports.register_classification(Classification())
    opinions.register_suggester(OpinionSuggestions())
    if warm:
        threading.Thread(target=warm_up, name="classifier-warm-up", daemon=True).start()

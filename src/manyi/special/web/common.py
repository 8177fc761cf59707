"""What the visit pages share: who acts, the words of places, needs and reasons, rendering."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from manyi.db import Session
from manyi.errors import ManyiError
from manyi.special import queries
from manyi.special.access import Who
from manyi.special.domain.eligibility import default_rules
from manyi.special.tables import SpecialVisit
from manyi.web.i18n import request_language, translator
from manyi.web.security import Principal
from manyi.web.templating import render


def who_of(principal: Principal) -> Who:
    return Who(
        principal.id,
        principal.display_name,
        principal.unit_id,
        principal.unit_path,
        principal.permissions,
    )


def words(request: Request) -> dict[str, Any]:
    """Labels of places, needs and reasons in the page's language, and the rules."""
    lang = request_language(request)
    rules = default_rules()
    return {
        "rules": rules,
        "places": {c: rules.label("place", c, lang) for c in rules.places},
        "needs": {c: rules.label("need", c, lang) for c in rules.needs},
        "reasons": {c: rules.label("reason", c, lang) for c in rules.reasons},
    }


def error_of(request: Request, exc: ManyiError) -> dict[str, Any]:
    _ = translator(request_language(request))
    return {"error": exc.text(_), "field": exc.field}


def visit_page(
    request: Request,
    session: Session,
    visit: SpecialVisit,
    template: str,
    status: int = 200,
    **extra: Any,
) -> Response:
    _ = translator(request_language(request))
    context: dict[str, Any] = {
        "title": _("Visit {reference}").format(reference=visit.reference),
        "d": queries.detail(session, visit),
        "error": "",
        "field": "",
        **words(request),
    }
    context.update(extra)
    return render(request, template, context, status)

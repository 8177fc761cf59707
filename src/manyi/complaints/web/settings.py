"""Complaint settings (投诉设置): categories per axis, deadline policies, the expert roster.

Categories and deadline policies are bank-wide: every administrator may read them, head-office
administrators change them (the services refuse anyone else, 403). A category takes effect at
once; a deadline-policy change is proposed and takes effect when a different head-office
administrator approves it (maker-checker). The expert roster is each administrator's own scope.
Changes here are recorded on the audit chain like every other configuration change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.approvals.domain import parse_decision
from manyi.complaints import categories, clock, experts, policy_store
from manyi.complaints.access import Caller
from manyi.complaints.domain.policies import DayCount, DeadlinePolicy
from manyi.complaints.domain.taxonomy import Axis
from manyi.complaints.web import settings_changes
from manyi.complaints.web.common import (
    caller_of,
    category_label,
    category_options,
    error_text,
    page,
)
from manyi.db import Session
from manyi.errors import InvalidInput, ManyiError
from manyi.org.model import Permission, UnitLevel
from manyi.parsing import ascii_int
from manyi.web.i18n import Translate, request_language, translator
from manyi.web.security import DbSession, Principal, require

router = APIRouter(prefix="/complaints", include_in_schema=False)


# --- Settings -----------------------------------------------------------------------------

SETTINGS_TABS = ("categories", "policies", "experts")


def policy_in_words(policy: DeadlinePolicy, close_after_days: int, _: Translate) -> list[str]:
    """A deadline policy as a handler would explain it."""
    unit = _("calendar days") if policy.day_count is DayCount.CALENDAR else _("working days")
    lines = [
        _("Decide and reply within {days} {unit} of receipt.").format(
            days=policy.limits[0], unit=unit
        )
    ]
    for stage, rule in enumerate(policy.extensions, start=1):
        needs = []
        if rule.needs_reason:
            needs.append(_("a reason"))
        if rule.needs_complainant_informed:
            needs.append(_("the complainant informed"))
        if rule.needs_higher_approval:
            needs.append(_("approval by the unit above"))
        line = _("May be extended to {days} {unit}").format(days=policy.limits[stage], unit=unit)
        if needs:
            line += _(", with {needs}").format(needs="、".join(needs))
        lines.append(line + _("."))
    if policy.at_risk:
        shares = "、".join(f"{round(f * 100)}%" for f in policy.at_risk)
        lines.append(_("Warnings when {shares} of the period is used.").format(shares=shares))
    lines.append(
        _("A replied case closes after {days} days without an answer.").format(
            days=close_after_days
        )
    )
    return lines


def _settings_context(
    request: Request, session: Session, principal: Principal, tab: str, axis: str
) -> dict[str, Any]:
    lang = request_language(request)
    _ = translator(lang)
    chosen_axis = Axis(axis) if axis in {a.value for a in Axis} else Axis.CHANNEL
    context: dict[str, Any] = {
        "tab": tab if tab in SETTINGS_TABS else "categories",
        "axis": chosen_axis.value,
        "axes": list(Axis),
        "values": {},
        # Bank-wide settings: shown to every administrator, changed at head office only.
        "bank_wide": principal.can(Permission.COMPLAINTS_CONFIGURE)
        and principal.unit_level == UnitLevel.HEAD_OFFICE,
    }
    if context["tab"] == "categories":
        rows = categories.categories(session, chosen_axis, active_only=False)
        # Each top level followed by its children, added ones included.
        tops = [c for c in rows if not c.parent_code]
        context["categories"] = [
            row for top in tops for row in [top, *(c for c in rows if c.parent_code == top.code)]
        ]
        context["parents"] = [c for c in rows if not c.parent_code and c.active]
    elif context["tab"] == "policies":
        policies = policy_store.stored_policies(session)
        context["policies"] = [
            (
                row,
                clock.policy_of(row),
                policy_in_words(clock.policy_of(row), row.close_after_days, _),
            )
            for row in policies
        ]
        context["in_use"] = policy_store.open_cases_per_policy(session)
        context["pending"] = [
            settings_changes.describe(change, principal.id, _, policy_in_words, lang)
            for change in policy_store.pending_changes(session)
        ]
    else:
        context.update(_experts_context(session, principal, lang))
    return context


def _experts_context(session: Session, principal: Principal, lang: str) -> dict[str, Any]:
    roster = experts.roster_in_scope(session, principal.unit_path)
    candidates = experts.candidates_in_scope(session, principal.unit_path)
    return {
        "roster": roster,
        "candidates": candidates,
        "business_options": category_options(session, Axis.BUSINESS, lang),
        "names": categories.names(session, lang),
        "category_label": category_label,
        "levels": experts.LEVELS,
    }


def _settings_page(
    request: Request,
    session: Session,
    principal: Principal,
    tab: str,
    axis: str = "",
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    context = _settings_context(request, session, principal, tab, axis)
    context.update(extra)
    return page(request, "complaints/settings.html", context, status_code)


@router.get("/settings")
def settings_page(
    request: Request,
    tab: str = "categories",
    axis: str = "channel",
    saved: int = 0,
    proposed: int = 0,
    decided: str = "",
    edit: str = "",
    principal: Principal = require(Permission.COMPLAINTS_EXPERTS),
    session: Session = DbSession,
) -> Response:
    values: dict[str, Any] = {}
    edited = ascii_int(edit)
    expert = None if edited is None else experts.roster_entry(session, edited, principal.unit_path)
    if expert is not None:  # "change": the form starts from the expert's current entry
        values = {
            "staff_id": str(expert.staff_id),
            "level": expert.level,
            "business_codes": expert.business_codes,
            "note": expert.note,
            "active": expert.active,
        }
    return _settings_page(
        request,
        session,
        principal,
        tab,
        axis,
        saved=bool(saved),
        proposed=bool(proposed),
        decided=decided,
        values=values,
    )


@router.post("/settings/categories")
def add_category(
    request: Request,
    axis: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    parent_code: Annotated[str, Form()] = "",
    name_zh: Annotated[str, Form()] = "",
    name_en: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    values = {"code": code, "parent_code": parent_code, "name_zh": name_zh, "name_en": name_en}

    def work(caller: Caller) -> str:
        try:
            chosen = Axis(axis)
        except ValueError:
            raise InvalidInput("choose the axis", "axis") from None
        row = categories.add_category(
            session, caller, chosen, code, name_zh, name_en, parent_code.strip() or None
        )
        return f"/complaints/settings?tab=categories&axis={row.axis}&saved=1"

    return _change(request, session, principal, work, tab="categories", axis=axis, values=values)


@router.post("/settings/policy")
def choose_default_policy(
    request: Request,
    code: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    def work(caller: Caller) -> str:
        policy_store.propose_default(session, caller, code)
        return POLICIES_PROPOSED

    return _change(request, session, principal, work, tab="policies")


def _change(
    request: Request,
    session: Session,
    principal: Principal,
    work: Callable[[Caller], str],
    *,
    tab: str,
    axis: str = "",
    values: dict[str, Any] | None = None,
    bank_wide: bool = True,
) -> Response:
    """Run one settings change: to `work`'s page on success, else the tab again with the error.

    A bank-wide setting (categories, deadline policies) refuses anyone but a head-office
    administrator before the form is read, so they get 403 whatever they typed."""
    try:
        caller = caller_of(principal)
        if bank_wide:
            caller.need_bank_wide()
        location = work(caller)
    except ManyiError as exc:
        session.rollback()
        message, field, status = error_text(request, exc)
        return _settings_page(
            request,
            session,
            principal,
            tab,
            axis,
            status_code=status,
            error=message,
            field=field,
            values=values or {},
        )
    return RedirectResponse(location, status_code=303)


# A policy change waits for a second head-office administrator (maker-checker).
POLICIES_PROPOSED = "/complaints/settings?tab=policies&proposed=1"


@router.post("/settings/changes/{change_id}")
def decide_change(
    request: Request,
    change_id: int,
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    """Approve, reject or withdraw a proposed deadline-policy change."""

    def work(caller: Caller) -> str:
        chosen = parse_decision(decision)
        policy_store.decide_change(session, caller, change_id, chosen, reason)
        return f"/complaints/settings?tab=policies&decided={chosen.value}"

    values = {"change_id": change_id, "reason": reason}
    return _change(request, session, principal, work, tab="policies", values=values)


def _whole_days(text: str) -> int:
    days = ascii_int(text)
    if days is None:
        raise InvalidInput("a whole number of days", "close_after_days")
    return days


@router.post("/settings/policy/close-after")
def set_close_after(
    request: Request,
    code: Annotated[str, Form()] = "",
    close_after_days: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    def work(caller: Caller) -> str:
        policy_store.propose_close_after(session, caller, code, _whole_days(close_after_days))
        return POLICIES_PROPOSED

    values = {"close_code": code, "close_after_days": close_after_days}
    return _change(request, session, principal, work, tab="policies", values=values)


@router.post("/settings/policy/new")
def add_policy(
    request: Request,
    definition: Annotated[str, Form()] = "",
    close_after_days: Annotated[str, Form()] = "7",
    principal: Principal = require(Permission.COMPLAINTS_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    def work(caller: Caller) -> str:
        policy_store.propose_policy(session, caller, definition, _whole_days(close_after_days))
        return POLICIES_PROPOSED

    values = {"definition": definition, "new_close_after_days": close_after_days}
    return _change(request, session, principal, work, tab="policies", values=values)


@router.post("/settings/experts")
def set_expert(
    request: Request,
    staff_id: Annotated[str, Form()] = "",
    level: Annotated[str, Form()] = "",
    business_codes: Annotated[list[str] | None, Form()] = None,
    note: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_EXPERTS),
    session: Session = DbSession,
) -> Response:
    values = {
        "staff_id": staff_id,
        "level": level,
        "business_codes": business_codes or [],
        "note": note,
        "active": active == "on",
    }

    def work(caller: Caller) -> str:
        chosen = ascii_int(staff_id)
        person = (
            None if chosen is None else experts.staff_in_scope(session, principal.unit_path, chosen)
        )
        if person is None:
            raise InvalidInput("choose a staff member who holds the expert role", "staff_id")
        experts.set_expert(
            session,
            caller,
            person.id,
            business_codes=[c for c in business_codes or [] if c.strip()],
            level=level,
            note=note,
            active=active == "on",
        )
        return "/complaints/settings?tab=experts&saved=1"

    return _change(request, session, principal, work, tab="experts", values=values, bank_wide=False)

"""The transaction catalogue editor (交易目录): the types, the field dictionary, new versions.

Administrators and head-office service managers read every type; at head office they publish
an edit of one as its next version (`catalogue_store.edit` checks it, and refuses anyone
elsewhere: the catalogue is bank-wide). An edit that changes the authorisation rules waits for
a different head-office administrator's approval, shown with the rules before and after on the
list and on the type's page. Stored versions never change; bundles keep the version they were
made with, so an old version stays readable here. The reason given for an edit is stored with
the version (and in the edit's audit event).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.approvals.domain import parse_decision
from manyi.approvals.tables import PendingChange
from manyi.counter import catalogue_store
from manyi.counter.domain.authorisation_rules import Rule
from manyi.counter.domain.catalogue import TransactionType
from manyi.counter.domain.fields import Field, field_dictionary
from manyi.counter.web.common import (
    clerk_of,
    condition_text,
    error_text,
    level_labels,
    page,
)
from manyi.db import Session
from manyi.errors import InvalidInput, ManyiError, Term
from manyi.org.model import Permission, UnitLevel
from manyi.parsing import ascii_int
from manyi.web.i18n import Translate, request_language, translator
from manyi.web.security import DbSession, Principal, require

router = APIRouter(include_in_schema=False)


# Limits a field's schema states, in the order the dictionary page lists them.
_LIMIT_KEYWORDS: Final = (
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "x-manyi-minimum",
    "x-manyi-maximum",
)


def check_labels(_: Translate) -> dict[str, str]:
    """The Python checks of the dictionary (`field_checks.py`), as a clerk would explain them."""
    return {
        "text": _("Plain text: full-width letters normalised, no control characters"),
        "name": _("A person's name: letters and the marks · . ' - only"),
        "id_number": _(
            "Resident ID: GB 11643 check digit; other ID types: the format of the ID type"
        ),
        "code": _("A code: spaces and hyphens removed, upper case"),
        "digits": _("Digits only (spaces and hyphens removed)"),
        "mobile": _("A mainland mobile number (+86 and full-width digits accepted)"),
        "card": _("Card number with a valid Luhn check digit"),
        "amount": _(
            "An amount as a decimal string: more than 0, at most two decimals, none for JPY"
        ),
        "id_expiry": _("An ID card's validity: a date not yet past, or valid for life (长期)"),
        "integer": _("A whole number"),
        "boolean": _("Yes or no"),
        "date": _("A date (2025-03-01, 2025/3/1 or 2025年3月1日)"),
        "date_not_past": _("A date not before today"),
        "date_not_future": _("A date not after today"),
    }


def identity_labels(_: Translate) -> dict[str, str]:
    return {"id_card_reader": _("ID card read by the reader"), "none": _("No identity check")}


def rule_text(rule: Rule, _: Translate) -> str:
    """One authorisation rule in words, such as "amount ≥ 50000 → supervisor authorisation"."""
    return f"{condition_text(rule.when, _)} → {level_labels(_)[rule.level.code]}"


def identity_text(tx: TransactionType, _: Translate) -> str:
    """The type's identity check in words: always, never, or when its rules say."""
    if tx.identity_check.value == "id_card_reader" or not tx.identity_rules:
        return identity_labels(_)[tx.identity_check.value]
    when = _("; or ").join(condition_text(rule, _) for rule in tx.identity_rules)
    return _("ID card read by the reader when: {conditions}").format(conditions=when)


def type_summary(tx: TransactionType, _: Translate) -> dict[str, Any]:
    """What the list and the type's page show about one version."""
    return {
        "tx": tx,
        "name": tx.names,
        "fields": len(tx.fields),
        "required": len(tx.required),
        "pin": tx.needs_pin,
        "identity": identity_text(tx, _),
        "rules": [rule_text(rule, _) for rule in tx.rules],
        "posting": tx.posting.value,
    }


def field_limits(field: Field) -> list[tuple[str, str]]:
    """The limits a field's schema states: (keyword, bound)."""
    return [(key, str(field.schema[key])) for key in _LIMIT_KEYWORDS if key in field.schema]


def bank_wide(principal: Principal) -> bool:
    """Whether this person changes the catalogue (at head office) or only reads it."""
    return principal.can(Permission.COUNTER_CONFIGURE) and (
        principal.unit_level == UnitLevel.HEAD_OFFICE
    )


def describe_change(
    session: Session, change: PendingChange, principal: Principal, _: Translate
) -> dict[str, Any]:
    """A proposed edit as the pages show it: the authorisation rules before and after."""
    before = catalogue_store.get_type(session, change.subject, change.payload["base_version"])
    after = TransactionType.from_schema(change.payload["schema"])
    return {
        "id": change.id,
        "code": change.subject,
        "name": after.names,
        "version": after.version,
        # Each rule with whether the other side lacks it: the difference is marked.
        "before": [(rule_text(rule, _), rule not in after.rules) for rule in before.rules],
        "after": [(rule_text(rule, _), rule not in before.rules) for rule in after.rules],
        "reason": change.reason,
        "proposed_by": change.proposed_by,
        "proposed_at": change.proposed_at,
        "mine": change.proposed_by_id == principal.id,
    }


def _pending(
    session: Session, principal: Principal, _: Translate, code: str | None = None
) -> list[dict[str, Any]]:
    return [
        describe_change(session, change, principal, _)
        for change in catalogue_store.pending_changes(session, code)
    ]


# --- the list and the dictionary -------------------------------------------------


@router.get("/counter/catalogue")
def catalogue_list(
    request: Request,
    decided: str = "",
    principal: Principal = require(Permission.COUNTER_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    return _list_page(request, session, principal, decided=decided)


def _list_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    _ = translator(request_language(request))
    versions = catalogue_store.version_counts(session)
    types = [
        type_summary(catalogue_store.type_of(row), _) | {"row": row, "versions": versions[row.code]}
        for row in catalogue_store.latest_rows(session)
    ]
    context = {
        "types": types,
        "pending": _pending(session, principal, _),
        "bank_wide": bank_wide(principal),
        **extra,
    }
    return page(request, "counter/catalogue_list.html", context, status_code)


@router.get("/counter/catalogue/fields")
def field_dictionary_page(
    request: Request,
    principal: Principal = require(Permission.COUNTER_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    dictionary = field_dictionary()
    fields = [
        {
            "field": field,
            "type": field.schema.get("type", ""),
            "limits": field_limits(field),
            "options": field.options,
            "check": check_labels(_).get(field.check or "", ""),
        }
        for field in dictionary.fields.values()
    ]
    return page(request, "counter/catalogue_fields.html", {"fields": fields, "uri": dictionary.uri})


# --- one type: its latest version, the editor, the history ------------------------


def _history(session: Session, code: str) -> list[dict[str, Any]]:
    """Every stored version of `code`, newest first, with the reason given for each edit."""
    return [
        {"row": row, "reason": row.reason} for row in catalogue_store.versions_of(session, code)
    ]


def _type_page(
    request: Request,
    session: Session,
    principal: Principal,
    tx: TransactionType,
    *,
    text: str | None = None,
    reason: str = "",
    status_code: int = 200,
    **extra: Any,
) -> Response:
    _ = translator(request_language(request))
    context = {
        "t": type_summary(tx, _),
        "text": text if text is not None else pretty(tx.schema),
        "reason": reason,
        "history": _history(session, tx.code),
        "labels": _field_labels(tx),
        "pending": _pending(session, principal, _, tx.code),
        "bank_wide": bank_wide(principal),
        **extra,
    }
    return page(request, "counter/catalogue_type.html", context, status_code)


def _field_labels(tx: TransactionType) -> list[dict[str, Any]]:
    return [
        {"name": name, "label": tx.label(name), "required": name in tx.required}
        for name in tx.fields
    ]


def pretty(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False)


@router.get("/counter/catalogue/{tx_code}")
def type_page(
    request: Request,
    tx_code: str,
    saved: int = 0,
    proposed: int = 0,
    principal: Principal = require(Permission.COUNTER_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    tx = catalogue_store.get_type(session, tx_code)
    return _type_page(request, session, principal, tx, saved=saved, proposed=proposed)


@router.get("/counter/catalogue/{tx_code}/{version}")
def old_version_page(
    request: Request,
    tx_code: str,
    version: str,
    principal: Principal = require(Permission.COUNTER_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    number = ascii_int(version)
    if number is None:
        raise InvalidInput("a version is a whole number", "version")
    tx = catalogue_store.get_type(session, tx_code, number)
    latest = catalogue_store.get_type(session, tx_code).version
    _ = translator(request_language(request))
    context = {"t": type_summary(tx, _), "text": pretty(tx.schema), "latest": latest}
    context["labels"] = _field_labels(tx)
    return page(request, "counter/catalogue_version.html", context)


def parse_document(text: str) -> dict[str, Any]:
    """The edited JSON as an object; a syntax error names its line and column."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            "the JSON is not valid at line {line}, column {column}: {reason}",
            "schema",
            line=exc.lineno,
            column=exc.colno,
            reason=Term(exc.msg),  # the decoder's words, translated when we know them
        ) from None
    except RecursionError:
        raise InvalidInput("the JSON is nested too deeply", "schema") from None
    if not isinstance(document, dict):
        raise InvalidInput("the document must be one JSON object", "schema")
    return document


@router.post("/counter/catalogue/{tx_code}")
def save_version(
    request: Request,
    tx_code: str,
    document: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COUNTER_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    current = catalogue_store.get_type(session, tx_code)  # unknown code: 404
    clerk = clerk_of(principal)
    try:
        catalogue_store.check_editor(clerk)  # before reading the document: 403 on any input
        edited = parse_document(document)
        if not reason.strip():
            raise InvalidInput("give the reason for the change", "reason")
        done = catalogue_store.edit(session, clerk, tx_code, edited, reason=reason)
    except ManyiError as exc:
        session.rollback()
        return _type_page(
            request,
            session,
            principal,
            current,
            text=document,
            reason=reason,
            status_code=exc.status_code,
            error=error_text(request, exc),
            field=exc.field,
        )
    if isinstance(done, PendingChange):  # the authorisation rules wait for a second person
        return RedirectResponse(f"/counter/catalogue/{tx_code}?proposed={done.id}", status_code=303)
    return RedirectResponse(f"/counter/catalogue/{done.code}?saved={done.version}", status_code=303)


@router.post("/counter/catalogue/changes/{change_id}")
def decide_change(
    request: Request,
    change_id: int,
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COUNTER_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    """Approve (publish), reject or withdraw a proposed edit of the authorisation rules."""
    try:
        catalogue_store.check_editor(clerk_of(principal))
        chosen = parse_decision(decision)
        catalogue_store.decide_change(session, clerk_of(principal), change_id, chosen, reason)
    except ManyiError as exc:
        session.rollback()
        return _list_page(
            request,
            session,
            principal,
            status_code=exc.status_code,
            error=error_text(request, exc),
            field=exc.field,
            values={"change_id": change_id, "reason": reason},
        )
    return RedirectResponse(f"/counter/catalogue?decided={chosen.value}", status_code=303)

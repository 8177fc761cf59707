"""What every complaint page shares: the caller, labels in the page's language, deadline text."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from manyi.complaints import categories, clock
from manyi.complaints.access import Caller
from manyi.complaints.domain.deadlines import DeadlineState, DeadlineStatus
from manyi.complaints.domain.model import Action, TransitionError
from manyi.complaints.domain.taxonomy import Axis, Flag, Intake
from manyi.complaints.tables import ComplaintCategory
from manyi.db import Session
from manyi.errors import ManyiError, Term
from manyi.org.model import UnitLevel
from manyi.web.i18n import Translate, request_language, translator
from manyi.web.security import Principal
from manyi.web.templating import render


def caller_of(principal: Principal) -> Caller:
    return Caller(
        staff_id=principal.id,
        name=principal.username,
        unit_id=principal.unit_id,
        scope_path=principal.unit_path,
        permissions=principal.permissions,
        unit_level=UnitLevel(principal.unit_level),
    )


def state_labels(_: Translate) -> dict[str, str]:
    return {
        "registered": _("Registered"),
        "assigned": _("Assigned"),
        "investigating": _("Investigating"),
        "decided": _("Replied"),
        "closed": _("Case closed"),
        "withdrawn": _("Withdrawn"),
        "open": _("Open (not yet replied)"),
    }


# Badge colour of each state: open work, replied, finished.
STATE_TONE = {
    "registered": "warn",
    "assigned": "info",
    "investigating": "info",
    "decided": "ok",
    "closed": "",
    "withdrawn": "",
}


def action_labels(_: Translate) -> dict[str, str]:
    return {
        "register": _("Registered the complaint"),
        "assign": _("Assigned a handler"),
        "start": _("Started the investigation"),
        "decide": _("Replied with the decision"),
        "close": _("Closed the case"),
        "reopen": _("Reopened"),
        "withdraw": _("Withdrawn by the complainant"),
        "transfer": _("Transferred to another unit"),
        "declare_conflict": _("Stepped aside (conflict of interest)"),
        "extend": _("Extension requested"),
        "approve_extension": _("Extension approved"),
        "reject_extension": _("Extension rejected"),
        "consult": _("Asked an expert"),
        "opinion": _("Expert opinion"),
        "note": _("Note"),
        "supervise": _("Under supervision"),
        "attach": _("Attached a file"),
        "classify": _("Classified"),
    }


def button_labels(_: Translate) -> dict[str, str]:
    """What the action buttons on a case say."""
    return {
        "start": _("Start handling"),
        "decide": _("Reply with decision"),
        "close": _("Close the case"),
        "reopen": _("Reopen"),
        "withdraw": _("Record withdrawal"),
        "transfer": _("Transfer the case"),
        "declare_conflict": _("Step aside"),
        "assign": _("Assign handler"),
        "reassign": _("Reassign"),
        "extend": _("Request extension"),
        "approve_extension": _("Approve extension"),
        "reject_extension": _("Reject extension"),
        "consult": _("Ask an expert"),
        "note": _("Add note"),
        "attach": _("Upload file"),
        "classify": _("Classify"),
    }


def done_labels(_: Translate) -> dict[str, str]:
    """The confirmation after each action."""
    return {
        "start": _("The investigation has started."),
        "decide": _("The decision is recorded and the clock has stopped."),
        "close": _("The case is closed."),
        "reopen": _("The case is reopened with a fresh period."),
        "withdraw": _("The withdrawal is recorded."),
        "transfer": _("The case is transferred."),
        "declare_conflict": _("You stepped aside; the case was routed to someone else."),
        "reassign": _("The handler is changed."),
        "extend": _("The extension is recorded."),
        "approve_extension": _("The extension is approved."),
        "reject_extension": _("The extension is rejected."),
        "consult": _("The expert has been asked."),
        "note": _("The note is added."),
        "attach": _("The file is attached."),
        "classify": _("The classification is saved."),
    }


def reply_channel_labels(_: Translate) -> dict[str, str]:
    return {
        "phone": _("Phone call"),
        "sms": _("Text message"),
        "letter": _("Letter"),
        "email": _("E-mail"),
        "in_person": _("In person"),
        "online": _("Online status page"),
    }


def close_reason_labels(_: Translate) -> dict[str, str]:
    return {
        "accepted": _("The complainant accepted the decision"),
        "no_answer": _("No answer from the complainant in time"),
        "imported": _("Closed in the system it came from"),
    }


def deadline_labels(_: Translate) -> dict[str, str]:
    return {
        "on_time": _("On time"),
        "at_risk": _("At risk"),
        "overdue": _("Overdue"),
        "done_on_time": _("Replied on time"),
        "done_late": _("Replied late"),
        "stopped": _("Stopped"),
    }


DEADLINE_TONE = {
    DeadlineState.ON_TIME: "ok",
    DeadlineState.AT_RISK: "warn",
    DeadlineState.OVERDUE: "bad",
    DeadlineState.DONE_ON_TIME: "ok",
    DeadlineState.DONE_LATE: "bad",
    DeadlineState.STOPPED: "",
}


def intake_name(value: str, lang: str) -> str:
    try:
        intake = Intake(value)
    except ValueError:
        return value
    return intake.name_en if lang == "en" else intake.name_zh


def flag_name(value: str, lang: str) -> str:
    try:
        flag = Flag(value)
    except ValueError:
        return value
    return flag.name_en if lang == "en" else flag.name_zh


FLAG_TONE = {"media_risk": "bad", "regulator": "bad", "repeat": "warn", "group": "warn"}


def span(delta: dt.timedelta, _: Translate) -> str:
    """A duration in days and hours, as a handler reads it at a glance."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("{d} d {h} h").format(d=days, h=hours) if hours else _("{d} d").format(d=days)
    if hours:
        return _("{h} h").format(h=hours)
    return _("{m} min").format(m=mins)


@dataclass(frozen=True)
class Countdown:
    text: str
    tone: str  # ok / warn / bad / "" (a tag class of staff.css)
    label: str  # the deadline state in words


def countdown(status: DeadlineStatus, _: Translate) -> Countdown:
    """ "剩 3 天 4 小时", "超期 2 天" for open cases; how it ended for the others."""
    label = deadline_labels(_)[status.state.value]
    tone = DEADLINE_TONE[status.state]
    if status.state is DeadlineState.OVERDUE:
        return Countdown(_("{span} overdue").format(span=span(status.remaining, _)), tone, label)
    if status.is_open:
        return Countdown(_("{span} left").format(span=span(status.remaining, _)), tone, label)
    return Countdown(label, tone, label)


@dataclass(frozen=True)
class CategoryOption:
    code: str
    label: str
    child: bool


def category_options(session: Session, axis: Axis, lang: str) -> list[CategoryOption]:
    """An axis as one select: each top level followed by its children, indented."""
    rows = categories.categories(session, axis)
    return _two_levels(rows, lang)


def _two_levels(rows: list[ComplaintCategory], lang: str) -> list[CategoryOption]:
    def name(c: ComplaintCategory) -> str:
        return c.name_en if lang == "en" and c.name_en else c.name_zh

    tops = [c for c in rows if not c.parent_code]
    out: list[CategoryOption] = []
    for top in tops:
        out.append(CategoryOption(top.code, name(top), False))
        out += [CategoryOption(c.code, name(c), True) for c in rows if c.parent_code == top.code]
    return out


def category_label(names: dict[tuple[str, str], str], axis: str, code: str | None) -> str:
    """ "电子渠道 / 手机银行" for a child code, the name alone for a top level."""
    if not code:
        return ""
    name = names.get((axis, code), code)
    if "." in code:
        parent = names.get((axis, code.split(".", 1)[0]))
        if parent:
            return f"{parent} / {name}"
    return name


def local(value: dt.datetime | None, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC instant in a unit's own time zone."""
    return value.astimezone(clock.zone(tz)).strftime(fmt) if value else ""


def _checker_reasons(_: Translate) -> list[tuple[re.Pattern[str], str]]:
    """The reasons `manyi.personal` gives (English text with values) as translated templates."""
    return [
        (
            re.compile(r"resident ID must be 18 characters, got (?P<n>\d+)"),
            _("an ID number has 18 characters, not {n}"),
        ),
        (
            re.compile(r"resident ID must be 17 digits followed by a digit or X"),
            _("17 digits followed by a digit or X"),
        ),
        (
            re.compile(r"region code (?P<code>\w+) cannot start with 0"),
            _("the region code {code} cannot start with 0"),
        ),
        (
            re.compile(r"check digit should be (?P<c>\w)"),
            _("the ID number is wrong: please check the last character"),
        ),
        (re.compile(r"birth date (?P<d>\d+) is not a date"), _("birth date {d} is not a date")),
        (re.compile(r"birth date (?P<d>\d+) is before 1900"), _("birth date {d} is before 1900")),
        (
            re.compile(r"birth date (?P<d>\d+) is in the future"),
            _("birth date {d} is in the future"),
        ),
        (
            re.compile(r"only mainland mobile numbers \(\+86\) are accepted"),
            _("only mainland numbers (+86)"),
        ),
        (
            re.compile(r"mobile number may only contain digits, spaces and hyphens"),
            _("digits, spaces and hyphens only"),
        ),
        (
            re.compile(r"mobile number must have 11 digits, got (?P<n>\d+)"),
            _("a mobile number has 11 digits, not {n}"),
        ),
        (
            re.compile(r"mobile number cannot start with (?P<p>\d+) \(13 to 19 expected\)"),
            _("a mobile number starts with 13 to 19, not {p}"),
        ),
    ]


def _reason(reason: str, _: Translate) -> str:
    for pattern, template in _checker_reasons(_):
        found = pattern.fullmatch(reason)
        if found:
            return template.format(**found.groupdict())
    return reason


def _action_word(action: str, _: Translate) -> str:
    words = button_labels(_)
    return words.get(ACTION_ROUTES_BY_VALUE.get(action, action), action)


def error_text(request: Request, exc: Exception) -> tuple[str, str, int]:
    """(message, field, status) of a failed use case, in the page's language."""
    _ = translator(request_language(request))
    if isinstance(exc, ManyiError):
        # Services pass actions, reasons and states as code words; show them as the page does.
        states = state_labels(_)

        def term(value: str) -> str:
            return _(value) if isinstance(value, Term) else value

        words = {
            "action": lambda value: _action_word(term(value), _),
            "reason": lambda value: _reason(term(value), _),
            "state": lambda value: states.get(term(value), term(value)),
        }
        return exc.text(_, words), exc.field, exc.status_code
    if isinstance(exc, TransitionError):
        state = state_labels(_).get(exc.state.value, exc.state.value)
        action = _action_word(exc.action.value, _)
        message = _("“{action}” is not possible while the case is “{state}”.")
        return message.format(action=action, state=state), "", 409
    raise exc


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """Render a complaint page with the shared labels and helpers."""
    lang = request_language(request)
    _ = translator(lang)
    shared: dict[str, Any] = {
        "states": state_labels(_),
        "state_tone": STATE_TONE,
        "actions": action_labels(_),
        "buttons": button_labels(_),
        "reply_channels": reply_channel_labels(_),
        "close_reasons": close_reason_labels(_),
        "flag_tone": FLAG_TONE,
        "intake_name": lambda value: intake_name(value, lang),
        "flag_name": lambda value: flag_name(value, lang),
        "countdown": lambda status: countdown(status, _),
        "clocal": local,
        "error": None,
        "field": "",
    }
    shared.update(context)
    return render(request, name, shared, status_code)


ACTION_ROUTES: dict[Action, str] = {
    Action.START: "start",
    Action.DECIDE: "decide",
    Action.CLOSE: "close",
    Action.REOPEN: "reopen",
    Action.WITHDRAW: "withdraw",
    Action.TRANSFER: "transfer",
    Action.DECLARE_CONFLICT: "declare_conflict",
    Action.ASSIGN: "reassign",
    Action.EXTEND: "extend",
    Action.APPROVE_EXTENSION: "approve_extension",
    Action.REJECT_EXTENSION: "reject_extension",
    Action.CONSULT: "consult",
    Action.NOTE: "note",
    Action.ATTACH: "attach",
    Action.CLASSIFY: "classify",
}

ACTION_ROUTES_BY_VALUE = {action.value: route for action, route in ACTION_ROUTES.items()}
ACTION_ROUTES_BY_VALUE["assign"] = "assign"

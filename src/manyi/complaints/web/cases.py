"""One case (投诉案件): everything about it on one page, and every action as a small form.

Only the actions the caller may take now are offered (`handling.may` and the
state's allowed actions); the use cases check again. A refused action shows
the page again with the message and the form still open; nothing is half-saved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from manyi.complaints import (
    access,
    attachments,
    experts,
    extensions,
    handling,
    ports,
    queries,
    staff_queries,
    timeline,
)
from manyi.complaints.access import Caller
from manyi.complaints.domain.model import (
    Action,
    RootCause,
    State,
    Verdict,
    allowed_actions,
    may,
)
from manyi.complaints.domain.policies import DeadlinePolicy
from manyi.complaints.domain.taxonomy import Axis, Flag
from manyi.complaints.tables import Complaint, ComplaintEvent
from manyi.complaints.web.common import (
    ACTION_ROUTES,
    caller_of,
    category_options,
    close_reason_labels,
    done_labels,
    flag_name,
    intake_name,
    page,
    reply_channel_labels,
    span,
)
from manyi.complaints.web.suggestions import case_classification, outcome_labels, target_labels
from manyi.db import Session, utcnow
from manyi.org.model import Permission
from manyi.web.i18n import Translate, request_language, translator
from manyi.web.security import DbSession, Principal, require

router = APIRouter(prefix="/complaints", include_in_schema=False)

# The one action that moves the case on, per state, shown first and in colour.
_NEXT = {
    State.REGISTERED: Action.ASSIGN,
    State.ASSIGNED: Action.START,
    State.INVESTIGATING: Action.DECIDE,
    State.DECIDED: Action.CLOSE,
}


def offered_actions(
    session: Session, caller: Caller, complaint: Complaint, can_extend: bool
) -> list[Action]:
    """The actions to offer this caller on this case now, the next step first."""
    state = State(complaint.state)
    mine = handling.is_handler(caller, complaint)
    manager = handling.is_manager(caller, complaint)
    offered = [
        a
        for a in allowed_actions(state)
        if a in ACTION_ROUTES and may(a, is_handler=mine, is_manager=manager)
    ]
    pending = extensions.pending(session, complaint.id)
    if pending is not None or not can_extend:
        offered = [a for a in offered if a is not Action.EXTEND]
    deciding = (
        pending is not None
        and extensions.can_approve(caller, complaint)
        and caller.staff_id != pending.requested_by_id
    )
    if not deciding:
        offered = [
            a for a in offered if a not in (Action.APPROVE_EXTENSION, Action.REJECT_EXTENSION)
        ]
    first = [a for a in offered if a is _NEXT.get(state)]
    if deciding:  # a decision waits on this caller: approve or reject, first
        first[:0] = [Action.APPROVE_EXTENSION, Action.REJECT_EXTENSION]
    return first + [a for a in offered if a not in first]


def _event_detail(
    event: ComplaintEvent,
    people: dict[int, str],
    units: dict[int, str],
    lang: str,
    _: Translate,
) -> str:
    data = event.data or {}
    action = event.action
    if action == "register":
        flags = "、".join(flag_name(f, lang) for f in data.get("flags", []))
        text = _("via {intake}").format(intake=intake_name(str(data.get("intake", "")), lang))
        return f"{text} · {flags}" if flags else text
    if action == "assign":
        name = people.get(int(data.get("handler_id") or 0), "")
        text = _("to {name}").format(name=name)
        return f"{text} ({_('automatic')})" if data.get("automatic") else text
    if action == "transfer":
        return _("from {a} to {b}").format(
            a=units.get(int(data.get("from_unit_id") or 0), ""),
            b=units.get(int(data.get("to_unit_id") or 0), ""),
        )
    if action == "extend":
        text = _("to {days} days").format(days=data.get("days", ""))
        return f"{text} · {_('waiting for approval')}" if data.get("state") == "pending" else text
    if action == "supervise":
        return _("level {level}: {unit}").format(
            level=data.get("level", ""), unit=units.get(int(data.get("unit_id") or 0), "")
        )
    if action == "consult":
        return _("expert {name}").format(name=people.get(int(data.get("expert_id") or 0), ""))
    if action == "attach":
        return str(data.get("filename", ""))
    if action == "decide":
        channel = str(data.get("reply_channel", ""))
        parts = [
            _("reply by {channel}").format(channel=reply_channel_labels(_).get(channel, channel))
        ]
        choices = decision_choices(None, lang, _)
        if data.get("verdict"):
            parts.append(choices["verdict_names"].get(data["verdict"], ""))
        if data.get("root_cause_kind"):
            parts.append(choices["root_cause_names"].get(data["root_cause_kind"], ""))
        if data.get("task_id"):
            parts.append(_("Task #{id}").format(id=data["task_id"]))
        return " · ".join(p for p in parts if p)
    if action == "close":
        reason = str(data.get("reason", ""))
        return close_reason_labels(_).get(reason, reason)
    if action == "classify":
        return _classify_detail(data, _)
    return ""


def _classify_detail(data: dict[str, Any], _: Translate) -> str:
    """Who or what classified: the model (with its confidence), or a suggestion accepted."""
    labels = target_labels(_)
    machine = data.get("machine")
    if isinstance(machine, dict):
        parts = [
            f"{labels.get(t, t)} {round(float(v[1]) * 100)}%"
            for t, v in machine.items()
            if isinstance(v, list) and len(v) == 3
        ]
        return _("by the classifier") + (" · " + "、".join(parts) if parts else "")
    accepted = data.get("accepted")
    if isinstance(accepted, dict) and accepted:
        names = "、".join(labels.get(str(t), str(t)) for t in accepted)
        return _("suggestion accepted: {targets}").format(targets=names)
    return ""


def _rule_text(policy: DeadlinePolicy, stage: int, _: Translate) -> str:
    """What granting `stage` needs, in words."""
    rule = policy.extensions[stage - 1]
    needs = []
    if rule.needs_reason:
        needs.append(_("a reason"))
    if rule.needs_complainant_informed:
        needs.append(_("the complainant informed"))
    if rule.needs_higher_approval:
        needs.append(_("approval by the unit above"))
    text = _("Extends the period to {days} days.").format(days=policy.limits[stage])
    if needs:
        text += " " + _("Needs {needs}.").format(needs="、".join(needs))
    return text


def case_context(
    request: Request, session: Session, caller: Caller, complaint_id: int, now: dt.datetime
) -> dict[str, Any]:
    lang = request_language(request)
    _ = translator(lang)
    complaint = access.get_visible(session, caller, complaint_id)
    policies = queries.Policies(session)
    policy = policies.of(complaint.policy_code)
    status = policies.status(complaint, now)
    events = timeline.events(session, complaint.id)
    records = queries.case_records(session, complaint.id)
    extension_rows = records.extensions
    consultations = records.consultations
    supervisions = records.supervisions
    people_ids: list[int | None] = [complaint.handler_id, complaint.registered_by_id]
    unit_ids: list[int | None] = [complaint.responsible_unit_id, complaint.registered_unit_id]
    for event in events:
        people_ids += [event.actor_id, event.data.get("handler_id"), event.data.get("expert_id")]
        unit_ids += [
            event.data.get("from_unit_id"),
            event.data.get("to_unit_id"),
            event.data.get("unit_id"),
        ]
    people_ids += [e.requested_by_id for e in extension_rows]
    people_ids += [e.decided_by_id for e in extension_rows]
    people_ids += [c.expert_id for c in consultations] + [c.requested_by_id for c in consultations]
    people_ids += [s.supervisor_id for s in supervisions]
    unit_ids += [s.unit_id for s in supervisions]
    people = staff_queries.staff_names(session, people_ids)
    units = staff_queries.unit_names(session, unit_ids, lang)
    offered = offered_actions(session, caller, complaint, status.can_extend)
    stage = complaint.deadline_stage + 1
    return {
        "complaint": complaint,
        "status": status,
        "policy": policy,
        "period_days": policy.limits[min(complaint.deadline_stage, len(policy.limits) - 1)],
        "person": access.complainant(caller, complaint),
        # The values (machine-made ones marked), the model's suggestions, the issue choices.
        **case_classification(session, complaint, lang, _),
        "outcome_labels": outcome_labels(_),
        "events": [(e, _event_detail(e, people, units, lang, _)) for e in reversed(events)],
        "extensions": extension_rows,
        "consultations": consultations,
        "supervisions": supervisions,
        # Rectification tasks already opened from the case (supervision, through the port).
        "rectification_tasks": ports.rectification().tasks_for_complaint(
            session, complaint.reference, now
        ),
        # The customer's answer to the 回访 survey sent on closure (quality, through the port).
        "follow_up": ports.follow_up().follow_up(session, complaint.id, now),
        "attachments": attachments.listing(session, complaint.id),
        "people": people,
        "units": units,
        "offered": offered,
        "may_classify": Action.CLASSIFY in offered,
        "routes": ACTION_ROUTES,
        "next_action": offered[0]
        if offered and offered[0] in (_NEXT.get(State(complaint.state)), Action.APPROVE_EXTENSION)
        else None,
        "pending": extensions.pending(session, complaint.id),
        "extension_rule": _rule_text(policy, stage, _) if stage < len(policy.limits) else "",
        "handlers": staff_queries.eligible_handlers(session, caller, complaint)
        if Action.ASSIGN in offered
        else [],
        "experts": experts.roster(session, complaint.business_code)
        if Action.CONSULT in offered
        else [],
        "transfer_units": staff_queries.active_units_in_scope(session, caller)
        if Action.TRANSFER in offered
        else [],
        "axis_options": {axis.value: category_options(session, axis, lang) for axis in Axis}
        if Action.CLASSIFY in offered
        else {},
        "flag_choices": [f for f in Flag if f is not Flag.REPEAT],
        "max_attachments": attachments.MAX_PER_CASE,
        "max_upload_bytes": attachments.MAX_BYTES,
        "too_large": _(TOO_LARGE).format(mb=attachments.MAX_BYTES // (1024 * 1024)),
        "span": lambda delta: span(delta, _),
        "now": now,
        "open_form": "",
        "values": {},
        **decision_choices(caller, lang, _),
    }


def decision_choices(caller: Caller | None, lang: str, _: Any) -> dict[str, Any]:
    """The decide form's verdicts and root-cause kinds, and whether it offers a task."""
    verdicts = {
        Verdict.UPHELD.value: _("Upheld"),
        Verdict.PARTLY.value: _("Partly upheld"),
        Verdict.NOT_UPHELD.value: _("Not upheld"),
    }
    causes = {r.value: (r.name_en if lang == "en" else r.name_zh) for r in RootCause}
    return {
        "verdicts": list(verdicts.items()),
        "verdict_names": verdicts,
        "root_causes": list(causes.items()),
        "root_cause_names": causes,
        "may_open_task": caller is not None and caller.can(Permission.SUPERVISION_ISSUE),
        "may_link_tasks": caller is not None and caller.can(Permission.SUPERVISION_VIEW),
    }


def case_page(
    request: Request,
    session: Session,
    caller: Caller,
    complaint_id: int,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    context = case_context(request, session, caller, complaint_id, utcnow())
    context.update(extra)
    return page(request, "complaints/case.html", context, status_code)


# Said on the case when a file is refused by its size: before sending (case.js) or after.
TOO_LARGE = "This file is larger than {mb} MB and was not uploaded. Please choose a smaller one."


@router.get("/{complaint_id}")
def case_detail(
    request: Request,
    complaint_id: int,
    done: str = "",
    refused: str = "",
    principal: Principal = require(),  # complaints.view, or an expert asked about this case
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    flash = done_labels(_).get(done, "")
    caller = caller_of(principal)
    if refused == "too_large":  # an upload refused by its size before it was read (app.py)
        error = _(TOO_LARGE).format(mb=attachments.MAX_BYTES // (1024 * 1024))
        return case_page(
            request, session, caller, complaint_id, error=error, field="file", open_form="attach"
        )
    return case_page(request, session, caller, complaint_id, flash=flash)


@router.get("/{complaint_id}/attachments/{attachment_id}")
def download_attachment(
    request: Request,
    complaint_id: int,
    attachment_id: int,
    principal: Principal = require(),
    session: Session = DbSession,
) -> Response:
    complaint = access.get_visible(session, caller_of(principal), complaint_id)
    attachment, data = attachments.read(
        session, complaint.id, attachment_id, request.app.state.settings.var_dir
    )
    from manyi.complaints.adapters.xlsx_export import content_disposition

    disposition = content_disposition(attachment.filename)
    if attachment.content_type.startswith("image/"):
        disposition = "inline" + disposition[len("attachment") :]
    return Response(
        data,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, no-store",
        },
    )

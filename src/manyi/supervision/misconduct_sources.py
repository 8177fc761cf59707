"""Where a misconduct case comes from, checked and prefilled: a complaint (its reference), a
failed item of a submitted inspection visit ("<visit>:<item>"), a survey flag (the inspector's
suspicious-answers page) or a report.

- `check_origin` is called by `misconduct.open_case` before anything is written: a complaint
  must exist with its responsible unit in the opener's scope (`complaints.facts`), an
  inspection finding must be a failed item of a submitted visit of an outlet in the scope.
  An unknown reference is refused with the field named, as bad input (nothing stored).
- `prefill` turns the links on the complaint case page, the scorecard and `/quality/flags`
  (`?source=complaint|inspection|survey_flag&ref=…&staff=…`) into the new-case form's values:
  the origin and its reference, the day it happened, a first account, the staff member
  concerned when the source names one, and the unit whose staff the form lists first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.complaints import facts as complaint_facts
from manyi.errors import InvalidInput, ManyiError, NotFound
from manyi.org.model import path_in_scope
from manyi.org.tables import Staff, Unit
from manyi.supervision.domain import misconduct as rules
from manyi.supervision.domain.misconduct import Origin
from manyi.supervision.domain.scorecard import Outcome
from manyi.supervision.domain.visits import VisitState
from manyi.supervision.inspection_tables import InspectionVisit
from manyi.supervision.inspections import load_visit, results_of, standard_of

# The links' word for a flag of the suspicious-answers page; the case stores it as `survey`.
SOURCE_ALIASES = {"survey_flag": Origin.SURVEY.value}
_KIND_ZH = {"scheduled": "巡查", "spot": "抽查", "mystery": "暗访", "remote": "远程督导"}


@dataclass(frozen=True)
class InspectionFinding:
    visit: InspectionVisit
    item_code: str
    item_text_zh: str
    critical: bool
    note: str


def complaint_finding(
    session: Session, scope_path: str, reference: str
) -> complaint_facts.ComplaintFinding:
    found = complaint_facts.case_by_reference(session, scope_path, reference)
    if found is None:
        raise InvalidInput(
            "there is no complaint {ref} in your scope", "origin_ref", ref=reference.strip()
        )
    return found


def inspection_finding(
    session: Session, actor: audit.Actor, visit_ref: str, item_code: str
) -> InspectionFinding:
    """A failed item of a submitted visit in the actor's scope; InvalidInput otherwise."""
    visit_ref, item_code = (visit_ref or "").strip(), (item_code or "").strip()
    try:
        visit = load_visit(session, actor, int(visit_ref))
    except (ValueError, NotFound):
        raise InvalidInput(
            "there is no inspection visit {ref} in your scope", "origin_ref", ref=visit_ref
        ) from None
    if visit.state != VisitState.SUBMITTED.value:
        raise InvalidInput(
            "inspection visit {ref} is not submitted yet: it has no findings",
            "origin_ref",
            ref=visit.id,
        )
    item = standard_of(session, visit).item(item_code)
    row = results_of(session, visit.id).get(item_code)
    if item is None or row is None or row.outcome != Outcome.FAILED.value:
        raise InvalidInput(
            "item {code} did not fail in inspection visit {ref}",
            "item",
            code=item_code,
            ref=visit.id,
        )
    return InspectionFinding(visit, item.code, item.text_zh, item.critical, row.note)


def check_origin(session: Session, actor: audit.Actor, origin: str, ref: str, item: str) -> None:
    """Refuse a complaint or inspection origin that does not exist in the actor's scope."""
    kind = (origin or "").strip()
    if kind == Origin.COMPLAINT.value:
        complaint_finding(session, actor.unit_path, ref)
    elif kind == Origin.INSPECTION.value:
        inspection_finding(session, actor, ref, item)


# --- the form's prefill ----------------------------------------------------------------------


@dataclass
class Prefill:
    values: dict[str, str] = field(default_factory=dict)
    unit_id: int | None = None  # list this unit's staff first
    named: list[str] = field(default_factory=list)  # staff ids the source names
    error: ManyiError | None = None


def _local_day(at: dt.datetime, timezone: str) -> dt.date:
    return at.astimezone(zoneinfo.ZoneInfo(timezone)).date()


def _staff_in_scope(session: Session, scope_path: str, key: str) -> Staff | None:
    """A staff member by id or username, active and in the scope."""
    key = (key or "").strip()
    if not key:
        return None
    column = Staff.id if key.isdigit() else Staff.username
    staff = session.scalar(select(Staff).where(column == (int(key) if key.isdigit() else key)))
    if staff is None or not staff.active or not path_in_scope(scope_path, staff.unit.path):
        return None
    return staff


def prefill(
    session: Session,
    actor: audit.Actor,
    *,
    source: str,
    ref: str,
    staff: str = "",
    unit: str = "",
) -> Prefill:
    """The new-case form's values from a link; `error` says why a reference was refused (the
    form then shows what it could fill, and the message)."""
    origin = SOURCE_ALIASES.get(source.strip(), source.strip())
    result = Prefill(values={"origin": origin or "report", "severity": "general"})
    values = result.values
    try:
        if origin == Origin.COMPLAINT.value:
            values["origin_ref"] = ref.strip()
            complaint = complaint_finding(session, actor.unit_path, ref)
            values["happened_on"] = _local_day(
                complaint.received_at, complaint.timezone
            ).isoformat()
            values["summary"] = f"投诉 {complaint.reference}：{complaint.subject}"
            result.unit_id = complaint.responsible_unit_id
            result.named = [str(i) for i in complaint.named_staff_ids]
            if result.named:
                values["staff_id"] = result.named[0]
        elif origin == Origin.INSPECTION.value:
            visit_ref, _sep, item = ref.strip().partition(":")
            values["origin_ref"], values["item"] = visit_ref, item
            finding = inspection_finding(session, actor, visit_ref, item)
            visit = finding.visit
            outlet = session.get_one(Unit, visit.unit_id)
            # The day the inspector saw it: the day the card was submitted, in the outlet's zone.
            day = (
                _local_day(visit.submitted_at, outlet.timezone)
                if visit.submitted_at
                else visit.planned_on
            )
            values["happened_on"] = day.isoformat()
            kind = _KIND_ZH.get(visit.kind, visit.kind)
            text = f"{kind} {day.isoformat()} {outlet.name_zh}：{finding.item_text_zh}（不合格）"
            values["summary"] = text + (f"\n检查记录：{finding.note}" if finding.note else "")
            result.unit_id = visit.unit_id
        elif origin == Origin.SURVEY.value:
            values["origin_ref"] = ref.strip()[: rules.REF_MAX]
            # A flag's reference is "<pattern>:<teller>:<day>"; its day, when there is one.
            last = ref.strip().rsplit(":", 1)[-1]
            with contextlib.suppress(ValueError):
                values["happened_on"] = dt.date.fromisoformat(last).isoformat()
        else:
            values["origin_ref"] = ref.strip()[: rules.REF_MAX]
        if staff.strip():
            person = _staff_in_scope(session, actor.unit_path, staff)
            if person is None:
                raise InvalidInput("no staff member {id} in your scope", "staff_id", id=staff)
            values["staff_id"] = str(person.id)
            result.unit_id = result.unit_id or person.unit_id
        if unit.strip().isdigit() and result.unit_id is None:
            result.unit_id = int(unit)
    except ManyiError as exc:
        result.error = exc
    return result

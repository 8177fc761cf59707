"""Reading complaints for the staff pages: the workbench lists and exports, and one case's
records. Who can take a case and the names of people and units: `staff_queries`. The
supervision board: `supervision_board`.

Every query starts from the caller's scope (the responsible unit's path under
the caller's unit), so a list or an export can never hold a case the caller
could not open. Filters are plain data (`Filters`) so the page, its export and
the tests build the same query.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, UnaryExpression, and_, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from manyi import sealed
from manyi.complaints import clock
from manyi.complaints.access import Caller
from manyi.complaints.domain.deadlines import DeadlineStatus
from manyi.complaints.domain.model import OPEN_STATES, State
from manyi.complaints.domain.policies import DeadlinePolicy
from manyi.complaints.domain.workcal import Calendars
from manyi.complaints.tables import (
    Complaint,
    ComplaintConsultation,
    ComplaintExtension,
    ComplaintSupervision,
)
from manyi.org.model import Permission
from manyi.org.scope import in_scope
from manyi.org.tables import Staff, Unit
from manyi.personal import id_index, name_index, phone_index

PAGE_SIZE = 50
_Row = TypeVarTuple("_Row")
EXPORT_CAP = 50_000
_OPEN = [s.value for s in OPEN_STATES]
# The handler's list: cases still to work, and decided ones waiting to close.
_ACTIVE = [*_OPEN, State.DECIDED.value]


class Tab(enum.StrEnum):
    MINE = "mine"  # 我的案件: I am the handler
    UNIT = "unit"  # 本机构待办: my unit is responsible
    SCOPE = "scope"  # 辖内案件: everything in my scope


def tabs_for(caller: Caller) -> list[Tab]:
    """The workbench tabs a caller gets, in order; the first is the default."""
    tabs: list[Tab] = []
    if caller.can(Permission.COMPLAINTS_HANDLE):
        tabs.append(Tab.MINE)
    tabs.append(Tab.UNIT)
    # Managers watch their whole scope; so do read-only viewers (inspectors), who handle nothing.
    if caller.can(Permission.COMPLAINTS_MANAGE) or not caller.can(Permission.COMPLAINTS_HANDLE):
        tabs.append(Tab.SCOPE)
    return tabs


@dataclass(frozen=True)
class Filters:
    tab: Tab = Tab.UNIT
    state: str = ""  # a State value, "open" (registered/assigned/investigating) or ""
    channel: str = ""
    business: str = ""
    cause: str = ""
    appeal: str = ""  # 诉求 (a top-level code matches its children too)
    issue: str = ""  # the prominent-issue category (Complaint.issue_code)
    intake: str = ""
    product: str = ""  # the product exactly as recorded
    unit_id: int | None = None  # the unit and its subtree
    overdue: bool = False
    received_from: dt.date | None = None  # local dates, inclusive
    received_to: dt.date | None = None
    q: str = ""  # reference or subject (and complainant phone/name with the right to see them)
    page: int = 1

    def with_page(self, page: int) -> Filters:
        return replace(self, page=page)


def complaint_in_scope(caller: Caller) -> ColumnElement[bool]:
    return in_scope(Complaint.responsible_unit_path, caller.scope_path)


def reference_in_scope(session: Session, caller: Caller, complaint_id: int) -> str | None:
    """The case's reference, or None when there is no such case in the caller's scope."""
    return session.scalar(
        select(Complaint.reference).where(Complaint.id == complaint_id, complaint_in_scope(caller))
    )


def _category(column: InstrumentedAttribute[str | None], code: str) -> ColumnElement[bool]:
    """A top-level code matches itself and its children; a child code matches itself."""
    if "." in code:
        return column == code
    return or_(column == code, column.startswith(code + ".", autoescape=True))


def _conditions(
    session: Session, caller: Caller, filters: Filters, now: dt.datetime, zone: dt.tzinfo
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [complaint_in_scope(caller)]
    if filters.tab is Tab.MINE:
        where += [Complaint.handler_id == caller.staff_id, Complaint.state.in_(_ACTIVE)]
    elif filters.tab is Tab.UNIT:
        where += [Complaint.responsible_unit_id == caller.unit_id]
        if not filters.state:  # a to-do list: what is still to be done
            where.append(Complaint.state.in_(_ACTIVE))
    if filters.state == "open":
        where.append(Complaint.state.in_(_OPEN))
    elif filters.state:
        where.append(Complaint.state == filters.state)
    if filters.channel:
        where.append(_category(Complaint.channel_code, filters.channel))
    if filters.business:
        where.append(_category(Complaint.business_code, filters.business))
    if filters.cause:
        where.append(_category(Complaint.cause_code, filters.cause))
    if filters.appeal:
        where.append(_category(Complaint.appeal_code, filters.appeal))
    if filters.issue:
        where.append(Complaint.issue_code == filters.issue)
    if filters.intake:
        where.append(Complaint.intake == filters.intake)
    if filters.product:
        where.append(Complaint.product == filters.product)
    if filters.unit_id is not None:
        unit = session.get(Unit, filters.unit_id)
        path = unit.path if unit is not None else "/-/"  # an unknown unit matches nothing
        where.append(in_scope(Complaint.responsible_unit_path, path))
    if filters.overdue:
        where += [Complaint.state.in_(_OPEN), Complaint.due_at <= now]
    if filters.received_from is not None:
        where.append(Complaint.received_at >= _local_midnight(filters.received_from, zone))
    if filters.received_to is not None:
        end = filters.received_to + dt.timedelta(days=1)
        where.append(Complaint.received_at < _local_midnight(end, zone))
    text = filters.q.strip()
    if text:
        matches: list[ColumnElement[bool]] = [
            Complaint.reference == text.upper(),
            Complaint.subject.contains(text, autoescape=True),
        ]
        if caller.can(Permission.COMPLAINTS_PERSONAL):
            matches += _personal_matches(text, sealed.keys_of(session.info))
        where.append(or_(*matches))
    return where


def _personal_matches(text: str, keys: sealed.DataKeys) -> list[ColumnElement[bool]]:
    """The complainant's phone, ID number or name, matched exactly through the blind indexes:
    they are sealed at rest, so no part of them can be searched (a LIKE sees only envelopes).
    The phone and ID number are normalised first ("+86 138-1234-5678" finds 13812345678)."""
    matches = [Complaint.complainant_name_index == name_index(text, keys=keys)]
    by_phone = phone_index(text, keys=keys)
    if by_phone is not None:
        matches.append(Complaint.complainant_phone_index == by_phone)
    by_id = id_index(text, keys=keys)
    if by_id is not None:  # a valid ID number is the person key when the case has one
        matches.append(Complaint.person_key == by_id)
    return matches


def _local_midnight(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def _ordered(statement: Select[*_Row], tab: Tab) -> Select[*_Row]:
    """Open cases first by due time (unassigned first on the unit's list), then the newest."""
    is_open = case((Complaint.state.in_(_OPEN), 0), else_=1)
    order: list[ColumnElement[Any] | UnaryExpression[Any]] = []
    if tab is Tab.UNIT:
        order.append(case((Complaint.handler_id.is_(None), 0), else_=1))
    order += [is_open, Complaint.due_at.asc(), Complaint.received_at.desc(), Complaint.id.desc()]
    return statement.order_by(*order)


@dataclass
class CaseRow:
    complaint: Complaint
    unit_name: str
    unit_code: str
    handler_name: str
    status: DeadlineStatus


@dataclass
class Page:
    rows: list[CaseRow]
    total: int
    page: int
    pages: int


class Policies:
    """Deadline policies read once per request."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[str, DeadlinePolicy] = {}
        self._calendars: Calendars | None = None

    def of(self, code: str) -> DeadlinePolicy:
        policy = self._cache.get(code)
        if policy is None:
            policy = self._cache[code] = clock.policy_of(clock.policy_row(self.session, code))
        return policy

    def status(self, complaint: Complaint, now: dt.datetime) -> DeadlineStatus:
        if self._calendars is None:
            self._calendars = clock.calendars(self.session)
        return clock.status(complaint, self.of(complaint.policy_code), now, self._calendars)


def _rows_statement(
    session: Session, caller: Caller, filters: Filters, now: dt.datetime, zone: dt.tzinfo
) -> Select[Complaint, str, str, str]:
    handler = aliased(Staff)
    return (
        select(Complaint, Unit.name_zh, Unit.code, handler.display_name)
        .join(Unit, Unit.id == Complaint.responsible_unit_id)
        .outerjoin(handler, handler.id == Complaint.handler_id)
        .where(*_conditions(session, caller, filters, now, zone))
    )


def count(
    session: Session, caller: Caller, filters: Filters, now: dt.datetime, zone: dt.tzinfo
) -> int:
    statement = select(func.count()).select_from(Complaint)
    statement = statement.where(*_conditions(session, caller, filters, now, zone))
    return int(session.scalar(statement) or 0)


def search(
    session: Session,
    caller: Caller,
    filters: Filters,
    now: dt.datetime,
    zone: dt.tzinfo,
    *,
    page_size: int = PAGE_SIZE,
) -> Page:
    total = count(session, caller, filters, now, zone)
    pages = max(1, -(-total // page_size))
    page = min(max(1, filters.page), pages)
    statement = _rows_statement(session, caller, filters, now, zone)
    statement = _ordered(statement, filters.tab)
    result = session.execute(statement.limit(page_size).offset((page - 1) * page_size))
    policies = Policies(session)
    rows = [
        CaseRow(c, unit_name, unit_code, handler or "", policies.status(c, now))
        for c, unit_name, unit_code, handler in result
    ]
    return Page(rows=rows, total=total, page=page, pages=pages)


def export_rows(
    session: Session,
    caller: Caller,
    filters: Filters,
    now: dt.datetime,
    zone: dt.tzinfo,
    *,
    cap: int = EXPORT_CAP,
) -> Iterator[CaseRow]:
    """Every row of the filtered list (the caller checks the count against the cap first)."""
    statement = _ordered(_rows_statement(session, caller, filters, now, zone), filters.tab)
    policies = Policies(session)
    result = session.execute(statement.limit(cap).execution_options(yield_per=1000))
    for c, unit_name, unit_code, handler in result:
        yield CaseRow(c, unit_name, unit_code, handler or "", policies.status(c, now))


# --- Workbench counts -----------------------------------------------------------------------


@dataclass
class Counts:
    mine: int = 0  # my open and decided cases
    unit: int = 0  # my unit's to-do
    unassigned: int = 0  # my unit's cases with nobody on them
    overdue: int = 0  # open and overdue in my scope


def workbench_counts(session: Session, caller: Caller, now: dt.datetime) -> Counts:
    """The figures above the lists; "overdue" counts what the caller's widest tab holds."""
    scope = complaint_in_scope(caller)
    widest = (
        Complaint.id.is_not(None)
        if Tab.SCOPE in tabs_for(caller)
        else Complaint.responsible_unit_id == caller.unit_id
    )
    row = session.execute(
        select(
            func.count().filter(
                and_(Complaint.handler_id == caller.staff_id, Complaint.state.in_(_ACTIVE))
            ),
            func.count().filter(
                and_(Complaint.responsible_unit_id == caller.unit_id, Complaint.state.in_(_ACTIVE))
            ),
            func.count().filter(
                and_(
                    Complaint.responsible_unit_id == caller.unit_id,
                    Complaint.state.in_(_OPEN),
                    Complaint.handler_id.is_(None),
                )
            ),
            func.count().filter(and_(widest, Complaint.state.in_(_OPEN), Complaint.due_at <= now)),
        ).where(scope)
    ).one()
    return Counts(*(int(n or 0) for n in row))


# --- One case's records (the case page) ------------------------------------------------------


@dataclass(frozen=True)
class CaseRecords:
    """What was asked and decided on one case besides its timeline."""

    extensions: list[ComplaintExtension]  # oldest request first
    consultations: list[ComplaintConsultation]  # oldest first
    supervisions: list[ComplaintSupervision]  # by round, then level


def case_records(session: Session, complaint_id: int) -> CaseRecords:
    """The case's extension requests, expert consultations and supervisions (督办); the caller
    has checked that the case is visible."""
    e, c, s = ComplaintExtension, ComplaintConsultation, ComplaintSupervision
    return CaseRecords(
        extensions=list(
            session.scalars(
                select(e).where(e.complaint_id == complaint_id).order_by(e.requested_at, e.id)
            )
        ),
        consultations=list(
            session.scalars(
                select(c).where(c.complaint_id == complaint_id).order_by(c.requested_at, c.id)
            )
        ),
        supervisions=list(
            session.scalars(
                select(s).where(s.complaint_id == complaint_id).order_by(s.round, s.level)
            )
        ),
    )

"""The supervision board (督办看板): open supervisions of cases in the caller's scope.

Read once for the page and its Excel export; like every list of cases it starts from the
caller's scope (`queries.complaint_in_scope`), so it never holds a case the caller could
not open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from manyi.complaints.access import Caller
from manyi.complaints.queries import complaint_in_scope
from manyi.complaints.tables import Complaint, ComplaintSupervision
from manyi.org.tables import Staff, Unit

__all__ = ["Board", "SupervisionRow", "supervision_board"]


@dataclass
class SupervisionRow:
    supervision: ComplaintSupervision
    complaint: Complaint
    supervising_unit: str
    responsible_unit: str
    handler_name: str
    supervisor_name: str

    def days_left(self, now: dt.datetime) -> float:
        return (self.supervision.due_at - now).total_seconds() / 86400


@dataclass
class Board:
    rows: list[SupervisionRow]
    per_level: dict[int, int] = field(default_factory=dict)
    groups: list[tuple[str, int, list[SupervisionRow]]] = field(default_factory=list)


def supervision_board(session: Session, caller: Caller, lang: str) -> Board:
    """Open supervisions (督办) of cases in the caller's scope, grouped by supervising unit and
    level, most urgent supervision first within each group."""
    supervising = aliased(Unit)
    responsible = aliased(Unit)
    handler = aliased(Staff)
    supervisor = aliased(Staff)
    result = session.execute(
        select(
            ComplaintSupervision,
            Complaint,
            supervising,
            responsible,
            handler.display_name,
            supervisor.display_name,
        )
        .join(Complaint, Complaint.id == ComplaintSupervision.complaint_id)
        .join(supervising, supervising.id == ComplaintSupervision.unit_id)
        .join(responsible, responsible.id == Complaint.responsible_unit_id)
        .outerjoin(handler, handler.id == Complaint.handler_id)
        .outerjoin(supervisor, supervisor.id == ComplaintSupervision.supervisor_id)
        .where(ComplaintSupervision.state == "open", complaint_in_scope(caller))
        .order_by(supervising.path, ComplaintSupervision.level, ComplaintSupervision.due_at)
    ).all()
    board = Board(rows=[])
    for sup, complaint, sup_unit, resp_unit, handler_name, supervisor_name in result:
        row = SupervisionRow(
            supervision=sup,
            complaint=complaint,
            supervising_unit=sup_unit.name(lang),
            responsible_unit=resp_unit.name(lang),
            handler_name=handler_name or "",
            supervisor_name=supervisor_name or "",
        )
        board.rows.append(row)
        board.per_level[sup.level] = board.per_level.get(sup.level, 0) + 1
        if board.groups and board.groups[-1][:2] == (row.supervising_unit, sup.level):
            board.groups[-1][2].append(row)
        else:
            board.groups.append((row.supervising_unit, sup.level, [row]))
    board.per_level = dict(sorted(board.per_level.items()))
    return board

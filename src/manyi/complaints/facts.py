"""What complaints publish for other features to read (listed in PUBLIC): small counts, no
personal data.

- `received_by_unit`: complaints received in a window, per responsible unit, within a data
  scope. Supervision's spot-check sampler weighs outlets up by their complaints of the last 90
  days (`supervision.domain.sampler`). Every complaint received counts, whatever became of it
  (withdrawn or not upheld included): the sampler wants where customers were unhappy enough to
  complain, not the verdict.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.complaints.tables import Complaint
from manyi.org.scope import in_scope


def received_by_unit(
    session: Session, scope_path: str, since: dt.datetime, until: dt.datetime
) -> dict[int, int]:
    """{responsible unit id: complaints received in [since, until)} for units in the scope."""
    rows = session.execute(
        select(Complaint.responsible_unit_id, func.count())
        .where(
            in_scope(Complaint.responsible_unit_path, scope_path),
            Complaint.received_at >= since,
            Complaint.received_at < until,
        )
        .group_by(Complaint.responsible_unit_id)
    ).all()
    return {int(unit): int(count) for unit, count in rows}

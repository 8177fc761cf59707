"""Survey invitations sent and answered, grouped like the satisfaction page's rows (queries).

A survey's response rate is the share of its invitations that were answered: both counts come
from `survey_invitations`, so imported responses (which had no invitation) never inflate it.
Invitations are counted by when they were sent, in the page's range of local dates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from manyi.org.scope import in_scope
from manyi.quality.breakdown import Key, local_window
from manyi.quality.survey_tables import SurveyInvitation as I

_COLUMNS: dict[Key, Any] = {
    Key.OUTLET: I.unit_path,
    Key.TELLER: I.teller_staff_id,
    Key.SERVICE: I.service,
    Key.TRIGGER: I.trigger,
}


def counted(
    session: Session,
    key: Key,
    *,
    tz: str,
    scope_path: str,
    start: dt.date,
    end: dt.date,
    teller_id: int | None = None,
) -> dict[Any, tuple[int, int]]:
    """{key value: (invitations sent, of them answered)}; {} for a grouping invitations do not
    have (a channel is known only once answered; periods are the page's own)."""
    column = _COLUMNS.get(key)
    if column is None:
        return {}
    where = [in_scope(I.unit_path, scope_path) if scope_path != "/" else true()]
    where += local_window(I.created_at, tz, start, end)
    if teller_id is not None:
        where.append(I.teller_staff_id == teller_id)
    rows = session.execute(
        select(column, func.count(), func.count(I.answered_at)).where(*where).group_by(column)
    )
    return {value: (int(sent), int(answered)) for value, sent, answered in rows}

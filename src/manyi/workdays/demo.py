"""The demo bank's 2027 holidays, entered as head office would enter the State Council's notice.

The real 2027 notice is not known to this code: these dates are a plausible set (each holiday
around its date in 2027, make-up workdays on weekends) and say so in their source. A bank
enters the notice it received; `chinese_calendar` releases carry it once published.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.org.model import UnitLevel
from manyi.org.tables import Staff
from manyi.workdays import entry
from manyi.workdays.tables import WorkdayYear

DEMO_YEAR = 2027
DEMO_SOURCE = "演示数据：并非国务院办公厅正式通知 (demo: not the State Council's notice)"
DEMO_2027 = """\
# 演示用 2027 年节假日（示意，非正式通知）
2027-01-01..2027-01-03 元旦
2027-02-05..2027-02-13 春节
2027-01-31 上班 春节
2027-02-20 上班 春节
2027-04-03..2027-04-05 清明节
2027-05-01..2027-05-05 劳动节
2027-04-25 上班 劳动节
2027-05-08 上班 劳动节
2027-06-09 端午节
2027-09-15 中秋节
2027-10-01..2027-10-07 国庆节
2027-09-26 上班 国庆节
2027-10-09 上班 国庆节
"""


def seed(session: Session, now: dt.datetime) -> int:
    """Enter the demo's 2027 once, as the head-office administrator; 1 when entered now."""
    if session.get(WorkdayYear, DEMO_YEAR) is not None:
        return 0
    admin = session.scalar(select(Staff).where(Staff.username == "admin"))
    actor = (
        audit.Actor(id=admin.id, name=admin.username, unit_id=admin.unit_id)
        if admin is not None
        else audit.Actor(id=None, name="demo-seed")
    )
    entry.save_year(
        session,
        actor,
        DEMO_YEAR,
        DEMO_2027,
        now,
        level=UnitLevel.HEAD_OFFICE.value,
        source=DEMO_SOURCE,
        display_name=admin.display_name if admin is not None else "demo-seed",
    )
    return 1

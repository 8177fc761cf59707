"""The demo bank's service stars: the programme of the current quarter, written by head office,
and its nominations, made and approved through the same use cases as in the pages: at 中关村
(BJ-HD-ZGC) 张伟 (`zgc.teller1`) awarded, so the counter's rating pad shows a badge when he
signs on; at 陆家嘴 (SH-PD-LJZ) 徐婷 (`ljz.teller1`) awarded (the Shanghai branch's head
`sh.head` approving its step); 刘洋 (`zgc.teller2`) nominated and waiting for the Beijing
branch's approval (`bj.head`), then head office's (`ho.service`); 孙浩 (`ljz.teller2`) waiting
for the Shanghai branch's (`sh.head`). In the full demo the misconduct cases are seeded first and
take 刘洋 off the star list, so his nomination is refused and 孙浩's is the one waiting.

The demo programme is built for the demo's figures: a quarter to date holds some 150 served
tickets per teller (the pad's history, `quality.demo_pad`), so its volume target is 200 and the
entry bar 50. Without that history (a bank seeded by `manyi.demo.seed` alone) nobody is
eligible and only the programme is added. Idempotent: nothing is added when the programme
exists.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import ManyiError
from manyi.org.tables import Staff
from manyi.supervision import stars, stars_steps
from manyi.supervision.domain import star_definitions as definitions
from manyi.supervision.domain import stars as rules
from manyi.supervision.stars_tables import StarProgramme

# (teller, nominated by, approved by the branch, approved by head office). Their praise is
# what the complaints demo registered for them (`complaints.demo_praise`), seeded first.
NOMINATIONS: tuple[tuple[str, str, str | None, str | None], ...] = (
    ("zgc.teller1", "zgc.head", "bj.head", "ho.service"),
    ("ljz.teller1", "ljz.head", "sh.head", "ho.service"),
    ("zgc.teller2", "zgc.head", None, None),
    ("ljz.teller2", "ljz.head", None, None),
)


def definition(today: dt.date) -> dict[str, Any]:
    data = definitions.default_definition(today)
    data["eligibility"]["min_served"] = 50
    data["criteria"] = [
        {"criterion": "pad", "weight": 35},
        {"criterion": "csat", "weight": 15},
        {"criterion": "complaints", "weight": 15, "target": 3},
        {"criterion": "inspection", "weight": 10},
        {"criterion": "praise", "weight": 10, "target": 5},
        {"criterion": "volume", "weight": 15, "target": 200},
    ]
    data["levels"] = [
        {
            "code": "star5",
            "name_zh": "五星服务明星",
            "name_en": "Five-star",
            "stars": 5,
            "min_score": 85,
        },
        {
            "code": "star4",
            "name_zh": "四星服务明星",
            "name_en": "Four-star",
            "stars": 4,
            "min_score": 75,
        },
        {
            "code": "star3",
            "name_zh": "三星服务明星",
            "name_en": "Three-star",
            "stars": 3,
            "min_score": 60,
        },
    ]
    data["default_quota"] = 3
    data["quotas"] = {"BJ": 4, "SH": 3}
    return data


def _actor(session: Session, username: str) -> tuple[audit.Actor, str] | None:
    staff = session.scalar(select(Staff).where(Staff.username == username))
    if staff is None:
        return None
    return audit.Actor(staff.id, username, staff.unit_id, staff.unit.path), staff.unit.level


def seed(session: Session, now: dt.datetime) -> int:
    """Seed the programme and its nominations; returns how many stars were awarded."""
    today = now.astimezone(dt.UTC).date()
    data = definition(today)
    if session.scalar(select(StarProgramme.id).where(StarProgramme.code == data["code"])):
        return 0
    head_office = _actor(session, "ho.service")
    if head_office is None:
        return 0
    row = stars.save_programme(session, head_office[0], data, now, level=head_office[1])
    awarded = 0
    for teller, nominator, branch, ho in NOMINATIONS:
        staff = session.scalar(select(Staff).where(Staff.username == teller))
        by = _actor(session, nominator)
        if staff is None or by is None:
            continue
        try:
            nomination = stars_steps.nominate(
                session,
                by[0],
                level=by[1],
                programme_id=row.id,
                staff_id=staff.id,
                note="服务热情，业务熟练，客户多次表扬",
                now=now - dt.timedelta(days=3),
            )
        except ManyiError:
            continue  # no history to score, or off the star list (nothing stored)
        for approver, days in ((branch, 2), (ho, 1)):
            who = _actor(session, approver) if approver else None
            if who is None:
                break
            stars_steps.approve(
                session,
                who[0],
                level=who[1],
                nomination_id=nomination.id,
                now=now - dt.timedelta(days=days),
            )
        awarded += nomination.state == rules.NominationState.AWARDED.value
    return awarded

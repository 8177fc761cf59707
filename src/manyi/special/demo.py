"""Visits in the demo bank: a few requests at 陆家嘴 and 中关村 in different states, made
through the same use cases as the pages (each step audited), at times before `now`.

- 李秀英 (in hospital, 80,000 yuan for medical bills): approved by the outlet, waiting for
  the Shanghai branch (above the threshold);
- 张伟 (bedridden at home, a lost card): scheduled for the day after tomorrow, two tellers;
- 王芳 (care home, identity confirmation): visited and closed last week;
- 刘洋 (a card replacement at home): refused, with the reason;
- at 中关村, 张伟's father-in-law case: requested only.
Idempotent: nothing is added when the bank has visits already.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.counter.adapters.simulated_core import DEMO_CUSTOMERS
from manyi.org.tables import Staff
from manyi.special import intake, visits
from manyi.special.access import Who
from manyi.special.tables import SpecialVisit

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def _who(session: Session, username: str) -> Who:
    staff = session.scalar(select(Staff).where(Staff.username == username))
    if staff is None:
        raise LookupError(f"demo staff {username} is missing: seed the demo bank first")
    return Who.of(staff)


def _fields(customer: str, outlet: str, **values: str) -> intake.RequestFields:
    name, id_number = DEMO_CUSTOMERS[customer][0], DEMO_CUSTOMERS[customer][1]
    base = {
        "source": "phone",
        "outlet_code": outlet,
        "customer_name": name,
        "id_number": id_number,
        "place_kind": "home",
        "place_text": "",
        "need": "card_loss",
        "reason": "bedridden",
        "evidence": "",
        "relative_name": "",
        "relation": "",
        "phone": "",
    }
    base.update(values)
    return intake.RequestFields(**base)


def seed(session: Session, now: dt.datetime) -> int:
    """Add the demo visits; returns how many were added (0 when there were some)."""
    if session.scalar(select(func.count()).select_from(SpecialVisit)):
        return 0
    lobby, head, branch = (_who(session, u) for u in ("ljz.lobby", "ljz.head", "sh.head"))
    team = [_who(session, u).staff_id for u in ("ljz.teller1", "ljz.teller2")]
    teller1 = _who(session, "ljz.teller1")

    start = now - 2 * HOUR
    waiting = _fields(
        "li_xiuying",
        "SH-PD-LJZ",
        place_kind="hospital",
        place_text="仁济医院东院 住院部 8 楼 21 床",
        need="withdraw_medical",
        amount="80000",
        reason="in_hospital",
        evidence="住院证明、缴费通知单（家属到店出示）",
        relative_name="李建国",
        relation="儿子",
        phone="13800138021",
    )
    first = intake.create_request(session, lobby, waiting, start)
    intake.approve_request(session, head, first.reference, start + HOUR)

    start = now - DAY
    lost = _fields(
        "zhang_wei",
        "SH-PD-LJZ",
        place_text="浦东新区世纪大道 200 弄 5 号 602 室",
        evidence="社区医院卧床证明（照片）",
        relative_name="张丽",
        relation="妻子",
        phone="13800138022",
    )
    second = intake.create_request(session, lobby, lost, start)
    intake.approve_request(session, head, second.reference, start + HOUR)
    visits.assign_staff(session, head, second.reference, team, start + 2 * HOUR)
    visits.schedule(session, head, second.reference, now + 2 * DAY, start + 3 * HOUR)

    start = now - 9 * DAY
    identity = _fields(
        "wang_fang",
        "SH-PD-LJZ",
        place_kind="care_home",
        place_text="浦东新区康乐养老院 3 号楼 105 室",
        need="confirm_identity",
        reason="elderly_frail",
        evidence="养老院出具的入住证明",
        source="outlet",
    )
    third = intake.create_request(session, lobby, identity, start)
    intake.approve_request(session, head, third.reference, start + HOUR)
    visits.assign_staff(session, head, third.reference, team, start + 2 * HOUR)
    visits.schedule(session, head, third.reference, start + 2 * DAY, start + 3 * HOUR)
    visits.record_visit(
        session,
        teller1,
        third.reference,
        "康乐养老院 3 号楼 105 室",
        "31.22150,121.54410",
        start + 2 * DAY,
    )
    visits.close(session, teller1, third.reference, start + 2 * DAY + HOUR)

    start = now - 5 * DAY
    refused = _fields(
        "liu_yang",
        "SH-PD-LJZ",
        need="card_replace",
        reason="disabled",
        place_text="浦东新区张杨路 88 号",
        evidence="残疾人证（家属口述）",
        relative_name="刘强",
        relation="父亲",
        phone="13800138024",
    )
    fourth = intake.create_request(session, lobby, refused, start)
    intake.refuse_request(
        session, head, fourth.reference, "客户可由家属持委托书到店办理，已电话告知", start + HOUR
    )

    zgc = _fields(
        "zhang_wei",
        "BJ-HD-ZGC",
        place_kind="hospital",
        place_text="北京大学第三医院 心内科 12 床",
        need="change_mobile",
        reason="in_hospital",
        evidence="住院证明（家属到店出示）",
        relative_name="张明",
        relation="儿子",
        phone="13800138025",
    )
    intake.create_request(session, _who(session, "zgc.lobby"), zgc, now - 3 * HOUR)
    del branch  # the Shanghai branch's approval of the first is left for the demo's user
    return 5

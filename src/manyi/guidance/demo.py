"""The demo bank's lobby guidance (run by `manyi demo seed`, before the cockpit's roll-ups):

- each demo outlet's self-service machines (the two showcase outlets have more);
- thirty days of triage at the two showcase outlets by their lobby managers: every working
  day's customers met at the door, by need, with tickets, pre-fills, diversions (machines,
  mobile and online banking, another outlet, appointments), teaching and results, and the wait
  each diversion avoided (the demo's own plausible waits, busier in the morning and at noon).

History is written as rows (no audit entries, no lobby tickets: the demo's triage tickets are
not linked to tickets). Deterministic (a seeded generator); seeding twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from manyi.counter import channels
from manyi.guidance.domain.triage import (
    DIVERSIONS,
    TEACHABLE,
    Machine,
    MachineKind,
    Outcome,
    default_service,
    proposals,
)
from manyi.guidance.tables import GuidanceEncounter, GuidanceMachine
from manyi.lobby import layouts
from manyi.org.tables import Staff, Unit

DAYS = 30
TZ = "Asia/Shanghai"
SHOWCASE = {"BJ-HD-ZGC": "zgc.lobby", "SH-PD-LJZ": "ljz.lobby"}
NEARBY = {"BJ-HD-ZGC": "BJ-HD-WDK", "SH-PD-LJZ": "SH-XH-XJH"}  # where a customer is sent
LARGE = (
    ("智能柜员机 1号", MachineKind.SMART_TELLER),
    ("智能柜员机 2号", MachineKind.SMART_TELLER),
    ("存取款一体机 1号", MachineKind.CASH),
    ("存取款一体机 2号", MachineKind.CASH),
    ("存折补登机", MachineKind.PASSBOOK),
    ("自助服务终端", MachineKind.TERMINAL),
)
SMALL = (
    ("智能柜员机 1号", MachineKind.SMART_TELLER),
    ("存取款一体机 1号", MachineKind.CASH),
    ("自助服务终端", MachineKind.TERMINAL),
)
SMALL_OUTLETS = ("BJ-HD-WDK", "BJ-CY-WJ", "SH-XH-XJH")
# How often each need is asked for at the door (weights), the rest being "other".
NEED_WEIGHTS = {
    "deposit": 10, "withdraw": 12, "transfer": 12, "card_issue": 5, "card_loss": 4,
    "card_replace": 3, "change_mobile": 5, "card_activate": 3, "password_reset": 6,
    "term_deposit": 6, "term_early_withdraw": 3, "bill_pay": 6, "wealth_buy": 4,
    "open_account": 4, "mobile_banking_signup": 4, "close_account": 2, "other": 11,
}  # fmt: skip


@dataclass(frozen=True)
class Seeded:
    machines: int
    encounters: int

    def line(self) -> str:
        return (
            f"lobby guidance: {self.machines} self-service machines and {self.encounters} "
            f"customers met at the door over {DAYS} days added"
        )


def seed(session: Session, now: dt.datetime) -> Seeded:
    machines = _seed_machines(session, now)
    return Seeded(machines, _seed_encounters(session, now))


def _seed_machines(session: Session, now: dt.datetime) -> int:
    added = 0
    for code in (*SHOWCASE, *SMALL_OUTLETS):
        outlet = session.scalar(select(Unit).where(Unit.code == code))
        if outlet is None:
            continue
        known = set(
            session.scalars(
                select(GuidanceMachine.label).where(GuidanceMachine.outlet_id == outlet.id)
            )
        )
        for label, kind in LARGE if code in SHOWCASE else SMALL:
            if label not in known:
                session.add(
                    GuidanceMachine(
                        outlet_id=outlet.id, label=label, kind=kind.value, in_service=True,
                        changed_at=now,
                    )
                )  # fmt: skip
                added += 1
    session.flush()
    return added


def _seed_encounters(session: Session, now: dt.datetime) -> int:
    zone = zoneinfo.ZoneInfo(TZ)
    last = now.astimezone(zone).date() - dt.timedelta(days=1)
    first = last - dt.timedelta(days=DAYS - 1)
    needs = {n.code: n for n in channels.needs(session)}
    rows: list[dict[str, Any]] = []
    for code, username in SHOWCASE.items():
        outlet = session.scalar(select(Unit).where(Unit.code == code))
        staff_id = session.scalar(select(Staff.id).where(Staff.username == username))
        if outlet is None or staff_id is None or not needs:
            continue
        seeded = session.scalar(
            select(func.count()).where(
                GuidanceEncounter.outlet_id == outlet.id,
                GuidanceEncounter.local_day >= first,
                GuidanceEncounter.local_day <= last,
            )
        )
        if seeded:
            continue
        rng = random.Random(f"guidance-{code}")  # noqa: S311 (demo data, not a secret)
        machines = [
            Machine(m.id, m.label, m.kind, m.in_service)
            for m in session.scalars(
                select(GuidanceMachine).where(GuidanceMachine.outlet_id == outlet.id)
            )
        ]
        services = list(layouts.layout(session, outlet).services)
        nearby = session.scalar(select(Unit.id).where(Unit.code == NEARBY[code]))
        day = first
        while day <= last:
            busy = day.weekday() < 5
            for _ in range(rng.randint(28, 46) if busy else rng.randint(12, 22)):
                rows.append(
                    _encounter(rng, outlet, staff_id, day, zone, needs, machines, services, nearby)
                )
            day += dt.timedelta(days=1)
    if rows:
        session.execute(insert(GuidanceEncounter), rows)
    return len(rows)


def _encounter(
    rng: random.Random,
    outlet: Unit,
    staff_id: int,
    day: dt.date,
    zone: zoneinfo.ZoneInfo,
    needs: dict[str, channels.Need],
    machines: list[Machine],
    services: list[str],
    nearby: int | None,
) -> dict[str, Any]:
    need = rng.choices(list(NEED_WEIGHTS), weights=list(NEED_WEIGHTS.values()))[0]
    minute = rng.randint(9 * 60, 16 * 60 + 40)
    at = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), zone).astimezone(dt.UTC)
    peak = minute < 11 * 60 or 12 * 60 <= minute < 13 * 60 + 30
    predicted = rng.randint(8, 25) * 60 if peak else rng.randint(2, 12) * 60
    offered = proposals(needs[need].channels, machines) if need in needs else []
    roll = rng.random()
    outcome, machine_id, function = Outcome.TICKET, None, None
    if need == "other":
        outcome = Outcome.ANSWERED if roll < 0.55 else Outcome.TICKET
    elif offered and roll < 0.42:
        pick = offered[0] if rng.random() < 0.7 else rng.choice(offered)
        outcome = pick.outcome
        machine_id = pick.machine.id if pick.machine is not None else None
        function = pick.function
    elif roll < 0.47:
        outcome = Outcome.APPOINTMENT
    elif roll < 0.50 and nearby is not None:
        outcome = Outcome.OTHER_OUTLET
    elif roll < 0.60:
        outcome = Outcome.PREFILL
    diverted = outcome in DIVERSIONS
    taught = outcome in TEACHABLE and rng.random() < 0.6
    completed = (rng.random() < (0.92 if taught else 0.8)) if diverted else None
    took_ticket = diverted and completed is False and rng.random() < 0.7
    klass = None
    if outcome is Outcome.TICKET or took_ticket:
        klass = "green" if rng.random() < 0.12 else "normal"
    return {
        "outlet_id": outlet.id,
        "outlet_path": outlet.path,
        "local_day": day,
        "at": at,
        "staff_id": staff_id,
        "need": need,
        "service_code": default_service(need, services),
        "outcome": outcome.value,
        "klass": klass,
        "machine_id": machine_id,
        "function_zh": getattr(function, "zh", ""),
        "function_en": getattr(function, "en", ""),
        "target_outlet_id": nearby if outcome is Outcome.OTHER_OUTLET else None,
        "taught": taught,
        "completed": completed,
        "ticket_id": None,
        "predicted_wait_s": predicted,
        "changed_at": at,
    }

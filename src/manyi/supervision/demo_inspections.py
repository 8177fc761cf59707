"""The demo bank's inspections: the default checklist stored, a dozen submitted visits across
the five demo outlets over the last four months (陆家嘴 strong, 望京 weaker), some with a
critical failure, the critical failures turned into rectification tasks (the oldest already
overdue), photos on failed items that ask for one, and one visit planned for tomorrow.

Deterministic (a seeded generator, days counted back from `now`) and idempotent: the demo
visits carry a note starting with DEMO_NOTE, and none is added once one exists.
"""

from __future__ import annotations

import datetime as dt
import random
import struct
import zlib
import zoneinfo
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.org.tables import Staff, Unit
from manyi.supervision import inspection_photos, inspections
from manyi.supervision.domain.standards import DEFAULT_ITEMS
from manyi.supervision.inspection_tables import InspectionVisit
from manyi.supervision.standards import ensure_standard

DEMO_NOTE = "演示数据"
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
# outlet → (inspector, chance that an ordinary item fails)
OUTLETS = {
    "BJ-HD-ZGC": ("bj.inspector", 0.08),
    "SH-PD-LJZ": ("ho.inspector", 0.03),
    "BJ-CY-WJ": ("bj.inspector", 0.2),
    "SH-XH-XJH": ("ho.inspector", 0.1),
    "BJ-HD-WDK": ("bj.inspector", 0.12),
}
# visit number → the critical item that fails there
CRITICAL = {1: "A2", 4: "D1", 7: "EL1", 10: "A2"}
KINDS = ("scheduled", "scheduled", "spot", "scheduled", "remote")
VISITS = 12
PHOTO_ITEMS = {i.code for i in DEFAULT_ITEMS if i.photo_required}


def _png(shade: int) -> bytes:
    """A small grey picture standing in for a photo taken on the tablet."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\0" + bytes([shade, shade, shade + 10]) * 64 for _ in range(48))
    header = struct.pack(">IIBBBBB", 64, 48, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + (chunk(b"IEND", b""))
    )


def _actor(session: Session, username: str) -> audit.Actor | None:
    staff = session.scalar(select(Staff).where(Staff.username == username))
    if staff is None:
        return None
    return audit.Actor(
        id=staff.id, name=staff.username, unit_id=staff.unit_id, unit_path=staff.unit.path
    )


def seed(session: Session, now: dt.datetime, var_dir: Path | None = None) -> int:
    """Store the demo visits (photos under `var_dir` when given); returns visits added."""
    if session.scalar(
        select(InspectionVisit.id).where(InspectionVisit.notes.startswith(DEMO_NOTE)).limit(1)
    ):
        return 0
    ensure_standard(session, now)
    units = {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_(OUTLETS)))}
    codes = [c for c in OUTLETS if c in units]
    if not codes:
        return 0
    rng = random.Random(18)  # noqa: S311 (demo data, not a secret)
    today = now.astimezone(TZ).date()
    added = 0
    for number in range(VISITS):
        code = codes[number % len(codes)]
        actor = _actor(session, OUTLETS[code][0])
        if actor is None:
            continue
        day = today - dt.timedelta(days=118 - number * 10)
        at = dt.datetime.combine(day, dt.time(10, 30), TZ).astimezone(dt.UTC)
        visit_id = inspections.schedule_visit(
            session,
            actor,
            outlet_id=units[code].id,
            kind=KINDS[number % len(KINDS)],
            planned_on=day,
            inspector_id=actor.id,
            now=at,
        )
        answers: dict[str, tuple[str, str]] = {}
        for item in DEFAULT_ITEMS:
            failed = not item.critical and rng.random() < OUTLETS[code][1]
            if item.photo_required and var_dir is None:
                failed = False  # no photo to show for it
            answers[item.code] = ("failed", "现场发现不符合规范") if failed else ("passed", "")
        critical = CRITICAL.get(number)
        if critical in PHOTO_ITEMS and var_dir is None:
            critical = "P1"  # a critical item that needs no photo
        if critical:
            answers[critical] = ("failed", "关键项不符合：已当场指出")
        if code == "SH-XH-XJH":
            answers["E2"] = ("na", "网点无自助设备")
        inspections.record_results(session, actor, visit_id, answers, at)
        if var_dir is not None:
            for item in DEFAULT_ITEMS:
                if item.photo_required and answers[item.code][0] == "failed":
                    inspection_photos.attach_photo(
                        session,
                        actor,
                        visit_id,
                        item.code,
                        filename=f"{item.code}.png",
                        data=_png(120 + number * 5),
                        var_dir=var_dir,
                        now=at,
                    )
        inspections.submit_visit(session, actor, visit_id, at, f"{DEMO_NOTE}：例行检查")
        if critical:
            inspections.failed_item_to_task(session, actor, visit_id, critical, at)
        added += 1
    tomorrow = today + dt.timedelta(days=1)
    planner = _actor(session, "bj.inspector")
    if planner is not None and "BJ-HD-WDK" in units:
        visit_id = inspections.schedule_visit(
            session,
            planner,
            outlet_id=units["BJ-HD-WDK"].id,
            kind="spot",
            planned_on=tomorrow,
            inspector_id=planner.id,
            now=now,
        )
        planned = session.get(InspectionVisit, visit_id)
        assert planned is not None
        planned.notes = f"{DEMO_NOTE}：明日抽查"
        added += 1
    return added

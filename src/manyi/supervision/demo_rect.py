"""Rectification tasks for the demo bank: open, in progress, submitted (with a photo), closed on
time, and overdue ones, across the Beijing and Shanghai outlets, from several sources. They go
through the real use cases (opened at earlier times, so some are overdue now); seeding twice
adds nothing (the demo's tasks carry "demo:" in their source reference)."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.org.tables import Staff, Unit
from manyi.supervision import rectification
from manyi.supervision.domain.rectification import NewTask, Source
from manyi.supervision.rectification_files import Upload
from manyi.supervision.rectification_tables import RectificationTask

MARK = "demo:"


@dataclass(frozen=True)
class DemoTask:
    unit: str
    issuer: str
    owner: str | None
    source: Source
    ref: str
    title: str
    detail: str
    evidence: str
    days_ago: int  # opened this many days before now
    due_days: int  # working days to rectify
    steps: tuple[str, ...]  # "start", "submit", "verify", "close", "send_back"
    worker: str = ""  # who starts and submits (default: the owner)


TASKS = (
    DemoTask(
        "BJ-HD-ZGC", "bj.inspector", "zgc.head", Source.INSPECTION, "inspection:demo:B3",
        "柜员未佩戴工号牌", "巡查发现 3 号、5 号窗口柜员未按规定佩戴工号牌（挂牌上岗）。",
        "全员佩戴工号牌的现场照片", 1, 5, (),
    ),
    DemoTask(
        "BJ-HD-ZGC", "hd.complaints", "zgc.lobby", Source.COMPLAINT, "demo:等候时间过长",
        "午间高峰等候时间过长", "近一月 3 件投诉反映午间等候超过 40 分钟，溯源为午间窗口开放不足。",
        "调整后的午间排班表及开放窗口记录", 4, 10, ("start",),
    ),
    DemoTask(
        "SH-PD-LJZ", "sh.complaints", "ljz.head", Source.SURVEY_THEME, "demo:态度",
        "客户评价反映服务态度生硬", "满意度评价中“态度”主题的负面评论增多。",
        "服务礼仪培训签到表及培训照片", 6, 5, ("start", "submit"),
    ),
    DemoTask(
        "SH-PD-LJZ", "sh.complaints", "ljz.lobby", Source.MANUAL, "demo:适老化",
        "爱心座椅与老花镜配备不足", "大堂适老化设施检查：爱心座椅 1 张、老花镜缺失。",
        "补充设施后的大堂照片", 20, 5, ("start", "submit", "verify", "close"),
    ),
    DemoTask(
        "BJ-CY-WJ", "bj.inspector", None, Source.INSPECTION, "inspection:demo:E2",
        "信息公示栏未更新利率", "暗访发现网点公示的存款利率仍为上季度标准。",
        "更新后的公示栏照片", 20, 5, (),
    ),
    DemoTask(
        "SH-XH-XJH", "ho.inspector", None, Source.MISCONDUCT, "misconduct:demo:1",
        "柜员与客户争执事件整改", "客户投诉柜员在办理业务时与其争执，已认定为一般服务违规。",
        "整改报告（PDF）及警示教育记录", 15, 3, (),
    ),
    DemoTask(
        "BJ-HD-ZGC", "bj.inspector", "zgc.head", Source.INSPECTION, "inspection:demo:C1",
        "叫号后未主动招呼客户", "远程督导抽查：两次叫号后柜员未起身招呼。",
        "晨会培训记录", 12, 5, ("start", "submit", "send_back", "start"),
    ),
)  # fmt: skip


def photo_png(
    width: int = 64, height: int = 48, rgb: tuple[int, int, int] = (179, 38, 30)
) -> bytes:
    """A small solid-colour PNG (the demo's "photo")."""
    row = b"\x00" + bytes(rgb) * width
    raw = row * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _actor(session: Session, username: str) -> audit.Actor | None:
    staff = session.scalar(select(Staff).where(Staff.username == username))
    if staff is None:
        return None
    return audit.Actor(
        id=staff.id, name=staff.username, unit_id=staff.unit_id, unit_path=staff.unit.path
    )


def seed(session: Session, now: dt.datetime, var_dir: Path) -> int:
    """Open the demo's tasks (once); returns how many were added."""
    done = session.scalar(
        select(RectificationTask.id).where(RectificationTask.source_ref.contains(MARK)).limit(1)
    )
    if done is not None:
        return 0
    added = 0
    for item in TASKS:
        unit = session.scalar(select(Unit).where(Unit.code == item.unit))
        issuer = _actor(session, item.issuer)
        owner = _actor(session, item.owner) if item.owner else None
        if unit is None or issuer is None:
            continue  # a demo bank without that unit or person
        at = now - dt.timedelta(days=item.days_ago)
        new = NewTask(
            source=item.source,
            source_ref=item.ref,
            title=item.title,
            detail=item.detail,
            unit_id=unit.id,
            owner_id=owner.id if owner else None,
            evidence_required=item.evidence,
            due_days=item.due_days,
        )
        task_id = rectification.open_task(session, issuer, new, now=at)
        _play(session, task_id, item, issuer, owner, at, var_dir)
        added += 1
    return added


def _play(
    session: Session,
    task_id: int,
    item: DemoTask,
    issuer: audit.Actor,
    owner: audit.Actor | None,
    at: dt.datetime,
    var_dir: Path,
) -> None:
    worker = owner
    for number, step in enumerate(item.steps, start=1):
        when = at + dt.timedelta(days=number, hours=1)
        if step == "start" and worker is not None:
            rectification.start(session, worker, task_id, now=when)
        elif step == "submit" and worker is not None:
            rectification.submit(
                session,
                worker,
                task_id,
                note="已按要求整改，附现场照片。",
                files=[Upload("整改后现场.png", photo_png())],
                var_dir=var_dir,
                now=when,
            )
        elif step == "verify":
            rectification.verify(session, issuer, task_id, now=when)
        elif step == "close":
            rectification.close(session, issuer, task_id, now=when)
        elif step == "send_back":
            rectification.send_back(
                session, issuer, task_id, reason="照片未体现整改后的效果，请补充。", now=when
            )

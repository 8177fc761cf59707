"""The demo bank's opinions and suggestions (意见建议): a few from a customer forum, online media
and a letter about the Beijing and Shanghai outlets, one in each state."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.insight import opinions
from manyi.insight.tables import OpinionRow
from manyi.org.tables import Staff, Unit

# (unit, source, reference, text, business, appeal, issue, days ago, steps, reply)
OPINIONS = (
    (
        "BJ-HD-ZGC",
        "forum",
        "中关村营业室2026年第四季度客户座谈会",
        "建议周六上午多开一个窗口，退休客户集中在周末办理业务。",
        "savings",
        "improvement",
        "waiting_time",
        20,
        ("review", "adopt"),
        "已自12月起周六上午增开一个窗口，感谢您的建议。",
    ),
    (
        "SH-PD-LJZ",
        "online_media",
        "https://weibo.example.com/post/ljz-20261120",
        "网友建议自助机增加上海话语音提示，方便老年人使用。",
        "",
        "improvement",
        "",
        12,
        ("review", "decline"),
        "方言语音暂无计划，已将自助机操作指引改为大字版。",
    ),
    (
        "BJ-HD-ZGC",
        "letter",
        "来信编号 BJ-2026-118",
        "来信建议在大堂设置老花镜和放大镜，填单时看不清小字。",
        "",
        "improvement",
        "",
        5,
        ("review",),
        "",
    ),
    (
        "SH-PD-LJZ",
        "phone",
        "",
        "客户来电建议手机银行转账限额设置入口更明显一些。",
        "payments",
        "improvement",
        "",
        2,
        (),
        "",
    ),
)


def seed(session: Session, now: dt.datetime) -> int:
    """Registers the demo opinions unless some are stored; returns how many were added."""
    if session.scalar(select(OpinionRow.id).limit(1)) is not None:
        return 0
    handler = session.scalar(select(Staff).where(Staff.username == "ho.complaints"))
    if handler is None:
        return 0
    actor = audit.Actor(handler.id, handler.username, handler.unit_id, handler.unit.path)
    added = 0
    for code, kind, ref, text, business, appeal, issue, days, steps, reply in OPINIONS:
        unit = session.scalar(select(Unit).where(Unit.code == code))
        if unit is None:
            continue
        at = now - dt.timedelta(days=days)
        row = opinions.register(
            session,
            actor,
            source_kind=kind,
            source_ref=ref,
            text=text,
            unit_id=unit.id,
            received_at=at,
            codes={"business_code": business, "appeal_code": appeal, "issue_code": issue},
            now=at,
        )
        for i, step in enumerate(steps):
            opinions.take_step(session, actor, row.id, step, reply, at + dt.timedelta(days=i + 1))
        added += 1
    return added

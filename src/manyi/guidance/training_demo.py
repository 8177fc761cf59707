"""The demo bank's case library and training (run by `manyi demo seed`, after supervision's and
complaints' demo, whose findings, upheld complaints, praise and misconduct cases are the cases'
sources): published cases written without personal data (`tests` check them with the library's
own check), one waiting for head office and one returned; two published modules assigned to
outlets (two after an inspection's finding); a month of the tellers' attempts.

Written as rows (no audit records), like the other demo histories. Seeded once: skipped when
the library has cases.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.complaints import facts as complaint_facts
from manyi.guidance.domain.training import Question
from manyi.guidance.training_tables import (
    GuidanceAssignment,
    GuidanceAttempt,
    GuidanceCase,
    GuidanceModule,
    GuidanceModuleCase,
)
from manyi.org.tables import Staff, Unit
from manyi.supervision import findings

# (source kind, how to find it, title, story, lessons, topics, state)
CASES: tuple[tuple[str, str, str, str, str, tuple[str, ...], str], ...] = (
    ("inspection", "G2", "客户走近窗口，柜员未起身迎接",
     "检查人员在营业时间观察到，一位老年客户走近窗口时，某柜员仍低头整理凭证，未起身迎接，也没有"
     "使用“您好，请问办理什么业务”的服务用语。客户在窗口前站了近一分钟才开口询问，事后向大堂经理"
     "表示感觉不被重视。",
     "客户走近窗口时，柜员应放下手中工作、起身相迎、主动问候；办理结束时道别并提醒带好随身物品。",
     ("attitude", "elderly"), "published"),
    ("complaint", "upheld", "等候过长且未被告知可分流办理",
     "王先生到网点办理转账，排队等候四十多分钟。其间大堂无人引导，王先生后来才得知该业务可在智能"
     "柜员机上办理，且大堂有工作人员可以指导，于是投诉网点大堂管理不到位。经核查投诉成立。",
     "大堂经理应在客户进门时主动询问需求，对可在自助机具或手机银行办理的业务，主动引导并一对一"
     "教学；客户仍愿意取号的，不得强行分流。",
     ("process", "complaints"), "published"),
    ("praise", "", "耐心帮助老人办理养老金业务",
     "一位八十多岁的老人来网点领取养老金，忘记了密码，情绪焦急。某柜员请老人到爱心窗口坐下，先"
     "倒了一杯温水，再耐心核实身份、协助重置密码，全程放慢语速、大字提示。老人的家属来电表扬。",
     "对老年客户要放慢节奏、耐心解释，优先使用爱心窗口，必要时请大堂经理全程陪同。",
     ("elderly", "excellence"), "published"),
    ("inspection", "EL1", "爱心窗口设施不全",
     "检查发现网点爱心窗口未配备老花镜和放大镜，轮椅存放位置被杂物占用，柜台上的爱心窗口标识"
     "被宣传折页遮挡，老年客户不易找到。",
     "每日开门前检查适老设施是否齐全可用、标识是否醒目；发现问题当日整改并记录。",
     ("elderly", "environment"), "published"),
    ("misconduct", "", "违规代客户操作自助机具",
     "某员工在自助机具旁为客户代为输入密码并操作转账，违反了“不代客操作、不接触客户密码”的规定。"
     "事后调查确认该员工的行为已构成违规，网点对其进行了处理并组织全员学习。",
     "指导客户使用自助机具时，只讲解、不代办；客户输入密码时主动回避，提醒客户遮挡。",
     ("fraud", "process"), "submitted"),
    ("inspection", "D1", "利率公告未及时更新",
     "检查发现网点公示的存款利率仍为上月标准，客户咨询时柜员口头告知的利率与公示不一致。",
     "利率调整当日更新公示并核对，柜员解答前先核实最新标准。",
     ("disclosure",), "returned"),
)  # fmt: skip

MODULES = (
    ("起身迎接与规范服务用语", 0.8, ["G1", "G2", "G3"], (0, 1), [
        Question("老年客户走近窗口时，柜员首先应当：",
                 ("继续整理凭证", "起身相迎并主动问候", "示意客户先取号"), 1,
                 "起身相迎、主动问候是窗口服务规范的第一步。"),
        Question("客户的业务可在智能柜员机办理，但客户仍想在柜台办理，应当：",
                 ("强行引导至自助机具", "介绍自助渠道后尊重客户选择", "拒绝办理"), 1,
                 "分流以客户自愿为前提，不得强制。"),
        Question("办理结束时应当：", ("直接叫下一号", "道别并提醒带好随身物品"), 1),
    ]),
    ("适老服务与爱心窗口", 0.8, ["EL1", "EL2"], (2, 3), [
        Question("每日开门前，爱心窗口应当检查：",
                 ("老花镜、放大镜、轮椅等设施是否齐全可用", "宣传折页是否摆满"), 0),
        Question("老年客户忘记密码、情绪焦急时，应当：",
                 ("请客户回家找家属", "请到爱心窗口坐下，耐心核实身份后协助办理",
                  "让客户自己在机具上重置"), 1, "先安抚情绪，再按规定办理。"),
    ]),
)  # fmt: skip
TAKERS = ("zgc.teller1", "zgc.teller2", "ljz.teller1", "ljz.teller2", "wj.teller1", "wdk.teller1")


def seed(session: Session, now: dt.datetime) -> str:
    """Seed the library and training once; the line `manyi demo seed` prints."""
    if session.scalar(select(func.count()).select_from(GuidanceCase)):
        return "typical cases and training: already seeded"
    author = session.scalar(select(Staff.id).where(Staff.username == "ho.service"))
    if author is None:
        return "typical cases and training: no head-office service manager to write them"
    case_ids = [_case(session, i, spec, author, now) for i, spec in enumerate(CASES)]
    modules = [_module(session, spec, case_ids, author, now) for spec in MODULES]
    assigned = _assign(session, modules, author, now)
    attempts = _attempts(session, modules, now)
    written = sum(1 for c in case_ids if c is not None)
    return (
        f"typical cases and training: {written} cases, {len(modules)} modules, "
        f"{assigned} assignments and {attempts} attempts added"
    )


def _source(session: Session, kind: str, hint: str) -> tuple[str, Unit] | None:
    """The oldest source of this kind in the demo bank (an inspection: failing item `hint`)."""
    found: tuple[str, int] | None = None
    if kind == "inspection":
        items = findings.recent_failed_items(session, "/", hint, limit=1000)
        found = (f"{items[-1][0]}/{hint}", items[-1][1]) if items else None
    elif kind in ("complaint", "praise"):
        complaints, praise = complaint_facts.library_sources(session, "/", limit=1000)
        rows = complaints if kind == "complaint" else [(str(i), u) for i, u in praise]
        found = rows[-1] if rows else None
    else:
        cases = findings.finalised_cases(session, "/", limit=1000)
        found = (str(cases[-1][0]), cases[-1][1]) if cases else None
    unit = session.get(Unit, found[1]) if found else None
    return (found[0], unit) if found and unit is not None else None


def _case(
    session: Session, i: int, spec: tuple[Any, ...], author: int, now: dt.datetime
) -> int | None:
    kind, hint, title, story, lessons, topics, state = spec
    found = _source(session, kind, hint)
    if found is None:
        return None
    ref, unit = found
    at = now - dt.timedelta(days=40 - 3 * i)
    decided = state in ("published", "returned")
    row = GuidanceCase(
        title=title, story=story, lessons=lessons, topics=list(topics), not_names=[],
        source_kind=kind, source_ref=ref, unit_id=unit.id, unit_path=unit.path, state=state,
        author_id=author, created_at=at, changed_at=at, submitted_at=at,
        decided_by_id=author if decided else None, decided_at=at if decided else None,
        return_reason="请补充核对利率公示的具体做法" if state == "returned" else "",
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row.id


def _module(
    session: Session,
    spec: tuple[Any, ...],
    case_ids: list[int | None],
    author: int,
    now: dt.datetime,
) -> GuidanceModule:
    title, mark, items, cases, questions = spec
    at = now - dt.timedelta(days=30)
    module = GuidanceModule(
        title=title, pass_mark=mark, items=items, questions=[q.as_json() for q in questions],
        state="published", created_by_id=author, created_at=at, published_at=at,
    )  # fmt: skip
    session.add(module)
    session.flush()
    kept = [case_ids[i] for i in cases if case_ids[i] is not None]
    for position, case_id in enumerate(kept, start=1):
        session.add(GuidanceModuleCase(module_id=module.id, position=position, case_id=case_id))
    return module


def _assign(session: Session, modules: list[GuidanceModule], author: int, now: dt.datetime) -> int:
    plan = (
        (modules[0], "SH-PD-LJZ", "visit · G2"),
        (modules[0], "BJ-HD-ZGC", ""),
        (modules[1], "BJ-CY-WJ", "visit · EL1"),
        (modules[1], "BJ-HD-ZGC", ""),
    )
    added = 0
    for module, code, finding in plan:
        unit = session.scalar(select(Unit).where(Unit.code == code))
        if unit is None:
            continue
        session.add(
            GuidanceAssignment(
                module_id=module.id, unit_id=unit.id, unit_path=unit.path,
                due_on=(now + dt.timedelta(days=10)).date(), finding=finding,
                assigned_by_id=None if finding else author, assigned_at=now - dt.timedelta(days=28),
            )
        )  # fmt: skip
        added += 1
    session.flush()
    return added


def _attempts(session: Session, modules: list[GuidanceModule], now: dt.datetime) -> int:
    rng = random.Random("guidance-training")  # noqa: S311 (demo data, not a secret)
    staff = session.execute(
        select(Staff.id, Staff.unit_id, Unit.path)
        .join(Unit, Unit.id == Staff.unit_id)
        .where(Staff.username.in_(TAKERS))
        .order_by(Staff.username)
    ).all()
    added = 0
    for staff_id, unit_id, path in staff:
        for module in modules:
            if rng.random() < 0.3:
                continue  # not started yet
            questions = [Question.of(q) for q in module.questions]
            for _ in range(rng.choice((1, 1, 2))):
                answers = [
                    q.answer + 1 if rng.random() < 0.8 else (q.answer + 1) % len(q.options) + 1
                    for q in questions
                ]
                right = sum(a - 1 == q.answer for a, q in zip(answers, questions, strict=True))
                session.add(
                    GuidanceAttempt(
                        module_id=module.id, staff_id=staff_id, unit_id=unit_id, unit_path=path,
                        answers=answers, right=right, total=len(questions),
                        passed=right / len(questions) >= module.pass_mark - 1e-9,
                        at=now - dt.timedelta(days=rng.randint(1, 25), hours=rng.randint(0, 6)),
                    )
                )  # fmt: skip
                added += 1
    return added

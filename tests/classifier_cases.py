"""Confirmed complaints for the classifier's tests: three kinds of complaint, each with its
business type, cause, appeal, product and prominent-issue category set by staff."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi import audit
from manyi.complaints import intake
from manyi.complaints.tables import Complaint
from manyi.db import Database
from manyi.insight import issues, training
from manyi.insight.domain.issues import DEMO_SET
from manyi.insight.domain.suggesting import case_text, training_set
from tests.complaint_bank import ComplaintBank

TRAINER = audit.Actor(id=None, name="test")

# (business, cause, appeal, product, issue) → texts a customer might write.
KINDS: dict[tuple[str, str, str, str, str], list[str]] = {
    ("savings", "service_quality", "apology", "活期存款", "waiting_time"): [
        "在网点排队等候了一个多小时，柜台窗口只开了两个，{n}号客户一直没叫到",
        "存款业务办理太慢，排队等了很久，大堂经理也不解释，第{n}次遇到",
        "网点人多窗口少，取号后等候{n}十分钟才办理存款",
    ],
    ("cards", "fund_safety", "monetary", "借记卡", "self_service"): [
        "ATM取款机吞卡，银行卡被吞后{n}天还没退回，卡里的钱取不出来",
        "自助取款机少钞，取款{n}百元只吐出一部分，银行卡账户却全额扣款",
        "在自助设备上取款时机器故障，银行卡被吞，客服电话打了{n}次",
    ],
    ("loans", "pricing", "explanation", "住房贷款", "loans"): [
        "房贷提前还款被收取违约金，贷款利率也比合同高，已经还了{n}期",
        "申请住房贷款审批太慢，放款拖了{n}个月，利率调整没有通知",
        "贷款还款日扣款失败被记逾期，房贷利率计算有误差{n}元",
    ],
}

NEW_TEXT = {
    "savings": ("排队时间太长", "周末去网点存款，排队等候了两个小时，窗口太少"),
    "cards": ("取款机吞卡", "ATM自助取款机把我的银行卡吞了，钱也没取出来"),
    "loans": ("房贷利率有误", "提前还款被收违约金，住房贷款利率和合同不一致"),
}


TARGET_INDEX = {"business": 0, "cause": 1, "appeal": 2, "product": 3, "issue": 4}


def kind_texts(per_kind: int = 9) -> list[tuple[tuple[str, ...], str, str]]:
    """(labels, subject, description) of the cases `seed_confirmed` registers, in order."""
    found = []
    for labels, texts in KINDS.items():
        for i in range(per_kind):
            text = texts[i % len(texts)].format(n=i + 2)
            found.append((labels, text[:20], text))
    return found


def cases(target: str, per_kind: int = 9) -> list[tuple[str, str]]:
    """(text, label) on `target` as `training.confirmed_cases` reads them after the seed."""
    return [
        (case_text(subject, description), labels[TARGET_INDEX[target]])
        for labels, subject, description in kind_texts(per_kind)
    ]


def seed_confirmed(
    db: Database, cb: ComplaintBank, now: dt.datetime, *, per_kind: int = 9
) -> list[int]:
    """`per_kind` confirmed complaints of each kind, registered by the hotline; returns ids."""
    caller = cb.caller(db, "hotline")
    ids: list[int] = []
    with db.session() as session:
        issues.seed(session, DEMO_SET)
        for i, (labels, subject, description) in enumerate(kind_texts(per_kind)):
            business, cause, appeal, product, issue = labels
            form = cb.hotline_form(
                subject=subject,
                description=description,
                business_code=business,
                cause_code=cause,
                appeal_code=appeal,
                complainant_phone=f"139{i:08d}",
            )
            registered = intake.register(session, caller, form, now)
            complaint: Complaint = registered.complaint
            complaint.product = product
            complaint.issue_code = issue
            ids.append(complaint.id)
    return ids


@pytest.fixture(scope="session")
def fitted() -> dict[str, training.Fitted]:
    """The seed's models, fitted once for the test session."""
    return fitted_models()


def store_fitted(
    db: Database, fitted: dict[str, training.Fitted], now: dt.datetime
) -> list[training.Trained]:
    """Store the pre-fitted models as each target's version (the seed's cases must be there)."""
    with db.session() as session:
        return [
            training.trained(training.store(session, fitted[t], TRAINER, now)) for t in TARGET_INDEX
        ]


def fitted_models(per_kind: int = 9) -> dict[str, training.Fitted]:
    """Every target's model fitted on what `seed_confirmed` registers (no database): tests
    store these instead of fitting again for each database."""
    return {
        target: training.fit(target, training_set(target, cases(target, per_kind), min_per_class=5))
        for target in TARGET_INDEX
    }

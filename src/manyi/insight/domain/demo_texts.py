"""Texts of the demo bank's complaint history: a subject and an account per case, written from
templates and phrase pools per prominent-issue category.

The pools share words across categories on purpose (柜员, 手机银行, 卡, 扣费, 逾期, 客服 …), the
accounts vary in length, and some carry English terms as customers write them (ATM, APP, U盾),
so a classifier trained on the history learns something without the categories being trivially
apart. Pure: the caller's `random.Random` makes it repeatable.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from manyi.insight.domain.demo_phrases import POOLS, STAFF, WHEN
from manyi.insight.domain.demo_vocabulary import (
    BUSINESS_WORDS,
    GENERIC_DETAILS,
    GENERIC_SUBJECTS,
    NEIGHBOURS,
    PRODUCTS,
)

# How an account starts, by intake channel (受理渠道).
OPENERS: Mapping[str, tuple[str, ...]] = {
    "hotline": ("客户来电反映：", "客户致电客服热线称，", "来电客户表示，", ""),
    "counter": ("客户在网点现场反映：", "客户到柜台提出投诉，", ""),
    "letter": ("客户来信反映：", "客户子女来信称，", "客户写信投诉，"),
    "email": ("客户发邮件反映：", "客户通过电子邮件投诉，"),
    "web": ("客户通过网上投诉表单反映：", ""),
    "social_media": ("客户在微博发帖称，", "客户在抖音发布视频称，", "网友在微信群转发称，"),
    "media": ("媒体报道称，",),
    "regulator": ("监管转办：", "金融监管部门转来投诉：", "12378热线转办："),
}

# What the customer asks for, by appeal code (诉求).
ASKS: Mapping[str, tuple[str, ...]] = {
    "monetary.refund": ("客户要求退还相关费用。", "要求退款。", "客户要求把钱退回来。"),
    "monetary.compensation": ("客户要求赔偿损失。", "要求银行赔偿。"),
    "monetary.waiver": ("客户要求减免费用和罚息。", "要求免除相关费用。"),
    "correction": ("客户要求更正并撤销相关业务。", "要求恢复账户正常使用。"),
    "correction.credit_report": ("客户要求更正征信记录。", "要求删除不良记录。"),
    "contract": ("客户要求解除合同。", "要求变更合同条款。"),
    "explanation": ("客户要求给出解释。", "希望银行说明原因。", "要求书面答复。"),
    "apology": ("客户要求道歉。", "要求当事员工赔礼道歉。"),
    "staff": ("客户要求处理相关人员。", "要求对当事员工严肃处理。"),
    "improvement": ("客户希望网点改进服务。", "建议增加窗口和设备。", "希望尽快改进。"),
    "other": ("",),
}

_FEES = ("年费", "小额账户管理费", "短信服务费", "跨行手续费", "卡片工本费", "账户管理费")


class _Slots(dict[str, object]):
    """A template's slot values, drawn only when the template names them."""

    def __init__(self, rng: random.Random, outlet: str, business: str) -> None:
        super().__init__(outlet=outlet, business=business)
        self.rng = rng

    def __missing__(self, key: str) -> object:
        value = _DRAW[key](self.rng)
        self[key] = value
        return value


_DRAW: Mapping[str, Callable[[random.Random], object]] = {
    "staff": lambda rng: rng.choice(STAFF),
    "when": lambda rng: rng.choice(WHEN),
    "minutes": lambda rng: rng.choice((40, 50, 60, 70, 80, 90, 100, 120)),
    "hours": lambda rng: rng.choice(("1", "一", "两", "1.5")),
    "n": lambda rng: rng.randint(8, 40),
    "k": lambda rng: rng.randint(2, 4),
    "amount": lambda rng: rng.choice((10, 20, 50, 100, 200, 300, 500, 1000, 3000, 5000, 20000)),
    "charge": lambda rng: rng.choice((5, 10, 12, 20, 30, 50, 100, 200, 300, 600)),
    "cash": lambda rng: rng.choice((100, 200, 500, 800, 1000, 2000, 3000, 5000)),
    "small": lambda rng: rng.choice((100, 200, 500)),
    "fee": lambda rng: rng.choice(_FEES),
    "days": lambda rng: rng.choice((5, 7, 10, 15, 20, 30, 45)),
    "pct": lambda rng: rng.choice((1.2, 1.8, 2.1, 5, 8, 12, 15)),
    "age": lambda rng: rng.randint(62, 81),
    "years": lambda rng: rng.choice((5, 10, 15)),
    "tail": lambda rng: f"{rng.randint(0, 9999):04d}",
}


def _fill(template: str, slots: _Slots) -> str:
    return template.format_map(slots) if "{" in template else template


@dataclass(frozen=True)
class Text:
    subject: str
    description: str
    request: str
    product: str


def write(
    issue: str,
    intake: str,
    appeal: str,
    business: str,
    outlet: str,
    rng: random.Random,
    *,
    extra: Sequence[str] = (),
) -> Text:
    """A subject, an account, the request and the product of one complaint of `issue` about
    `business` (a business-type code)."""
    pools = POOLS[issue]
    # One set of slot values per case: the subject and the account tell of the same amount.
    slots = _Slots(rng, outlet, rng.choice(BUSINESS_WORDS.get(business) or pools.businesses))
    neighbour = POOLS[rng.choice(NEIGHBOURS[issue])]
    draw = rng.random()
    if draw < 0.12:
        subject = _fill(rng.choice(GENERIC_SUBJECTS), slots)
    elif draw < 0.22:
        subject = _fill(rng.choice(neighbour.subjects), slots)
    else:
        subject = _fill(rng.choice(pools.subjects), slots)
    parts = [rng.choice(OPENERS.get(intake, ("",)))]
    own = _fill(rng.choice(pools.problems), slots)
    other = _fill(rng.choice(neighbour.problems), slots)
    draw = rng.random()
    if draw < 0.1:  # told in a neighbour's words: the handler filed it by what mattered most
        parts.append(other)
    elif draw < 0.35:  # the neighbour's trouble too, before or after
        parts += [other, own] if rng.random() < 0.4 else [own, other]
    else:
        parts.append(own)
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        pool = GENERIC_DETAILS if rng.random() < 0.4 else pools.details
        sentence = _fill(rng.choice(pool), slots)
        if sentence not in parts:
            parts.append(sentence)
    parts.extend(extra)
    request = rng.choice(ASKS.get(appeal, ASKS["other"]))
    if rng.random() < 0.6:
        parts.append(request)
    return Text(
        subject=subject[:200],
        description="".join(parts),
        request=request,
        product=rng.choice(PRODUCTS.get(business) or pools.products),
    )

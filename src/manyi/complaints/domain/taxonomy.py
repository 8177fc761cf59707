"""Complaint classification seed data: the three JR/T 0169-2018 axes, flags and intake channels.

A complaint is classified four ways at once (JR/T 0169-2018's business type, cause and appeal,
and where it happened):

- channel (办理渠道): where the problem happened — at the counter, at an ATM, in the app…
- business (业务类型): which product or service it concerns;
- cause (投诉原因): what went wrong;
- appeal (诉求): what the customer asks for (a refund, an apology, a correction…).

The categories are data, not code: the database layer copies `SEED` into a table that a bank
administrator extends. Codes are stable ASCII slugs; a child's code is its parent's code, a dot
and its own slug (`electronic.mobile`), so the top-level category of any code is the part before
the first dot, even for categories an administrator adds later. Two levels are enough for the
regulatory reports; finer distinctions belong in free text and tags.

Intake (受理渠道) is a different thing from the channel axis: it is how the complaint reached the
bank (hotline, letter, regulator), not where the problem happened.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Axis(StrEnum):
    CHANNEL = "channel"
    BUSINESS = "business"
    CAUSE = "cause"
    APPEAL = "appeal"


@dataclass(frozen=True, slots=True)
class Category:
    axis: Axis
    code: str
    name_zh: str
    name_en: str
    parent: str | None


def _axis(axis: Axis, rows: Iterable[tuple[str, str, str]]) -> tuple[Category, ...]:
    """Builds one axis from (code, zh, en) rows; the parent is read off the dotted code."""
    out = []
    for code, name_zh, name_en in rows:
        parent = code.rsplit(".", 1)[0] if "." in code else None
        out.append(Category(axis, code, name_zh, name_en, parent))
    return tuple(out)


_CHANNELS = [
    ("onsite", "营业现场", "Branch premises"),
    ("self_service", "自助机具", "Self-service machines"),
    ("self_service.atm", "自动柜员机（ATM/CRS）", "ATM and cash recycler"),
    ("self_service.kiosk", "智能柜台及自助终端", "Smart counter and self-service kiosk"),
    ("electronic", "电子渠道", "Electronic channels"),
    ("electronic.online", "网上银行", "Online banking"),
    ("electronic.phone", "电话银行", "Telephone banking"),
    ("electronic.mobile", "手机银行（移动客户端）", "Mobile banking app"),
    ("electronic.wechat", "微信银行及小程序", "WeChat banking and mini program"),
    ("electronic.sms", "短信", "Text messages (SMS)"),
    ("third_party", "第三方及合作渠道", "Third-party and partner channels"),
    ("home_service", "上门服务", "Home and off-site visits"),
    ("other", "其他渠道", "Other channels"),
]

_BUSINESS = [
    ("savings", "人民币储蓄", "RMB savings"),
    ("savings.demand", "活期储蓄", "Demand deposits"),
    ("savings.time", "定期储蓄及大额存单", "Time deposits and certificates of deposit"),
    ("savings.account", "账户开立与管理", "Account opening and management"),
    ("loans", "贷款", "Loans"),
    ("loans.mortgage", "个人住房贷款", "Home mortgage loans"),
    ("loans.consumer", "个人消费贷款", "Personal consumer loans"),
    ("loans.auto", "个人汽车贷款", "Car loans"),
    ("loans.business", "个人经营贷款", "Personal business loans"),
    ("loans.short_term", "小额及短期贷款", "Small-sum and short-term loans"),
    ("loans.education", "助学贷款", "Student loans"),
    ("cards", "银行卡", "Bank cards"),
    ("cards.debit", "借记卡", "Debit cards"),
    ("cards.credit", "信用卡", "Credit cards"),
    ("payments", "支付结算", "Payments and settlement"),
    ("payments.transfer", "转账汇款", "Transfers and remittances"),
    ("payments.online", "网络支付及快捷支付", "Online and quick payments"),
    ("payments.instrument", "票据", "Cheques and other instruments"),
    ("payments.prepaid", "预付卡", "Prepaid cards"),
    ("cash", "人民币管理", "RMB currency management"),
    ("cash.service", "现金服务", "Cash services"),
    ("cash.damaged", "残损币兑换", "Exchange of damaged notes and coins"),
    ("cash.counterfeit", "假币收缴与鉴定", "Counterfeit confiscation and verification"),
    ("personal_info", "个人金融信息", "Personal financial information"),
    ("personal_info.credit_report", "征信信息", "Credit reporting"),
    ("forex", "外汇", "Foreign exchange"),
    ("forex.exchange", "结售汇", "Currency exchange"),
    ("forex.remittance", "跨境汇款", "Cross-border remittances"),
    ("agency", "代理业务", "Agency products"),
    ("agency.wealth", "代销理财产品", "Third-party wealth products"),
    ("agency.funds", "代销基金", "Mutual funds sold on behalf"),
    ("agency.insurance", "代理保险", "Bancassurance"),
    ("agency.collection", "代收代付", "Collection and payment agency"),
    ("wealth", "自营理财", "The bank's own wealth products"),
    ("precious_metals", "贵金属", "Precious metals"),
    ("other", "其他业务", "Other business"),
]

_CAUSES = [
    ("service_quality", "服务态度及服务质量", "Service attitude and quality"),
    ("service_quality.attitude", "服务态度", "Staff attitude"),
    ("service_quality.waiting", "排队等候时间", "Waiting time"),
    ("service_quality.efficiency", "业务办理效率", "Speed of handling"),
    ("facilities", "服务设施、设备及业务系统", "Facilities, equipment and systems"),
    ("facilities.equipment", "设施设备故障", "Equipment failure"),
    ("facilities.system", "业务系统故障", "System failure"),
    ("rules", "管理制度、业务规则与流程", "Policies, rules and procedures"),
    ("marketing", "营销方式和手段", "Marketing methods"),
    ("disclosure", "信息披露", "Information disclosure"),
    ("returns", "产品收益", "Product returns"),
    ("free_choice", "自主选择权", "Freedom of choice"),
    ("pricing", "定价收费", "Pricing and fees"),
    ("contract", "合同条款", "Contract terms"),
    ("fund_safety", "资金安全", "Safety of funds"),
    ("info_security", "消费者信息安全", "Security of consumer information"),
    ("collection", "债务催收方式和手段", "Debt collection methods"),
    ("other", "其他原因", "Other causes"),
]

# What the customer asks for (诉求), the third axis JR/T 0169-2018 reports beside business type
# and cause. Money first: a regulator's report separates monetary appeals from the others.
_APPEALS = [
    ("monetary", "资金类诉求", "Money"),
    ("monetary.refund", "退还款项或费用", "Refund of money or fees"),
    ("monetary.compensation", "赔偿损失", "Compensation for a loss"),
    ("monetary.waiver", "减免利息、费用或罚息", "Waiver of interest, fees or penalties"),
    ("correction", "更正或撤销业务、记录", "Correct or reverse a transaction or record"),
    ("correction.credit_report", "更正征信记录", "Correct a credit report"),
    ("contract", "变更或解除合同", "Change or end a contract"),
    ("explanation", "解释说明", "An explanation"),
    ("apology", "赔礼道歉", "An apology"),
    ("staff", "处理相关人员", "Action about the staff involved"),
    ("improvement", "改进服务或设施", "Better service or facilities"),
    ("other", "其他诉求", "Other appeals"),
]

SEED: tuple[Category, ...] = (
    _axis(Axis.CHANNEL, _CHANNELS)
    + _axis(Axis.BUSINESS, _BUSINESS)
    + _axis(Axis.CAUSE, _CAUSES)
    + _axis(Axis.APPEAL, _APPEALS)
)

OTHER = "other"  # every axis has it; importers fall back to it for labels they do not know

_INDEX: dict[tuple[Axis, str], Category] = {(c.axis, c.code): c for c in SEED}


def by_code(axis: Axis, code: str) -> Category | None:
    return _INDEX.get((axis, code))


def children(axis: Axis, parent: str | None = None) -> tuple[Category, ...]:
    """The categories directly under `parent` (the top level when `parent` is None)."""
    return tuple(c for c in SEED if c.axis is axis and c.parent == parent)


def top_level(code: str) -> str:
    return code.split(".", 1)[0]


_SLUG = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?")


def check_seed(seed: Iterable[Category] = SEED) -> list[str]:
    """Problems with a category table (empty when sound); the admin-extended table too."""
    rows = list(seed)
    problems: list[str] = []
    seen: dict[tuple[Axis, str], Category] = {}
    named: set[tuple[Axis, str]] = set()
    for c in rows:
        key = (c.axis, c.code)
        if key in seen:
            problems.append(f"{c.axis}: code {c.code!r} appears twice")
        seen[key] = c
        if (c.axis, c.name_zh) in named:
            problems.append(f"{c.axis}: name {c.name_zh!r} is used twice; users pick by name")
        named.add((c.axis, c.name_zh))
        if not _SLUG.fullmatch(c.code):
            problems.append(
                f"{c.axis}: code {c.code!r} is not a lower-case slug of one or two parts"
            )
        if not c.name_zh.strip() or not c.name_en.strip():
            problems.append(f"{c.axis}: {c.code!r} needs both a Chinese and an English name")
    for c in rows:
        if c.parent is None:
            if "." in c.code:
                problems.append(f"{c.axis}: {c.code!r} is dotted but has no parent")
            continue
        if (c.axis, c.parent) not in seen:
            others = [a for a in Axis if (a, c.parent) in seen]
            where = f" (it is on the {others[0]} axis)" if others else ""
            problems.append(f"{c.axis}: parent {c.parent!r} of {c.code!r} does not exist{where}")
        elif not c.code.startswith(c.parent + "."):
            problems.append(f"{c.axis}: {c.code!r} must be named {c.parent}.<slug>")
        elif seen[(c.axis, c.parent)].parent is not None:
            problems.append(f"{c.axis}: {c.code!r} is a third level; two are enough")
    for axis in Axis:
        if (axis, OTHER) not in seen:
            problems.append(f"{axis}: the fallback category {OTHER!r} is missing")
    return problems


# --- Flags -------------------------------------------------------------------------------


class Flag(StrEnum):
    GROUP = "group"
    MEDIA_RISK = "media_risk"
    REPEAT = "repeat"
    REGULATOR = "regulator"
    VULNERABLE = "vulnerable"

    @property
    def name_zh(self) -> str:
        return _FLAG_NAMES[self][0]

    @property
    def name_en(self) -> str:
        return _FLAG_NAMES[self][1]


_FLAG_NAMES: dict[Flag, tuple[str, str]] = {
    Flag.GROUP: ("群体性投诉", "Group complaint"),
    Flag.MEDIA_RISK: ("舆情风险", "Media and reputation risk"),
    Flag.REPEAT: ("重复投诉", "Repeat complaint"),
    Flag.REGULATOR: ("监管转办", "Forwarded by a regulator"),
    Flag.VULNERABLE: ("特殊群体/弱势客户", "Vulnerable customer"),
}


# --- Intake ------------------------------------------------------------------------------


class Intake(StrEnum):
    """How the complaint reached the bank (受理渠道)."""

    HOTLINE = "hotline"
    COUNTER = "counter"
    LETTER = "letter"
    EMAIL = "email"
    SOCIAL_MEDIA = "social_media"
    MEDIA = "media"
    REGULATOR = "regulator"
    WEB = "web"  # the public complaint form
    IMPORT = "import"  # loaded from an older system that did not record how it arrived

    @property
    def name_zh(self) -> str:
        return _INTAKE_NAMES[self][0]

    @property
    def name_en(self) -> str:
        return _INTAKE_NAMES[self][1]


# The hotline label stays generic: each bank has its own number (95588, 95533, …).
_INTAKE_NAMES: dict[Intake, tuple[str, str]] = {
    Intake.HOTLINE: ("客服热线", "Customer service hotline"),
    Intake.COUNTER: ("网点柜面", "Branch counter"),
    Intake.LETTER: ("信函", "Letter"),
    Intake.EMAIL: ("电子邮件", "E-mail"),
    Intake.SOCIAL_MEDIA: ("社交媒体", "Social media"),
    Intake.MEDIA: ("媒体报道", "News media"),
    Intake.REGULATOR: ("监管转办", "Forwarded by a regulator"),
    Intake.WEB: ("网上投诉表单", "Online complaint form"),
    Intake.IMPORT: ("历史导入", "Imported history"),
}


# --- Responsible department by business type -----------------------------------------------


@dataclass(frozen=True, slots=True)
class Department:
    code: str
    name_zh: str
    name_en: str


DEPARTMENTS: dict[str, Department] = {
    d.code: d
    for d in [
        Department("retail", "个人金融部", "Retail Banking Department"),
        Department("cards", "信用卡中心", "Credit Card Centre"),
        Department("consumer_lending", "个人信贷部", "Personal Lending Department"),
        Department("inclusive_finance", "普惠金融事业部", "Inclusive Finance Department"),
        Department("operations", "运营管理部", "Operations Management Department"),
        Department("international", "国际业务部", "International Business Department"),
        Department("wealth", "财富管理部", "Wealth Management Department"),
        Department("consumer_protection", "消费者权益保护部", "Consumer Protection Department"),
    ]
}

DEFAULT_DEPARTMENT = "consumer_protection"

# Keyed by top-level business code; a second-level code may override its parent where the
# product is run by another department (debit cards sit with retail, not the card centre).
DEPARTMENT_FOR_BUSINESS: dict[str, str] = {
    "savings": "retail",
    "loans": "consumer_lending",
    "loans.business": "inclusive_finance",
    "cards": "cards",
    "cards.debit": "retail",
    "payments": "operations",
    "cash": "operations",
    "personal_info": "consumer_protection",
    "forex": "international",
    "agency": "wealth",
    "wealth": "wealth",
    "precious_metals": "retail",
    "other": "consumer_protection",
}


def department_for(business_code: str | None) -> str:
    """The department that answers for a business type by default (the routing rules refine it)."""
    if not business_code:
        return DEFAULT_DEPARTMENT
    found = DEPARTMENT_FOR_BUSINESS.get(business_code)
    if found is None:
        found = DEPARTMENT_FOR_BUSINESS.get(top_level(business_code), DEFAULT_DEPARTMENT)
    return found

"""The demo history's story as data: how each prominent-issue category's complaints are
classified, decided and trend, the rectification tasks after which a category falls, and the
emerging issue of the last weeks (`demo_history` generates the cases from it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """How one category's complaints are classified and decided, with weights."""

    monthly: float  # cases a month at an average outlet two years ago
    year_ratio: float  # this year's count over last year's (the steady trend)
    business: tuple[tuple[str, int], ...]
    cause: tuple[tuple[str, int], ...]
    channel: tuple[tuple[str, int], ...]
    appeal: tuple[tuple[str, int], ...]
    root: tuple[tuple[str, int], ...]
    verdict: tuple[int, int, int]  # upheld, partly, not upheld
    festival: float = 0.4  # how much of the pre-festival rush it feels (0..1)


PROFILES: dict[str, Profile] = {
    "waiting_time": Profile(
        12.0, 0.33,
        (("savings.demand", 5), ("cash.service", 3), ("savings.time", 2), ("payments.transfer", 1)),
        (("service_quality.waiting", 9), ("service_quality.efficiency", 2)),
        (("onsite", 10),),
        (("improvement", 6), ("explanation", 3), ("apology", 2)),
        (("process", 6), ("person", 2), ("system", 1)),
        (5, 3, 2), festival=1.0,
    ),
    "attitude": Profile(
        10.0, 0.3,
        (("savings.demand", 4), ("cards.debit", 3), ("cash.service", 2), ("loans.mortgage", 1)),
        (("service_quality.attitude", 10), ("service_quality.efficiency", 1)),
        (("onsite", 8), ("electronic.phone", 2)),
        (("apology", 6), ("staff", 4), ("explanation", 1)),
        (("person", 9), ("process", 1)),
        (4, 4, 3), festival=0.6,
    ),
    "fees": Profile(
        6.5, 0.7,
        (("cards.credit", 4), ("cards.debit", 3), ("savings.account", 2), ("payments.transfer", 2)),
        (("pricing", 7), ("disclosure", 3)),
        (("onsite", 5), ("electronic.mobile", 3), ("electronic.sms", 1)),
        (("monetary.refund", 6), ("monetary.waiver", 3), ("explanation", 2)),
        (("policy", 4), ("product", 3), ("process", 3)),
        (5, 3, 3),
    ),
    "cards_accounts": Profile(
        5.8, 0.45,
        (("savings.account", 6), ("cards.debit", 4)),
        (("rules", 6), ("service_quality.efficiency", 2), ("fund_safety", 1)),
        (("onsite", 7), ("electronic.mobile", 2)),
        (("correction", 5), ("explanation", 4), ("improvement", 1)),
        (("process", 5), ("policy", 4), ("system", 1)),
        (3, 3, 4), festival=0.5,
    ),
    "online_banking": Profile(
        5.0, 0.55,
        (("payments.online", 4), ("payments.transfer", 3), ("savings.account", 1)),
        (("facilities.system", 9), ("service_quality.efficiency", 1)),
        (("electronic.mobile", 7), ("electronic.online", 2), ("electronic.wechat", 2)),
        (("improvement", 5), ("explanation", 3), ("monetary.refund", 2)),
        (("system", 9), ("process", 1)),
        (5, 3, 2),
    ),
    "self_service": Profile(
        4.2, 0.65,
        (("cash.service", 6), ("cards.debit", 3)),
        (("facilities.equipment", 10),),
        (("self_service.atm", 7), ("self_service.kiosk", 3)),
        (("monetary.refund", 5), ("improvement", 4), ("explanation", 1)),
        (("system", 8), ("process", 2)),
        (6, 2, 2), festival=0.8,
    ),
    "wealth_sales": Profile(
        4.0, 0.62,
        (("agency.wealth", 4), ("agency.insurance", 4), ("agency.funds", 2), ("wealth", 1)),
        (("marketing", 5), ("disclosure", 3), ("returns", 2), ("free_choice", 2)),
        (("onsite", 8), ("electronic.mobile", 2)),
        (("monetary.compensation", 4), ("contract", 4), ("monetary.refund", 2)),
        (("person", 6), ("product", 3), ("process", 1)),
        (3, 4, 4),
    ),
    "loans": Profile(
        4.0, 0.52,
        (("loans.mortgage", 5), ("loans.consumer", 3), ("loans.business", 2), ("loans.auto", 1)),
        (("rules", 4), ("contract", 3), ("pricing", 2), ("service_quality.efficiency", 2)),
        (("onsite", 7), ("electronic.phone", 2), ("electronic.mobile", 1)),
        (("explanation", 5), ("contract", 3), ("monetary.waiver", 2)),
        (("process", 5), ("policy", 3), ("product", 2)),
        (3, 3, 5),
    ),
    "credit_report": Profile(
        2.4, 0.55,
        (("personal_info.credit_report", 6), ("cards.credit", 3), ("loans.consumer", 2)),
        (("rules", 5), ("info_security", 2), ("service_quality.efficiency", 2)),
        (("onsite", 5), ("electronic.phone", 3), ("other", 1)),
        (("correction.credit_report", 9), ("explanation", 2)),
        (("process", 5), ("system", 4), ("person", 1)),
        (3, 2, 6),
    ),
    "collection": Profile(
        2.9, 0.45,
        (("cards.credit", 7), ("loans.consumer", 3)),
        (("collection", 10),),
        (("electronic.phone", 7), ("third_party", 3)),
        (("staff", 4), ("apology", 3), ("improvement", 3)),
        (("person", 6), ("process", 4)),
        (4, 3, 3),
    ),
    "info_security": Profile(
        1.8, 0.7,
        (("personal_info", 6), ("cards.credit", 2), ("savings.account", 2)),
        (("info_security", 8), ("marketing", 2)),
        (("electronic.sms", 4), ("electronic.phone", 4), ("third_party", 2)),
        (("explanation", 5), ("apology", 3), ("monetary.compensation", 2)),
        (("system", 5), ("process", 4), ("person", 1)),
        (3, 3, 4),
    ),
}  # fmt: skip

INTAKES = (
    ("hotline", 44),
    ("counter", 20),
    ("web", 10),
    ("social_media", 8),
    ("regulator", 7),
    ("letter", 5),
    ("email", 4),
    ("media", 2),
)


@dataclass(frozen=True)
class StoryTask:
    """A rectification task closed in the past; its category falls at its unit afterwards."""

    issue: str
    unit: str  # the responsible unit (demo code); its outlets below feel the effect
    issuer: str
    owner: str
    title: str
    detail: str
    opened_days_ago: int
    closed_days_ago: int
    after: float  # the category's rate at those outlets after the close, as a share


STORY_TASKS = (
    StoryTask(
        "fees", "BJ", "ho.complaints", "bj.head", "规范收费告知与公示",
        "收费问题投诉集中：办卡未告知年费、小额账户管理费。整改：收费公示上墙、办卡时逐项告知"
        "并签字确认、长期不动户管理费减免。",
        420, 340, 0.35,
    ),
    StoryTask(
        "attitude", "SH-PD-LJZ", "sh.complaints", "ljz.head", "陆家嘴营业室服务态度专项整改",
        "陆家嘴营业室服务态度投诉偏多。整改：服务礼仪培训、首问负责、每日晨会通报。",
        330, 290, 0.4,
    ),
    StoryTask(
        "self_service", "SH", "ho.inspector", "sh.head", "自助设备吞卡少钞整改",
        "上海辖内ATM吞卡、少钞投诉集中。整改：老旧设备更换、巡检频次加倍、吞卡两小时内处理。",
        270, 215, 0.3,
    ),
    StoryTask(
        "wealth_sales", "BJ-HD-ZGC", "hd.complaints", "zgc.head", "理财销售双录与适老化整改",
        "中关村营业室理财、保险销售误导投诉。整改：双录全覆盖、65岁以上客户风险提示复核。",
        200, 160, 0.3,
    ),
)  # fmt: skip

# The emerging issue: outlet, category, and the extra cases a week in each of the last three
# complete weeks (Monday to Sunday; the current week goes on like the last).
EMERGING = ("BJ-CY-WJ", "online_banking", (1, 2, 12))
EMERGING_NOTE = "客户称是手机银行新版本升级以后出现的。"


DECISIONS = {
    "upheld": "经核实，客户反映情况属实，已向客户致歉并按诉求处理，客户表示认可。",
    "partly": "经核实，客户反映情况部分属实，已就属实部分向客户说明并处理。",
    "not_upheld": "经调阅记录核实，业务办理符合规定，已向客户耐心解释，客户表示理解。",
}

ROOT_CAUSES = {
    "person": "员工服务意识和业务技能不足。",
    "process": "业务流程和岗位安排不合理。",
    "product": "产品设计或条款说明不清。",
    "system": "系统或设备稳定性不足。",
    "policy": "制度规定与客户预期存在差距。",
}

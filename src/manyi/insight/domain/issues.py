"""Prominent-issue categories (突出问题): data, not code.

A bank that analyses its complaints names the handful of problems customers raise most, gives
each an owner department, a target decline and a timetable, and watches the monthly counts fall.
`DEMO_SET` is the demo bank's set, drawn from the areas the brief's bank tackled (waiting time,
service attitude, fees, cards and accounts, online banking, ...); a bank enters its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class IssueCategory:
    code: str  # a stable ASCII slug
    name_zh: str
    name_en: str
    definition: str  # what belongs here, in a sentence or two (zh)
    owner_department: str  # a department code (complaints.domain.taxonomy.DEPARTMENTS)
    target_decline_pct: float  # the fall asked of the monthly count by `due_on`, in per cent
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    # The timetable: counting starts the month of `starts_on` against the mean monthly count of
    # the three months before it (the baseline); the target applies from the month of `due_on`.
    starts_on: dt.date | None = None
    due_on: dt.date | None = None
    active: bool = True
    sort_order: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_zh


_Y = dt.date(2026, 1, 1)
_DUE = dt.date(2026, 12, 1)

# Eleven categories, as the brief's bank found eleven.
DEMO_SET: tuple[IssueCategory, ...] = tuple(
    IssueCategory(
        code=code,
        name_zh=zh,
        name_en=en,
        definition=definition,
        owner_department=dept,
        target_decline_pct=target,
        keywords=tuple(keywords.split()),
        starts_on=_Y,
        due_on=_DUE,
        sort_order=i,
    )
    for i, (code, zh, en, definition, dept, target, keywords) in enumerate(
        [
            (
                "waiting_time",
                "排队等候时间长",
                "Long waits",
                "在网点排队、等候叫号或办理时间过长。",
                "operations",
                40.0,
                "排队 等候 等了 叫号 人多 慢 窗口少",
            ),
            (
                "attitude",
                "服务态度",
                "Staff attitude",
                "员工态度生硬、推诿、不耐烦或言语不当。",
                "retail",
                50.0,
                "态度 不耐烦 推诿 冷淡 不理 恶劣 辱骂",
            ),
            (
                "fees",
                "收费问题",
                "Fees and charges",
                "收费不透明、未告知收费或收费标准有争议。",
                "operations",
                33.0,
                "收费 手续费 年费 管理费 扣费 费用",
            ),
            (
                "cards_accounts",
                "银行卡及账户服务",
                "Cards and accounts",
                "开户、销户、挂失、冻结、限额等账户及银行卡服务。",
                "retail",
                33.0,
                "开户 销户 挂失 冻结 限额 账户 银行卡",
            ),
            (
                "online_banking",
                "手机及网上银行",
                "Mobile and online banking",
                "手机银行、网上银行无法登录、操作复杂或交易失败。",
                "retail",
                33.0,
                "手机银行 网银 登录 验证码 闪退 转账失败",
            ),
            (
                "self_service",
                "自助设备",
                "Self-service machines",
                "ATM、智能柜台等自助设备故障、吞卡、少钞。",
                "operations",
                33.0,
                "ATM 取款机 吞卡 少钞 故障 自助",
            ),
            (
                "wealth_sales",
                "理财及保险销售",
                "Wealth and insurance sales",
                "销售理财、保险、基金时误导、未揭示风险或搭售。",
                "wealth",
                50.0,
                "理财 保险 基金 误导 风险 搭售 亏损",
            ),
            (
                "loans",
                "贷款办理",
                "Loans",
                "贷款审批慢、提前还款、利率及放款问题。",
                "consumer_lending",
                33.0,
                "贷款 房贷 还款 利率 放款 审批",
            ),
            (
                "credit_report",
                "征信异议",
                "Credit report disputes",
                "征信记录错误、逾期记录异议、修复请求。",
                "consumer_lending",
                33.0,
                "征信 逾期 记录 异议 修复",
            ),
            (
                "collection",
                "催收方式",
                "Debt collection",
                "催收电话骚扰、联系第三人或言语威胁。",
                "cards",
                50.0,
                "催收 骚扰 电话 威胁 联系家人",
            ),
            (
                "info_security",
                "个人信息保护",
                "Personal information",
                "个人信息泄露、被冒用或未经同意使用。",
                "consumer_protection",
                50.0,
                "信息 泄露 冒用 隐私 短信 营销电话",
            ),
        ]
    )
)

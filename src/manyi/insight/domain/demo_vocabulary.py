"""Words of the demo history's complaint texts shared by every category: which categories
customers raise together, generic subjects and sentences, and the business and product words by
business type (`demo_texts` writes with them beside `demo_phrases`' per-category pools)."""

from __future__ import annotations

from collections.abc import Mapping

# Categories customers mix up or raise together: a case of one borrows a sentence (or now and
# then its subject) from a neighbour, as real accounts do (a long wait and a curt teller).
NEIGHBOURS: Mapping[str, tuple[str, ...]] = {
    "waiting_time": ("attitude", "self_service", "cards_accounts"),
    "attitude": ("waiting_time", "wealth_sales", "collection"),
    "fees": ("cards_accounts", "online_banking", "loans"),
    "cards_accounts": ("fees", "online_banking", "self_service"),
    "online_banking": ("cards_accounts", "info_security", "fees"),
    "self_service": ("cards_accounts", "waiting_time"),
    "wealth_sales": ("attitude", "loans"),
    "loans": ("credit_report", "fees", "wealth_sales"),
    "credit_report": ("loans", "collection", "fees"),
    "collection": ("credit_report", "info_security", "attitude"),
    "info_security": ("online_banking", "collection", "cards_accounts"),
}

# Subjects and sentences any category may carry.
GENERIC_SUBJECTS = (
    "对{outlet}网点服务不满",
    "投诉{outlet}网点",
    "要求银行给个说法",
    "多次反映问题未解决",
    "对银行处理结果不满意",
    "办理{business}遇到问题",
)
GENERIC_DETAILS = (
    "客户表示对该网点的服务非常失望。",
    "客户称这已经是第二次反映同样的问题。",
    "客户情绪激动，要求尽快答复。",
    "客户说已经在APP上留言，没有人回复。",
    "客户称如果不解决将向监管部门投诉。",
    "客户表示愿意配合提供相关材料。",
)

# What the customer came to do and the product, by business type: the account names the
# business its code says.
BUSINESS_WORDS: Mapping[str, tuple[str, ...]] = {
    "savings.demand": ("存款", "取现", "活期转账"),
    "savings.time": ("定期存单", "存定期", "大额存单"),
    "savings.account": ("开户", "销户", "账户挂失"),
    "cash.service": ("取现", "零钱兑换", "大额取现"),
    "payments.transfer": ("转账", "跨行汇款", "跨行转账"),
    "payments.online": ("快捷支付", "扫码支付", "网上支付"),
    "cards.debit": ("借记卡", "补办借记卡", "借记卡开卡"),
    "cards.credit": ("信用卡", "信用卡分期", "信用卡还款"),
    "loans.mortgage": ("房贷", "房贷提前还款"),
    "loans.consumer": ("消费贷", "消费贷还款"),
    "loans.business": ("经营贷", "经营贷续贷"),
    "loans.auto": ("车贷",),
    "agency.wealth": ("理财产品",),
    "agency.insurance": ("保险", "分红险"),
    "agency.funds": ("基金", "基金定投"),
    "wealth": ("理财", "结构性存款"),
    "personal_info": ("个人信息变更",),
    "personal_info.credit_report": ("征信查询", "征信异议"),
}
PRODUCTS: Mapping[str, tuple[str, ...]] = {
    "savings.demand": ("活期存款",),
    "savings.time": ("定期存款", "大额存单"),
    "savings.account": ("一类账户", "二类账户"),
    "cash.service": ("现金存取款",),
    "payments.transfer": ("跨行转账",),
    "payments.online": ("快捷支付",),
    "cards.debit": ("借记卡", "工资卡"),
    "cards.credit": ("信用卡", "白金信用卡"),
    "loans.mortgage": ("个人住房贷款",),
    "loans.consumer": ("个人消费贷款",),
    "loans.business": ("个人经营贷款",),
    "loans.auto": ("个人汽车贷款",),
    "agency.wealth": ("代销理财产品",),
    "agency.insurance": ("代理保险",),
    "agency.funds": ("代销基金",),
    "wealth": ("自营理财",),
    "personal_info.credit_report": ("征信报告",),
}

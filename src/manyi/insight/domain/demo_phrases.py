"""Phrase pools of the demo history's complaint texts, one set per prominent-issue category
(`demo_texts` writes with them). Words are shared across categories on purpose."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Pools:
    subjects: tuple[str, ...]
    problems: tuple[str, ...]  # what happened, one sentence each
    details: tuple[str, ...]  # an optional second sentence
    products: tuple[str, ...]
    businesses: tuple[str, ...]  # what the customer came to do, in words


STAFF = ("柜员", "大堂经理", "客户经理", "理财经理", "值班主管", "保安", "客服人员")
WHEN = ("上午", "中午", "下午", "傍晚", "周末", "月底", "节前", "工作日上午", "午休时间")

POOLS: Mapping[str, Pools] = {
    "waiting_time": Pools(
        subjects=(
            "排队等候时间过长",
            "{outlet}网点取号后等了{minutes}分钟",
            "{when}办理业务排队太久",
            "窗口开放少，客户等候时间长",
            "叫号系统慢，等候{minutes}分钟未办理",
            "办理{business}排队近{hours}小时",
            "VIP窗口空闲但普通窗口排长队",
            "网点人多窗口少，等待时间过长",
            "预约后到网点仍需排队",
            "老人排队等候无人引导",
        ),
        problems=(
            "客户{when}到{outlet}网点取号，前面有{n}人，等了{minutes}分钟才被叫到。",
            "网点只开了{k}个窗口，排队的人很多，{staff}没有做任何解释。",
            "客户在APP上预约了{business}，到网点后仍然排队{minutes}分钟。",
            "叫号屏长时间不动，客户询问后{staff}称系统慢，让继续等。",
            "客户带着老人来办理业务，等候区座位不够，等了{hours}个多小时。",
            "客户反映每次来{outlet}都要排很久，{when}尤其严重。",
            "取号后等候超过{minutes}分钟，期间有{k}个窗口暂停服务。",
            "客户中午利用午休时间来办{business}，排队太久只好先回去上班。",
        ),
        details=(
            "客户认为网点应在高峰时段增开窗口。",
            "期间大堂经理未主动分流引导。",
            "客户称旁边的智能柜台也不能办理该业务。",
            "客户表示以后不想再来这个网点。",
            "当天等候的客户普遍有怨言。",
        ),
        products=("活期存款", "定期存单", "借记卡", "现金存取款", "转账汇款"),
        businesses=("存款", "取现", "开卡", "转账", "定期存单", "挂失", "修改密码"),
    ),
    "attitude": Pools(
        subjects=(
            "{staff}服务态度差",
            "{staff}态度生硬不耐烦",
            "对{outlet}网点员工态度不满",
            "{staff}推诿，不愿办理业务",
            "员工说话难听，要求道歉",
            "客服电话中工作人员态度恶劣",
            "{staff}冷淡，对客户不理不睬",
            "办理{business}时被{staff}呵斥",
            "投诉{staff}服务态度",
        ),
        problems=(
            "客户在办理{business}时询问了两次，{staff}很不耐烦，说话语气生硬。",
            "{staff}一边玩手机一边办业务，客户提醒后反而被指责。",
            "客户反映{staff}推诿，说这个业务不归他管，让客户去别的网点。",
            "客户致电客服咨询，客服人员多次打断客户讲话，态度冷淡。",
            "{staff}对老年客户说话大声，客户感到不被尊重。",
            "客户认为{staff}服务态度恶劣，当众与客户争执。",
            "客户因填错单据被{staff}指责，态度很差。",
            "客户在{outlet}办理{business}，{staff}全程冷淡，没有任何解释。",
        ),
        details=(
            "客户要求网点负责人出面处理。",
            "客户称当时旁边还有其他客户看到。",
            "客户表示排队本来就很久，员工态度又差，非常不满。",
            "客户已在柜台现场提出意见，但未得到回应。",
            "客户说愿意配合调取监控录像。",
        ),
        products=("借记卡", "活期存款", "个人住房贷款", "信用卡", "现金服务"),
        businesses=("开卡", "取现", "转账", "挂失", "销户", "咨询房贷", "激活信用卡"),
    ),
    "fees": Pools(
        subjects=(
            "被扣{charge}元{fee}未提前告知",
            "对{fee}收费有异议",
            "借记卡{fee}收费不合理",
            "信用卡{fee}扣费争议",
            "收费标准不透明",
            "{fee}重复扣收，要求退还",
            "账户被扣{fee}，不知道为什么",
            "转账手续费收取有误",
        ),
        problems=(
            "客户发现账户被扣了{charge}元{fee}，办卡时{staff}没有说明收费。",
            "客户收到短信提示扣费{charge}元，查询后得知是{fee}，认为不合理。",
            "客户称网点公示的收费标准与实际扣收不一致。",
            "客户的信用卡被收取{fee}{charge}元，客户称从未开通相关服务。",
            "客户在APP上转账被收手续费{charge}元，柜台办理却说免费。",
            "客户长期不用的借记卡被扣{fee}，余额被扣光。",
            "客户认为{fee}应当减免，网点答复不能减免。",
        ),
        details=(
            "客户要求把已扣的费用退回。",
            "客户称已多次致电客服，每次答复都不一样。",
            "客户认为银行应当提前告知收费标准。",
            "客户同时询问如何销户以免再被扣费。",
            "客户表示会向监管部门反映。",
        ),
        products=("借记卡", "信用卡", "短信通知服务", "跨行转账", "对账单服务"),
        businesses=("转账", "开卡", "办理短信通知", "打印流水"),
    ),
    "cards_accounts": Pools(
        subjects=(
            "银行卡被冻结无法使用",
            "账户限额太低影响使用",
            "开户被拒绝且未说明原因",
            "销户流程繁琐",
            "挂失补卡时间太长",
            "借记卡突然被限制非柜面交易",
            "{outlet}网点不给办理开户",
            "账户被止付，要求解除",
            "异地无法办理销户",
        ),
        problems=(
            "客户的借记卡突然被冻结，到网点询问时{staff}让客户提供工资证明。",
            "客户账户被限制非柜面交易，手机银行转账限额只有{amount}元。",
            "客户到{outlet}网点开户，{staff}要求提供多项材料，最终没有开成。",
            "客户在外地无法销户，要求回开户网点办理，客户认为不合理。",
            "客户挂失补卡等了{days}天还没拿到新卡。",
            "客户称账户被止付后一直没有人联系说明原因。",
            "客户办理销户时被要求先注销手机银行和U盾，跑了{k}次网点。",
        ),
        details=(
            "客户的工资卡无法使用，影响日常生活。",
            "客户称银行卡里有急用的钱取不出来。",
            "客户认为银行应当给出书面说明。",
            "客户表示愿意配合核实身份。",
            "客户已在APP上提交了解除申请但无结果。",
        ),
        products=("借记卡", "一类账户", "二类账户", "工资卡", "社保卡"),
        businesses=("开户", "销户", "挂失", "补卡", "解除限额", "解冻"),
    ),
    "online_banking": Pools(
        subjects=(
            "手机银行无法登录",
            "手机银行APP闪退",
            "网银转账失败但已扣款",
            "收不到手机银行验证码",
            "APP升级后功能找不到",
            "手机银行操作太复杂",
            "网上银行U盾无法使用",
            "微信银行绑卡失败",
            "手机银行人脸识别总是失败",
        ),
        problems=(
            "客户升级手机银行APP后一直无法登录，提示系统繁忙。",
            "客户用手机银行转账{amount}元，显示失败但账户已扣款。",
            "客户多次点击获取验证码都收不到短信，无法完成转账。",
            "客户反映新版APP找不到查询明细的入口，操作太复杂。",
            "客户的网上银行U盾插上后没有反应，到网点也没解决。",
            "手机银行人脸识别反复失败，客户只能到{outlet}网点办理。",
            "客户通过手机银行购买理财时APP闪退，不确定是否购买成功。",
            "客户在微信银行绑卡时提示信息不符，客服让客户去网点。",
        ),
        details=(
            "客户称已经卸载重装了APP，问题依旧。",
            "客户认为银行的系统不稳定。",
            "客户要求尽快恢复并说明原因。",
            "客户的同事也遇到了同样的问题。",
            "客户年纪较大，希望有人上门指导。",
        ),
        products=("手机银行APP", "网上银行", "微信银行", "U盾", "短信验证码服务"),
        businesses=("转账", "查询明细", "购买理财", "绑卡", "修改密码"),
    ),
    "self_service": Pools(
        subjects=(
            "ATM吞卡",
            "ATM取款少钞",
            "自助设备故障无法使用",
            "存款机吞钞未入账",
            "智能柜台故障，业务办理失败",
            "{outlet}网点ATM长期故障",
            "CRS存款后余额未增加",
            "自助终端打印回单失败",
        ),
        problems=(
            "客户在{outlet}网点ATM取款{cash}元，机器吞卡，等了{minutes}分钟无人处理。",
            "客户在ATM取款{cash}元，实际少吐了{small}元。",
            "客户在CRS存入{cash}元，机器显示故障，钱没有入账。",
            "网点的智能柜台经常故障，客户只好回到窗口排队。",
            "客户称{outlet}网点的自助设备已经坏了一个多月没人修。",
            "客户在自助终端办卡时设备死机，卡没有吐出来。",
            "客户晚上在自助银行取款，ATM显示交易失败但扣款。",
        ),
        details=(
            "客户要求尽快退回款项。",
            "客户拨打设备上的电话无人接听。",
            "客户认为网点应当有人值守。",
            "客户第二天来网点取卡又排了很久。",
            "客户担心卡片信息被泄露。",
        ),
        products=("ATM", "CRS存取款一体机", "智能柜台", "自助终端", "借记卡"),
        businesses=("取现", "存款", "办卡", "打印回单"),
    ),
    "wealth_sales": Pools(
        subjects=(
            "理财产品销售时未揭示风险",
            "被误导购买保险",
            "买的基金亏损，认为销售误导",
            "存款变成了保险",
            "{staff}推荐理财时夸大收益",
            "老年人被劝购理财产品",
            "办理业务时被搭售保险",
            "理财产品到期收益低于宣传",
        ),
        problems=(
            "客户本想存定期，被{staff}推荐购买了{amount}元理财产品，当时没有说明风险。",
            "客户称{staff}把保险说成存款，签字时没有看清楚。",
            "客户购买的基金亏损了{pct}%，{staff}当初说是稳健型产品。",
            "客户{age}岁，在{outlet}网点被推荐买了期限{years}年的保险产品。",
            "客户办理贷款时被要求同时购买保险，认为是搭售。",
            "客户的理财产品到期实际收益只有{pct}%，低于{staff}宣传的收益。",
            "客户在手机银行APP首页看到理财宣传，买后发现风险等级很高。",
        ),
        details=(
            "客户要求查看购买时的双录视频。",
            "客户要求退回本金。",
            "客户家属认为老人不适合购买该产品。",
            "客户表示风险测评是{staff}代为填写的。",
            "客户要求解除合同。",
        ),
        products=("代销理财产品", "代理保险", "代销基金", "自营理财", "分红型保险"),
        businesses=("存定期", "购买理财", "咨询存款", "办理贷款"),
    ),
    "loans": Pools(
        subjects=(
            "房贷审批时间太长",
            "提前还款手续繁琐",
            "贷款利率调整有异议",
            "贷款放款延迟",
            "消费贷还款日扣款失败",
            "经营贷续贷被拒",
            "提前还款被收违约金",
            "房贷利率未按时调整",
        ),
        problems=(
            "客户申请房贷已经{days}天还没有审批结果，{staff}每次都说再等等。",
            "客户想提前还款，需要提前{days}天预约，还要到{outlet}网点跑{k}次。",
            "客户认为房贷利率调整后月供没有相应减少。",
            "客户的贷款合同约定放款时间已过，一直没有放款，影响购房。",
            "客户的消费贷还款日账户有钱但扣款失败，产生了逾期。",
            "客户提前还款被收取违约金{amount}元，办理时{staff}没有说明。",
            "客户的经营贷到期续贷被拒，客户称之前{staff}答应可以续。",
        ),
        details=(
            "客户要求银行给出书面说明。",
            "客户担心影响征信记录。",
            "客户认为合同条款不清楚。",
            "客户要求减免罚息。",
            "客户表示多次联系客户经理未果。",
        ),
        products=("个人住房贷款", "个人消费贷款", "个人经营贷款", "个人汽车贷款"),
        businesses=("申请房贷", "提前还款", "咨询贷款", "续贷"),
    ),
    "credit_report": Pools(
        subjects=(
            "征信报告有逾期记录，要求更正",
            "对征信不良记录有异议",
            "信用卡逾期记录申请修复",
            "未贷款却有贷款记录",
            "征信异议处理时间太长",
            "担保记录错误影响贷款",
        ),
        problems=(
            "客户查询征信发现有一笔信用卡逾期记录，客户称已按时还款。",
            "客户的贷款因系统扣款失败产生逾期，要求消除征信不良记录。",
            "客户征信报告显示有一笔从未办理的消费贷款。",
            "客户提出征信异议已经{days}天，一直没有处理结果。",
            "客户因征信有逾期记录，房贷申请被拒，认为逾期不是本人原因。",
            "客户年费未还产生{amount}元欠款，被报送征信逾期，客户不知情。",
        ),
        details=(
            "客户要求出具非恶意逾期证明。",
            "客户称之前没有收到任何还款提醒。",
            "客户表示影响了在其他银行的贷款。",
            "客户要求尽快更正征信记录。",
            "客户愿意提供还款凭证。",
        ),
        products=("征信报告", "信用卡", "个人消费贷款", "个人住房贷款"),
        businesses=("查询征信", "申请贷款", "办理信用卡"),
    ),
    "collection": Pools(
        subjects=(
            "催收电话骚扰",
            "催收人员联系家人和同事",
            "催收言语威胁",
            "信用卡逾期被频繁催收",
            "第三方催收态度恶劣",
            "非工作时间催收电话",
        ),
        problems=(
            "客户信用卡逾期{days}天，每天接到{n}个以上催收电话。",
            "催收人员给客户的父母和同事打电话，透露客户欠款情况。",
            "催收人员在电话中言语威胁，称要上门。",
            "客户已与银行协商分期还款，仍然接到第三方催收电话。",
            "客户晚上十点以后还接到催收电话，严重影响休息。",
            "客户的消费贷逾期，催收短信内容带有侮辱性语言。",
        ),
        details=(
            "客户要求停止骚扰。",
            "客户表示有通话录音。",
            "客户称愿意还款，但需要协商还款计划。",
            "客户要求核实催收人员身份。",
            "客户要求对相关人员进行处理。",
        ),
        products=("信用卡", "个人消费贷款", "分期付款"),
        businesses=("协商还款", "办理分期", "咨询欠款"),
    ),
    "info_security": Pools(
        subjects=(
            "个人信息被泄露",
            "频繁接到营销电话",
            "身份信息被冒用开户",
            "收到陌生人发来的账户信息",
            "未经同意发送营销短信",
            "银行工作人员泄露客户信息",
        ),
        problems=(
            "客户在{outlet}网点办理业务后，频繁接到贷款营销电话，怀疑信息泄露。",
            "客户发现有人用自己的身份信息在银行开了账户。",
            "客户没有同意，却每天收到银行的营销短信，退订无效。",
            "客户称{staff}把客户的账户余额告诉了其家属。",
            "客户收到陌生人发来的短信，里面有客户的卡号后四位{tail}。",
            "客户的手机银行登录记录出现陌生设备，担心账户安全。",
        ),
        details=(
            "客户要求银行说明信息是如何泄露的。",
            "客户要求停止向其发送营销信息。",
            "客户表示已向公安机关报案。",
            "客户要求注销被冒用的账户。",
            "客户担心资金安全。",
        ),
        products=("个人金融信息", "借记卡", "信用卡", "手机银行APP"),
        businesses=("开卡", "查询余额", "办理业务"),
    ),
}

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

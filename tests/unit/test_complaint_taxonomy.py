"""The classification seed (JR/T 0169-2018 axes), flags, intake channels and departments."""

from __future__ import annotations

import pytest

from manyi.complaints.domain.taxonomy import (
    DEFAULT_DEPARTMENT,
    DEPARTMENT_FOR_BUSINESS,
    DEPARTMENTS,
    SEED,
    Axis,
    Category,
    Flag,
    Intake,
    by_code,
    check_seed,
    children,
    department_for,
)


def test_the_seed_is_sound() -> None:
    assert check_seed() == []


def test_every_axis_has_its_regulatory_top_level() -> None:
    def tops(axis: Axis) -> set[str]:
        return {c.name_zh for c in children(axis)}

    assert {"营业现场", "自助机具", "电子渠道", "第三方及合作渠道", "上门服务"} <= tops(
        Axis.CHANNEL
    )
    assert {
        "人民币储蓄",
        "贷款",
        "银行卡",
        "支付结算",
        "人民币管理",
        "个人金融信息",
        "外汇",
        "代理业务",
        "自营理财",
        "贵金属",
    } <= tops(Axis.BUSINESS)
    assert {
        "服务态度及服务质量",
        "服务设施、设备及业务系统",
        "管理制度、业务规则与流程",
        "营销方式和手段",
        "信息披露",
        "产品收益",
        "自主选择权",
        "定价收费",
        "合同条款",
        "资金安全",
        "消费者信息安全",
        "债务催收方式和手段",
    } <= tops(Axis.CAUSE)
    for axis in Axis:
        assert by_code(axis, "other") is not None


def test_children_are_listed_under_their_parent() -> None:
    electronic = {c.code: c.name_zh for c in children(Axis.CHANNEL, "electronic")}
    assert electronic == {
        "electronic.online": "网上银行",
        "electronic.phone": "电话银行",
        "electronic.mobile": "手机银行（移动客户端）",
        "electronic.wechat": "微信银行及小程序",
        "electronic.sms": "短信",
    }
    assert {c.code for c in children(Axis.BUSINESS, "cards")} == {"cards.debit", "cards.credit"}
    assert {"cash.service", "cash.damaged"} <= {c.code for c in children(Axis.BUSINESS, "cash")}
    assert {"loans.mortgage", "loans.consumer", "loans.business", "loans.short_term"} <= {
        c.code for c in children(Axis.BUSINESS, "loans")
    }
    assert children(Axis.CAUSE, "pricing") == ()


def test_codes_are_looked_up_on_their_own_axis() -> None:
    credit = by_code(Axis.BUSINESS, "cards.credit")
    assert credit == Category(Axis.BUSINESS, "cards.credit", "信用卡", "Credit cards", "cards")
    assert by_code(Axis.CAUSE, "cards.credit") is None
    assert by_code(Axis.BUSINESS, "no.such") is None
    # "other" exists on every axis and means something different on each.
    assert by_code(Axis.CAUSE, "other") != by_code(Axis.BUSINESS, "other")


def test_every_category_has_both_names_and_a_slug_code() -> None:
    for c in SEED:
        assert c.name_zh.strip() and c.name_en.strip()
        assert c.code.isascii() and c.code == c.code.lower()
        assert c.parent is None or c.code.startswith(c.parent + ".")


def _cat(
    axis: Axis, code: str, parent: str | None = None, zh: str = "名", en: str = "n"
) -> Category:
    return Category(axis, code, f"{zh}{code}", en, parent)


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ([_cat(Axis.CAUSE, "pricing")], "code 'pricing' appears twice"),
        ([_cat(Axis.CAUSE, "x.y", "x")], "parent 'x' of 'x.y' does not exist"),
        ([_cat(Axis.CAUSE, "loans.z", "loans")], "(it is on the business axis)"),
        ([Category(Axis.CAUSE, "blank", " ", "Blank", None)], "needs both a Chinese and"),
        ([Category(Axis.CAUSE, "blank", "空", "", None)], "needs both a Chinese and"),
        ([_cat(Axis.CAUSE, "Bad-Code")], "is not a lower-case slug"),
        ([_cat(Axis.CAUSE, "pricing.fee.late", "pricing.fee")], "is not a lower-case slug"),
        ([_cat(Axis.CAUSE, "rules.x", "pricing")], "must be named pricing.<slug>"),
        ([_cat(Axis.CAUSE, "dotted.only")], "is dotted but has no parent"),
        ([Category(Axis.CAUSE, "fees", "定价收费", "Fees", None)], "name '定价收费' is used twice"),
    ],
)
def test_check_seed_finds_what_an_administrator_could_get_wrong(
    extra: list[Category], problem: str
) -> None:
    problems = check_seed([*SEED, *extra])
    assert len(problems) >= 1
    assert any(problem in p for p in problems), problems


def test_check_seed_wants_the_fallback_category() -> None:
    without = [c for c in SEED if not (c.axis is Axis.CAUSE and c.code == "other")]
    assert check_seed(without) == ["cause: the fallback category 'other' is missing"]


def test_flags_and_intake_channels_have_labels_in_both_languages() -> None:
    assert [f.value for f in Flag] == ["group", "media_risk", "repeat", "regulator", "vulnerable"]
    assert Flag.GROUP.name_zh == "群体性投诉"
    assert Flag.VULNERABLE.name_zh == "特殊群体/弱势客户"
    assert Intake.HOTLINE.name_zh == "客服热线"
    assert Intake.WEB.name_en == "Online complaint form"
    assert Intake.IMPORT.name_zh == "历史导入"
    for member in [*Flag, *Intake]:
        assert member.name_zh and member.name_en
    assert len(Intake) == 9


def test_the_department_follows_the_business_type() -> None:
    assert department_for("cards.credit") == "cards"
    assert department_for("cards") == "cards"
    assert department_for("cards.debit") == "retail"  # a child may name its own department
    assert department_for("loans.mortgage") == "consumer_lending"
    assert department_for("loans.business") == "inclusive_finance"
    assert department_for("payments.transfer") == "operations"
    assert department_for("cash.damaged") == "operations"
    assert department_for("savings") == "retail"
    # Unknown, added later by an administrator, or none at all: consumer protection.
    assert department_for("crypto") == DEFAULT_DEPARTMENT == "consumer_protection"
    assert department_for("crypto.coins") == DEFAULT_DEPARTMENT
    assert department_for(None) == department_for("") == DEFAULT_DEPARTMENT
    assert DEPARTMENTS["consumer_protection"].name_zh == "消费者权益保护部"


def test_every_business_type_has_a_known_department() -> None:
    for c in children(Axis.BUSINESS):
        assert c.code in DEPARTMENT_FOR_BUSINESS
    for business, department in DEPARTMENT_FOR_BUSINESS.items():
        assert by_code(Axis.BUSINESS, business) is not None, business
        assert department in DEPARTMENTS
    for d in DEPARTMENTS.values():
        assert d.name_zh and d.name_en

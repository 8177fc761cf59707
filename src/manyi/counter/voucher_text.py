"""The words of the e-voucher the customer keeps, in Chinese and in English.

The voucher is a document the customer takes home, so it shows no code words of the core
or of the catalogue: an output key ("balance_after"), an error code with the core's English
message ("pin_invalid: the PIN is wrong") and a type's version ("(v1)") each become a label
in the customer's language. A code without a label here is left out rather than shown raw
(an output) or shown as the generic refusal (an error), so a new core adapter cannot leak
its internals onto a customer's paper.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Final

__all__ = ["MONEY_OUTPUTS", "authorisation_text", "error_text", "output_text", "status_text"]

# key -> (zh, en)
_STATUS: Final[Mapping[str, tuple[str, str]]] = {
    "posted": ("成功", "Done"),
    "failed": ("未成功", "Not done"),
    "skipped": ("未办理", "Not run"),
    "unknown": ("结果未知", "Result unknown"),
    "pending": ("未办理", "Not run"),
}
_ERRORS: Final[Mapping[str, tuple[str, str]]] = {
    "insufficient_funds": ("余额不足", "Insufficient funds"),
    "frozen_account": ("账户已冻结或卡片不可用", "The account is frozen or the card unusable"),
    "account_not_found": ("账户不存在", "No such account"),
    "card_not_found": ("卡片不存在", "No such card"),
    "pin_invalid": ("密码错误", "Wrong PIN"),
    "timeout": ("核心系统未及时应答", "The core system did not answer in time"),
    "rejected": ("核心系统拒绝办理", "Refused by the core system"),
}
_SKIPPED: Final = (
    "所依赖的业务未成功，本笔未办理",
    "Not run: an item it depends on did not go through",
)
_OUTPUTS: Final[Mapping[str, tuple[str, str]]] = {
    "account_number": ("新账号", "New account"),
    "balance_after": ("交易后余额", "Balance after"),
    "card_number": ("卡号", "Card"),
    "mobile_banking": ("手机银行", "Mobile banking"),
    "mobile": ("手机号码", "Mobile number"),
    "card_status": ("卡片状态", "Card status"),
    "rate": ("年利率（%）", "Rate (% a year)"),
    "maturity_date": ("到期日", "Maturity date"),
    "interest": ("利息", "Interest"),
    "paid": ("支付金额", "Paid out"),
    "paid_out": ("支付金额", "Paid out"),
    "days": ("存期天数", "Days held"),
    "biller": ("收费单位", "Biller"),
    "product": ("产品", "Product"),
    "holding": ("持有份额", "Holding"),
}
MONEY_OUTPUTS: Final = frozenset({"balance_after", "interest", "paid", "paid_out"})
_CARD_STATES: Final[Mapping[str, tuple[str, str]]] = {
    "active": ("正常使用", "Card in use"),
    "lost": ("已挂失", "Card reported lost"),
}
_LEVELS: Final[Mapping[str, tuple[str, str]]] = {
    "supervisor": ("主管授权", "Supervisor authorisation"),
    "remote": ("远程授权", "Remote authorisation"),
}
_DECISIONS: Final[Mapping[str, tuple[str, str]]] = {
    "approved": ("已同意", "approved"),
    "rejected": ("已拒绝", "refused"),
    "withdrawn": ("已撤回", "withdrawn"),
}


def _pick(words: tuple[str, str], lang: str) -> str:
    return words[1] if lang == "en" else words[0]


def status_text(status: str, lang: str) -> str:
    return _pick(_STATUS.get(status, _STATUS["failed"]), lang)


def error_text(error_code: str, status: str, lang: str) -> str:
    """Why an item was not done, in words; empty for an item that was."""
    if error_code:
        return _pick(_ERRORS.get(error_code, _ERRORS["rejected"]), lang)
    return _pick(_SKIPPED, lang) if status == "skipped" else ""


def output_text(key: str, value: str, lang: str) -> str | None:
    """ "交易后余额：321,000.00"; None for an output this module has no label for."""
    if key not in _OUTPUTS:
        return None
    if key in MONEY_OUTPUTS:
        with contextlib.suppress(InvalidOperation):
            value = f"{Decimal(value):,.2f}"
    if key == "card_status" and value in _CARD_STATES:
        value = _pick(_CARD_STATES[value], lang)
    separator = ": " if lang == "en" else "："
    return f"{_pick(_OUTPUTS[key], lang)}{separator}{value}"


def authorisation_text(level: str, state: str, by: str, when: str, lang: str) -> str:
    """ "主管授权，已同意（sup.a，2026-12-04 10:30）"; the plain "none needed" when level is ""."""
    if not level:
        return "None needed" if lang == "en" else "无需授权"
    head = _pick(_LEVELS.get(level, _LEVELS["supervisor"]), lang)
    decision = _pick(_DECISIONS[state], lang) if state in _DECISIONS else ""
    who = ", ".join(part for part in (by, when) if part)
    if lang == "en":
        return head + (f", {decision}" if decision else "") + (f" ({who})" if who else "")
    who = "，".join(part for part in (by, when) if part)
    return head + (f"，{decision}" if decision else "") + (f"（{who}）" if who else "")

"""The simulated core's demo customers (`SimulatedCore.seed_demo` opens their accounts)."""

from __future__ import annotations

from typing import Protocol

__all__ = ["DEMO_CUSTOMERS", "open_demo_customers"]


class DemoCore(Protocol):
    """What seeding needs of the simulated core (its back office, not postings)."""

    mailed_cards: dict[str, str]

    def open_demo_account(
        self, holder_name: str, holder_id: str, balance: str, pin: str, **options: str
    ) -> tuple[str, str]: ...

    def mail_card(self, account: str) -> str: ...


# The demo bank's customers: short name → (name, resident ID, balance, PIN, options: mobile,
# frozen, mailed_card: a second card sent by post, inactive until activated). The
# IDs are made up for Hangzhou's Xihu district (330106) with valid GB 11643 check digits.
DEMO_CUSTOMERS: dict[str, tuple[str, str, str, str, dict[str, str]]] = {
    "zhang_wei": ("张伟", "330106198503120319", "86000.00", "123456", {"mobile": "13812345678"}),
    "li_xiuying": (
        "李秀英",
        "330106194807050243",
        "320000.00",
        "246810",
        # A second card the card centre sent by post, to activate (on a visit: she is 78).
        {"mobile": "13957112345", "mailed_card": "yes"},
    ),
    "wang_fang": ("王芳", "330106199001180623", "12000.00", "135790", {"frozen": "yes"}),
    "liu_yang": ("刘洋", "330106199709230155", "150.00", "112233", {"mobile": "18657100001"}),
}


def open_demo_customers(core: DemoCore) -> dict[str, tuple[str, str]]:
    """Open DEMO_CUSTOMERS' accounts: short name → (account, card). The cards sent by post
    (option `mailed_card`) are made after them, so the other numbers never move; they are in
    the core's `mailed_cards`."""
    accounts = {
        short: core.open_demo_account(*c[:4], **c[4]) for short, c in DEMO_CUSTOMERS.items()
    }
    for short, c in DEMO_CUSTOMERS.items():
        if c[4].get("mailed_card"):
            core.mailed_cards[short] = core.mail_card(accounts[short][0])
    return accounts

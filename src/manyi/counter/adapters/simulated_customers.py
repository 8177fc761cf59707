"""The simulated core's demo customers (`SimulatedCore.seed_demo` opens their accounts)."""

from __future__ import annotations

__all__ = ["DEMO_CUSTOMERS"]

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

"""What a customer's reply to a text means: TD (退订) withdraws consent (pure).

Mainland SMS practice: every marketing or service text may be stopped by replying TD, and
customers also write 退订, or just T or N. The reply is read leniently, as a handset sends it:
spaces and common punctuation around it are dropped, full-width letters (ＴＤ, typed with a
Chinese input method) read as ASCII (NFKC), and case does not matter. So "td", " ＴＤ。",
"退订！" and "n" withdraw; "TD please", "不要退订" and "Y" do not (only the word on its own
counts: a sentence that merely contains it may mean anything).
"""

from __future__ import annotations

import unicodedata

WITHDRAWING_WORDS = frozenset({"td", "退订", "t", "n"})
# Around the word: spaces and the punctuation a handset adds or a customer types after it.
_AROUND = " \t\r\n\u3000.,;:!?'\"。，；：！？、…~～-—()（）[]【】"


def withdraws_consent(text: str) -> bool:
    """Whether a reply says "send me no more messages" (see the module docstring)."""
    word = unicodedata.normalize("NFKC", text).strip(_AROUND).casefold()
    return word in WITHDRAWING_WORDS

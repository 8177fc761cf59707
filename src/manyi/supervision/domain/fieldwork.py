"""Which checklist items a mystery shopper and a remote reviewer judge, how their answers fill a
whole scorecard, the scenario scripts, and the service interval a remote check reviews (pure).

**Items.** A mystery shopper judges what a customer meets at the counter: the groups
`CUSTOMER_GROUPS` (appearance and badge, greeting, process, elderly-friendly service). A remote
reviewer judges what the lobby's record and the hall camera show: `REMOTE_GROUPS` (greeting,
process, environment, elderly-friendly service). Neither judges an item whose failure needs a
photo as evidence: they have no camera of their own in the outlet; an open inspection does.
Every other item of the checklist is recorded "not applicable", with a note saying why, so the
visit's scorecard is complete and its score counts only what was judged.

**Answers.** Each judged item is passed, failed or "not seen" (not applicable: the shopper had
no occasion to see it, say no elderly customer came by); every judged item needs an answer.

**Interval.** A remote check reviews `WINDOW_MINUTES` of one day. The windows start every quarter
hour from the first ticket of the day to the last; those that saw at least `MIN_TICKETS` tickets
issued (traffic to watch) are the candidates; the seed picks one (SHA-256 of the seed, the
outlet and the day), so the same seed shows the same window again. A day without such a
window falls back to the busiest window, and a day without tickets to none (refused: nothing
to review).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from manyi.errors import InvalidInput
from manyi.supervision.domain.standards import Item

CUSTOMER_GROUPS = ("appearance", "greeting", "process", "elderly")
REMOTE_GROUPS = ("greeting", "process", "environment", "elderly")
VERDICTS = ("passed", "failed", "na")  # the scorecard's outcomes: na is "not seen"
MAX_NOTE = 1000
MAX_STEPS = 20
MAX_STEP_TEXT = 300
WINDOW_MINUTES = 30
WINDOW_STEP_MINUTES = 15
MIN_TICKETS = 3


def judged_items(items: Sequence[Item], groups: Sequence[str]) -> tuple[Item, ...]:
    return tuple(i for i in items if i.group in groups and not i.photo_required)


def scorecard_answers(
    items: Sequence[Item],
    judged: Sequence[Item],
    sent: Mapping[str, tuple[str, str]],
    not_judged_note: str,
) -> dict[str, tuple[str, str]]:
    """The whole card {code: (outcome, note)} from the answers on the judged items (each one
    answered, each verdict one of VERDICTS, notes bounded); the rest "na" with the note."""
    answers: dict[str, tuple[str, str]] = {}
    for item in judged:
        verdict, note = sent.get(item.code, ("", ""))
        verdict, note = verdict.strip(), note.strip()
        if verdict not in VERDICTS:
            raise InvalidInput(
                "Item {code}: choose passed, failed or not seen.", "item", code=item.code
            )
        if len(note) > MAX_NOTE:
            raise InvalidInput(
                "Item {code}: a note has at most {n} characters.",
                "note",
                code=item.code,
                n=MAX_NOTE,
            )
        answers[item.code] = (verdict, note)
    judged_codes = {i.code for i in judged}
    for item in items:
        if item.code not in judged_codes:
            answers[item.code] = ("na", not_judged_note)
    return answers


# --- scenario scripts -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    zh: str
    en: str

    def text(self, lang: str) -> str:
        return self.en if lang == "en" and self.en else self.zh


def parse_steps(zh_text: str, en_text: str) -> tuple[Step, ...]:
    """Steps from two texts, one step a line (the English optional, line by line)."""
    zh = [line.strip() for line in zh_text.splitlines() if line.strip()]
    en = [line.strip() for line in en_text.splitlines() if line.strip()]
    if not zh:
        raise InvalidInput("A scenario needs at least one step (one a line).", "steps_zh")
    if len(zh) > MAX_STEPS:
        raise InvalidInput("A scenario has at most {n} steps.", "steps_zh", n=MAX_STEPS)
    if en and len(en) != len(zh):
        raise InvalidInput(
            "The English steps, when given, are as many as the Chinese ones ({n}).",
            "steps_en",
            n=len(zh),
        )
    if any(len(line) > MAX_STEP_TEXT for line in zh + en):
        raise InvalidInput("A step has at most {n} characters.", "steps_zh", n=MAX_STEP_TEXT)
    return tuple(Step(z, en[i] if en else "") for i, z in enumerate(zh))


def steps_from_json(data: Iterable[Mapping[str, Any]]) -> tuple[Step, ...]:
    return tuple(Step(str(d.get("zh", "")), str(d.get("en", ""))) for d in data)


def steps_to_json(steps: Iterable[Step]) -> list[dict[str, str]]:
    return [{"zh": s.zh, "en": s.en} for s in steps]


# --- the remote check's interval ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Window:
    start: dt.datetime
    end: dt.datetime
    tickets: int  # issued in the window
    drawn: bool  # False: the fallback (the busiest window; none had enough traffic)


def pick_window(
    seed: str, outlet_id: int, day: dt.date, issued: Sequence[dt.datetime]
) -> Window | None:
    """The window a remote check reviews (see the module), from the day's issue times (aware,
    in the outlet's local time)."""
    if not issued:
        return None
    ordered = sorted(issued)
    step = dt.timedelta(minutes=WINDOW_STEP_MINUTES)
    length = dt.timedelta(minutes=WINDOW_MINUTES)
    first = ordered[0].replace(
        minute=ordered[0].minute - ordered[0].minute % WINDOW_STEP_MINUTES, second=0, microsecond=0
    )
    windows: list[tuple[dt.datetime, int]] = []
    start = first
    while start <= ordered[-1]:
        count = sum(1 for t in ordered if start <= t < start + length)
        windows.append((start, count))
        start += step
    busy = [w for w in windows if w[1] >= MIN_TICKETS]
    if not busy:
        start, count = max(windows, key=lambda w: (w[1], -w[0].timestamp()))
        return Window(start, start + length, count, drawn=False)
    digest = hashlib.sha256(f"{seed}\x1f{outlet_id}\x1f{day.isoformat()}".encode()).digest()
    start, count = busy[int.from_bytes(digest[:8], "big") % len(busy)]
    return Window(start, start + length, count, drawn=True)

"""The bulletin (通报) of a finalised misconduct case: what it may say (`BulletinFacts`, never
the investigation notes), its text in the bank's words with names masked or shown
(`compose_bulletin`), and the issuer's edit checked (`check_bulletin`).

Pure: no database, no web, no clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from manyi.errors import InvalidInput
from manyi.supervision.domain.misconduct import Party, Sanction, Severity


def mask_name(name: str) -> str:
    """A name as a bulletin shows it when names are masked: the family name kept, the rest
    starred ('张伟' → '张*', '欧阳娜娜' → '欧***'); an empty name stays empty."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


TITLE_MAX = 200
BODY_MAX = 2000


@dataclass(frozen=True)
class BulletinFacts:
    """What a bulletin may say about a finalised case (never the investigation notes)."""

    case_id: int
    severity: Severity
    unit_name: str
    staff_name: str
    happened_on: dt.date
    summary: str
    sanctions: tuple[Sanction, ...]
    parties: tuple[Party, ...]


def compose_bulletin(facts: BulletinFacts, *, show_names: bool) -> tuple[str, str]:
    """The bulletin's title and text, in the bank's language, for the issuer to edit."""

    def who(name: str) -> str:
        return name if show_names else mask_name(name)

    title = f"关于{facts.unit_name}{facts.severity.name_zh}的通报"
    lines = [
        f"{facts.happened_on.year}年{facts.happened_on.month}月{facts.happened_on.day}日，"
        f"{facts.unit_name}员工{who(facts.staff_name)}发生{facts.severity.name_zh}："
        f"{facts.summary.strip().rstrip('。')}。",
        "经调查核实，决定给予" + "、".join(s.name_zh for s in facts.sanctions) + "处理。",
    ]
    if facts.parties:
        named = "、".join(f"{p.unit_name}负责人{who(p.name)}" for p in facts.parties)
        lines.append(f"按照“一级抓一级、层层抓落实”的要求，对{named}予以问责。")
    lines.append("各单位要引以为戒，举一反三，坚持零容忍，切实提升服务质量。")
    body = "\n".join(lines)
    return title[:TITLE_MAX], body[:BODY_MAX]


def check_bulletin(title: str, body: str) -> tuple[str, str]:
    """The bulletin's edited title and text, trimmed; both needed, within their lengths."""
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise InvalidInput("a bulletin needs a title", "title")
    if not body:
        raise InvalidInput("a bulletin needs its text", "body")
    if len(title) > TITLE_MAX:
        raise InvalidInput("the title is longer than {max} characters", "title", max=TITLE_MAX)
    if len(body) > BODY_MAX:
        raise InvalidInput("the text is longer than {max} characters", "body", max=BODY_MAX)
    return title, body

"""The typical-case library (典型案例集): a case's topics, sources and states, its checks, and
the personal-data check every case passes before it is submitted or published (pure).

A case is written from a real source — an upheld complaint, an inspection finding, a praise, a
misconduct case — by staff of the unit concerned or above, and published only when head office
approves it. Its text must carry no personal data:

- resident ID numbers (18 characters: the shape is enough, a check digit is not needed to
  refuse), mobile numbers, bank card numbers (13–19 digits passing Luhn), landline numbers;
- the names of the people in its source (the complainant, the staff named) and of the staff of
  the unit concerned, which the service passes in (`known_names`); no override;
- what looks like a person's name: a word jieba's part-of-speech tagger takes for one (`nr`)
  that starts with one of the hundred commonest surnames (or a common double surname), unless
  written as a surname and a title (王先生, 李女士, 张师傅) or listed by the author as "not a
  name" (a place, a product: 张家港); the author's list is kept with the case and audited. The
  surname filter keeps jieba's commonest mistakes out (养老金, 齐全 are tagged `nr` too).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from manyi.errors import Conflict, InvalidInput
from manyi.personal import luhn_ok

TITLE_MAX: Final = 80
TEXT_MAX: Final = 4000
LESSONS_MAX: Final = 1000
NOT_NAMES_MAX: Final = 20


class Topic(enum.StrEnum):
    ATTITUDE = "attitude"  # 服务态度
    PROCESS = "process"  # 业务流程
    ELDERLY = "elderly"  # 适老服务
    FRAUD = "fraud"  # 反诈与资金安全
    DISCLOSURE = "disclosure"  # 信息披露与销售适当性
    ENVIRONMENT = "environment"  # 营业环境与设施
    COMPLAINTS = "complaints"  # 投诉处理
    EXCELLENCE = "excellence"  # 优质服务


class SourceKind(enum.StrEnum):
    COMPLAINT = "complaint"  # an upheld (or partly upheld) complaint, by reference
    INSPECTION = "inspection"  # a failed item of a submitted inspection: visit id and item code
    PRAISE = "praise"  # a praise, by id
    MISCONDUCT = "misconduct"  # a finalised misconduct case, by id


class CaseState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # waiting for head office
    PUBLISHED = "published"
    RETURNED = "returned"  # head office sent it back with a reason; edited, submitted again


# action -> (states it may start from, state it ends in)
TRANSITIONS: Final = {
    "edit": ((CaseState.DRAFT, CaseState.RETURNED), None),
    "submit": ((CaseState.DRAFT, CaseState.RETURNED), CaseState.SUBMITTED),
    "approve": ((CaseState.SUBMITTED,), CaseState.PUBLISHED),
    "return": ((CaseState.SUBMITTED,), CaseState.RETURNED),
}


def next_state(state: str, action: str) -> CaseState | None:
    allowed, ends = TRANSITIONS[action]
    if CaseState(state) not in allowed:
        raise Conflict(
            "a case that is {state} cannot be {action}", "state", state=state, action=action
        )
    return ends


@dataclass(frozen=True, slots=True)
class CaseText:
    title: str
    story: str  # what happened, and what was wrong or right
    lessons: str  # what good service looks like; what to do next time
    topics: tuple[Topic, ...]
    not_names: tuple[str, ...] = ()  # words the author confirms are not personal names


def _clean(text: str) -> str:
    return "\n".join(line.rstrip() for line in (text or "").strip().splitlines())


def check_text(
    title: str, story: str, lessons: str, topics: Iterable[str], not_names: str = ""
) -> CaseText:
    """A case's words, trimmed and checked (lengths, at least one known topic); names the
    field at fault."""
    title, story, lessons = " ".join((title or "").split()), _clean(story), _clean(lessons)
    if not title:
        raise InvalidInput("a case needs a title", "title")
    if len(title) > TITLE_MAX:
        raise InvalidInput("the title is longer than {max} characters", "title", max=TITLE_MAX)
    if not story:
        raise InvalidInput("tell what happened", "story")
    if len(story) > TEXT_MAX:
        raise InvalidInput("the story is longer than {max} characters", "story", max=TEXT_MAX)
    if len(lessons) > LESSONS_MAX:
        raise InvalidInput(
            "the lessons are longer than {max} characters", "lessons", max=LESSONS_MAX
        )
    chosen: list[Topic] = []
    for text in topics:
        try:
            topic = Topic(text.strip())
        except ValueError:
            raise InvalidInput("unknown topic {topic}", "topics", topic=text[:40]) from None
        if topic not in chosen:
            chosen.append(topic)
    if not chosen:
        raise InvalidInput("tag the case with at least one topic", "topics")
    words = tuple(dict.fromkeys(w for w in re.split(r"[\s,，、;；]+", not_names or "") if w))
    if len(words) > NOT_NAMES_MAX or any(len(w) > 20 for w in words):
        raise InvalidInput("list at most {n} short words that are not names", "not_names", n=20)
    return CaseText(title, story, lessons, tuple(chosen), words)


# --- personal data ------------------------------------------------------------------------

_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9](?:[\s-]?[0-9]){8}(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])0[1-9][0-9]{1,2}-?[0-9]{7,8}(?![0-9])")
_CARD = re.compile(r"(?<![0-9])[0-9](?:[\s-]?[0-9]){12,18}(?![0-9])")
TITLES: Final = (
    "先生", "女士", "小姐", "老人", "阿姨", "大爷", "大妈", "奶奶", "爷爷", "师傅", "经理",
    "主任", "行长", "老师", "同志", "某", "某某",
)  # fmt: skip


# The hundred commonest Chinese surnames (about 85 % of people) and common double surnames.
SURNAMES: Final = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦"
)
DOUBLE_SURNAMES: Final = ("欧阳", "司马", "诸葛", "上官", "东方", "慕容", "令狐", "司徒", "皇甫")


def _looks_like_a_name(word: str) -> bool:
    return word[0] in SURNAMES or word.startswith(DOUBLE_SURNAMES)


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str  # id_number, mobile, landline, card, known_name, name
    text: str  # what was found, masked for display


def _masked(text: str) -> str:
    """Enough to find it in one's text, not enough to read it: 李*, 王**, 13********8."""
    if len(text) <= 3:
        return text[0] + "*" * (len(text) - 1)
    return text[:2] + "*" * (len(text) - 3) + text[-1]


@cache
def _tagger() -> Any:
    import jieba  # loaded when first needed: building its dictionary takes a moment
    import jieba.posseg

    jieba.setLogLevel(60)
    return jieba.posseg


def personal_data(
    text: str, known_names: Sequence[str] = (), not_names: Sequence[str] = ()
) -> list[Problem]:
    """What a case's text still holds of people, in the order found (empty: none)."""
    found: list[Problem] = []
    for kind, pattern in (("id_number", _ID), ("mobile", _MOBILE), ("landline", _LANDLINE)):
        found += [Problem(kind, _masked(m.group())) for m in pattern.finditer(text)]
    for match in _CARD.finditer(text):
        digits = re.sub(r"[\s-]", "", match.group())
        if luhn_ok(digits) and not _ID.fullmatch(digits) and not _MOBILE.fullmatch(digits):
            found.append(Problem("card", _masked(digits)))
    names = sorted({n.strip() for n in known_names if len(n.strip()) >= 2}, key=len, reverse=True)
    for name in names:
        if name in text:
            found.append(Problem("known_name", _masked(name)))
    ignored = set(not_names) | set(names)
    for pair in _tagger().cut(text):
        word, flag = pair.word, pair.flag
        if not flag.startswith("nr") or len(word) < 2 or word in ignored:
            continue
        if not _looks_like_a_name(word):
            continue
        if any(word.endswith(title) and len(word) - len(title) <= 1 for title in TITLES):
            continue  # 王先生, 李女士: the usual way a case keeps a person anonymous
        found.append(Problem("name", word))
    return found


def refuse_personal_data(problems: Sequence[Problem]) -> None:
    """Refuse a text with personal data, saying what and how to fix it."""
    if not problems:
        return
    words = "、".join(dict.fromkeys(p.text for p in problems))
    if all(p.kind == "name" for p in problems):
        raise InvalidInput(
            "the text may name people: {words}; write 王先生 or 某柜员 instead, or list a "
            "word that is not a name under “not names”",
            "story",
            words=words,
        )
    raise InvalidInput(
        "the text still holds personal data: {words}; remove it before the case goes on",
        "story",
        words=words,
    )


def masked_source(text: str, names: Sequence[str]) -> str:
    """A source's text for the author to read beside the form: the known names and every ID,
    mobile, landline and card number masked (the author rewrites it; it is never stored)."""
    for name in sorted({n for n in names if len(n) >= 2}, key=len, reverse=True):
        text = text.replace(name, name[0] + "*" * (len(name) - 1))
    for pattern in (_ID, _MOBILE, _LANDLINE, _CARD):
        text = pattern.sub(lambda m: _masked(m.group()), text)
    return text

"""What manyi says to customers: the message kinds, what each may mention, its default words.

Each kind belongs to a purpose, and a customer consents (or not) per purpose (`consent`). Each
kind has a zh-CN and an English template that the bank may edit; a template names the values it
uses as `{name}`, and only the kind's own names are allowed, so an edit cannot ask for a value
the sender never gives (or leak one it should not). The bank's SMS signature (【某某银行】) is
added by its SMS centre or written into the templates by the bank; manyi adds none.
"""

from __future__ import annotations

import enum
import string
from collections.abc import Mapping
from dataclasses import dataclass

from manyi.errors import InvalidInput

LANGS = ("zh-CN", "en")
TEMPLATE_MAX = 300  # characters: about four SMS parts of Chinese text (67 each when split)


class Purpose(enum.StrEnum):
    """What a customer consents to be told about (消息授权用途)."""

    QUEUE = "queue"  # your turn is near, you are called
    APPOINTMENT = "appointment"  # booked, reminder, changed, cancelled
    COMPLAINT = "complaint"  # received, decided, needing your answer
    SURVEY = "survey"  # an invitation to rate the service
    VISIT = "visit"  # a home or hospital visit agreed (特事特办)
    VERIFICATION = "verification"  # a code the customer asked for: needs no consent


class Kind(enum.StrEnum):
    TURN_NEAR = "turn_near"
    CALLED = "called"
    APPOINTMENT_BOOKED = "appointment_booked"
    APPOINTMENT_REMINDER = "appointment_reminder"
    APPOINTMENT_CHANGED = "appointment_changed"
    APPOINTMENT_CANCELLED = "appointment_cancelled"
    COMPLAINT_RECEIVED = "complaint_received"
    COMPLAINT_DECIDED = "complaint_decided"
    COMPLAINT_NEEDS_ANSWER = "complaint_needs_answer"
    SURVEY_INVITATION = "survey_invitation"
    VISIT_SCHEDULED = "visit_scheduled"
    VERIFICATION_CODE = "verification_code"


@dataclass(frozen=True)
class KindRule:
    purpose: Purpose
    names: tuple[str, ...]  # the values a template of this kind may use
    live: bool  # about this very moment: sent at once (no quiet hours), stale soon after
    zh: str
    en: str


RULES: Mapping[Kind, KindRule] = {
    Kind.TURN_NEAR: KindRule(
        Purpose.QUEUE,
        ("number", "ahead", "minutes", "outlet"),
        True,
        "您的号码{number}前面还有{ahead}位，预计约{minutes}分钟轮到您，请回到{outlet}大堂候叫。",
        "Number {number}: {ahead} ahead of you, about {minutes} min. Please come back to the "
        "{outlet} lobby.",
    ),
    Kind.CALLED: KindRule(
        Purpose.QUEUE,
        ("number", "counter", "outlet"),
        True,
        "请{number}号到{counter}号窗口办理业务（{outlet}）。",
        "Number {number}, please go to counter {counter} ({outlet}).",
    ),
    Kind.APPOINTMENT_BOOKED: KindRule(
        Purpose.APPOINTMENT,
        ("outlet", "service", "date", "time", "code", "link"),
        False,
        "您已预约{date} {time}在{outlet}办理{service}，签到码{code}。查看、改期或取消：{link}",
        "Booked: {service} at {outlet}, {date} {time}. Check-in code {code}. View, change or "
        "cancel: {link}",
    ),
    Kind.APPOINTMENT_REMINDER: KindRule(
        Purpose.APPOINTMENT,
        ("outlet", "service", "date", "time", "code", "link"),
        False,
        "提醒：您预约了{date} {time}在{outlet}办理{service}，"
        "到网点后在取号机输入签到码{code}。{link}",
        "Reminder: {service} at {outlet}, {date} {time}. At the kiosk enter code {code}. {link}",
    ),
    Kind.APPOINTMENT_CHANGED: KindRule(
        Purpose.APPOINTMENT,
        ("outlet", "service", "date", "time", "code", "link"),
        False,
        "您的预约已改为{date} {time}在{outlet}办理{service}，签到码{code}。{link}",
        "Your booking is now {date} {time} at {outlet} for {service}. Code {code}. {link}",
    ),
    Kind.APPOINTMENT_CANCELLED: KindRule(
        Purpose.APPOINTMENT,
        ("outlet", "service", "date", "time"),
        False,
        "您{date} {time}在{outlet}办理{service}的预约已取消。",
        "Your booking for {service} at {outlet} on {date} {time} is cancelled.",
    ),
    Kind.COMPLAINT_RECEIVED: KindRule(
        Purpose.COMPLAINT,
        ("reference", "deadline", "link"),
        False,
        "您的投诉（编号{reference}）已受理，我们将在{deadline}前答复您。进度查询：{link}",
        "Complaint {reference} received; we will answer by {deadline}. Progress: {link}",
    ),
    Kind.COMPLAINT_DECIDED: KindRule(
        Purpose.COMPLAINT,
        ("reference", "link"),
        False,
        "您的投诉（编号{reference}）已有处理结果，请查看：{link}",
        "Complaint {reference} has been decided. Read the answer: {link}",
    ),
    Kind.COMPLAINT_NEEDS_ANSWER: KindRule(
        Purpose.COMPLAINT,
        ("reference", "link"),
        False,
        "您的投诉（编号{reference}）需要您确认处理结果，请回复：{link}",
        "Complaint {reference} needs your answer: {link}",
    ),
    Kind.SURVEY_INVITATION: KindRule(
        Purpose.SURVEY,
        ("link",),
        False,
        "感谢您到我行办理业务，邀请您用一分钟评价本次服务：{link}",
        "Thank you for visiting us. Please rate our service in one minute: {link}",
    ),
    Kind.VISIT_SCHEDULED: KindRule(
        Purpose.VISIT,
        ("date", "time", "place", "outlet"),
        False,
        "{outlet}工作人员将于{date} {time}上门（{place}）为您办理业务，"
        "届时两名工作人员出示工作证。",
        "Two {outlet} staff will visit you at {place} on {date} {time}; they will show their "
        "staff cards.",
    ),
    Kind.VERIFICATION_CODE: KindRule(
        Purpose.VERIFICATION,
        ("code", "minutes"),
        True,
        "验证码{code}，{minutes}分钟内有效。请勿告诉他人，工作人员不会向您索要验证码。",
        "Your code is {code}, valid for {minutes} min. Never tell it to anyone, staff included.",
    ),
}


def default_text(kind: Kind, lang: str) -> str:
    rule = RULES[kind]
    return rule.en if lang == "en" else rule.zh


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise InvalidInput("unknown language {lang}", "lang", lang=lang)
    return lang


def template_names(text: str) -> list[str]:
    """The `{name}`s a template uses, in order; a malformed template is refused."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise InvalidInput(
            "the template has an unmatched brace: write {{ or }} for a brace itself", "text"
        ) from None
    names = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name or spec or conversion:
            raise InvalidInput(
                "write each value as {{name}}, without a format: {bad}", "text", bad=name or "{}"
            )
        names.append(name)
    return names


def check_template(kind: Kind, text: str) -> str:
    """A template the bank typed, checked: not empty, not too long, only the kind's values."""
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput("the template is empty", "text")
    if len(cleaned) > TEMPLATE_MAX:
        raise InvalidInput(
            "the template has {count} characters; at most {max}",
            "text",
            count=len(cleaned),
            max=TEMPLATE_MAX,
        )
    allowed = RULES[kind].names
    for name in template_names(cleaned):
        if name not in allowed:
            raise InvalidInput(
                "{{{name}}} is not a value of this message; it may use {allowed}",
                "text",
                name=name,
                allowed=", ".join("{" + n + "}" for n in allowed),
            )
    return cleaned


def render(template: str, params: Mapping[str, object]) -> str:
    """The message's text: each `{name}` replaced by its value (an absent one by nothing)."""
    values = {name: str(params.get(name, "")) for name in template_names(template)}
    return template.format(**values).strip()

"""Customer ratings on the rating pad (评价器) at each counter.

When a teller completes a ticket, the counter's pad asks the customer to rate
the service. The rules:

* the prompt is made by the completion itself: nobody can raise one for a
  ticket that was not just served at that counter; the teller who served it
  may show it again (the customer looked away) but no other teller can;
* only a rating-pad device of the outlet answers, never a staff session,
  so a teller cannot rate their own service;
* one answer per ticket, within the outlet's window (default 30 s);
* prompts and answers are stored apart, so the share of served customers
  who were asked, and of those who answered, are both visible;
* a 不满意 answer raises an alert for the lobby manager.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from manyi.lobby import events, layouts, ports, staff_queries
from manyi.lobby.hot_events import NewEvent
from manyi.lobby.outlets import OutletLike
from manyi.lobby.service import Operator, outlet_for
from manyi.lobby.tables import LobbyAlert, LobbyCounter, Rating, RatingPrompt


class Score(enum.StrEnum):
    VERY_SATISFIED = "very_satisfied"  # 非常满意
    SATISFIED = "satisfied"  # 满意
    NEUTRAL = "neutral"  # 一般
    DISSATISFIED = "dissatisfied"  # 不满意


class Reason(enum.StrEnum):
    """Optional reasons a customer may tap after a low score."""

    LONG_WAIT = "long_wait"  # 等候时间长
    ATTITUDE = "attitude"  # 服务态度
    SKILL = "skill"  # 业务不熟练
    PROCESS = "process"  # 手续繁琐
    FACILITIES = "facilities"  # 环境设施
    OTHER = "other"  # 其他


DISSATISFIED_ALERT = "dissatisfied_rating"


def prompt_after_service(
    session: Session,
    outlet: OutletLike,
    counter_id: int,
    counter_number: int,
    ticket: Any,
    teller_id: int | None,
    now: dt.datetime,
    along: Sequence[ports.Write] = (),
    after: NewEvent | None = None,
) -> int:
    """Ask the counter's pad to rate `ticket`, just served there, sending `along` with the
    prompt (the visit's survey invitation), and `after`, the completion's event, written
    before it in the same statement. Returns the prompt id."""
    window = layouts.layout(session, outlet).policy.rating_window_s
    # The row's values as such, written by the driver rather than through the ORM's unit of
    # work (every completion comes here), with its event in the same statement on PostgreSQL:
    # no mapped object is made (a transient RatingPrompt cost a completion some 20 µs).
    values: dict[str, Any] = {
        "outlet_id": outlet.id,
        "ticket_id": ticket.id,
        "counter_id": counter_id,
        "counter_number": counter_number,
        "teller_id": teller_id,
        "number": ticket.number,
        "service_code": ticket.service_code,
        "prompted_at": now,
        "expires_at": now + dt.timedelta(seconds=window),
    }
    prompt_id, _ = events.emit_new_row(
        session,
        "lobby_rating_prompts",
        {**values, "times_shown": 1},
        "prompt_id",
        outlet.id,
        "rating_prompted",
        now,
        ticket_id=ticket.id,
        counter_id=counter_id,
        data=_prompt_data(counter_number, ticket.number, ticket.service_code, values["expires_at"]),
        along=along,
        first=after,
    )
    return prompt_id


def _announce_prompt(session: Session, prompt: RatingPrompt, now: dt.datetime) -> None:
    events.emit(
        session,
        prompt.outlet_id,
        "rating_prompted",
        now,
        ticket_id=prompt.ticket_id,
        counter_id=prompt.counter_id,
        data=prompt_json(prompt),
    )


def prompt_json(prompt: RatingPrompt) -> dict[str, Any]:
    return {
        "prompt_id": prompt.id,
        **_prompt_data(
            prompt.counter_number, prompt.number, prompt.service_code, prompt.expires_at
        ),
    }


def _prompt_data(
    counter_number: int, number: str, service_code: str, expires_at: dt.datetime
) -> dict[str, Any]:
    """A prompt's JSON but its id (`prompt_json`; the event's data gains the id where the
    row is written)."""
    return {
        "counter": counter_number,
        "number": number,
        "service": service_code,
        "expires_at": expires_at.isoformat(),
    }


def show_again(
    session: Session,
    operator: Operator,
    outlet_code: str | None,
    counter_number: int,
    now: dt.datetime,
) -> RatingPrompt:
    """The teller who served the counter's last customer shows the prompt again."""
    outlet = outlet_for(session, operator, outlet_code)
    prompt = session.scalar(
        select(RatingPrompt)
        .where(RatingPrompt.outlet_id == outlet.id, RatingPrompt.counter_number == counter_number)
        .order_by(RatingPrompt.id.desc())
        .limit(1)
    )
    if prompt is None:
        raise NotFound("counter {n} has served nobody to rate yet", "counter", n=counter_number)
    if operator.staff_id is None or prompt.teller_id != operator.staff_id:
        raise Forbidden("only the teller who served the customer can ask for a rating", "counter")
    if _answered(session, prompt.id):
        raise Conflict("ticket {number} has already been rated", "ticket", number=prompt.number)
    if now >= prompt.expires_at:
        raise Conflict("the time to rate ticket {number} is over", "ticket", number=prompt.number)
    prompt.times_shown += 1
    _announce_prompt(session, prompt, now)
    return prompt


def _answered(session: Session, prompt_id: int) -> bool:
    return session.scalar(select(Rating.id).where(Rating.prompt_id == prompt_id)) is not None


def waiting_prompt(
    session: Session, outlet_id: int, counter_number: int, now: dt.datetime
) -> RatingPrompt | None:
    """The prompt a pad should show now (after it starts or reconnects), if any."""
    prompt = session.scalar(
        select(RatingPrompt)
        .where(
            RatingPrompt.outlet_id == outlet_id,
            RatingPrompt.counter_number == counter_number,
            RatingPrompt.expires_at > now,
        )
        .order_by(RatingPrompt.id.desc())
        .limit(1)
    )
    if prompt is None or _answered(session, prompt.id):
        return None
    return prompt


@dataclass(frozen=True)
class Answer:
    rating_id: int
    score: Score
    alert_id: int | None
    survey_path: str | None = None  # the visit's survey, shown on the pad as a QR code


def check_pad_counter(operator: Operator, number: int) -> None:
    """A rating pad shows and answers for the one counter it is bound to (a pad issued before
    pads were bound has none, and answers for no counter until it is issued again)."""
    if operator.device_counter != number:
        if operator.device_counter is None:
            raise Forbidden(
                "this rating pad is bound to no counter: issue it again for its counter", "device"
            )
        raise Forbidden(
            "this rating pad answers for counter {n} only", "device", n=operator.device_counter
        )


def answer(
    session: Session,
    operator: Operator,
    prompt_id: int,
    score: str,
    reason: str | None,
    now: dt.datetime,
) -> Answer:
    """A customer's answer on a rating pad of the prompt's outlet."""
    if operator.device_kind != "rating_pad" or operator.device_outlet_id is None:
        raise Forbidden("only a rating pad records a customer's rating", "device")
    try:
        chosen = Score(score)
    except ValueError:
        raise InvalidInput("unknown rating {score}", "score", score=score) from None
    why = None
    if reason:
        try:
            why = Reason(reason)
        except ValueError:
            raise InvalidInput("unknown reason {reason}", "reason", reason=reason) from None
    prompt = session.get(RatingPrompt, prompt_id)
    if prompt is None or prompt.outlet_id != operator.device_outlet_id:
        raise NotFound("no such rating request", "prompt_id")
    counter = session.get(LobbyCounter, prompt.counter_id)
    check_pad_counter(operator, counter.number if counter is not None else -1)
    if _answered(session, prompt.id):
        raise Conflict("ticket {number} has already been rated", "ticket", number=prompt.number)
    if now >= prompt.expires_at:
        raise Conflict("the time to rate ticket {number} is over", "ticket", number=prompt.number)
    # Once the counter has called its next customer, the previous one's rating is over: the
    # pad answers only for the visit that counter has just served (anti-gaming, issue 17).
    if counter is not None and counter.current_ticket_id not in (None, prompt.ticket_id):
        raise Conflict("the time to rate ticket {number} is over", "ticket", number=prompt.number)
    rating = Rating(
        prompt_id=prompt.id,
        ticket_id=prompt.ticket_id,
        outlet_id=prompt.outlet_id,
        counter_id=prompt.counter_id,
        teller_id=prompt.teller_id,
        score=chosen.value,
        reason=why.value if why else None,
        answered_at=now,
        device_id=operator.device_id,
    )
    try:
        with session.begin_nested():
            session.add(rating)
            session.flush()
    except IntegrityError:  # a second pad answered in the same instant
        raise Conflict(
            "ticket {number} has already been rated", "ticket", number=prompt.number
        ) from None
    data = {
        "prompt_id": prompt.id,
        "counter": prompt.counter_number,
        "number": prompt.number,
        "score": chosen.value,
        "reason": rating.reason,
    }
    events.emit(
        session,
        prompt.outlet_id,
        "rated",
        now,
        ticket_id=prompt.ticket_id,
        counter_id=prompt.counter_id,
        device_id=operator.device_id,
        data=data,
    )
    alert_id = None
    if chosen is Score.DISSATISFIED:
        alert = LobbyAlert(
            outlet_id=prompt.outlet_id,
            kind=DISSATISFIED_ALERT,
            raised_at=now,
            data={**data, "teller_id": prompt.teller_id, "service": prompt.service_code},
        )
        session.add(alert)
        session.flush()
        alert_id = alert.id
        events.emit(
            session,
            prompt.outlet_id,
            "alert_raised",
            now,
            ticket_id=prompt.ticket_id,
            data={"alert_id": alert.id, "kind": DISSATISFIED_ALERT, **data},
        )
    survey = ports.surveys().survey_path(session, prompt.outlet_id, prompt.ticket_id, now)
    return Answer(rating.id, chosen, alert_id, survey)


def acknowledge(
    session: Session, operator: Operator, outlet_code: str, alert_id: int, now: dt.datetime
) -> LobbyAlert:
    if not operator.manage or operator.staff_id is None:
        raise Forbidden("only the lobby manager acknowledges alerts", "alert")
    outlet = outlet_for(session, operator, outlet_code)
    alert = session.get(LobbyAlert, alert_id)
    if alert is None or alert.outlet_id != outlet.id:
        raise NotFound("no such alert", "alert")
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        alert.acknowledged_by_id = operator.staff_id
        events.emit(
            session,
            outlet.id,
            "alert_acknowledged",
            now,
            staff_id=operator.staff_id,
            data={"alert_id": alert.id},
        )
    return alert


@dataclass(frozen=True)
class RatingShare:
    served: int
    prompted: int
    answered: int
    dissatisfied: int

    @property
    def prompted_share(self) -> float | None:
        return self.prompted / self.served if self.served else None

    @property
    def answered_share(self) -> float | None:
        return self.answered / self.prompted if self.prompted else None


def shares(session: Session, outlet_id: int, since: dt.datetime, served: int) -> RatingShare:
    """Prompts and answers since `since` (e.g. the start of the local day)."""
    prompted = session.scalar(
        select(func.count())
        .select_from(RatingPrompt)
        .where(RatingPrompt.outlet_id == outlet_id, RatingPrompt.prompted_at >= since)
    )
    rows = session.execute(
        select(Rating.score, func.count())
        .where(Rating.outlet_id == outlet_id, Rating.answered_at >= since)
        .group_by(Rating.score)
    ).all()
    by_score = {str(score): int(n) for score, n in rows}
    return RatingShare(
        served=served,
        prompted=int(prompted or 0),
        answered=sum(by_score.values()),
        dissatisfied=by_score.get(Score.DISSATISFIED.value, 0),
    )


def counter_badge(
    session: Session, outlet_id: int, counter_number: int, now: dt.datetime
) -> dict[str, Any] | None:
    """The badge of the teller signed on at the counter (挂牌上岗), for its pad; None when the
    counter is closed or no badge is offered (`ports.TellerBadgePort`)."""
    teller_id = staff_queries.counter_teller(session, outlet_id, counter_number)
    if teller_id is None:
        return None
    badge = ports.teller_badges().badge(session, teller_id, now)
    return None if badge is None else badge.as_json()

"""What the lobby asks of other features, as ports they plug into at start-up.

The lobby imports no other business feature. Forecasting learns from each outlet's history
which wait predictor serves it best, and advises the lobby manager on flexible counters; it
offers both to the lobby by registering an adapter here (`manyi.forecast.lobby_adapters`,
registered by the application: `manyi.web.wiring` and `manyi.cli`). Without one, the lobby uses its
own estimate (`domain.estimate`: the dispatch rules played forward), gives no 80 % range and
shows no advice. Quality offers its surveys (`SurveyPort`, `manyi.quality.lobby_adapters`): the
status page and the rating pad show the survey link of a served ticket; without it, none.
Supervision offers the teller's badge (挂牌上岗: name, staff number, star level) and a teller's
own progress towards a star (`TellerBadgePort`, `manyi.supervision.lobby_adapters`): the rating
pad, the status page of a called ticket and the teller console show them; without it, none.

Customer reach offers the check-in of an appointment at the kiosk (`AppointmentCheckInPort`,
`manyi.reach.appointment_checkin`): the kiosk's "预约签到" sends the code typed or scanned;
without it, the kiosk answers that appointments are not offered.

Adding a port: a Protocol here, a `register_…` function, and the lobby calling the registered
adapter where it needs it; the providing feature implements the Protocol.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from manyi.errors import NotFound
from manyi.lobby.hot_writes import Write as Write  # what a port may hand the lobby to send
from manyi.lobby.outlets import OutletLike as OutletLike  # what the ports are handed


class WaitPredictorPort(Protocol):
    def wait_at_issue(
        self, session: Session, outlet: OutletLike, service: str, klass: str, now: dt.datetime
    ) -> int | None:
        """Seconds a ticket of this service and class issued now is predicted to wait, by the
        predictor chosen for this outlet; None to keep the lobby's own estimate. The lobby
        scales it for a ticket that has already moved up (`waits.estimate`)."""

    def range_80(
        self, session: Session, outlet: OutletLike, predicted_s: int, now: dt.datetime
    ) -> tuple[int, int] | None:
        """(low, high) seconds that the wait falls in 4 times out of 5, for a predicted wait
        at this outlet, from its own recent errors; None when its history is too short."""


@dataclass(frozen=True)
class StandingAdvice:
    action: str
    reason: str  # English message id, translated by the page
    params: dict[str, Any]
    counter_number: int | None
    given_at: dt.datetime
    acted: bool


class AdvicePort(Protocol):
    def standing(self, session: Session, outlet_id: int) -> StandingAdvice | None:
        """The advice standing now at the outlet, if any."""

    def taken_since(self, session: Session, outlet_id: int, since: dt.datetime) -> tuple[int, int]:
        """(advice given, advice acted on) since a moment."""


@dataclass(frozen=True, slots=True)
class ServedTicket:
    """A ticket a counter has just completed as served: what a survey of its visit needs,
    handed over so that the completion reads nothing more for it."""

    outlet_id: int
    outlet_path: str
    ticket_id: int
    local_day: dt.date
    number: str
    teller_id: int | None
    service_code: str


class SurveyPort(Protocol):
    """Satisfaction surveys (quality): the visit a served ticket ends may be invited to answer
    one; the customer's status page and the counter's rating pad then show its link."""

    def ticket_served(
        self, session: Session, served: ServedTicket, now: dt.datetime
    ) -> Write | None:
        """A counter completed this ticket as served (same unit of work): invite if due. The
        invitation may come back as a `Write` (an INSERT, in the driver's `%s` style, nothing
        read from it) for the lobby to send with the completion's rating prompt, one round
        trip fewer; the lobby sends it in the same unit of work. None: nothing to write, or
        written already."""

    def survey_path(
        self, session: Session, outlet_id: int, ticket_id: int, now: dt.datetime
    ) -> str | None:
        """The path of the survey open for this ticket's visit ("/s/…"), or None."""


@dataclass(frozen=True)
class TellerBadge:
    """What the customer sees of the teller serving them (挂牌上岗)."""

    name: str
    staff_no: str  # the staff number (工号) the bank gave; "" for none (the badge shows none)
    stars: int = 0  # 0: no star level held now
    level_zh: str = ""
    level_en: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "staff_no": self.staff_no,
            "stars": self.stars,
            "level": {"zh": self.level_zh, "en": self.level_en} if self.stars else None,
        }


@dataclass(frozen=True)
class ProgressLine:
    label_zh: str
    label_en: str
    raw: str  # the measured value as shown
    score: float  # 0–100
    weight: float  # % of the total (0 for a criterion without data: not counted)
    contribution: float
    has_data: bool = True  # False: no data for the teller in the period, not counted


@dataclass(frozen=True)
class TellerProgress:
    """A teller's own standing in the running star programme, for their console."""

    programme_zh: str
    programme_en: str
    total: float
    lines: tuple[ProgressLine, ...]
    eligible: bool
    reasons_zh: tuple[str, ...]  # why not eligible yet
    reasons_en: tuple[str, ...]
    level_zh: str  # the level the total reaches now ("" for none)
    level_en: str
    nomination: str | None  # nominated, branch_approved, awarded, rejected; None


class TellerBadgePort(Protocol):
    def badge(self, session: Session, teller_id: int, now: dt.datetime) -> TellerBadge | None:
        """The badge of a staff member serving customers, or None to show none."""

    def progress(self, session: Session, teller_id: int, now: dt.datetime) -> TellerProgress | None:
        """The teller's progress in the running star programme, or None."""


class _NoPrediction:
    def wait_at_issue(
        self, session: Session, outlet: OutletLike, service: str, klass: str, now: dt.datetime
    ) -> int | None:
        return None

    def range_80(
        self, session: Session, outlet: OutletLike, predicted_s: int, now: dt.datetime
    ) -> tuple[int, int] | None:
        return None


class _NoAdvice:
    def standing(self, session: Session, outlet_id: int) -> StandingAdvice | None:
        return None

    def taken_since(self, session: Session, outlet_id: int, since: dt.datetime) -> tuple[int, int]:
        return 0, 0


class TicketAlertPort(Protocol):
    """Text-message alerts for a waiting customer (customer reach): "your turn is near" and
    "you are called", to a mobile number the customer gives on the ticket's status page."""

    def offered(self) -> bool:
        """Whether the status page offers the alerts at all."""

    def subscribe(
        self, session: Session, token: str, phone: str, lang: str, now: dt.datetime
    ) -> None:
        """Alert this ticket's customer at `phone` (the customer agrees by asking); a number
        that is not a mobile is refused with an `InvalidInput` naming the field "phone"."""


class _NoSurveys:
    def ticket_served(
        self, session: Session, served: ServedTicket, now: dt.datetime
    ) -> Write | None:
        return None

    def survey_path(
        self, session: Session, outlet_id: int, ticket_id: int, now: dt.datetime
    ) -> str | None:
        return None


class _NoAlerts:
    def offered(self) -> bool:
        return False

    def subscribe(
        self, session: Session, token: str, phone: str, lang: str, now: dt.datetime
    ) -> None:
        raise NotFound("text-message alerts are not offered here", "phone")


class _NoBadges:
    def badge(self, session: Session, teller_id: int, now: dt.datetime) -> TellerBadge | None:
        return None

    def progress(self, session: Session, teller_id: int, now: dt.datetime) -> TellerProgress | None:
        return None


@dataclass(frozen=True)
class AppointmentCheckIn:
    """The ticket a checked-in appointment received."""

    ticket_id: int
    number: str
    public_token: str
    service_code: str
    slot_start: dt.datetime
    late: bool  # past the grace: a normal ticket, not an appointment one


class AppointmentCheckInPort(Protocol):
    def check_in(
        self, session: Session, outlet_id: int, code: str, now: dt.datetime
    ) -> AppointmentCheckIn:
        """Check in today's appointment with this check-in code at the outlet (raises a
        `ManyiError` with a clear message when it cannot)."""
        ...


class _NoAppointments:
    def check_in(
        self, session: Session, outlet_id: int, code: str, now: dt.datetime
    ) -> AppointmentCheckIn:
        raise NotFound("appointments are not offered here", "code")


_wait_predictor: WaitPredictorPort = _NoPrediction()
_appointments: AppointmentCheckInPort = _NoAppointments()
_advice: AdvicePort = _NoAdvice()
_surveys: SurveyPort = _NoSurveys()
_badges: TellerBadgePort = _NoBadges()
_alerts: TicketAlertPort = _NoAlerts()


def register_wait_predictor(adapter: WaitPredictorPort) -> None:
    global _wait_predictor
    _wait_predictor = adapter


def register_advice(adapter: AdvicePort) -> None:
    global _advice
    _advice = adapter


def register_surveys(adapter: SurveyPort) -> None:
    global _surveys
    _surveys = adapter


def register_teller_badges(adapter: TellerBadgePort) -> None:
    global _badges
    _badges = adapter


def register_appointment_check_in(adapter: AppointmentCheckInPort) -> None:
    global _appointments
    _appointments = adapter


def appointment_check_in() -> AppointmentCheckInPort:
    return _appointments


def register_ticket_alerts(adapter: TicketAlertPort) -> None:
    global _alerts
    _alerts = adapter


def ticket_alerts() -> TicketAlertPort:
    return _alerts


def teller_badges() -> TellerBadgePort:
    return _badges


def surveys() -> SurveyPort:
    return _surveys


def wait_predictor() -> WaitPredictorPort:
    return _wait_predictor


def advice() -> AdvicePort:
    return _advice

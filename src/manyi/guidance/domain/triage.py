"""Triage at the door (大堂引导分流): what the lobby manager may do with a customer they greet,
what the catalogue proposes, and what a day of encounters adds up to (pure).

An encounter ends in one outcome:

- `ticket`: a ticket issued (any priority class, green channel included);
- `prefill`: a pre-fill started (the customer's phone opens the counter's form);
- a diversion (`DIVERSIONS`): a self-service machine of this outlet (which one), mobile or
  online banking (which function, from the catalogue), another outlet (which one) or an
  appointment;
- `answered`: a question answered on the spot, nothing else needed.

A diversion records whether one-to-one teaching was given (machines, mobile and online only:
`TEACHABLE`) and whether the customer completed the task there; the customer may still take a
ticket (never forced), and then no wait was avoided. The wait avoided by a diversion is the
live prediction for the need's queue at the time, counted only when the customer completed the
task on the other channel and took no ticket.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from manyi.errors import InvalidInput


class Outcome(enum.StrEnum):
    TICKET = "ticket"
    PREFILL = "prefill"
    SELF_SERVICE = "self_service"
    MOBILE = "mobile"
    ONLINE = "online"
    OTHER_OUTLET = "other_outlet"
    APPOINTMENT = "appointment"
    ANSWERED = "answered"


DIVERSIONS: Final = frozenset(
    {
        Outcome.SELF_SERVICE,
        Outcome.MOBILE,
        Outcome.ONLINE,
        Outcome.OTHER_OUTLET,
        Outcome.APPOINTMENT,
    }
)
TEACHABLE: Final = frozenset({Outcome.SELF_SERVICE, Outcome.MOBILE, Outcome.ONLINE})
# A need the catalogue does not list (a question, a corporate matter): "other".
OTHER_NEED: Final = "other"
LABEL_MAX: Final = 40  # characters of a machine's label ("智能柜员机 1号")


class MachineKind(enum.StrEnum):
    """Self-service machines, as the catalogue's `channels.self_service` names them."""

    SMART_TELLER = "smart_teller"  # 智能柜员机 (STM): accounts, cards, most non-cash business
    CASH = "cash"  # 存取款一体机 (ATM / cash recycler)
    PASSBOOK = "passbook"  # 存折补登机
    TERMINAL = "terminal"  # 自助服务终端: bill payment, statements


class NeedChannels(Protocol):
    """Where else a need can be done (the catalogue's `Channels`, read by shape)."""

    @property
    def machines(self) -> tuple[str, ...]: ...

    @property
    def mobile(self) -> object | None: ...

    @property
    def online(self) -> object | None: ...


@dataclass(frozen=True, slots=True)
class Machine:
    id: int
    label: str
    kind: str
    in_service: bool = True


@dataclass(frozen=True, slots=True)
class Proposal:
    """One diversion the page offers for a need: a machine of this outlet, or a function of
    mobile or online banking (`function` is the catalogue's names of it)."""

    outcome: Outcome
    machine: Machine | None = None
    function: object | None = None


def proposals(channels: NeedChannels | None, machines: Iterable[Machine]) -> list[Proposal]:
    """The diversions the catalogue allows for a need at this outlet, best first: its machines
    in service of a kind the need can use (in the catalogue's order of kinds), then mobile
    banking, then online banking. Another outlet and an appointment are always possible and are
    not proposed here."""
    if channels is None:
        return []
    found: list[Proposal] = []
    usable = [m for m in machines if m.in_service]
    for kind in channels.machines:
        found += [
            Proposal(Outcome.SELF_SERVICE, machine=m)
            for m in sorted(usable, key=lambda m: m.label)
            if m.kind == kind
        ]
    if channels.mobile is not None:
        found.append(Proposal(Outcome.MOBILE, function=channels.mobile))
    if channels.online is not None:
        found.append(Proposal(Outcome.ONLINE, function=channels.online))
    return found


@dataclass(frozen=True, slots=True)
class Draft:
    """What the lobby manager's tap sends, before it is stored."""

    outcome: Outcome
    need: str = OTHER_NEED  # a catalogue transaction code, or OTHER_NEED
    machine_id: int | None = None
    target_outlet: str = ""  # another outlet's code (other_outlet)
    taught: bool = False
    completed: bool | None = None  # None: not known yet


def outcome_of(text: str) -> Outcome:
    try:
        return Outcome(text.strip())
    except ValueError:
        raise InvalidInput("unknown outcome {outcome}", "outcome", outcome=text[:40]) from None


def check(
    draft: Draft,
    *,
    needs: dict[str, NeedChannels],
    machines: Sequence[Machine],
    own_outlet: str,
    outlets: Iterable[str] = (),
) -> None:
    """Refuse a draft that does not hold together, naming the field: an unknown need, a
    machine not of this outlet, out of service or unable to do the need, a function the need
    does not have in that channel, another outlet that is this one or unknown, teaching or
    completion recorded for what cannot have them."""
    if draft.need != OTHER_NEED and draft.need not in needs:
        raise InvalidInput("unknown need {need}", "need", need=draft.need[:40])
    channels = needs.get(draft.need)
    if draft.outcome is Outcome.SELF_SERVICE:
        _check_machine(draft, channels, machines)
    elif draft.machine_id is not None:
        raise InvalidInput("a machine is chosen only for self-service", "machine")
    if draft.outcome is Outcome.MOBILE and (channels is None or channels.mobile is None):
        raise InvalidInput("this need cannot be done in mobile banking", "outcome")
    if draft.outcome is Outcome.ONLINE and (channels is None or channels.online is None):
        raise InvalidInput("this need cannot be done in online banking", "outcome")
    if draft.outcome is Outcome.OTHER_OUTLET:
        target = draft.target_outlet.strip()
        if not target:
            raise InvalidInput("say which outlet the customer goes to", "target_outlet")
        if target == own_outlet:
            raise InvalidInput("the other outlet cannot be this one", "target_outlet")
        if target not in set(outlets):
            raise InvalidInput("no outlet {code}", "target_outlet", code=target[:40])
    elif draft.target_outlet.strip():
        raise InvalidInput("another outlet is named only when sending there", "target_outlet")
    if draft.taught and draft.outcome not in TEACHABLE:
        raise InvalidInput(
            "teaching is recorded for self-service, mobile and online banking", "taught"
        )
    if draft.completed is not None and draft.outcome not in DIVERSIONS:
        raise InvalidInput("completion is recorded for diversions only", "completed")


def _check_machine(
    draft: Draft, channels: NeedChannels | None, machines: Sequence[Machine]
) -> None:
    machine = next((m for m in machines if m.id == draft.machine_id), None)
    if machine is None:
        raise InvalidInput("choose a self-service machine of this outlet", "machine")
    if not machine.in_service:
        raise InvalidInput("{label} is out of service", "machine", label=machine.label)
    if channels is None or machine.kind not in channels.machines:
        raise InvalidInput("{label} cannot do this", "machine", label=machine.label)


def check_machine_label(label: str) -> str:
    text = " ".join(label.split())
    if not text:
        raise InvalidInput("give the machine a label customers see on it", "label")
    if len(text) > LABEL_MAX:
        raise InvalidInput("a label is at most {n} characters", "label", n=LABEL_MAX)
    return text


def machine_kind_of(text: str) -> MachineKind:
    try:
        return MachineKind(text.strip())
    except ValueError:
        raise InvalidInput("unknown machine kind {kind}", "kind", kind=text[:40]) from None


def wait_avoided_s(
    outcome: Outcome, completed: bool | None, ticket_taken: bool, predicted_wait_s: int | None
) -> int:
    """Seconds of queueing a diversion saved: the prediction at the time, when the customer
    completed the task elsewhere and took no ticket after all; otherwise nothing."""
    if outcome not in DIVERSIONS or completed is not True or ticket_taken:
        return 0
    return max(0, predicted_wait_s or 0)


@dataclass(frozen=True, slots=True)
class Encounter:
    """A stored encounter, as the figures read it."""

    outcome: Outcome
    taught: bool = False
    completed: bool | None = None
    ticket_taken: bool = False
    predicted_wait_s: int | None = None


@dataclass(slots=True)
class Figures:
    """An outlet's (or a branch's) encounters over a day or a period."""

    met: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)
    diverted: int = 0
    taught: int = 0
    completed: int = 0
    still_took_ticket: int = 0  # diverted, then took a ticket after all
    wait_avoided_s: int = 0

    def add(self, e: Encounter) -> None:
        self.met += 1
        self.by_outcome[e.outcome.value] = self.by_outcome.get(e.outcome.value, 0) + 1
        if e.outcome in DIVERSIONS:
            self.diverted += 1
            self.completed += e.completed is True
            self.still_took_ticket += e.ticket_taken
        self.taught += e.taught
        self.wait_avoided_s += wait_avoided_s(
            e.outcome, e.completed, e.ticket_taken, e.predicted_wait_s
        )

    @property
    def diversion_rate(self) -> float | None:
        return self.diverted / self.met if self.met else None

    @classmethod
    def of(cls, encounters: Iterable[Encounter]) -> Figures:
        figures = cls()
        for e in encounters:
            figures.add(e)
        return figures


# The queue a need joins when the customer takes a ticket, by the usual layout's service codes
# (A personal cash, B personal non-cash, V VIP and wealth, K fast lane): the first of these the
# outlet has; else its first service. The lobby manager can pick another on the page.
CASH_NEEDS: Final = frozenset({"deposit", "withdraw", "term_deposit", "term_early_withdraw"})
WEALTH_NEEDS: Final = frozenset({"wealth_buy"})


def default_service(need: str, services: Sequence[str]) -> str | None:
    if not services:
        return None
    if need in CASH_NEEDS:
        preferred: tuple[str, ...] = ("A", "K", "B")
    elif need in WEALTH_NEEDS:
        preferred = ("V", "B")
    else:
        preferred = ("B", "A")
    return next((code for code in preferred if code in services), services[0])

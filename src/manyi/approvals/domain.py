"""The maker-checker rule (四眼原则), pure.

A pending change is decided once: approved or rejected by a *different* person than the one who
proposed it (the checker), or withdrawn by the proposer (the maker). Refusing and withdrawing
say why; approving needs no words, the proposal carries them. Who may act at all (a head-office
administrator) is the owning feature's check, made before this one.
"""

from __future__ import annotations

import enum

from manyi.errors import Conflict, Forbidden, InvalidInput

REASON_MAX = 500  # characters


class ChangeState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"

    @property
    def outcome(self) -> ChangeState:
        return _OUTCOME[self]


_OUTCOME = {
    Decision.APPROVE: ChangeState.APPROVED,
    Decision.REJECT: ChangeState.REJECTED,
    Decision.WITHDRAW: ChangeState.WITHDRAWN,
}


_ALREADY = {
    ChangeState.APPROVED: "this change was already approved",
    ChangeState.REJECTED: "this change was already rejected",
    ChangeState.WITHDRAWN: "this change was already withdrawn",
}


def parse_decision(text: str) -> Decision:
    try:
        return Decision(text.strip())
    except ValueError:
        raise InvalidInput("choose approve, reject or withdraw", "decision") from None


def clean_reason(text: str) -> str:
    """The reason on one line, spaces collapsed; refused past REASON_MAX characters."""
    reason = " ".join(text.split())
    if len(reason) > REASON_MAX:
        raise InvalidInput("the reason is longer than {n} characters", "reason", n=REASON_MAX)
    return reason


def decide(
    state: ChangeState,
    decision: Decision,
    maker_id: int | None,
    checker_id: int | None,
    reason: str,
) -> ChangeState:
    """The change's next state when `checker_id` takes `decision` on `maker_id`'s proposal.

    The maker is never their own checker; only the maker withdraws. A person without a staff
    id (the command line) cannot be told apart from another, so approves nothing.
    """
    if state is not ChangeState.PENDING:
        raise Conflict(_ALREADY[state])
    same_person = maker_id is not None and maker_id == checker_id
    if decision is Decision.WITHDRAW:
        if not same_person:
            raise Forbidden(
                "only the person who proposed a change may withdraw it; reject it instead",
                error_code="not_the_maker",
            )
    elif same_person or checker_id is None:
        raise Forbidden(
            "a second head-office administrator must decide a change you proposed",
            error_code="maker_is_checker",
        )
    if decision is not Decision.APPROVE and not clean_reason(reason):
        raise InvalidInput("give the reason", "reason")
    return decision.outcome

"""Triage's pure rules: what the catalogue proposes at an outlet, a diversion's checks naming
the field, the wait a diversion avoids, a day's figures; and the catalogue's channels (the
machine kinds the two sides name alike)."""

from __future__ import annotations

import pytest

from manyi.counter.domain.catalogue import MACHINE_KINDS, Catalogue, Channels
from manyi.counter.domain.fields import Names
from manyi.errors import InvalidInput
from manyi.guidance.domain.triage import (
    Draft,
    Encounter,
    Figures,
    Machine,
    MachineKind,
    Outcome,
    check,
    check_machine_label,
    default_service,
    machine_kind_of,
    outcome_of,
    proposals,
    wait_avoided_s,
)

MOBILE = Names("手机银行 › 转账汇款", "Mobile banking › Transfers")
TRANSFER = Channels(("smart_teller", "cash"), MOBILE, None)
CASH_ONLY = Channels(("cash",))
MACHINES = [
    Machine(1, "智能柜员机 2号", "smart_teller"),
    Machine(2, "智能柜员机 1号", "smart_teller"),
    Machine(3, "存取款一体机", "cash", in_service=False),
    Machine(4, "存折补登机", "passbook"),
]
NEEDS = {"transfer": TRANSFER, "withdraw": CASH_ONLY, "close_account": Channels()}


def test_the_machine_kinds_are_the_catalogues() -> None:
    assert {k.value for k in MachineKind} == set(MACHINE_KINDS)


def test_the_packaged_catalogue_says_where_else_each_need_can_be_done() -> None:
    types = {t.code: t for t in Catalogue.load()}
    assert types["transfer"].channels.mobile is not None
    assert "smart_teller" in types["transfer"].channels.machines
    assert not types["close_account"].channels.any  # only at the counter
    assert types["wealth_buy"].channels.machines == ()


def test_proposals_put_machines_in_service_first_in_kind_order_then_mobile() -> None:
    found = proposals(TRANSFER, MACHINES)
    assert [(p.outcome, p.machine.id if p.machine else None) for p in found] == [
        (Outcome.SELF_SERVICE, 2),  # by label within a kind: 1号 before 2号
        (Outcome.SELF_SERVICE, 1),
        (Outcome.MOBILE, None),  # the cash machine is out of service; no online banking
    ]
    assert found[-1].function == MOBILE
    assert proposals(CASH_ONLY, MACHINES) == []
    assert proposals(None, MACHINES) == []


@pytest.mark.parametrize(
    ("draft", "field", "words"),
    [
        (Draft(Outcome.TICKET, need="nope"), "need", "unknown need"),
        (Draft(Outcome.SELF_SERVICE, need="transfer"), "machine", "choose"),
        (Draft(Outcome.SELF_SERVICE, need="transfer", machine_id=99), "machine", "choose"),
        (Draft(Outcome.SELF_SERVICE, need="withdraw", machine_id=3), "machine", "out of service"),
        (Draft(Outcome.SELF_SERVICE, need="transfer", machine_id=4), "machine", "cannot do"),
        (Draft(Outcome.TICKET, need="transfer", machine_id=1), "machine", "only for"),
        (Draft(Outcome.ONLINE, need="transfer"), "outcome", "online"),
        (Draft(Outcome.MOBILE, need="close_account"), "outcome", "mobile"),
        (Draft(Outcome.MOBILE), "outcome", "mobile"),  # "other" has no channel
        (Draft(Outcome.OTHER_OUTLET, need="transfer"), "target_outlet", "which outlet"),
        (Draft(Outcome.OTHER_OUTLET, target_outlet="OUT-A"), "target_outlet", "this one"),
        (Draft(Outcome.OTHER_OUTLET, target_outlet="OUT-X"), "target_outlet", "no outlet"),
        (Draft(Outcome.TICKET, target_outlet="OUT-B"), "target_outlet", "only when"),
        (Draft(Outcome.APPOINTMENT, taught=True), "taught", "teaching"),
        (Draft(Outcome.TICKET, completed=True), "completed", "diversions only"),
    ],
)
def test_a_draft_that_does_not_hold_together_is_refused_naming_the_field(
    draft: Draft, field: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        check(draft, needs=NEEDS, machines=MACHINES, own_outlet="OUT-A", outlets=["OUT-B"])
    assert refused.value.field == field
    assert words in str(refused.value.message.format(**refused.value.params))


def test_good_drafts_pass() -> None:
    for draft in (
        Draft(Outcome.SELF_SERVICE, need="transfer", machine_id=2, taught=True, completed=True),
        Draft(Outcome.MOBILE, need="transfer", taught=True),
        Draft(Outcome.OTHER_OUTLET, target_outlet="OUT-B", completed=False),
        Draft(Outcome.ANSWERED),
        Draft(Outcome.PREFILL, need="close_account"),
    ):
        check(draft, needs=NEEDS, machines=MACHINES, own_outlet="OUT-A", outlets=["OUT-B"])


def test_the_wait_avoided_counts_only_completed_diversions_without_a_ticket() -> None:
    assert wait_avoided_s(Outcome.MOBILE, True, False, 720) == 720
    assert wait_avoided_s(Outcome.MOBILE, None, False, 720) == 0  # not known yet
    assert wait_avoided_s(Outcome.MOBILE, False, False, 720) == 0
    assert wait_avoided_s(Outcome.MOBILE, True, True, 720) == 0  # took a ticket after all
    assert wait_avoided_s(Outcome.TICKET, True, False, 720) == 0
    assert wait_avoided_s(Outcome.APPOINTMENT, True, False, None) == 0  # no open counter


def test_a_days_figures() -> None:
    figures = Figures.of(
        [
            Encounter(Outcome.TICKET, predicted_wait_s=300),
            Encounter(Outcome.SELF_SERVICE, taught=True, completed=True, predicted_wait_s=600),
            Encounter(Outcome.MOBILE, taught=True, completed=True, ticket_taken=True,
                      predicted_wait_s=600),
            Encounter(Outcome.ONLINE, completed=False, predicted_wait_s=600),
            Encounter(Outcome.ANSWERED),
        ]
    )  # fmt: skip
    assert (figures.met, figures.diverted, figures.taught, figures.completed) == (5, 3, 2, 2)
    assert figures.still_took_ticket == 1 and figures.wait_avoided_s == 600
    assert figures.diversion_rate == pytest.approx(0.6)
    assert Figures().diversion_rate is None


def test_words_and_defaults() -> None:
    assert check_machine_label("  智能柜员机   1号 ") == "智能柜员机 1号"
    with pytest.raises(InvalidInput):
        check_machine_label("   ")
    with pytest.raises(InvalidInput):
        check_machine_label("x" * 41)
    with pytest.raises(InvalidInput):
        machine_kind_of("robot")
    with pytest.raises(InvalidInput):
        outcome_of("teleport")
    assert default_service("deposit", ["B", "A"]) == "A"
    assert default_service("wealth_buy", ["A", "B", "V"]) == "V"
    assert default_service("transfer", ["C"]) == "C"
    assert default_service("transfer", []) is None

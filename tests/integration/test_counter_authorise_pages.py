"""The supervisors' authorisation screens through the web: local decisions at the outlet,
the remote centre's claim / approve / release, and who may see and decide what."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from manyi.audit.tables import AuditEvent
from manyi.counter import authorisations as authorise
from manyi.counter.tables import CounterAuthorisation, CounterBundle
from manyi.db import Database
from manyi.personal import mask_id
from tests.counter_helpers import (
    MINUTE,
    Sim,
    act,
    clerk,
    customer,
    ready,
)
from tests.lobby_helpers import T0
from tests.web_helpers import csrf_of, signed_in_client

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")

SCREEN = "/counter/authorisations"


def post(web: TestClient, path: str, **data: str) -> Any:
    token = csrf_of(web, "/account/password")
    return web.post(path, data={"csrf_token": token, **data})


def withdrawal(
    db: Database, sim: Sim, amount: str, short: str = "zhang_wei", teller: str = "teller.a"
) -> tuple[str, int]:
    """A withdrawal bundle at OUT-A that has raised its request: (reference, request id)."""
    values = customer(sim, short) | {"item1.amount": amount, "item1.currency": "CNY"}
    reference = ready(db, sim, short, ["withdraw"], values, teller=teller)
    row = act(db, teller, authorise.request_authorisation, reference, T0 + MINUTE)
    return reference, int(row.id)


def stored(db: Database, request_id: int) -> tuple[str, str, str, int | None, int | None]:
    """(request state, bundle state, note, decided by, claimed by)."""
    with db.session() as session:
        row = session.get_one(CounterAuthorisation, request_id)
        bundle = session.get_one(CounterBundle, row.bundle_id)
        return row.state, bundle.state, row.note, row.decided_by_id, row.claimed_by_id


def staff_id(db: Database, username: str) -> int:
    with db.session() as session:
        return int(clerk(session, username).staff_id)


def audit_actions(db: Database, request_id: int) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(
                    AuditEvent.entity_type == "counter_authorisation",
                    AuditEvent.entity_id == str(request_id),
                )
                .order_by(AuditEvent.seq)
            )
        )


def test_a_supervisor_sees_the_outlets_request_and_approves_it(db: Database, sim: Sim) -> None:
    reference, request_id = withdrawal(db, sim, "60000")
    web = signed_in_client(db, "sup.a")
    screen = web.get(SCREEN)
    assert screen.status_code == 200
    assert reference in screen.text
    assert "本网点待授权" in screen.text
    assert "取款" in screen.text and "CNY 60,000.00" in screen.text
    assert "金额达到 50,000 及以上 → 主管授权" in screen.text  # the reason, readable in Chinese
    assert "柜员甲" in screen.text  # who asked
    assert "远程授权中心" not in screen.text  # an outlet's supervisor has no centre queue

    done = post(web, f"{SCREEN}/{request_id}/approve", note="已核实客户身份")
    assert done.status_code == 303
    assert done.headers["location"] == f"{SCREEN}?done=approved&ref={reference}"
    state, bundle_state, note, decided_by, _claimed = stored(db, request_id)
    assert (state, bundle_state, note) == ("approved", "authorised", "已核实客户身份")
    assert decided_by == staff_id(db, "sup.a")
    assert audit_actions(db, request_id) == [
        "counter.authorisation.request",
        "counter.authorisation.approve",
    ]
    after = web.get(done.headers["location"])
    assert f"业务包 {reference} 已授权" in after.text
    assert reference not in after.text.split('data-testid="local"')[1]  # no longer waiting

    again = post(web, f"{SCREEN}/{request_id}/approve")
    assert again.status_code == 409
    assert "该授权请求已无法处理：业务包当前状态为“已授权”" in again.text


def test_rejecting_needs_a_reason(db: Database, sim: Sim) -> None:
    reference, request_id = withdrawal(db, sim, "60000")
    web = signed_in_client(db, "sup.a")
    refused = post(web, f"{SCREEN}/{request_id}/reject", note="   ")
    assert refused.status_code == 422
    assert "请填写拒绝授权的原因" in refused.text
    assert stored(db, request_id)[:2] == ("pending", "awaiting_authorisation")
    assert audit_actions(db, request_id) == ["counter.authorisation.request"]

    done = post(web, f"{SCREEN}/{request_id}/reject", note="客户无法说明大额取现用途")
    assert done.status_code == 303
    assert done.headers["location"] == f"{SCREEN}?done=rejected&ref={reference}"
    state, bundle_state, note, decided_by, _claimed = stored(db, request_id)
    assert (state, bundle_state, note) == ("rejected", "rejected", "客户无法说明大额取现用途")
    assert decided_by == staff_id(db, "sup.a")
    assert audit_actions(db, request_id)[-1] == "counter.authorisation.reject"
    detail = web.get(f"{SCREEN}/{request_id}")
    assert detail.status_code == 200
    assert "客户无法说明大额取现用途" in detail.text and "授权被拒" in detail.text


def test_a_teller_may_not_open_the_screens(db: Database, sim: Sim) -> None:
    _reference, request_id = withdrawal(db, sim, "60000")
    web = signed_in_client(db, "teller.a")
    assert web.get(SCREEN).status_code == 403
    assert web.get(f"{SCREEN}/{request_id}").status_code == 403
    for action in ("approve", "reject", "release"):
        assert post(web, f"{SCREEN}/{request_id}/{action}", note="x").status_code == 403
    assert post(web, f"{SCREEN}/claim").status_code == 403
    assert stored(db, request_id)[0] == "pending"


def test_nobody_authorises_a_bundle_they_opened(db: Database, sim: Sim) -> None:
    _reference, request_id = withdrawal(db, sim, "60000", teller="dual.a")
    web = signed_in_client(db, "dual.a")
    screen = web.get(SCREEN)
    assert 'data-testid="own"' in screen.text and 'data-testid="approve"' not in screen.text
    refused = post(web, f"{SCREEN}/{request_id}/approve")
    assert refused.status_code == 403
    assert "不能授权自己发起的业务包" in refused.text
    assert stored(db, request_id)[0] == "pending"
    # Another supervisor of the outlet can.
    assert post(signed_in_client(db, "sup.a"), f"{SCREEN}/{request_id}/approve").status_code == 303


def test_the_detail_masks_personal_numbers(db: Database, sim: Sim) -> None:
    reference, request_id = withdrawal(db, sim, "60000")
    detail = signed_in_client(db, "sup.a").get(f"{SCREEN}/{request_id}")
    assert detail.status_code == 200
    number = customer(sim, "zhang_wei")["id_number"]
    card = sim.card("zhang_wei")
    assert reference in detail.text and "张伟" in detail.text
    assert number not in detail.text and mask_id(number) in detail.text
    assert card not in detail.text and card[-4:] in detail.text
    assert 'data-testid="approve"' in detail.text


def test_the_centre_claims_approves_and_releases(db: Database, sim: Sim) -> None:
    first, first_id = withdrawal(db, sim, "250000")
    second, second_id = withdrawal(db, sim, "300000", short="li_xiuying")
    one, two = signed_in_client(db, "centre.1"), signed_in_client(db, "centre.2")

    screen = one.get(SCREEN)
    assert "远程授权中心" in screen.text and "本网点待授权" not in screen.text
    assert first in screen.text and second in screen.text
    assert 'data-testid="waiting-count">2<' in screen.text

    claimed = post(one, f"{SCREEN}/claim")
    assert claimed.headers["location"] == f"{SCREEN}?done=claimed&ref={first}"
    assert stored(db, first_id)[0] == "claimed"
    assert stored(db, first_id)[4] == staff_id(db, "centre.1")
    held = one.get(claimed.headers["location"]).text
    assert 'data-testid="held"' in held and f'data-reference="{first}"' in held
    assert "您已领取业务包" in held
    assert mask_id(customer(sim, "zhang_wei")["id_number"]) in held  # the values to check

    # The second supervisor gets the other request; claiming again returns the one held.
    assert post(two, f"{SCREEN}/claim").headers["location"].endswith(f"ref={second}")
    assert post(two, f"{SCREEN}/claim").headers["location"].endswith(f"ref={second}")
    assert "已被 centre.1 领取" in two.get(SCREEN).text
    # Nor can the second decide the first's request.
    taken = post(two, f"{SCREEN}/{first_id}/approve")
    assert taken.status_code == 409
    assert stored(db, first_id)[0] == "claimed"

    approved = post(one, f"{SCREEN}/{first_id}/approve", note="远程核实通过")
    assert approved.headers["location"] == f"{SCREEN}?done=approved&ref={first}"
    assert stored(db, first_id)[:3] == ("approved", "authorised", "远程核实通过")
    nothing = post(one, f"{SCREEN}/claim")
    assert nothing.headers["location"] == f"{SCREEN}?done=empty"
    assert "暂无待授权请求" in one.get(nothing.headers["location"]).text

    released = post(two, f"{SCREEN}/{second_id}/release")
    assert released.headers["location"] == f"{SCREEN}?done=released&ref={second}"
    assert stored(db, second_id)[0] == "pending" and stored(db, second_id)[4] is None
    assert post(one, f"{SCREEN}/claim").headers["location"].endswith(f"ref={second}")
    assert audit_actions(db, second_id) == [
        "counter.authorisation.request",
        "counter.authorisation.claim",
        "counter.authorisation.release",
        "counter.authorisation.claim",
    ]


def test_an_outlet_supervisor_cannot_use_the_centre(db: Database, sim: Sim) -> None:
    _reference, request_id = withdrawal(db, sim, "250000")
    web = signed_in_client(db, "sup.a")
    refused = post(web, f"{SCREEN}/claim")
    assert refused.status_code == 403
    assert "远程授权队列仅供远程授权中心的主管使用" in refused.text
    refused = post(web, f"{SCREEN}/{request_id}/approve")
    assert refused.status_code == 403
    assert stored(db, request_id)[0] == "pending"


def test_requests_outside_the_scope_are_not_found(db: Database, sim: Sim) -> None:
    reference, request_id = withdrawal(db, sim, "250000")
    for username in ("sup.b", "centre.b"):
        web = signed_in_client(db, username)
        missing = web.get(f"{SCREEN}/{request_id}")
        assert missing.status_code == 404
        assert reference not in missing.text
        assert post(web, f"{SCREEN}/{request_id}/approve").status_code == 404
        assert post(web, f"{SCREEN}/{request_id}/reject", note="x").status_code == 404
        assert reference not in web.get(SCREEN).text
    assert (
        post(signed_in_client(db, "centre.b"), f"{SCREEN}/claim")
        .headers["location"]
        .endswith("done=empty")
    )
    assert stored(db, request_id)[0] == "pending"
    assert signed_in_client(db, "sup.a").get(f"{SCREEN}/999999").status_code == 404

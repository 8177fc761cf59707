"""Staff mobile numbers: entered by an administrator, shown masked, used to page by SMS."""

from __future__ import annotations

from sqlalchemy import select

from manyi.db import Database
from manyi.notify.tables import NotifyMessage
from manyi.org.tables import Staff
from tests.conftest import Bank, add_staff
from tests.web_helpers import csrf_of, signed_in_client, staff_client


def _edit(db: Database, staff_id: int, **form: str) -> int:
    admin = signed_in_client(db, "admin")
    page = f"/admin/staff/{staff_id}"
    with db.session() as session:
        person = session.get_one(Staff, staff_id)
        base = {
            "display_name": person.display_name,
            "unit_id": str(person.unit_id),
            "roles": [r.value for r in person.roles],
            "active": "on",
        }
    data = {**base, **form, "csrf_token": csrf_of(admin, page)}
    return admin.post(page, data=data, follow_redirects=False).status_code


def test_an_admin_sets_a_mobile_it_shows_masked_and_a_wrong_one_is_refused(
    db: Database, bank: Bank
) -> None:
    support = add_staff(db, bank, "support.a")["support.a"]
    assert _edit(db, support, mobile="13912345678") == 303
    page = signed_in_client(db, "admin").get(f"/admin/staff/{support}")
    assert "139****5678" in page.text and "13912345678" not in page.text
    assert _edit(db, support, mobile="1391234") == 422
    assert _edit(db, support, mobile="") == 303  # empty keeps the number
    with db.session() as session:
        assert session.get_one(Staff, support).mobile == "13912345678"
    assert _edit(db, support, mobile_remove="on") == 303
    with db.session() as session:
        assert session.get_one(Staff, support).mobile is None


def test_paging_goes_by_sms_to_those_with_a_mobile(db: Database, bank: Bank) -> None:
    added = add_staff(db, bank, "lobby.a", "support.a", "teller.a2")
    _edit(db, added["support.a"], mobile="13912345678")
    lobby = staff_client(db, "lobby.a")
    outlet = "OUT-A"
    staff = lobby.get(f"/api/v1/lobby/outlets/{outlet}/staff").json()
    assert {p["id"]: p["has_mobile"] for p in staff}[added["teller.a2"]] is False
    token = csrf_of(lobby, "/lobby/dashboard")
    paged = lobby.post(
        f"/api/v1/lobby/outlets/{outlet}/pages",
        json={
            "staff": [added["support.a"], added["teller.a2"]],
            "message": "请支援",
            "sms_too": True,
        },
        headers={"X-CSRF-Token": token},
    )
    assert paged.status_code == 201, paged.text
    with db.session() as session:
        rows = session.execute(
            select(NotifyMessage.recipient_staff_id, NotifyMessage.channel, NotifyMessage.address)
        ).all()
    assert sorted(rows) == sorted(
        [
            (added["support.a"], "in_app", None),
            (added["support.a"], "sms", "13912345678"),
            (added["teller.a2"], "in_app", None),
        ]
    )

"""What each role may open, and within which scope: the pages and API of each persona (checked
on the answer, not just the status), bank-wide settings by persona, a branch manager's and an
outlet head's scope, and the API's 401 without a session.
"""

from __future__ import annotations

import pytest

from manyi.counter import catalogue_store
from manyi.db import Database
from tests.access_helpers import client_for
from tests.conftest import PERSONAS, Bank, add_staff, scope_units
from tests.web_helpers import csrf_of, make_client, signed_in_client

# What each persona may open; 403 otherwise. Checked on the answer, not just the status.
EXPECTED = {
    "/admin/units": {"admin", "head_a", "head_b", "manager_br_a"},
    "/admin/staff": {"admin", "head_a", "head_b"},
    "/admin/devices": {"admin", "head_a", "head_b"},
    "/admin/audit": {"admin"},
    "/api/v1/units": {"admin", "head_a", "head_b", "manager_br_a"},
    "/api/v1/staff": {"admin", "head_a", "head_b"},
    # Teller workload: heads and head office see their scope's tellers and pulse results; a
    # teller sees their own figures; everyone answers the pulse survey.
    "/workload": {"admin", "head_a", "head_b"},
    "/workload/pulse/results": {"admin", "head_a", "head_b"},
    "/workload/me": {"admin", "teller_a", "teller_b"},
    "/workload/pulse": set(PERSONAS),
    "/cockpit": {"admin", "head_a", "head_b"},
}


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_role_decides_what_opens(db: Database, bank: Bank, persona: str) -> None:
    client = client_for(db, persona)
    inside, outside = scope_units(db, persona)
    for path, allowed in EXPECTED.items():
        response = client.get(path)
        if persona in allowed:
            assert response.status_code == 200, f"{persona} {path}"
            if path in ("/admin/units", "/admin/staff"):
                assert any(name in response.text for name in inside), (
                    f"{persona} {path} shows nothing"
                )
            assert not any(name in response.text for name in outside)
        else:
            assert response.status_code == 403, f"{persona} {path}: {response.status_code}"


# Bank-wide settings (issue 16 #6): the status each persona gets on each settings route, with
# an empty form. Head office reads and is told what the form lacks (422); a branch's
# administrator reads, keeps the expert roster (422: choose someone) and is refused every
# bank-wide change (403) whatever was typed; everyone else is refused the pages.
BANK_WIDE_PERSONAS = ("admin", "admin.br.a", "head.a", "manager.br.a", "teller.a")
BANK_WIDE: dict[tuple[str, str], tuple[int, int, int, int, int]] = {
    ("GET", "/complaints/settings"): (200, 200, 403, 403, 403),
    ("GET", "/complaints/settings?tab=policies"): (200, 200, 403, 403, 403),
    ("GET", "/counter/catalogue"): (200, 200, 403, 403, 403),
    ("GET", "/counter/catalogue/deposit"): (200, 200, 403, 403, 403),
    ("POST", "/complaints/settings/categories"): (422, 403, 403, 403, 403),
    ("POST", "/complaints/settings/policy"): (422, 403, 403, 403, 403),
    ("POST", "/complaints/settings/policy/close-after"): (422, 403, 403, 403, 403),
    ("POST", "/complaints/settings/policy/new"): (422, 403, 403, 403, 403),
    ("POST", "/complaints/settings/changes/1"): (422, 403, 403, 403, 403),
    ("POST", "/complaints/settings/experts"): (422, 422, 403, 403, 403),
    ("POST", "/counter/catalogue/deposit"): (422, 403, 403, 403, 403),
    ("POST", "/counter/catalogue/changes/1"): (422, 403, 403, 403, 403),
    ("GET", "/supervision/stars/programmes"): (200, 200, 403, 403, 403),
    ("POST", "/supervision/stars/programmes"): (422, 403, 403, 403, 403),
    ("GET", "/admin/holidays"): (200, 200, 403, 403, 403),
    ("POST", "/admin/holidays"): (422, 403, 403, 403, 403),
    ("POST", "/admin/holidays/2027/remove"): (404, 403, 403, 403, 403),
    ("GET", "/insight/classifier"): (200, 200, 403, 403, 403),
    ("POST", "/insight/classifier/auto-apply"): (422, 403, 403, 403, 403),
    ("GET", "/insight/issues/categories"): (200, 200, 200, 200, 403),
    ("POST", "/insight/issues/categories/new"): (422, 403, 403, 403, 403),
    ("GET", "/reach/templates"): (200, 200, 403, 403, 403),
    ("POST", "/reach/templates"): (422, 403, 403, 403, 403),
}


def test_bank_wide_settings_by_persona(db: Database, bank: Bank) -> None:
    add_staff(db, bank, "admin.br.a")
    with db.session() as session:
        catalogue_store.seed_catalogue(session)
    problems = []
    for index, username in enumerate(BANK_WIDE_PERSONAS):
        client = signed_in_client(db, username)
        token = csrf_of(client, "/account/password")
        for (method, path), statuses in BANK_WIDE.items():
            if method == "GET":
                response = client.get(path)
            else:
                response = client.post(path, data={"csrf_token": token})
            if response.status_code != statuses[index]:
                problems.append(f"{username} {method} {path}: {response.status_code}")
            elif (
                response.status_code == 403
                and username == "admin.br.a"
                and "只有总行管理员可以修改全行设置" not in response.text
            ):
                problems.append(f"{username} {method} {path}: 403 without why")
    assert not problems, "\n".join(problems)


def test_scope_of_a_branch_manager(db: Database, bank: Bank) -> None:
    client = client_for(db, "manager_br_a")
    units = {u["code"] for u in client.get("/api/v1/units").json()}
    assert units == {"BR-A", "SUB-A", "OUT-A"}
    # Another branch's unit is simply not found, not forbidden: ids reveal nothing.
    assert client.get(f"/api/v1/units/{bank.unit('OUT-B')}").status_code == 404
    assert client.get(f"/admin/units/{bank.unit('OUT-B')}").status_code == 404
    assert client.get(f"/api/v1/units/{bank.unit('OUT-A')}").json()["name_zh"] == "甲网点"


def test_outlet_head_cannot_reach_other_outlet_staff(db: Database, bank: Bank) -> None:
    client = client_for(db, "head_a")
    assert client.get(f"/admin/staff/{bank.staff['teller_a']}").status_code == 200
    response = client.get(f"/admin/staff/{bank.staff['teller_b']}")
    assert response.status_code == 404 and "柜员乙" not in response.text
    names = {s["username"] for s in client.get("/api/v1/staff").json()}
    assert names == {"teller.a", "head.a"}


def test_api_without_session_is_401_json(db: Database, bank: Bank) -> None:
    response = make_client(db).get("/api/v1/units")
    assert response.status_code == 401 and response.json() == {
        "error": "sign_in_required",
        "message": "sign-in required",
    }

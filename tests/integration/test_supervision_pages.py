"""The inspection pages through HTTP: an inspector starts a visit, answers (the JSON autosave
returns the server's score), uploads a photo, submits, and turns a failed item into a task;
the results page and its Excel export; the checklist editor for head office only. Bad input is
refused with its reason and nothing stored."""

from __future__ import annotations

import io
import re
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select

from manyi.db import Database
from manyi.supervision.domain.standards import DEFAULT_ITEMS
from manyi.supervision.inspection_tables import InspectionResult, ServiceStandard
from tests.conftest import PASSWORD, Bank, add_staff
from tests.supervision_helpers import add_inspectors
from tests.web_helpers import csrf_of, make_client, sign_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def client_of(db: Database, username: str, var_dir: Path):  # type: ignore[no-untyped-def]
    client = make_client(db, var_dir=var_dir)
    sign_in(client, username, PASSWORD)
    return client, csrf_of(client, "/supervision/inspections")


def results_count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(InspectionResult)) or 0)


def test_an_inspector_fills_submits_and_rectifies(
    db: Database, bank: Bank, tmp_path: Path, frozen_clock: object
) -> None:
    add_inspectors(db, bank)
    client, token = client_of(db, "insp.a", tmp_path)
    page = client.get("/supervision/inspections")
    assert page.status_code == 200 and "甲网点" in page.text and "乙网点" not in page.text
    started = client.post(
        "/supervision/inspections",
        data={"csrf_token": token, "outlet": "OUT-A", "kind": "scheduled", "planned_on": ""},
    )
    assert started.status_code == 303
    url = started.headers["location"]
    # The autosave: answers in, the server's score out.
    form = {f"outcome_{i.code}": "passed" for i in DEFAULT_ITEMS}
    form |= {"outcome_A2": "failed", "note_A2": "未挂牌", "outcome_E1": "failed"}
    saved = client.post(
        f"{url}/results",
        data=form,
        headers={"accept": "application/json", "x-csrf-token": token},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["critical"] == ["A2"] and saved.json()["answered"] == len(DEFAULT_ITEMS)
    # Submitting without the photo E1 asks for: refused, the visit stays open.
    refused = client.post(f"{url}/submit", data={"csrf_token": token})
    assert refused.status_code == 422 and "E1" in refused.text
    bad = client.post(
        f"{url}/photos",
        data={"csrf_token": token, "item": "E1"},
        files={"photo": ("x.txt", b"hello", "image/png")},
    )
    assert bad.status_code == 422 and "JPEG" in bad.text
    kept = client.post(
        f"{url}/photos",
        data={"csrf_token": token, "item": "E1"},
        files={"photo": ("hall.png", PNG, "image/png")},
    )
    assert kept.status_code == 303
    card = client.get(url)
    [photo] = re.findall(rf'src="({url}/photos/[0-9a-f]+)"', card.text)
    assert client.get(photo).content == PNG
    done = client.post(f"{url}/submit", data={"csrf_token": token, "notes": "午间"})
    assert done.status_code == 303
    card = client.get(url)
    assert 'data-testid="rectify-A2"' in card.text and 'data-testid="rectify-A1"' not in card.text
    task = client.post(f"{url}/items/A2/task", data={"csrf_token": token})
    assert task.status_code == 303
    card = client.get(url)
    assert 'data-testid="task-A2"' in card.text and 'data-testid="rectify-A2"' not in card.text
    # Results and export show the visit.
    results = client.get("/supervision/inspections")
    assert 'data-testid="league-OUT-A"' in results.text
    sheet = client.get("/supervision/inspections/export.xlsx")
    book = load_workbook(io.BytesIO(sheet.content))
    assert [c.value for c in book.worksheets[1]["B"]][1:] == ["OUT-A"]


def test_bad_answers_are_refused_and_nothing_is_stored(
    db: Database, bank: Bank, tmp_path: Path, frozen_clock: object
) -> None:
    add_inspectors(db, bank)
    client, token = client_of(db, "insp.a", tmp_path)
    url = client.post(
        "/supervision/inspections", data={"csrf_token": token, "outlet": "OUT-A"}
    ).headers["location"]
    answer = client.post(
        f"{url}/results",
        data={"csrf_token": token, "outcome_A1": "passed", "outcome_ZZ9": "passed"},
    )
    assert answer.status_code == 422 and "ZZ9" in answer.text
    assert results_count(db) == 0
    elsewhere = client.post(
        "/supervision/inspections", data={"csrf_token": token, "outlet": "OUT-B"}
    )
    assert elsewhere.status_code == 404


def test_only_head_office_publishes_the_checklist(
    db: Database, bank: Bank, tmp_path: Path, frozen_clock: object
) -> None:
    add_inspectors(db, bank)
    inspector, token = client_of(db, "insp.a", tmp_path)
    assert inspector.get("/supervision/standards").status_code == 403
    manager, token = client_of(db, "svc.hq", tmp_path)
    page = manager.get("/supervision/standards")
    assert page.status_code == 200 and "A2" in page.text
    rows = len(DEFAULT_ITEMS) + 3
    form: dict[str, str] = {"csrf_token": token, "rows": str(rows), "note": "新增一项"}
    for n, item in enumerate(DEFAULT_ITEMS):
        form |= {
            f"code_{n}": item.code,
            f"group_{n}": item.group,
            f"text_zh_{n}": item.text_zh,
            f"text_en_{n}": item.text_en,
            f"weight_{n}": str(item.weight),
        }
        if item.critical:
            form[f"critical_{n}"] = "1"
        if item.photo_required:
            form[f"photo_{n}"] = "1"
    n = len(DEFAULT_ITEMS)
    bad = form | {
        f"code_{n}": "D4",
        f"group_{n}": "disclosure",
        f"text_zh_{n}": "公示",
        f"weight_{n}": "0",
    }
    refused = manager.post("/supervision/standards", data=bad)
    assert refused.status_code == 422 and "D4" in refused.text
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(ServiceStandard)) == 0
    good = bad | {f"weight_{n}": "3"}
    assert manager.post("/supervision/standards", data=good).status_code == 303
    assert "v2" in manager.get("/supervision/standards").text
    add_staff(db, bank, "admin.br.a")  # holds every permission, in branch A only
    branch_admin, token = client_of(db, "admin.br.a", tmp_path)
    again = good | {"csrf_token": token, f"weight_{n}": "4"}
    refused = branch_admin.post("/supervision/standards", data=again)
    assert refused.status_code == 403 and "head-office" in refused.text.replace(
        "总行", "head-office"
    )

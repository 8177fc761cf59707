"""The rectification pages: the board per unit within the scope, the filtered list and its
Excel export, the task page's actions, the new-task form and its prefilled link."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from manyi.db import Database
from manyi.supervision.rectification_tables import RectificationTask
from tests.conftest import Bank
from tests.rect_helpers import NOW, PNG, open_one, task_count
from tests.web_helpers import csrf_of, make_client, sign_in, signed_in_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
BOARD = "/supervision/rectification"


def test_the_board_per_unit_goes_down_the_tree_within_scope(db: Database, bank: Bank) -> None:
    first = open_one(db, bank)
    open_one(db, bank, title="叫号机故障未报修")
    with db.session() as session:  # the first task fell due last week
        session.execute(
            update(RectificationTask)
            .where(RectificationTask.id == first)
            .values(due_on=NOW.date().replace(day=20))
        )
    manager = signed_in_client(db, "manager_br_a")
    page = manager.get(BOARD)
    assert page.status_code == 200
    row = re.search(r'<tr data-unit="SUB-A".*?</tr>', page.text, re.S)
    assert row is not None and "甲支行" in row.group(0)
    assert re.findall(r'<td class="num[^"]*">(\d+)</td>', row.group(0))[:3] == ["2", "1", "0"]
    down = manager.get(BOARD, params={"unit": "SUB-A"})
    assert 'data-unit="OUT-A"' in down.text
    assert manager.get(BOARD, params={"unit": "OUT-B"}).status_code == 404
    overdue = manager.get(BOARD, params={"unit": "BR-A", "overdue": "1"})
    assert f'data-task="{first}"' in overdue.text and overdue.text.count("data-task=") == 1
    assert manager.get(BOARD, params={"state": "nonsense"}).status_code == 422
    export = manager.get(BOARD + "/export.xlsx", params={"unit": "BR-A"})
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.content))
    assert book.sheetnames == ["汇总", "整改任务"]
    assert book["整改任务"].max_row == 3
    assert signed_in_client(db, "head_b").get(BOARD).text.count("data-task=") == 0
    assert signed_in_client(db, "teller_a").get(BOARD).status_code == 403


def test_a_task_from_open_to_closed_through_the_pages(
    db: Database, bank: Bank, tmp_path: Path
) -> None:
    task_id = open_one(db, bank)
    url = f"{BOARD}/{task_id}"
    head = make_client(db, var_dir=tmp_path)
    sign_in(head, "head.a", "Test-pass-2026")
    page = head.get(url)
    assert 'data-action="start"' in page.text and "整改培训签到表照片" in page.text
    csrf = csrf_of(head, url)
    assert head.post(f"{url}/start", data={"csrf_token": csrf}).status_code == 303
    empty = head.post(f"{url}/submit", data={"csrf_token": csrf, "note": "已培训"})
    assert empty.status_code == 422 and 'data-state="in_progress"' in empty.text
    sent = head.post(
        f"{url}/submit",
        data={"csrf_token": csrf, "note": "已组织培训"},
        files=[("files", ("签到表.png", PNG, "image/png"))],
    )
    assert sent.status_code == 303
    shown = head.get(url)
    assert "签到表.png" in shown.text and 'data-state="submitted"' in shown.text
    photo = re.search(r'/evidence/(\d+)"', shown.text)
    assert photo is not None
    assert head.get(f"{url}/evidence/{photo.group(1)}").content == PNG
    assert head.post(f"{url}/verify", data={"csrf_token": csrf}).status_code == 403
    manager = signed_in_client(db, "manager_br_a")
    token = csrf_of(manager, url)
    refused = manager.post(f"{url}/send-back", data={"csrf_token": token, "reason": ""})
    assert refused.status_code == 422
    assert manager.post(f"{url}/verify", data={"csrf_token": token}).status_code == 303
    assert manager.post(f"{url}/close", data={"csrf_token": token}).status_code == 303
    closed = manager.get(url)
    assert 'data-state="closed"' in closed.text
    assert closed.text.count("data-step=") == 5
    assert signed_in_client(db, "head_b").get(url).status_code == 404


def test_the_new_task_form_prefilled_from_a_link(db: Database, bank: Bank) -> None:
    manager = signed_in_client(db, "manager_br_a")
    out_a = bank.unit("OUT-A")
    form = manager.get(f"{BOARD}/new", params={"source": "complaint", "ref": "TS-9", "unit": out_a})
    assert form.status_code == 200
    assert f'<option value="{out_a}" selected>' in form.text and 'value="TS-9"' in form.text
    csrf = csrf_of(manager, f"{BOARD}/new")
    fields = {
        "csrf_token": csrf, "source": "complaint", "ref": "TS-9", "unit": str(out_a),
        "title": "", "evidence": "照片", "due_kind": "working", "due_days": "5",
    }  # fmt: skip
    assert manager.post(f"{BOARD}/new", data=fields).status_code == 422
    outside = dict(fields, title="整改", unit=str(bank.unit("OUT-B")))
    assert manager.post(f"{BOARD}/new", data=outside).status_code == 404
    assert (
        manager.post(f"{BOARD}/new", data=dict(fields, title="整改", due_days="x")).status_code
        == 422
    )
    assert task_count(db) == 0
    made = manager.post(f"{BOARD}/new", data=dict(fields, title="整改服务用语"))
    assert made.status_code == 303 and task_count(db) == 1

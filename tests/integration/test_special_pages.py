"""The visit pages over HTTP: a bad request form answers 422 with the message in Chinese and the
field marked, nothing stored; the list and the request page show only the scope's visits."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from manyi.counter.demo import id_card
from manyi.db import Database
from manyi.special.tables import SpecialVisit
from tests.conftest import Bank
from tests.counter_helpers import Sim
from tests.web_helpers import csrf_of, signed_in_client

ZHANG = id_card("zhang_wei")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORM = {
    "source": "outlet",
    "outlet_code": "OUT-A",
    "customer_name": ZHANG.name,
    "id_number": ZHANG.id_number,
    "place_kind": "home",
    "place_text": "甲区幸福路 1 号",
    "need": "card_loss",
    "reason": "bedridden",
    "evidence": "卧床证明",
}


def visits_count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(SpecialVisit)) or 0


def test_a_bad_form_is_refused_in_chinese_and_nothing_is_stored(
    db: Database, bank: Bank, sim: Sim
) -> None:
    client = signed_in_client(db, "teller_a")
    token = csrf_of(client, "/visits/new")
    answer = client.post("/visits/new", data=FORM | {"amount": "100", "csrf_token": token})
    assert answer.status_code == 422
    assert "此项需求不填金额" in answer.text and 'class="has-error"' in answer.text
    assert visits_count(db) == 0
    done = client.post("/visits/new", data=FORM | {"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/visits/VS")
    page = client.get(done.headers["location"])
    assert "待审批" in page.text and "张*" in page.text and ZHANG.id_number not in page.text
    assert visits_count(db) == 1

    reference = done.headers["location"].rsplit("/", 1)[-1]
    other = signed_in_client(db, "head_b")
    assert other.get(f"/visits/{reference}").status_code == 404
    assert reference not in other.get("/visits").text
    head = signed_in_client(db, "head_a")
    assert reference in head.get("/visits").text
    assert reference in head.get("/visits?outlet=OUT-A").text
    assert reference not in head.get("/visits?outlet=OUT-B").text
    export = head.get("/visits/export.xlsx")
    assert export.status_code == 200 and export.headers["content-type"].startswith(XLSX)
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "上门编号" and rows[1][0] == reference and rows[1][3] == "张*"
    assert reference not in str(
        list(
            load_workbook(io.BytesIO(other.get("/visits/export.xlsx").content)).active.iter_rows(
                values_only=True
            )
        )
    )
    approve = head.post(
        f"/visits/{reference}/approve",
        data={"csrf_token": csrf_of(head, f"/visits/{reference}")},
        follow_redirects=False,
    )
    assert approve.status_code == 303
    assert "已审批" in head.get(f"/visits/{reference}").text

"""Every operation of the JSON API, fed values generated from its own OpenAPI description, as
a signed-in administrator of the test bank: no answer is a server error (issue 16 #5).

Schemathesis (Hypothesis underneath) reads /openapi.json and generates path, query and body
values for each operation, valid and not; a 4xx is a fine answer, a 5xx is a defect. The
number of examples per operation is kept small so the suite stays fast; run with
`MANYI_FUZZ_EXAMPLES=200` to look harder.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from manyi.db import Database
from manyi.org import device_tokens
from tests.conftest import PASSWORD, SYSTEM, Bank
from tests.lobby_helpers import configure
from tests.web_helpers import csrf_of, make_client, sign_in

pytestmark = pytest.mark.usefixtures("frozen_clock")
SEEN: list[int] = []  # every status answered, to show the fuzzing reached past refusals
DEVICES: dict[str, str] = {}  # the test bank's device tokens by kind
EXAMPLES = int(os.environ.get("MANYI_FUZZ_EXAMPLES", "12"))


@pytest.fixture
def api(db: Database, bank: Bank) -> Iterator[tuple[Any, dict[str, str]]]:
    import datetime as dt

    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    with db.session() as session:  # the devices' own endpoints answer their bearer tokens
        for kind, counter in (("kiosk", None), ("counter_pad", 1), ("rating_pad", 1)):
            _, DEVICES[kind] = device_tokens.issue_token(
                session,
                SYSTEM,
                outlet_id=bank.unit("OUT-A"),
                kind=kind,
                name=kind,
                valid_days=1,
                counter=counter,
            )
    client = make_client(db)
    sign_in(client, "admin", PASSWORD)
    headers = {
        "Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items()),
        "X-CSRF-Token": csrf_of(client, "/"),
        "Accept": "application/json",
    }
    yield client.app, headers


def test_no_operation_answers_a_server_error(api: tuple[Any, dict[str, str]], db: Database) -> None:
    app, headers = api
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.endswith("/events"):
            continue  # a live stream stays open; tests/integration/test_lobby_stream.py has it
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case: Any) -> None:
            # Half the time the test bank's own outlet and counter 1, so that more than the
            # "no such outlet" answer is reached; otherwise whatever was generated.
            params = case.path_parameters or {}
            spin = zlib.crc32(repr(sorted(params.items())).encode())
            if "outlet" in params and spin % 2:
                params["outlet"] = "OUT-A"
            if "number" in params and spin % 3:
                params["number"] = 1
            sent = dict(headers)
            if case.path.startswith("/device/"):
                kind = "rating_pad" if "rating" in case.path else "kiosk"
                kind = "counter_pad" if "/counters/" in case.path else kind
                sent["Authorization"] = f"Bearer {DEVICES[kind]}"
            response = case.call(headers=sent)
            SEEN.append(response.status_code)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} {case.query or ''} → "
                    f"{response.status_code}: {response.text[:200]}"
                )

        call()
    assert operations > 20  # every feature's API was in the description
    import collections

    print(operations, collections.Counter(SEEN))
    assert failures == [], "\n".join(failures[:20])

"""The architecture's contracts bite: one deliberate violation of each, in a copy of the source
tree, and `lint-imports` (what `make lint` runs) reports every contract broken, naming the module.

`make lint` proves the real tree keeps them; this proves each would catch a regression.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# contract name (as .importlinter names it) -> (file to break, line appended, module named)
VIOLATIONS = {
    "Domain rules import no database, web, settings or framework": (
        "src/manyi/lobby/domain/ticket.py",
        "import sqlalchemy",
        "manyi.lobby.domain.ticket",
    ),
    "Domain rules never read the clock (now is an argument)": (
        "src/manyi/complaints/domain/deadlines.py",
        "STARTED = dt.datetime." + "now()",  # (split: this file itself reads no clock)
        "manyi.complaints.domain.deadlines",
    ),
    "Adapters (devices, external systems, file formats) reach no database and no web": (
        "src/manyi/counter/adapters/voucher_pdf.py",
        "import manyi.db",
        "manyi.counter.adapters.voucher_pdf",
    ),
    "Web modules run no SQL (they call services and queries)": (
        "src/manyi/counter/web/fill.py",
        "from sqlalchemy import select",
        "manyi.counter.web.fill",
    ),
    "The lobby imports no other business feature": (
        "src/manyi/lobby/counters.py",
        "import manyi.counter.tables",
        "manyi.lobby.counters",
    ),
    "Counter, complaints, forecasting and quality are independent of each other": (
        "src/manyi/complaints/retention.py",
        "import manyi.counter",
        "manyi.complaints.retention",
    ),
    "The working-day calendar sits below the features that count on it: it imports none of them": (
        "src/manyi/workdays/queries.py",
        "import manyi.complaints.domain",
        "manyi.workdays.queries",
    ),
    "Home and hospital visits sit above the features they use: none of them imports it": (
        "src/manyi/reach/queries.py",
        "import manyi.special.queries",
        "manyi.reach.queries",
    ),
    "Teller workload sits above the lobby, the counter, complaints and forecasting: none of "
    "them imports it": (
        "src/manyi/forecast/break_check.py",
        "import manyi.workload.ports",
        "manyi.forecast.break_check",
    ),
    "Lobby guidance and staff development sit above the features they use: none of them "
    "imports it": (
        "src/manyi/workload/queries.py",
        "import manyi.guidance.triage",
        "manyi.workload.queries",
    ),
    "The event stream sits above the features whose events it publishes: none of them imports it": (
        "src/manyi/quality/store.py",
        "import manyi.stream.ledger",
        "manyi.quality.store",
    ),
    "The analytics store sits above the features whose events it lands and the stream it lands "
    "from: none of them imports it": (
        "src/manyi/stream/ledger.py",
        "import manyi.analytics.lander",
        "manyi.stream.ledger",
    ),
    "The cockpit sits above every feature it rolls up: none of them imports it": (
        "src/manyi/quality/facts.py",
        "import manyi.cockpit.domain",
        "manyi.quality.facts",
    ),
    "Observability sits above every feature whose gauges it reads: none of them imports it": (
        "src/manyi/audit/service.py",
        "import manyi.observe.metrics",
        "manyi.audit.service",
    ),
    "Features use each other only through what each one's __init__.py offers (PUBLIC)": (
        "src/manyi/counter/bundles.py",
        "import manyi.lobby.service",
        "manyi.counter.bundles",
    ),
}


def test_each_contract_fails_on_a_deliberate_violation(tmp_path: Path) -> None:
    for name in ("src", "scripts"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    config = (tmp_path / ".importlinter").read_text()
    for contract, (path, line, _module) in VIOLATIONS.items():
        assert f"name = {contract}\n" in config, f"no contract named {contract!r}"
        target = tmp_path / path
        target.write_text(target.read_text() + f"\n{line}  # deliberate violation\n")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path / 'src'}{os.pathsep}{tmp_path / 'scripts'}"}
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode != 0, report
    squeezed = "".join(report.split())  # the summary pads or wraps long contract names
    for contract, (_path, _line, module) in VIOLATIONS.items():
        assert "".join(f"{contract} BROKEN".split()) in squeezed, f"{contract} kept:\n{report}"
        assert module in report, f"{module} not named:\n{report}"

"""The demo bank's two years of complaint history: how long seeding takes, and whether its texts
teach a classifier something without being a trivially separable toy.

Seeds a fresh demo bank (units and staff, `manyi.demo.seed`), then times
`insight.demo_history.seed` (plan, bulk insert of cases and timeline entries, the four story
tasks through supervision's use cases) on SQLite, and on PostgreSQL when a URL is given (its
schema is emptied: give a scratch database). Then fits a TF-IDF (characters 1–3) + linear SVM
on the history's texts by stratified 5-fold (seed 0) for the prominent-issue category and the
cause, and prints accuracy and macro-F1: high enough to show the texts carry the category, not
1.0. Prints figures only.

    .venv/bin/python bench/demo_history.py [--postgres postgresql+psycopg://…/scratch]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from sqlalchemy import select, text

from manyi import demo
from manyi.complaints.tables import Complaint
from manyi.db import Database, upgrade
from manyi.insight import demo_history
from manyi.insight.domain.demo_history import plan
from manyi.org.tables import Unit


def seed_time(url: str, var_dir: Path, now: dt.datetime) -> None:
    upgrade(url)
    db = Database(url)
    try:
        with db.session() as session:
            demo.seed(session)
        started = time.perf_counter()
        with db.session() as session:
            cases = demo_history.seed_cases(session, now)
        cases_s = time.perf_counter() - started
        started = time.perf_counter()
        with db.session() as session:
            tasks = demo_history.seed_tasks(session, now, var_dir)
        tasks_s = time.perf_counter() - started
        started = time.perf_counter()
        with db.session() as session:
            again = demo_history.seed(session, now, var_dir)
        again_s = time.perf_counter() - started
        with db.session() as session:
            units = {u.code: u for u in session.scalars(select(Unit))}
            outlets = demo_history.outlets_of(units)
        started = time.perf_counter()
        plan(now, outlets)
        plan_s = time.perf_counter() - started
        print(
            f"  {db.engine.dialect.name:<10} {cases} cases in {cases_s:.2f} s (of which the plan "
            f"{plan_s:.2f} s), {tasks} tasks in "
            f"{tasks_s:.2f} s; a second seed adds {again.cases + again.tasks} in {again_s:.2f} s"
        )
    finally:
        db.dispose()


def learnability(url: str) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import LinearSVC

    db = Database(url)
    try:
        with db.session() as session:
            rows = session.execute(
                select(Complaint.subject, Complaint.description, Complaint.issue_code).where(
                    Complaint.source == demo_history.SOURCE
                )
            ).all()
            rows_cause = session.execute(
                select(Complaint.cause_code).where(Complaint.source == demo_history.SOURCE)
            ).all()
    finally:
        db.dispose()
    texts = [f"{s}\n{d}" for s, d, _ in rows]
    for target, labels in (
        ("issue", [str(c) for *_, c in rows]),
        ("cause", [str(c) for (c,) in rows_cause]),
    ):
        truth: list[str] = []
        guess: list[str] = []
        for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels):
            vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
            x_train = vectors.fit_transform([texts[i] for i in train])
            model = LinearSVC(random_state=0).fit(x_train, [labels[i] for i in train])
            guess += list(model.predict(vectors.transform([texts[i] for i in test])))
            truth += [labels[i] for i in test]
        print(
            f"  {target:<6} n={len(texts)} classes={len(set(labels))} "
            f"accuracy={accuracy_score(truth, guess):.3f} "
            f"macro_f1={f1_score(truth, guess, average='macro'):.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", default="", help="a scratch PostgreSQL database's URL")
    args = parser.parse_args()
    now = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/manyi.sqlite3"
        print("seeding the history (plan, bulk insert, story tasks):")
        seed_time(url, Path(tmp) / "var", now)
        if args.postgres:
            scratch = Database(args.postgres)
            with scratch.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            scratch.dispose()
            seed_time(args.postgres, Path(tmp) / "var-pg", now)
        print("the history's texts for a classifier (TF-IDF chars 1–3 + linear SVM, 5 folds):")
        learnability(url)


if __name__ == "__main__":
    main()

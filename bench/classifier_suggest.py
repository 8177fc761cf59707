"""What a suggestion costs in the registering request: the first one in a process (reading a
stored model and jieba's dictionary) and the next ones (the model cached per process).

Fits a model on synthetic complaints built from the demo's prominent-issue keywords (the
eleven categories, `--per-class` texts each), stores it as the product does (`classifier.dumps`),
then, in a fresh Python process, times `classifier.loads` + the first prediction and the mean of
`--repeat` further single-text predictions. Prints figures only.

    PYTHONPATH=src .venv/bin/python bench/classifier_suggest.py [--per-class 60] [--repeat 200]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from manyi.insight.domain import classifier
from manyi.insight.domain.issues import DEMO_SET

FILLER = [
    "客户",
    "反映",
    "网点",
    "今天",
    "上午",
    "办理",
    "业务",
    "时",
    "遇到",
    "问题",
    "要求",
    "银行",
    "尽快",
    "处理",
    "并",
    "给予",
    "答复",
]

CHILD = """
import json, sys, time
t0 = time.perf_counter()
from manyi.insight.domain import classifier
t1 = time.perf_counter()
data = open(sys.argv[1], "rb").read()
model = classifier.loads(data)
t2 = time.perf_counter()
model.predict([sys.argv[2]])
t3 = time.perf_counter()
repeat = int(sys.argv[3])
for i in range(repeat):
    model.predict([sys.argv[2] + str(i)])
t4 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "loads_s": t2 - t1, "first_predict_s": t3 - t2,
                  "predict_ms": 1000 * (t4 - t3) / repeat}))
"""


def texts(per_class: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    xs, ys = [], []
    for category in DEMO_SET:
        for _ in range(per_class):
            words = rng.sample(category.keywords, k=min(3, len(category.keywords)))
            words += rng.sample(FILLER, k=8)
            rng.shuffle(words)
            xs.append("".join(words))
            ys.append(category.code)
    return xs, ys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    xs, ys = texts(args.per_class, seed=0)
    started = time.perf_counter()
    model = classifier.TextClassifier.fit(xs, ys, seed=0)
    fit_s = time.perf_counter() - started
    blob = classifier.dumps(model)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.npz"
        path.write_bytes(blob)
        out = subprocess.run(  # noqa: S603 (this interpreter, this script)
            [
                sys.executable,
                "-c",
                CHILD,
                str(path),
                "ATM取款机吞卡了，钱没取出来",
                str(args.repeat),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    figures = json.loads(out.stdout)
    print(f"training cases            {len(xs)} ({len(DEMO_SET)} classes)")
    print(f"fit                       {fit_s:.2f} s")
    print(f"stored model              {len(blob) / 1024:.0f} KiB")
    print(f"new process: import       {figures['import_s']:.2f} s (numpy, scipy, scikit-learn)")
    print(f"new process: loads         {figures['loads_s'] * 1000:.0f} ms")
    print(
        f"first prediction          {figures['first_predict_s'] * 1000:.0f} ms (jieba's dictionary)"
    )
    print(f"next predictions          {figures['predict_ms']:.2f} ms each (mean of {args.repeat})")


if __name__ == "__main__":
    main()

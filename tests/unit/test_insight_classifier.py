"""The complaint text classifier: fitting, predicting, and its pickle-free storage format."""

from __future__ import annotations

import io
import json
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from manyi.insight.domain import classifier
from manyi.insight.domain.classifier import (
    METHOD,
    VERSION,
    Prediction,
    TextClassifier,
    dumps,
    loads,
)
from manyi.insight.domain.text_features import words

ENGLISH = {
    "fees": [
        "They charged me a late fee I never agreed to",
        "Unexpected interest and fees on my loan statement",
        "The fee was much higher than the contract said",
        "I was charged an extra fee for paying early",
        "Hidden fees added to the balance every month",
        "Interest rate and fees were not what they told me",
    ],
    "payments": [
        "My payment was not credited to the account",
        "They took the payment twice from my bank account",
        "The autopay withdrew money on the wrong day",
        "I paid on time but the payment shows as late",
        "Cannot make a payment on the website",
        "The payment I sent last week disappeared",
    ],
    "report": [
        "Wrong information on my credit report",
        "They reported a late payment to the credit bureau by mistake",
        "My credit report shows a loan that is not mine",
        "The credit score dropped because of an incorrect report",
        "Please correct the account on my credit report",
        "The bureau report lists a debt I already paid",
    ],
}

CHINESE = {
    "服务态度": [
        "柜员服务态度很差，对我大声说话",
        "大堂经理态度冷淡，不理睬客户",
        "工作人员态度恶劣，还翻白眼",
        "客服态度不好，说话很不耐烦",
        "柜台人员服务态度差，让我很生气",
        "员工态度粗暴，没有礼貌",
    ],
    "排队等候": [
        "排队等了两个小时还没有办理",
        "网点只开一个窗口，排队时间太长",
        "取号以后等候一个多小时",
        "等候时间太久，窗口太少",
        "排队的人很多，叫号很慢",
        "在网点排队等了很久才轮到我",
    ],
    "收费": [
        "银行乱收费，扣了我年费",
        "账户管理费没有告知就收取",
        "转账手续费太高，事先没有说明",
        "信用卡年费被扣了，没有通知",
        "短信服务费自动扣费",
        "收费项目不透明，多收了手续费",
    ],
}


def corpus(groups: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    texts = [t for texts in groups.values() for t in texts]
    labels = [label for label, texts in groups.items() for _ in texts]
    return texts, labels


@pytest.fixture(scope="module")
def english() -> TextClassifier:
    return TextClassifier.fit(*corpus(ENGLISH))


@pytest.fixture(scope="module")
def chinese() -> TextClassifier:
    return TextClassifier.fit(*corpus(CHINESE))


def test_fit_and_predict_english(english: TextClassifier) -> None:
    assert english.labels == ("fees", "payments", "report")
    out = english.predict(
        [
            "an unexpected fee was charged",
            "my payment was not credited",
            "error on my credit report",
        ]
    )
    assert [p.label for p in out] == ["fees", "payments", "report"]
    assert all(isinstance(p, Prediction) and 0.0 <= p.confidence <= 1.0 for p in out)
    assert all(p.confidence > 1 / 3 for p in out)  # above a coin among three


def test_fit_and_predict_chinese(chinese: TextClassifier) -> None:
    out = chinese.predict(["柜员态度很差", "排队等了很久", "被收取了手续费"])
    assert [p.label for p in out] == ["服务态度", "排队等候", "收费"]
    assert all(0.0 <= p.confidence <= 1.0 for p in out)


def test_chinese_texts_add_a_character_view(
    english: TextClassifier, chinese: TextClassifier
) -> None:
    kinds = [
        [view["settings"]["kind"] for view in m.to_parts()[0]["views"]] for m in (english, chinese)
    ]
    assert kinds == [["word"], ["word", "char_wb"]]


def test_chinese_is_cut_into_words_and_english_into_lowercase_words() -> None:
    assert words("柜员服务态度很差") == ["柜员", "服务态度", "很差"]
    assert words("They CHARGED me, XX/XX/XXXX {$100.00}; won't") == [
        "they",
        "charged",
        "me",
        "xxxx",
        "xxxx",
        "xxxx",
        "100",
        "00",
        "won't",
    ]
    assert words("信用卡年费 credit card") == ["信用卡", "年费", "credit", "card"]
    assert words("ＡＴＭ吞卡１２３") == ["atm", "吞卡", "123"]


def test_two_labels_and_empty_input() -> None:
    texts, labels = corpus({k: ENGLISH[k] for k in ("fees", "report")})
    model = TextClassifier.fit(texts, labels)
    [p] = model.predict(["a hidden fee"])
    assert p.label == "fees" and 0.5 < p.confidence <= 1.0
    assert model.predict([]) == []
    [blank] = model.predict([""])
    assert blank.label in model.labels


def test_fit_refuses_one_label_and_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="at least 2 labels"):
        TextClassifier.fit(["a", "b"], ["x", "x"])
    with pytest.raises(ValueError, match="3 texts but 2 labels"):
        TextClassifier.fit(["a", "b", "c"], ["x", "y"])


def test_same_seed_same_model() -> None:
    texts, labels = corpus(ENGLISH)
    a, b = TextClassifier.fit(texts, labels), TextClassifier.fit(texts, labels)
    assert a.to_parts()[0] == b.to_parts()[0]
    assert all(np.array_equal(a.to_parts()[1][k], v) for k, v in b.to_parts()[1].items())


@pytest.mark.parametrize("model_name", ["english", "chinese"])
def test_round_trip_predicts_identically(model_name: str, request: pytest.FixtureRequest) -> None:
    model: TextClassifier = request.getfixturevalue(model_name)
    probe = [*corpus(ENGLISH)[0], *corpus(CHINESE)[0], "", "something else entirely 其他"]
    again = loads(dumps(model))
    assert again.labels == model.labels
    assert again.predict(probe) == model.predict(probe)
    meta, arrays = model.to_parts()
    assert meta["method"] == METHOD and meta["version"] == VERSION
    assert meta["labels"] == list(model.labels)
    json.dumps(meta)  # JSON-able as it is
    assert all(isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in arrays.values())
    from_parts = TextClassifier.from_parts(meta, arrays)
    assert from_parts.predict(probe) == model.predict(probe)


def _members(blob: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def _pack(members: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **members)  # type: ignore[arg-type]
    return buffer.getvalue()


def _with_meta(blob: bytes, **changes: object) -> bytes:
    members = _members(blob)
    meta = json.loads(members["meta"].tobytes())
    meta.update(changes)
    members["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return _pack(members)


def test_an_archive_that_unpacks_too_large_is_refused(
    english: TextClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    blob = dumps(english)
    monkeypatch.setattr(classifier, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(ValueError, match="refused: the model unpacks to"):
        loads(blob)


def test_jieba_is_loaded_only_for_chinese_text() -> None:
    code = (
        "import sys\n"
        "from manyi.insight.domain.classifier import TextClassifier\n"
        "m = TextClassifier.fit(['late fee', 'fee charged', 'my report', 'credit report'],"
        " ['fee', 'fee', 'report', 'report'])\n"
        "m.predict(['another fee'])\n"
        "print('jieba' in sys.modules)\n"
        "m.predict(['手续费'])\n"
        "print('jieba' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    assert out.stdout.split() == ["False", "True"]


def test_a_pickle_is_refused(english: TextClassifier) -> None:
    with pytest.raises(ValueError, match=r"not an \.npz archive"):
        loads(pickle.dumps(english))
    # A pickled object hidden inside an otherwise well-formed archive is refused too.
    members = _members(dumps(english))
    members["coef"] = np.array([english], dtype=object)
    with pytest.raises(ValueError, match="pickle"):
        loads(_pack(members))


def test_damaged_or_foreign_data_is_refused(english: TextClassifier) -> None:
    blob = dumps(english)
    with pytest.raises(ValueError, match=r"damaged|not a manyi"):
        loads(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match=r"not an \.npz archive"):
        loads(b"hello")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("readme.txt", "hi")
    with pytest.raises(ValueError, match="not a manyi classifier model"):
        loads(buffer.getvalue())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format": "other"}, "not a manyi classifier model"),
        ({"method": "naive-bayes"}, "train it again"),
        ({"version": VERSION + 1}, "train it again"),
        ({"labels": ["fees", "payments"]}, "coefficients have shape"),
        ({"labels": ["fees", "fees", "report"]}, "distinct"),
        ({"calibration": [1.0, "x", 0.0]}, "calibration must be 3 finite numbers"),
        ({"calibration": [1.0, 0.0]}, "calibration must be 3 finite numbers"),
        ({"views": []}, "no feature views"),
    ],
)
def test_tampered_meta_is_refused(
    english: TextClassifier, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        loads(_with_meta(dumps(english), **changes))


def test_tampered_arrays_are_refused(english: TextClassifier) -> None:
    members = _members(dumps(english))
    members["coef"] = members["coef"][:, :-1]
    with pytest.raises(ValueError, match="coefficients have shape"):
        loads(_pack(members))
    members = _members(dumps(english))
    members["intercept"] = np.array([np.nan, 0.0, 0.0])
    with pytest.raises(ValueError, match="not finite"):
        loads(_pack(members))
    members = _members(dumps(english))
    del members["idf_0"]
    with pytest.raises(ValueError, match="no 'idf_0' array"):
        loads(_pack(members))
    members = _members(dumps(english))
    members["extra"] = np.zeros(3)
    with pytest.raises(ValueError, match="unknown arrays: extra"):
        loads(_pack(members))

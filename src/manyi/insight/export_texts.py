"""Labelled texts from a complaint export, for evaluating the classifier on it.

An evaluation needs each complaint's text and label, nothing else, so it reads the columns it
needs through the import's CSV walk (`complaints.imports.base.iter_rows`, with the CFPB
format's column names) rather than through the full importer: a row the importer would refuse
for another field (a date it cannot read, an empty id) still has a usable narrative and label.

Targets (`TARGETS`) of the CFPB export:

- ``issue``: the "Issue" column;
- ``product``: "Product / Sub-product" when there is a sub-product, as the importer stores a
  complaint's product (a file of one product, like the payday-loan sample, still has several).
"""

from __future__ import annotations

from dataclasses import dataclass

from manyi.complaints.imports import cfpb
from manyi.complaints.imports.base import decode, iter_rows

FORMATS = ("cfpb",)
TARGETS = ("product", "issue")


class ExportError(ValueError):
    """The file cannot be read for an evaluation (the message says why)."""


@dataclass(frozen=True)
class LabelledTexts:
    texts: list[str]
    labels: list[str]
    rows: int  # data rows read
    skipped: int  # rows that are not valid CSV or have the wrong number of fields


def read_labelled(data: bytes, fmt: str, target: str) -> LabelledTexts:
    """Every row's (text, label); a missing text or label is "" (`evaluation.usable` drops it)."""
    if fmt not in FORMATS:
        raise ExportError(f"--format must be {' or '.join(FORMATS)}, not {fmt!r}")
    if target not in TARGETS:
        raise ExportError(f"--target must be {' or '.join(TARGETS)}, not {target!r}")
    text = decode(data).text  # a BOM, UTF-8, or GB18030 as the import reads them
    rows = iter_rows(text)
    header: list[str] | None = None
    for line, fields in rows:
        if isinstance(fields, str):
            raise ExportError(f"line {line}: the header cannot be read: {fields}")
        if any(fields):
            header = [name.strip() for name in fields]
            break
    if header is None:
        raise ExportError("the file is empty; expected a CFPB header line")
    needed = [cfpb.NARRATIVE, cfpb.ISSUE] if target == "issue" else [cfpb.NARRATIVE, cfpb.PRODUCT]
    missing = [name for name in needed if name not in header]
    if missing:
        raise ExportError(
            f"missing column(s) {', '.join(repr(n) for n in missing)}: --target {target} needs "
            f"{' and '.join(repr(n) for n in needed)} of a CFPB export"
        )
    at = {name: i for i, name in enumerate(header)}

    def get(row: list[str], column: str) -> str:
        i = at.get(column)
        value = row[i].strip() if i is not None else ""
        return "" if value.casefold() in cfpb.EMPTY_VALUES else value

    texts: list[str] = []
    labels: list[str] = []
    read = skipped = 0
    for _, row in rows:
        if not isinstance(row, str) and not any(row):
            continue
        read += 1
        if isinstance(row, str) or len(row) != len(header):
            skipped += 1
            continue
        if target == "issue":
            label = get(row, cfpb.ISSUE)
        else:
            product, sub_product = get(row, cfpb.PRODUCT), get(row, cfpb.SUB_PRODUCT)
            label = f"{product} / {sub_product}" if product and sub_product else product
        texts.append(get(row, cfpb.NARRATIVE))
        labels.append(label)
    return LabelledTexts(texts, labels, read, skipped)

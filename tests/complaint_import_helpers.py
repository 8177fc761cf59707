"""Shared pieces of the complaint import tests: the data folder, a small crafted CFPB file, and
an import's results by complaint id."""

from __future__ import annotations

from pathlib import Path

from manyi.complaints.imports.formats import ImportedComplaint, ParseResult

DATA = Path(__file__).resolve().parent / "data" / "complaints"


def small() -> bytes:
    return (DATA / "cfpb_small.csv").read_bytes()


def by_id(result: ParseResult) -> dict[str, ImportedComplaint]:
    return {r.external_id: r for r in result.records}

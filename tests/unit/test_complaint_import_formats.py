"""Reading complaint files: the CFPB export, manyi's own CSV and a bank's export via a mapping."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gzip
import io
from pathlib import Path

import pytest
import yaml

from manyi.complaints.domain.taxonomy import Axis, Flag, Intake, by_code
from manyi.complaints.imports import cfpb as import_cfpb
from manyi.complaints.imports.base import clip
from manyi.complaints.imports.cfpb import CAUSE_FOR_ISSUE, parse_date
from manyi.complaints.imports.formats import (
    ImportedComplaint,
    ImportFormatError,
    LineError,
    MappingError,
    ParseResult,
    parse_file,
    read_mapping,
    validate_mapping,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "complaints"
# The real sample from the shared data folder, kept compressed with the tests.
SAMPLE = DATA / "cfpb_payday_loan_complaints.csv.gz"
EXAMPLE_MAPPING = (
    Path(__file__).resolve().parents[2] / "src/manyi/complaints/mappings/example-bank.yaml"
)


@functools.cache
def sample_bytes() -> bytes:
    return gzip.decompress(SAMPLE.read_bytes())


def sample_rows() -> csv.DictReader[str]:
    return csv.DictReader(io.StringIO(sample_bytes().decode("utf-8"), newline=""))


def small() -> bytes:
    return (DATA / "cfpb_small.csv").read_bytes()


def by_id(result: ParseResult) -> dict[str, ImportedComplaint]:
    return {r.external_id: r for r in result.records}


# --- The real CFPB sample ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> ParseResult:
    return parse_file(sample_bytes(), "cfpb")


def test_the_real_sample_imports_in_full(sample: ParseResult) -> None:
    assert sample.errors == []
    assert sample.read == len(sample.records) == 2827
    assert len({r.external_id for r in sample.records}) == 2827
    assert all(r.business_code == "loans.consumer" for r in sample.records)
    assert all(r.decided_on is None for r in sample.records)  # the export has no decision date
    # "Untimely response" is the one company response that is not a closure.
    assert sum(not r.closed for r in sample.records) == 18
    assert {r.decision for r in sample.records if not r.closed} == {"Untimely response"}
    assert sum(r.timely is False for r in sample.records) == 108
    assert sum(Flag.VULNERABLE in r.flags for r in sample.records) == 192 + 77  # Older American
    assert all(r.intake is Intake.WEB for r in sample.records)
    assert all(len(r.subject) <= 200 for r in sample.records)


def test_every_record_starts_on_the_line_it_names(sample: ParseResult) -> None:
    # Narratives run over several lines; each record's line must still hold its first field.
    lines = sample_bytes().decode("utf-8").split("\n")
    assert len(lines) - 1 == 9765
    assert sample.records[0].line == 2
    for record in sample.records:
        assert lines[record.line - 1].startswith(f"{record.received_on:%m/%d/%y},"), record.line
    numbers = [r.line for r in sample.records]
    assert numbers == sorted(set(numbers))


def test_each_issue_of_the_sample_is_mapped_on_purpose() -> None:
    issues = {row["Issue"] for row in sample_rows()}
    assert len(issues) == 24
    for issue in issues:
        assert issue in CAUSE_FOR_ISSUE, issue
        assert by_code(Axis.CAUSE, CAUSE_FOR_ISSUE[issue]) is not None
        assert CAUSE_FOR_ISSUE[issue] != "other", issue


def test_the_sample_spreads_over_the_causes(sample: ParseResult) -> None:
    causes = {r.cause_code for r in sample.records}
    assert {"pricing", "rules", "disclosure", "info_security", "collection"} <= causes
    assert "other" not in causes
    first = sample.records[0]
    assert first.external_id == "6731964"
    assert first.product == "Payday loan, title loan, or personal loan / Installment loan"
    assert first.subject == "Charged fees or interest you didn't expect"
    assert first.description.startswith("This company 's offer was not clear. \n\nThis account")
    assert first.region == "GA 30040"
    assert first.decision == "Closed with monetary relief"


# --- The value tables -------------------------------------------------------------------------


def test_the_crafted_file_has_the_export_header() -> None:
    assert tuple(small().split(b"\r\n")[0].decode().split(",")) == import_cfpb.COLUMNS
    assert tuple(sample_rows().fieldnames or ()) == import_cfpb.COLUMNS


def test_every_code_in_the_cfpb_tables_exists() -> None:
    for code in import_cfpb.BUSINESS_FOR_PRODUCT.values():
        assert by_code(Axis.BUSINESS, code) is not None, code
    for code in [*CAUSE_FOR_ISSUE.values(), *import_cfpb.CAUSE_FOR_PRODUCT.values()]:
        assert by_code(Axis.CAUSE, code) is not None, code


@pytest.mark.parametrize(
    ("product", "sub_product", "business"),
    [
        ("Payday loan, title loan, or personal loan", "Title loan", "loans.consumer"),
        ("Payday loan, title loan, personal loan, or advance loan", "", "loans.consumer"),
        (
            "Credit card or prepaid card",
            "General-purpose credit card or charge card",
            "cards.credit",
        ),
        ("Credit card or prepaid card", "Gift card", "payments.prepaid"),
        ("Checking or savings account", "Checking account", "savings.demand"),
        ("Checking or savings account", "Other banking product or service", "savings"),
        ("Money transfer, virtual currency, or money service", "", "payments"),
        ("Mortgage", "FHA mortgage", "loans.mortgage"),
        ("Debt collection", "Medical debt", "loans"),
        ("debt  COLLECTION", "credit card debt", "cards.credit"),  # case and spacing
        ("Something new", "", None),
    ],
)
def test_products_map_to_business_types(
    product: str, sub_product: str, business: str | None
) -> None:
    assert import_cfpb.business_for(product, sub_product) == business


def test_causes_follow_the_issue_and_debt_collection_is_always_collection() -> None:
    assert import_cfpb.cause_for("Charged fees or interest you didn\u2019t expect") == "pricing"
    assert import_cfpb.cause_for("Fraud or scam") == "fund_safety"
    assert import_cfpb.cause_for("Improper use of your report") == "info_security"
    assert import_cfpb.cause_for("A label the CFPB adds next year") == "other"
    assert import_cfpb.cause_for("Written notification about debt", "Debt collection") == (
        "collection"
    )
    assert import_cfpb.cause_for("Fees or interest", "Debt collection") == "collection"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03/22/23", dt.date(2023, 3, 22)),
        ("3/2/23", dt.date(2023, 3, 2)),
        ("03/22/2023", dt.date(2023, 3, 22)),
        ("2023-03-22", dt.date(2023, 3, 22)),
        ("12/31/99", dt.date(1999, 12, 31)),
        ("01/01/68", dt.date(2068, 1, 1)),
        ("13/45/23", None),
        ("02/30/23", None),
        ("2023-02-30", None),
        ("22.03.2023", None),
        ("2023-3-22", dt.date(2023, 3, 22)),  # as a spreadsheet re-saves it
        ("2023/3/22", dt.date(2023, 3, 22)),
        ("", None),
    ],
)
def test_cfpb_dates(text: str, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


def test_subjects_are_clipped_at_a_word() -> None:
    words = "word " * 80
    clipped = clip(words)
    assert len(clipped) <= 200 and clipped.endswith("word…")
    assert clip("短" * 300) == "短" * 199 + "…"
    assert clip("  two\nlines  ") == "two lines"
    assert clip("x" * 200) == "x" * 200


# --- CFPB rows and their errors -----------------------------------------------------------


def test_the_small_cfpb_file() -> None:
    result = parse_file(small(), "cfpb")
    assert result.read == 8
    assert [r.line for r in result.records] == [2, 5, 11, 12]
    assert result.errors == [
        LineError(
            6,
            "Date received",
            "Date received '13/45/23' is not a date (there is no month 13)",
        ),
        LineError(7, "Complaint ID", "Complaint ID is empty"),
        LineError(
            8, "Complaint ID", "duplicate Complaint ID '1001' (first on line 2)", duplicate=True
        ),
        LineError(10, "", "the row has 17 fields but the header has 18"),
    ]
    found = by_id(result)
    first = found["1001"]
    assert first.description == (
        'The fee was never explained.\n\nI was told the rate was 34 %, not a "leasing fee".'
    )
    assert (first.intake, first.cause_code, first.closed, first.timely) == (
        Intake.WEB,
        "pricing",
        True,
        True,
    )


def test_empty_values_and_none_texts() -> None:
    record = by_id(parse_file(small(), "cfpb"))["1002"]
    assert record.description == ""  # no narrative is normal, not an error
    assert record.subject == "Can't contact lender or servicer"  # Sub-issue "None" left out
    assert record.region == ""  # State "None" and a fully masked ZIP
    assert record.intake is Intake.HOTLINE
    assert (record.closed, record.decision, record.timely) == (False, "In progress", False)
    assert record.flags == frozenset({Flag.VULNERABLE})  # "Older American"; not Servicemember


def test_other_products_dates_and_channels() -> None:
    found = by_id(parse_file(small(), "cfpb"))
    mortgage = found["1004"]
    assert mortgage.received_on == dt.date(2023, 4, 5)  # ISO
    assert (mortgage.business_code, mortgage.cause_code) == ("loans.mortgage", "other")
    assert mortgage.intake is Intake.REGULATOR  # Referral
    assert mortgage.region == "CA 945XX"
    collection = found["1005"]
    assert collection.received_on == dt.date(2023, 4, 5)  # MM/DD/YYYY
    assert collection.subject == "Communication tactics — Frequent or repeated calls"
    assert (collection.business_code, collection.cause_code) == ("cards.credit", "collection")
    assert collection.intake is Intake.LETTER


def test_a_duplicate_of_a_rejected_row_is_imported() -> None:
    # The first 1001 is rejected for its date, so the second is the only one and is kept.
    data = small().replace(b"03/22/23,", b"03/99/23,", 1)
    result = parse_file(data, "cfpb")
    assert by_id(result)["1001"].line == 8
    assert [e.line for e in result.errors] == [2, 6, 7, 10]


def test_a_byte_order_mark_is_ignored() -> None:
    plain = parse_file(small(), "cfpb")
    marked = parse_file(b"\xef\xbb\xbf" + small(), "cfpb")
    assert (marked.records, marked.errors) == (plain.records, plain.errors)
    assert (plain.read_as, marked.read_as) == ("UTF-8", "UTF-8 with BOM")


def test_bytes_that_are_not_utf8_spoil_only_their_row() -> None:
    data = small().replace(b"Same complaint again.", b"Same compl\xe4int again.")
    data = data.replace(b"Example Collector", b"Example \xff\xfeCollector")
    result = parse_file(data, "cfpb")
    assert [r.line for r in result.records] == [2, 5, 11]
    assert result.errors[2:] == [
        LineError(
            8,
            "Consumer complaint narrative",
            "contains bytes that are not valid UTF-8 (e4); row skipped",
        ),
        LineError(10, "", "the row has 17 fields but the header has 18"),
        LineError(12, "Company", "contains bytes that are not valid UTF-8 (ff fe); row skipped"),
    ]


def test_a_nul_character_is_refused() -> None:
    result = parse_file(small().replace(b"Example Bank", b"Example\x00Bank"), "cfpb")
    assert LineError(11, "Company", "contains a NUL character; row skipped") in result.errors
    assert "1004" not in by_id(result)


def test_blank_lines_are_skipped_and_do_not_shift_line_numbers() -> None:
    header, rest = small().split(b"\r\n", 1)
    result = parse_file(header + b"\r\n\r\n" + rest + b"\r\n,,,\r\n", "cfpb")
    assert [r.line for r in result.records] == [3, 6, 12, 13]
    assert result.read == 8


def test_an_unclosed_quote_is_reported_where_its_record_starts() -> None:
    data = (
        small()
        + b'01/01/23,X,,Y,,"never closed,None,C,GA,1,None,N/A,Web,01/01/23,Closed,Yes,N/A,9\r\n'
    )
    result = parse_file(data, "cfpb")
    assert result.errors[-1] == LineError(
        13, "", "a quoted field is never closed (the rest of the file was read into it)"
    )
    assert len(result.records) == 4


def test_a_file_that_is_not_a_cfpb_export_stops_the_import() -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse_file((DATA / "own_format.csv").read_bytes(), "cfpb")
    assert caught.value.line == 1
    message = str(caught.value)
    assert message.startswith("line 1: missing required column(s) 'Date received', 'Product'")
    assert "'Issue', 'Complaint ID'" in message


def test_header_problems() -> None:
    with pytest.raises(ImportFormatError, match="the file is empty"):
        parse_file(b"", "cfpb")
    with pytest.raises(ImportFormatError, match="the file is empty"):
        parse_file(b"\xef\xbb\xbf\r\n\r\n", "cfpb")
    with pytest.raises(ImportFormatError, match="not valid UTF-8"):
        parse_file(small().replace(b"Product", b"Pr\xf6duct", 1), "cfpb")
    with pytest.raises(ImportFormatError, match="'Issue' appears twice"):
        parse_file(small().replace(b"Sub-issue", b"Issue", 1), "cfpb")
    header_only = parse_file(small().split(b"\r\n")[0], "cfpb")
    assert (header_only.records, header_only.errors, header_only.read) == ([], [], 0)


def test_only_the_required_cfpb_columns_are_needed() -> None:
    data = "Complaint ID,Issue,Product,Date received\n77,Fraud or scam,Mortgage,01/02/23\n"
    (record,) = parse_file(data.encode(), "cfpb").records
    assert (record.external_id, record.cause_code, record.business_code) == (
        "77",
        "fund_safety",
        "loans.mortgage",
    )
    assert (record.intake, record.closed, record.timely, record.region) == (
        Intake.WEB,
        False,
        None,
        "",
    )


def test_format_misuse() -> None:
    with pytest.raises(ImportFormatError, match="unknown format 'xlsx'"):
        parse_file(small(), "xlsx")
    with pytest.raises(ImportFormatError, match="applies to --format csv only"):
        parse_file(small(), "cfpb", {"columns": {}})


ROWS = 5_000


def test_a_large_generated_export_parses_without_errors() -> None:
    # Mostly short rows, every tenth with a narrative, like the public database.
    out = io.StringIO()
    write = csv.writer(out, lineterminator="\r\n").writerow
    write(import_cfpb.COLUMNS)
    story = "I was charged a fee nobody told me about.\n\nThen they kept calling. " * 12
    issues = list(CAUSE_FOR_ISSUE)
    for i in range(ROWS):
        day = dt.date(2023, 1, 1) + dt.timedelta(days=i % 365)
        write(
            [
                f"{day:%m/%d/%y}",
                "Payday loan, title loan, or personal loan",
                "Installment loan",
                issues[i % len(issues)],
                "None",
                story if i % 10 == 0 else "",
                "None",
                "Example Lending Inc.",
                "TX",
                "75001",
                "Older American" if i % 7 == 0 else "None",
                "Consent provided",
                "Web",
                f"{day:%m/%d/%y}",
                "Closed with explanation",
                "Yes",
                "N/A",
                str(5_000_000 + i),
            ]
        )
    data = out.getvalue().encode()
    result = parse_file(data, "cfpb")  # speed is measured by bench/complaint_import.py
    assert len(result.records) == ROWS and not result.errors


# --- manyi's own CSV ---------------------------------------------------------------------


def test_the_own_format() -> None:
    result = parse_file((DATA / "own_format.csv").read_bytes(), "csv")
    assert result.read == 8
    found = by_id(result)
    assert [r.external_id for r in result.records] == ["M-1", "M-2", "M-8"]
    fee = found["M-1"]
    assert (fee.line, fee.received_on, fee.decided_on) == (
        2,
        dt.date(2024, 1, 5),
        dt.date(2024, 1, 12),
    )
    assert (fee.intake, fee.business_code, fee.cause_code, fee.channel_code) == (
        Intake.COUNTER,
        "cards.credit",
        "pricing",
        "onsite",
    )
    assert (fee.subject, fee.closed, fee.decision) == ("年费争议", True, "已退还年费")
    assert fee.description == "客户称办卡时未被告知年费。\n要求退还年费。"
    queue = found["M-2"]
    assert queue.line == 4  # after M-1's two-line description
    assert queue.subject == "排队等候超过一小时，只开了两个窗口。"  # from the description
    assert (queue.closed, queue.decided_on) == (False, None)
    bare = found["M-8"]
    assert (bare.intake, bare.business_code, bare.closed, bare.subject) == (
        Intake.EMAIL,
        None,
        False,
        "",
    )
    assert [(e.line, e.field) for e in result.errors] == [
        (5, "received_on"),
        (6, "intake"),
        (7, "business_type"),
        (8, "closed"),
        (9, "decided_on"),
    ]
    assert result.errors[1].reason.startswith("intake 'fax' is not an intake channel (expected")
    assert result.errors[2].reason == "business_type 'cards.gold' is not a business code"
    assert result.errors[4].reason == "decided_on 2024-01-05 is before 2024-01-10"


def test_the_own_format_collects_every_problem_of_a_row() -> None:
    data = "external_id,received_on,cause,flags\n,2024-13-01,nonsense,group;vip\n"
    result = parse_file(data.encode(), "csv")
    assert [e.field for e in result.errors] == ["external_id", "received_on", "cause", "flags"]
    assert result.errors[3].reason.startswith("flags 'vip' is not a flag (expected group,")


def test_the_own_format_reads_flags_and_region() -> None:
    data = "external_id,received_on,flags,region,intake\nA,2024-01-01,group; repeat,北京分行,\n"
    (record,) = parse_file(data.encode(), "csv").records
    assert record.flags == frozenset({Flag.GROUP, Flag.REPEAT})
    assert record.region == "北京分行"
    assert record.intake is Intake.IMPORT  # no intake given: history of unknown origin


def test_the_own_format_header_is_checked() -> None:
    with pytest.raises(ImportFormatError, match=r"unknown column.*'recieved_on'") as caught:
        parse_file(b"external_id,recieved_on\nA,2024-01-01\n", "csv")
    assert caught.value.line == 1
    with pytest.raises(ImportFormatError, match=r"missing required column.*received_on"):
        parse_file(b"external_id,subject\nA,x\n", "csv")


# --- A bank's export through a mapping --------------------------------------------------------


@pytest.fixture(scope="module")
def bank() -> ParseResult:
    mapping = read_mapping(EXAMPLE_MAPPING.read_text(encoding="utf-8"))
    return parse_file((DATA / "bank_export_gb18030.csv").read_bytes(), "csv", mapping)


def test_the_example_mapping_reads_a_gb18030_export(bank: ParseResult) -> None:
    assert bank.read == 6
    assert [r.external_id for r in bank.records] == [
        "TS2023001",
        "TS2023002",
        "TS2023003",
        "TS2023006",
    ]
    found = by_id(bank)
    fee = found["TS2023001"]
    assert (fee.line, fee.received_on, fee.decided_on) == (
        2,
        dt.date(2023, 3, 1),
        dt.date(2023, 3, 5),
    )
    assert (fee.intake, fee.business_code, fee.cause_code, fee.channel_code) == (
        Intake.HOTLINE,
        "cards.credit",
        "pricing",
        "electronic.mobile",
    )
    assert fee.description == "客户反映信用卡年费未经告知被扣收。\n要求退还年费。"
    assert (fee.product, fee.region, fee.closed) == ("信用卡", "北京分行", True)
    assert fee.flags == frozenset({Flag.VULNERABLE})
    assert found["TS2023002"].received_on == dt.date(2023, 3, 2)  # a date with a time
    forwarded = found["TS2023003"]
    assert (forwarded.intake, forwarded.business_code, forwarded.cause_code) == (
        Intake.REGULATOR,
        None,  # 未分类 maps to ~
        "other",
    )
    assert forwarded.flags == frozenset({Flag.REGULATOR, Flag.REPEAT})
    assert not forwarded.closed
    atm = found["TS2023006"]
    assert (atm.channel_code, atm.cause_code) == ("self_service.atm", "facilities.system")


def test_the_mapping_names_the_banks_columns_in_errors(bank: ParseResult) -> None:
    assert bank.errors == [
        LineError(
            6,
            "受理日期",
            "受理日期 '2023/13/01' is not a date (there is no month 13)",
        ),
        LineError(
            7,
            "业务种类",
            "业务种类 '黄金' is not listed under values.business_type and is not a business code",
        ),
    ]


def test_columns_the_mapping_leaves_out_are_not_imported(bank: ParseResult) -> None:
    for record in bank.records:
        assert "张三" not in repr(record) and "13800000000" not in repr(record)


def test_a_raw_yaml_dict_works_like_a_read_mapping() -> None:
    raw = yaml.safe_load(EXAMPLE_MAPPING.read_text(encoding="utf-8"))
    data = (DATA / "bank_export_gb18030.csv").read_bytes()
    assert parse_file(data, "csv", raw) == parse_file(data, "csv", validate_mapping(raw))


def test_undecodable_bytes_in_a_gb18030_export() -> None:
    raw = yaml.safe_load(EXAMPLE_MAPPING.read_text(encoding="utf-8"))
    data = (DATA / "bank_export_gb18030.csv").read_bytes()
    data = data.replace("孙八".encode("gb18030"), b"\xff\xff")
    result = parse_file(data, "csv", raw)
    assert (
        LineError(8, "客户姓名", "contains bytes that are not valid gb18030 (ff ff); row skipped")
        in result.errors
    )
    assert "TS2023006" not in by_id(result)
    assert len(result.records) == 3


def test_a_mapped_value_that_is_wrong_in_the_file_is_explained() -> None:
    mapping = {
        "columns": {"external_id": "编号", "received_on": "日期", "cause": "原因"},
        "values": {"cause": {"收费": "pricing"}},
        "delimiter": ";",
    }
    data = "编号;日期;原因\n1;2024-01-02;收费\n2;2024-01-02;费用\n3;2024-01-02;Pricing\n"
    result = parse_file(data.encode(), "csv", mapping)
    assert [r.cause_code for r in result.records] == ["pricing", "pricing"]
    assert result.errors == [
        LineError(3, "原因", "原因 '费用' is not listed under values.cause and is not a cause code")
    ]
    mapping["values"] = {"cause": {"收费": "pricing", "费用": "fees"}}
    with pytest.raises(MappingError, match="'费用' → 'fees' is not a code on the cause axis"):
        parse_file(data.encode(), "csv", mapping)


def test_manyi_values_are_read_regardless_of_case() -> None:
    data = "external_id,received_on,intake,business_type,flags\n"
    data += "A,2024-01-01,HOTLINE,Cards.Credit,Group\n"
    (record,) = parse_file(data.encode(), "csv").records
    assert (record.intake, record.business_code, record.flags) == (
        Intake.HOTLINE,
        "cards.credit",
        frozenset({Flag.GROUP}),
    )


def test_a_tab_separated_export() -> None:
    mapping = {"columns": {"external_id": "id", "received_on": "day"}, "delimiter": "\t"}
    (record,) = parse_file(b"id\tday\nX1\t2024-05-06\n", "csv", mapping).records
    assert (record.external_id, record.received_on) == ("X1", dt.date(2024, 5, 6))


def test_a_column_the_mapping_names_must_be_in_the_file() -> None:
    mapping = {"columns": {"external_id": "工单号", "received_on": "受理时间"}}
    with pytest.raises(ImportFormatError, match="'受理时间' \\(received_on\\)") as caught:
        parse_file("工单号,受理日期\n1,2024-01-01\n".encode(), "csv", mapping)
    assert caught.value.line == 1


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        ({"colums": {}}, "unknown key 'colums'"),
        ({"columns": {"received_on": "日期"}}, "columns: external_id must be mapped"),
        ({"columns": {"external_id": "a", "received_on": "b", "owner": "c"}}, "unknown field"),
        ({"columns": {"external_id": "a", "received_on": None}}, "received_on must name a column"),
        ({"columns": ["external_id"]}, "columns must map manyi fields"),
        ({"values": {"subject": {"a": "b"}}}, "values: 'subject' cannot be translated"),
        ({"values": {"intake": {"电话": "phone"}}}, "'电话' → 'phone' is not one of hotline"),
        ({"values": {"business_type": {"黄金": "gold"}}}, "is not a code on the business axis"),
        ({"values": {"cause": {"x": "cards.credit"}}}, "is not a code on the cause axis"),
        ({"values": {"closed": {"已办结": "yes"}}}, "is not true or false"),
        ({"values": {"closed": {True: True}}}, "is read by YAML as True; put it in quotes"),
        ({"values": {"intake": {"Web": "web", "WEB": "hotline"}}}, "listed twice"),
        ({"values": {"intake": "hotline"}}, "values.intake must map"),
        ({"values": {"flags": {"老年": "elderly"}}}, "is not one of group"),
        ({"encoding": "klingon"}, "encoding 'klingon' is not known"),
        ({"date_format": "%Y/%m"}, "does not read back a full date"),
        ({"date_format": "%Q"}, "does not read back a full date"),
        ({"date_format": []}, "date_format must be"),
        ({"delimiter": ";;"}, "must be a single character"),
    ],
)
def test_bad_mappings_are_refused(mapping: dict[str, object], problem: str) -> None:
    full: dict[str, object] = {"columns": {"external_id": "a", "received_on": "b"}} | mapping
    with pytest.raises(MappingError) as caught:
        validate_mapping(full)
    assert any(problem in p for p in caught.value.problems), caught.value.problems
    assert isinstance(caught.value, ImportFormatError) and isinstance(caught.value, ValueError)


def test_a_mapping_reports_all_its_problems_at_once() -> None:
    with pytest.raises(MappingError) as caught:
        read_mapping("columns: {owner: 经办人}\nencoding: nope\nvalues: {cause: {收费: fees}}\n")
    assert len(caught.value.problems) == 5  # owner, external_id, received_on, encoding, fees
    assert str(caught.value).startswith("the mapping is not valid: columns: unknown field")


def test_a_mapping_file_that_is_not_a_mapping() -> None:
    with pytest.raises(MappingError, match="must be a YAML mapping"):
        read_mapping("- just\n- a list\n")
    with pytest.raises(MappingError, match="not valid YAML"):
        read_mapping("columns: {external_id: [\n")
    with pytest.raises(MappingError, match="must be a YAML mapping"):
        parse_file(b"", "csv", ["not", "a", "dict"])

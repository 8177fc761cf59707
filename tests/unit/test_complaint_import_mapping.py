"""Reading complaint files: a bank's export through a mapping (a GB 18030 export, the bank's
column names in errors, tab-separated files), and bad mappings refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from manyi.complaints.domain.taxonomy import Flag, Intake
from manyi.complaints.imports.formats import (
    ImportFormatError,
    LineError,
    MappingError,
    ParseResult,
    parse_file,
    read_mapping,
    validate_mapping,
)
from tests.complaint_import_helpers import DATA, by_id

EXAMPLE_MAPPING = (
    Path(__file__).resolve().parents[2] / "src/manyi/complaints/mappings/example-bank.yaml"
)


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

"""Reading the civil-affairs roster: headers as offices write them, the encodings Excel saves, every bad line named by row."""

import datetime as dt

import pytest

from core.identity import id_check_char
from core.roster import read_roster
from core.workbook import write_xlsx

TODAY = dt.date(2026, 11, 29)


def pid(first17: str) -> str:
    return first17 + id_check_char(first17)


A = pid("13030219700101101")
B = pid("13030219720202202")
C = "11010519491231002X"
C15 = "110105491231002"  # the same person's legacy 15-digit number


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.replace("\n", "\r\n").encode(encoding)


def read_csv_text(text: str, encoding: str = "utf-8"):
    return read_roster(csv_bytes(text, encoding), "低保名单.csv", today=TODAY)


def entries_of(roster):
    return [(e.row, e.id_number, e.programme, e.since, e.name) for e in roster.entries]


def problems_of(roster):
    return [(p.row, p.column, p.message) for p in roster.problems]


def test_headers_in_any_order_with_the_defaults_the_office_leaves_out():
    roster = read_csv_text(f"纳入日期,姓名,救助类型,身份证号\n2025-03-01,张三,特困,{A}\n,李四,,{B}\n")
    assert roster.problems == []
    assert entries_of(roster) == [
        (2, A, "tekun", dt.date(2025, 3, 1), "张三"),
        (3, B, "dibao", None, "李四"),  # no programme: 低保; no date: none given
    ]


@pytest.mark.parametrize("header", ["身份证号", "公民身份号码", "身份证号码", "身份证号 *", " 公民身份号码 "])
def test_the_id_column_is_found_under_each_name_offices_use(header):
    roster = read_csv_text(f"姓名,{header}\n张三,{A}\n")
    assert [e.id_number for e in roster.entries] == [A] and roster.problems == []


def test_only_an_id_column_is_enough_and_a_title_row_above_the_header_keeps_excel_row_numbers():
    roster = read_csv_text(f"海港区城市低保对象名单（2026年11月）,\n\n序号,身份证号\n1,{A}\n2,{B}\n")
    assert [(e.row, e.id_number, e.programme, e.since) for e in roster.entries] == [(4, A, "dibao", None), (5, B, "dibao", None)]


def test_a_file_without_an_id_column_is_refused_with_the_headers_it_needs():
    roster = read_csv_text(f"姓名,证件\n张三,{A}\n")
    assert roster.entries == []
    assert len(roster.problems) == 1 and "找不到“身份证号”列" in roster.problems[0].message
    assert "公民身份号码" in roster.problems[0].message


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_every_encoding_excel_writes_in_china(encoding):
    roster = read_csv_text(f"身份证号,姓名,救助类型\n{A},张三,特困供养\n", encoding)
    assert entries_of(roster) == [(2, A, "tekun", None, "张三")]


def test_a_legacy_15_digit_number_is_matched_by_its_18_digit_form():
    roster = read_csv_text(f"身份证号\n{C15}\n")
    assert [(e.id_number, e.typed_id) for e in roster.entries] == [(C, C15)]


def test_bad_numbers_are_named_by_row_and_the_rest_are_still_read():
    bad_check = A[:17] + ("0" if A[17] != "0" else "1")
    roster = read_csv_text(f"姓名,身份证号\n张三,{bad_check}\n李四,12345\n王五,{B}\n赵六,\n")
    assert [e.id_number for e in roster.entries] == [B]
    assert problems_of(roster) == [
        (2, "身份证号", "校验位不符，请逐位核对"),
        (3, "身份证号", "身份证号应为18位（或旧式15位），现为5位"),
        (5, "身份证号", "身份证号为空"),
    ]
    assert (roster.problems[0].typed_id, roster.problems[0].name) == (bad_check, "张三")  # the report can show what was typed


def test_a_number_twice_in_the_list_is_a_problem_naming_the_first_row_even_in_its_15_digit_form():
    roster = read_csv_text(f"身份证号,救助类型\n{C},低保\n{A},低保\n{C15},特困\n{A.lower()},低保\n")
    assert [e.row for e in roster.entries] == [2, 3]
    assert problems_of(roster) == [
        (4, "身份证号", "与第 2 行重复（同一人只应出现一次），本行未处理"),
        (5, "身份证号", "与第 3 行重复（同一人只应出现一次），本行未处理"),
    ]


@pytest.mark.parametrize("written, expected", [
    ("低保", "dibao"), ("城市低保", "dibao"), ("农村低保", "dibao"), ("特困", "tekun"), ("特困供养", "tekun"),
    ("特困人员", "tekun"), ("", "dibao"), ("临时救助", "temporary"), ("医疗救助", "medical"), ("受灾人员救助", "disaster"),
    ("教育救助", "education"), ("住房救助", "housing"), ("就业救助", "employment"),
])
def test_programmes_as_offices_write_them(written, expected):
    roster = read_csv_text(f"身份证号,救助类型\n{A},{written}\n")
    assert [e.programme for e in roster.entries] == [expected]


@pytest.mark.parametrize("written", ["低保边缘", "低保边缘户", "是"])
def test_anything_else_is_not_a_safety_net_programme(written):
    roster = read_csv_text(f"身份证号,救助类型\n{A},{written}\n")
    assert roster.entries == []
    assert problems_of(roster) == [(2, "救助类型", f"救助类型“{written}”无法识别：应为 低保、特困供养、临时救助、医疗救助、"
                                                   "受灾人员救助、教育救助、住房救助、就业救助（特困供养也可写“特困”），留空按低保处理")]


@pytest.mark.parametrize("written, expected", [
    ("2025-03-15", dt.date(2025, 3, 15)), ("2025-03", dt.date(2025, 3, 1)), ("2025/3/5", dt.date(2025, 3, 5)),
    ("2025年3月", dt.date(2025, 3, 1)), ("2025年3月5日", dt.date(2025, 3, 5)), ("2026-11-29", TODAY),
])
def test_dates_as_a_day_or_a_month_meaning_its_first_day(written, expected):
    roster = read_csv_text(f"身份证号,纳入日期\n{A},{written}\n")
    assert [e.since for e in roster.entries] == [expected]


@pytest.mark.parametrize("written, message", [
    ("2025-02-30", "纳入日期“2025-02-30”不是有效日期：应为 YYYY-MM-DD（如 2026-03-01）或 YYYY-MM"),
    ("去年三月", "纳入日期“去年三月”不是有效日期：应为 YYYY-MM-DD（如 2026-03-01）或 YYYY-MM"),
    ("2025-13", "纳入日期“2025-13”不是有效日期：应为 YYYY-MM-DD（如 2026-03-01）或 YYYY-MM"),
    ("2026-12-01", "纳入日期 2026-12-01 晚于今天，请核对"),
])
def test_a_bad_date_is_a_problem_on_its_row(written, message):
    roster = read_csv_text(f"身份证号,纳入日期\n{B},2025-01-01\n{A},{written}\n")
    assert [e.id_number for e in roster.entries] == [B]
    assert problems_of(roster) == [(3, "纳入日期", message)]


def test_an_xlsx_written_with_free_titles_reads_with_excel_date_cells_and_numbers():
    data = write_xlsx({"名单": [
        {"姓名": "张三", "公民身份号码": A, "纳入日期": "2024-06", "救助类型": "特困"},
        {"姓名": "李四", "公民身份号码": int(C15), "纳入日期": None, "救助类型": None},  # a 15-digit number typed as a number
    ]}, titles={"名单": ["姓名", "救助类型", "公民身份号码", "纳入日期"]})
    roster = read_roster(data, "民政名单.xlsx", today=TODAY)
    assert roster.problems == []
    assert entries_of(roster) == [(2, A, "tekun", dt.date(2024, 6, 1), "张三"), (3, C, "dibao", None, "李四")]


def test_an_xlsx_date_cell_and_several_sheets_are_read_and_duplicates_found_across_them():
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    first.title = "低保"
    first.append(["身份证号", "纳入日期"])
    first.append([A, dt.datetime(2023, 5, 6)])
    second = book.create_sheet("特困")
    second.append(["身份证号码", "救助类型"])
    second.append([B, "特困"])
    second.append([A, "特困"])
    book.create_sheet("说明").append(["本名单由民政局提供"])
    buffer = BytesIO()
    book.save(buffer)
    roster = read_roster(buffer.getvalue(), "名单.xlsx", today=TODAY)
    assert [(e.sheet, e.row, e.id_number, e.programme, e.since) for e in roster.entries] == [
        ("低保", 2, A, "dibao", dt.date(2023, 5, 6)), ("特困", 2, B, "tekun", None)]
    assert [(p.where, p.message) for p in roster.problems] == [
        ("工作表“特困”第 3 行", "与工作表“低保”第 2 行重复（同一人只应出现一次），本行未处理")]


def test_an_18_digit_number_excel_turned_into_a_number_is_refused_not_guessed():
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["身份证号"])
    book.active.append([float(A[:17] + "0")])  # Excel keeps 15 significant digits: the last ones are gone
    buffer = BytesIO()
    book.save(buffer)
    roster = read_roster(buffer.getvalue(), "名单.xlsx", today=TODAY)
    assert roster.entries == []
    assert [p.row for p in roster.problems] == [2] and "存成了数字" in roster.problems[0].message
    csv_roster = read_csv_text("身份证号\n1.30302E+17\n")  # the same number in a CSV that Excel saved
    assert [p.row for p in csv_roster.problems] == [2] and "存成了数字" in csv_roster.problems[0].message


@pytest.mark.parametrize("name, data", [("名单.xls", b"\xd0\xcf\x11\xe0"), ("名单.xlsx", b"not a workbook")])
def test_a_file_that_cannot_be_read_says_so(name, data):
    roster = read_roster(data, name, today=TODAY)
    assert roster.entries == [] and len(roster.problems) == 1 and roster.problems[0].row is None


def test_an_xls_roster_is_read_like_an_xlsx():
    from pathlib import Path

    data = (Path(__file__).resolve().parents[1] / "fixtures" / "spreadsheet-sample.xls").read_bytes()  # saved by LibreOffice
    roster = read_roster(data, "民政名单.xls", today=TODAY)
    # read, sheet by sheet: the sample has no 身份证号 column of a roster (its heads are 户主身份证号), and says so
    assert len(roster.problems) == 1 and roster.problems[0].message.startswith("找不到“身份证号”列")

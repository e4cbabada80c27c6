"""The workbook format: headers in any order, extra columns, with or without the explanation row, CSV encodings,
formula-looking text kept as text."""

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from core.importing import parse
from core.typed import INVALID, as_date
from core.workbook import INCOMES, read_file, write_csv, write_xlsx


def _xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "月收入"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_sheet_of_ones_own_reads_like_the_template():
    own = _xlsx([["备注", "家庭人口", "月份", "档案编号 *", "家庭月收入(元)"],  # any order, an extra column, a star
                 ["自己的备注", 3, "2026-01", "HG-1", 1800.5],
                 [None, None, None, None, None],                       # a blank row is skipped
                 ["", 2, "2026-02", "HG-1", "1,200"]])
    sheets, problems = read_file(own, "我的表.xlsx")
    assert problems == []
    # the row numbers are those Excel shows (the blank row 3 is skipped, the last row is row 4)
    assert [(n, r["file_no"], r["month"], int(r["persons"])) for n, r in sheets["月收入"].rows] == [(2, "HG-1", "2026-01", 3), (4, "HG-1", "2026-02", 2)]
    template = write_xlsx({"月收入": [{"file_no": "HG-1", "month": "2026-01", "income": "1800.50", "persons": 3}]}, template=True)
    sheets, problems = read_file(template, "模板.xlsx")
    assert problems == [] and [n for n, _ in sheets["月收入"].rows] == [3]  # the explanation row (row 2) is not data


def test_a_missing_required_column_or_an_unknown_file_is_said_plainly():
    _, problems = read_file(_xlsx([["档案编号", "月份"], ["HG-1", "2026-01"]]), "x.xlsx")
    assert "缺少必填列：家庭月收入(元)、家庭人口" in problems[0].message and problems[0].row == 1
    _, problems = read_file(b"not a workbook", "x.xlsx")
    assert "无法读取" in problems[0].message
    _, problems = read_file(b"", "x.ods")
    assert "只能导入" in problems[0].message and ".xls" in problems[0].message
    _, problems = read_file(b"not a workbook", "x.xls")
    assert "无法读取" in problems[0].message
    _, problems = read_file("档案编号\n".encode(), "名单.csv")
    assert "哪个工作表" in problems[0].message


def test_csv_in_utf8_with_or_without_bom_and_in_gb18030():
    text = "档案编号,月份,家庭月收入(元),家庭人口\nHG-1,2026-01,1800.50,3\n"
    for data in (text.encode("utf-8-sig"), text.encode("utf-8"), text.encode("gb18030")):
        sheets, problems = read_file(data, "月收入.csv")
        assert problems == [] and sheets["月收入"].rows[0][1]["file_no"] == "HG-1"


def test_text_that_looks_like_a_formula_stays_text():
    data = write_xlsx({"月收入": [{"file_no": "=1+1", "head_id_number": "=A1", "month": "@SUM(A1)", "income": "-2+3", "persons": "+86"}]})
    cells = load_workbook(io.BytesIO(data))["月收入"][2]
    assert [(c.value, c.data_type) for c in cells[:5]] == [("=1+1", "s"), ("=A1", "s"), ("@SUM(A1)", "s"), ("-2+3", "s"), ("+86", "s")]
    assert write_csv(["姓名"], [["=HYPERLINK(\"x\")"], ["王芳"]]).decode("utf-8-sig").splitlines()[1:] == ["\"'=HYPERLINK(\"\"x\"\")\"", "王芳"]
    assert [c.header for c in INCOMES.columns][:3] == ["档案编号", "户主身份证号", "月份"]


def test_a_csv_says_which_sheet_it_is_by_its_headers_and_dates_read_as_people_write_them():
    import datetime as dt

    from core.typed import as_date
    from core.workbook import guess_sheet

    assert guess_sheet("家庭人口,档案编号,月份,家庭月收入(元)\nHG-1,2026-01,1,2\n".encode("gb18030")) == "月收入"
    assert guess_sheet("档案编号,姓名,关系\n".encode()) == "家庭成员" and guess_sheet(b"a,b\n") is None
    assert as_date("2025/5/6") == as_date("2025年5月6日") == as_date("2025-05-06") == dt.date(2025, 5, 6)
    assert as_date("2025/13/6") != dt.date(2025, 1, 6) and as_date("5/6/2025") not in (None, dt.date(2025, 5, 6))


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"  # written by LibreOffice, not by us (see its README)


def _parsed_files(data: bytes, filename: str, sheet: str | None = None) -> list[tuple]:
    sheets, problems = read_file(data, filename, sheet)
    assert problems == [], problems
    parsed = parse(sheets, dt.date(2026, 11, 29))
    assert parsed.problems == [], parsed.problems
    return [(f.row, f.head["name"], f.head["id_number"], f.place_code, f.filed_on, f.causes) for f in parsed.files]


def test_an_xls_and_a_csv_written_by_a_spreadsheet_program_read_the_same_rows_as_the_xlsx():
    xlsx = _parsed_files((FIXTURES / "spreadsheet-sample.xlsx").read_bytes(), "spreadsheet-sample.xlsx")
    assert [(r[1], r[3], r[4]) for r in xlsx] == [("样例户一", "130302", dt.date(2021, 1, 15)), ("样例户二", "130322", dt.date(2021, 2, 20))]
    assert _parsed_files((FIXTURES / "spreadsheet-sample.xls").read_bytes(), "spreadsheet-sample.xls") == xlsx
    sheets, _ = read_file((FIXTURES / "spreadsheet-sample.xls").read_bytes(), "样例.XLS")
    assert set(sheets) == {"家庭档案", "低保标准"} and len(sheets["低保标准"].rows) == 1
    csv_file = FIXTURES / "spreadsheet-sample-家庭档案.csv"
    assert _parsed_files(csv_file.read_bytes(), csv_file.name) == xlsx


@pytest.mark.parametrize("text, expected", [
    ("2021-01-15 0:00:00", dt.date(2021, 1, 15)),     # LibreOffice's CSV of a date cell
    ("2021/1/15 0:00", dt.date(2021, 1, 15)),         # Excel's, in a Chinese locale
    ("2021-01-15 00:00", dt.date(2021, 1, 15)),
    ("2021-01-15T00:00:00", dt.date(2021, 1, 15)),
    ("2021.1.15 12:30:05", dt.date(2021, 1, 15)),     # a time of day is not part of the date
    ("2021年1月15日 0:00", dt.date(2021, 1, 15)),
    ("2021-01-15 24:00", INVALID),
    ("2021-01-15 0:60", INVALID),
    ("2021-02-30 0:00:00", INVALID),
    ("0:00:00", INVALID),
])
def test_dates_with_the_time_of_day_a_spreadsheet_adds(text, expected):
    assert as_date(text) == expected


def test_a_csv_saved_by_a_spreadsheet_program_with_its_dates_and_months_imports():
    # as LibreOffice re-saves a sheet: dates with a time, a month it took for a date
    text = ("档案编号,户主姓名,户主身份证号,区县,建档日期,状态,主要致困原因\n"
            "HG-1,王一,11010519491231002X,海港区,2021/1/15 0:00,在档,下岗失业\n")
    sheets, problems = read_file(text.encode(), "家庭档案.csv")
    parsed = parse(sheets, dt.date(2026, 11, 29))
    assert problems == [] and parsed.problems == [] and parsed.files[0].filed_on == dt.date(2021, 1, 15)
    text = "档案编号,月份,家庭月收入(元),家庭人口\nHG-1,2026-03-01 0:00:00,1800,3\nHG-1,2026-04-15 0:00:00,1800,3\n"
    sheets, _ = read_file(text.encode(), "月收入.csv")
    parsed = parse(sheets, dt.date(2026, 11, 29))
    assert [v["month"] for _, _, v in parsed.incomes] == [dt.date(2026, 3, 1)]
    assert [(p.row, p.column) for p in parsed.problems] == [(3, "月份")]  # the 15th is not a month


def test_another_sheet_names_its_household_by_number_or_by_the_heads_id_number():
    _, problems = read_file(_xlsx([["月份", "家庭月收入(元)", "家庭人口"], ["2026-01", 1800, 3]]), "x.xlsx")
    assert "缺少必填列：档案编号 或 户主身份证号" in problems[0].message
    sheets, problems = read_file(_xlsx([["档案编号", "户主身份证号", "月份", "家庭月收入(元)", "家庭人口"],
                                        ["hg-1", None, "2026-01", 1800, 3],
                                        [None, "11010519491231002x", "2026-01", 1800, 3],   # a lower-case x: normalised
                                        [None, None, "2026-02", 1800, 3],
                                        [None, "110105194912310021", "2026-03", 1800, 3]]), "x.xlsx")
    parsed = parse(sheets, dt.date(2026, 11, 29))
    assert [ref for _, ref, _ in parsed.incomes] == ["HG-1", "#11010519491231002X"]
    assert [(p.row, p.column) for p in parsed.problems] == [(4, "档案编号"), (5, "户主身份证号")]
    assert parsed.problems[0].message == "“档案编号”或“户主身份证号”须至少填一项（本工作簿中新建的户填户主身份证号即可）"
    assert parsed.problems[1].message.startswith("户主身份证号“110105194912310021”：")  # a wrong check character


# --- hostile workbooks (issue 11): refused before the reader builds their rectangle ------------------------------


def _one_far_cell(ref: str = "XFD1048576", keep_dimension: bool = True) -> bytes:
    """A 2 KB .xlsx whose only cell is far away — the file that used to take the reader gigabytes, or abort it."""
    import re
    import zipfile

    book = Workbook()
    book.active.title = "月收入"
    book.active[ref] = "x"
    buffer = io.BytesIO()
    book.save(buffer)
    if keep_dimension:
        return buffer.getvalue()
    source, out = zipfile.ZipFile(io.BytesIO(buffer.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            data = source.read(part)
            if part.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<dimension [^>]*/>", b"", data)
            target.writestr(part, data)
    return out.getvalue()


@pytest.mark.parametrize("keep_dimension", [True, False])
def test_a_workbook_whose_used_range_is_absurd_is_refused_with_what_to_do(keep_dimension):
    from core.roster import read_roster

    data = _one_far_cell(keep_dimension=keep_dimension)
    assert len(data) < 10_000
    sheets, problems = read_file(data, "收入.xlsx")
    assert sheets == {} and len(problems) == 1
    assert "第 1,048,576 行、第 16,384 列" in problems[0].message and "超出可导入的范围" in problems[0].message
    roster = read_roster(data, "民政名单.xlsx", today=dt.date(2026, 12, 1))
    assert roster.entries == [] and "超出可导入的范围" in roster.problems[0].message


def test_a_far_but_plausible_cell_still_reads():
    sheets, problems = read_file(_one_far_cell("E2000"), "收入.xlsx")
    assert not any("超出可导入的范围" in p.message for p in problems)


def test_a_file_that_unpacks_to_far_more_than_it_weighs_is_refused_before_it_is_read(monkeypatch):
    import zipfile

    from core import workbook

    monkeypatch.setattr(workbook, "MAX_UNPACKED_BYTES", 1_000_000)  # a real bomb unpacks to gigabytes; the rule is the same
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("xl/worksheets/sheet1.xml", b"<c/>" * 1_000_000)
    assert len(buffer.getvalue()) < 50_000
    _, problems = read_file(buffer.getvalue(), "收入.xlsx")
    assert [p.message for p in problems] == ["该文件解压后超过 1 GB，不像是正常的工作簿：请只保留需要导入的工作表，另存后再上传"]


def test_a_header_given_twice_is_refused_never_read_from_one_of_them():
    data = write_csv(["档案编号", "月份", "家庭月收入(元)", "家庭人口", "月份"], [["HG-1", "2026-01", "100", "1", "2026-02"]])
    sheets, problems = read_file(data, "月收入.csv")
    assert sheets["月收入"].rows == [] and [(p.sheet, p.row, p.column) for p in problems] == [("月收入", 1, "月份")]
    assert problems[0].message == "表头“月份”出现了两次（第 B 列和第 E 列）：请删除或改名其中一列"


def _income(file_no: str, month: str, income="1800", persons=3) -> dict:
    return {"file_no": file_no, "month": month, "income": income, "persons": persons}


def test_the_streamed_workbook_splits_incomes_by_year_and_past_a_sheets_limit_and_reads_back_as_one_table():
    from core.workbook import HOUSEHOLDS, StreamingWorkbook

    buffer = io.BytesIO()
    book = StreamingWorkbook(buffer, sheet_rows=3)  # a sheet's limit forced down to 3 rows
    book.write(HOUSEHOLDS, [{"file_no": "HG-1", "name": "=HYPERLINK(\"x\")", "persons": 3, "floor_area": "<65 & 5>"}])
    book.write_years(INCOMES, [(2025, [_income("HG-1", "2025-12")]), (2026, [_income("HG-1", f"2026-0{m}") for m in range(1, 8)]),
                               (2027, [])])  # an empty year: no sheet
    book.close()
    data = buffer.getvalue()
    names = load_workbook(io.BytesIO(data)).sheetnames
    assert names == ["家庭档案", "月收入2025", "月收入2026-1", "月收入2026-2", "月收入2026-3"]
    cell = load_workbook(io.BytesIO(data))["家庭档案"]["B2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("x")', "s")  # text, never a formula
    sheets, problems = read_file(data, "导出.xlsx")
    assert problems == []
    assert [v["month"] for _, v in sheets["月收入"].rows] == ["2025-12"] + [f"2026-0{m}" for m in range(1, 8)]
    assert sheets["家庭档案"].rows[0][1]["floor_area"] == "<65 & 5>" and sheets["家庭档案"].rows[0][1]["persons"] == 3
    # each row remembers the sheet and row Excel shows
    assert [(r.sheet, int(r)) for r, _ in sheets["月收入"].rows][:3] == [("月收入2025", 2), ("月收入2026-1", 2), ("月收入2026-1", 3)]
    first, second = sheets["月收入"].rows[0][0], sheets["月收入"].rows[1][0]
    assert first == 2 and first != second and len({first, second}) == 2  # row 2 of two sheets: two rows
    empty = io.BytesIO()
    nothing = StreamingWorkbook(empty)
    nothing.write_years(INCOMES, [])
    nothing.close()
    assert load_workbook(io.BytesIO(empty.getvalue())).sheetnames == ["月收入"]  # no incomes: the plain sheet, as the template


def test_a_problem_in_a_split_income_sheet_names_that_sheet_and_its_row():
    data = write_xlsx({"月收入": [_income("HG-1", "2024-01")],  # the plain sheet still reads, beside the years
                       "月收入2025": [_income("HG-1", "2025-01"), _income("HG-1", "2025-02", income="很多")],
                       "月收入2026-2": [_income("HG-1", "2025-01")]})
    sheets, problems = read_file(data, "导出.xlsx")
    assert problems == [] and len(sheets["月收入"].rows) == 4
    found = parse(sheets, dt.date(2026, 6, 30)).problems
    assert [(p.sheet, p.row, p.column) for p in found] == [("月收入2025", 3, "家庭月收入(元)"), ("月收入2026-2", 2, "月份")]
    assert "与工作表“月收入2025”第 2 行重复" in found[1].message  # the first of the two is on another sheet
    misnamed = write_xlsx({"月收入": [_income("HG-1", "2024-01")]})
    book = load_workbook(io.BytesIO(misnamed))
    book["月收入"].title = "月收入（旧）"
    buffer = io.BytesIO()
    book.save(buffer)
    _, problems = read_file(buffer.getvalue(), "导出.xlsx")  # a sheet that looks like incomes is never left out silently
    assert len(problems) == 1 and problems[0].sheet == "月收入（旧）" and "月收入2019" in problems[0].message

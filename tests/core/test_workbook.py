"""The workbook format: headers in any order, extra columns, with or without the explanation row, CSV encodings,
formula-looking text kept as text."""

import io

from openpyxl import Workbook, load_workbook

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
    _, problems = read_file(b"", "x.xls")
    assert ".xlsx" in problems[0].message
    _, problems = read_file("档案编号\n".encode(), "名单.csv")
    assert "哪个工作表" in problems[0].message


def test_csv_in_utf8_with_or_without_bom_and_in_gb18030():
    text = "档案编号,月份,家庭月收入(元),家庭人口\nHG-1,2026-01,1800.50,3\n"
    for data in (text.encode("utf-8-sig"), text.encode("utf-8"), text.encode("gb18030")):
        sheets, problems = read_file(data, "月收入.csv")
        assert problems == [] and sheets["月收入"].rows[0][1]["file_no"] == "HG-1"


def test_text_that_looks_like_a_formula_stays_text():
    data = write_xlsx({"月收入": [{"file_no": "=1+1", "month": "@SUM(A1)", "income": "-2+3", "persons": "+86"}]})
    cells = load_workbook(io.BytesIO(data))["月收入"][2]
    assert [(c.value, c.data_type) for c in cells[:4]] == [("=1+1", "s"), ("@SUM(A1)", "s"), ("-2+3", "s"), ("+86", "s")]
    assert write_csv(["姓名"], [["=HYPERLINK(\"x\")"], ["王芳"]]).decode("utf-8-sig").splitlines()[1:] == ["\"'=HYPERLINK(\"\"x\"\")\"", "王芳"]
    assert [c.header for c in INCOMES.columns][:2] == ["档案编号", "月份"]


def test_a_csv_says_which_sheet_it_is_by_its_headers_and_dates_read_as_people_write_them():
    import datetime as dt

    from core.typed import as_date
    from core.workbook import guess_sheet

    assert guess_sheet("家庭人口,档案编号,月份,家庭月收入(元)\nHG-1,2026-01,1,2\n".encode("gb18030")) == "月收入"
    assert guess_sheet("档案编号,姓名,关系\n".encode()) == "家庭成员" and guess_sheet(b"a,b\n") is None
    assert as_date("2025/5/6") == as_date("2025年5月6日") == as_date("2025-05-06") == dt.date(2025, 5, 6)
    assert as_date("2025/13/6") != dt.date(2025, 1, 6) and as_date("5/6/2025") not in (None, dt.date(2025, 5, 6))

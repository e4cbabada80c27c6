"""The workbook format: one contract for templates, imports and exports (sheets, headers, explanations).

Sheets are matched by name and columns by header, in any order; a trailing `*` marks a required
column and is not part of the name; extra columns are ignored. A template has a row of
explanations under the headers; a workbook pasted by hand without that row reads the same.
Cells are read as values (never formulas), and any text written that begins with = + - @ is
written as text, so a name can never run as a formula in Excel.

Pure: bytes in, rows out (and rows in, bytes out) — no database.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from core import codes

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 1_048_575  # as many as an Excel sheet holds


@dataclass(frozen=True)
class Column:
    header: str                       # as users read it (the template adds " *" when required)
    key: str                          # the field it feeds
    required: bool = False
    note: str = ""                    # the explanation row of the template
    choices: codes.CodeList | None = None  # a code list: the template offers its labels in a drop-down


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    either: tuple[str, ...] = ()      # keys of columns of which each row must fill one (档案编号 or 户主身份证号)

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


YES_NO = {"yes": "是", "no": "否"}


def _c(header, key, required=False, note="", choices=None) -> Column:
    return Column(header, key, required, note, choices)


HOUSEHOLDS = Sheet("家庭档案", (
    _c("档案编号", "file_no", False, "新建的户可留空，由系统编号；更新已有档案时必填"),
    _c("户主姓名", "name", True, "与身份证一致"),
    _c("户主身份证号", "id_number", True, "18位（15位旧号自动转换），末位X大写小写均可"),
    _c("区县", "place", True, "区县名称或代码，如 海港区 或 130302"),
    _c("所属工会", "org", False, "工会全称；留空为所在区县总工会"),
    _c("建档日期", "filed_on", False, "YYYY-MM-DD；新申请留空，其他系统中已在档的户必填"),
    _c("状态", "status", False, "新建的户留空即为申请中（再办理建档步骤）；其他系统中已在档的户填“在档”并填建档日期，"
                                 "作为导入的历史档案（须附月收入）；更新已有档案时留空或与档案一致", codes.HOUSEHOLD_STATUS),
    _c("家庭人口", "persons", False, "含户主"),
    _c("困难类别", "category", False, "新建的户由系统按收入认定（此列不取）；更新已有档案时可填", codes.CATEGORY),
    _c("主要致困原因", "main_cause", True, "从下拉列表选择", codes.CAUSE),
    _c("次要致困原因", "other_causes", False, "最多3个，用；分隔"),
    _c("五类重点群体", "key_group", False, "", codes.KEY_GROUP),
    _c("难以脱困", "hard_to_exit", False, "是/否", YES_NO),
    _c("手机号码", "mobile", False, "11位"),
    _c("工作单位", "employer"),
    _c("统一社会信用代码", "employer_uscc", False, "18位"),
    _c("职工编号", "worker_no"),
    _c("民族", "ethnicity", False, "", codes.ETHNICITY),
    _c("政治面貌", "political_status", False, "", codes.POLITICAL_STATUS),
    _c("健康状况", "health", False, "", codes.HEALTH),
    _c("残疾类别", "disability_kind", False, "", codes.DISABILITY_KIND),
    _c("残疾等级", "disability_grade", False, "", codes.DISABILITY_GRADE),
    _c("工作状态", "work_status", False, "", codes.WORK_STATUS),
    _c("劳模类型", "model_worker", False, "", codes.MODEL_WORKER),
    _c("住房类型", "housing", False, "", codes.HOUSING),
    _c("建筑面积", "floor_area", False, "平方米"),
    _c("单位性质", "employer_kind", False, "", codes.EMPLOYER_KIND),
    _c("所属行业", "industry", False, "", codes.INDUSTRY),
    _c("婚姻状况", "marital", False, "", codes.MARITAL),
    _c("户口类型", "hukou", False, "", codes.HUKOU),
    _c("家庭住址", "address"),
    _c("户口所在地", "hukou_division"),
    _c("医保状况", "medical_insurance", False, "", codes.MEDICAL_INSURANCE),
    _c("是否单亲", "single_parent", False, "是/否", YES_NO),
    _c("是否零就业家庭", "zero_employment", False, "是/否", YES_NO),
    _c("是否有一定自救能力", "self_help_ability", False, "是/否（默认是）", YES_NO),
    _c("开户银行", "bank_name"),
    _c("银行卡号", "bank_account"),
))
FILE_OR_HEAD = ("file_no", "head_id_number")
FILE_NO_NOTE = "已有档案的档案编号；与户主身份证号至少填一项"


def _file_columns() -> tuple[Column, Column]:
    """How a row of another sheet names its household: by 档案编号, or by the head's 身份证号 (a household new in this
    workbook has no number yet: the system assigns it)."""
    return (_c("档案编号", "file_no", False, FILE_NO_NOTE),
            _c("户主身份证号", "head_id_number", False, "与档案编号至少填一项：本工作簿中新建的户填户主身份证号即可"))


MEMBERS = Sheet("家庭成员", (
    *_file_columns(),
    _c("姓名", "name", True),
    _c("关系", "relation", True, "与户主的关系", codes.RELATION),
    _c("身份证号", "id_number", False, "18位；没有身份证号的（如幼儿）可留空，按姓名对应"),
    _c("健康状况", "health", False, "", codes.HEALTH),
    _c("月收入(元)", "monthly_income", False, "元，最多两位小数"),
    _c("身份", "identity", False, "", codes.MEMBER_IDENTITY),
), FILE_OR_HEAD)
INCOMES = Sheet("月收入", (
    *_file_columns(),
    _c("月份", "month", True, "YYYY-MM"),
    _c("家庭月收入(元)", "income", True, "元，最多两位小数"),
    _c("家庭人口", "persons", True, "当月家庭人口"),
    _c("其中转移性收入(元)", "transfer", False, "低保金、养老金等，含在家庭月收入内"),
), FILE_OR_HEAD)
CAUSES_REMOVED = Sheet("致困原因消除", (
    *_file_columns(),
    _c("致困原因", "cause", True, "档案上已有的致困原因", codes.CAUSE),
    _c("消除日期", "removed_on", True, "YYYY-MM-DD"),
), FILE_OR_HEAD)
LINES = Sheet("低保标准", (
    _c("区县", "place", True, "区县名称或代码"),
    _c("生效日期", "effective_from", True, "YYYY-MM-DD"),
    _c("标准(元/人·月)", "amount", True, "元"),
))
MEASURES = Sheet("帮扶措施", (
    *_file_columns(),
    _c("措施类别", "track", True, "", codes.TRACK),
    _c("项目", "programme", False, "", codes.PROGRAMME),
    _c("针对致困原因", "cause", False, "四个一批必填，送温暖可空", codes.CAUSE),
    _c("内容", "content", True, "做什么、怎么做"),
    _c("状态", "status", True, "", codes.MEASURE_STATUS),
    _c("开始日期", "start_on", True, "YYYY-MM-DD"),
    _c("结束日期", "end_on", False, "YYYY-MM-DD"),
    _c("责任人", "responsible"),
    _c("金额(元)", "amount", False, "一次性发放的金额"),
    _c("资金来源", "fund_source", False, "填了金额时必填", codes.FUND_SOURCE),
    _c("发放日期", "first_pay_on", False, "YYYY-MM-DD"),
), FILE_OR_HEAD)
VISITS = Sheet("走访记录", (
    *_file_columns(),
    _c("走访日期", "visited_on", True, "YYYY-MM-DD"),
    _c("走访人", "visitor", True),
    _c("方式", "kind", True, "", codes.VISIT_KIND),
    _c("情况记录", "notes", True),
), FILE_OR_HEAD)

ASSISTANCE = Sheet("救助记录", (  # 纳入政府救助体系, one row per programme and period
    *_file_columns(),
    _c("救助项目", "programme", True, "低保/特困供养/临时救助/医疗救助/受灾人员救助/教育救助/住房救助/就业救助",
       codes.ASSISTANCE_PROGRAMME),
    _c("起始日期", "from_on", True, "纳入日期 YYYY-MM-DD"),
    _c("截止日期", "to_on", False, "YYYY-MM-DD；仍在享受的留空"),
    _c("来源", "source", False, "民政部门名单比对/入户调查/导入/手工录入；留空为导入", codes.ASSISTANCE_SOURCE),
    _c("说明", "note"),
), FILE_OR_HEAD)

SHEETS: dict[str, Sheet] = {s.name: s for s in (HOUSEHOLDS, MEMBERS, INCOMES, CAUSES_REMOVED, LINES, MEASURES, VISITS, ASSISTANCE)}
TEXT_COLUMNS = {"file_no", "id_number", "head_id_number", "mobile", "bank_account", "employer_uscc", "month"}


GUESS_BYTES = 1 << 16  # the header row is near the top: a guess never reads a whole (possibly huge) upload


def guess_sheet(data: bytes) -> str | None:
    """The sheet a CSV holds, from its headers: the one whose required columns are all there (most columns wins)."""
    head = data[:GUESS_BYTES]
    if len(data) > GUESS_BYTES and b"\n" in head:
        head = head[:head.rindex(b"\n")]  # whole lines only, so no character is cut in two
    try:
        first = next(iter(read_csv(head)), [])
    except (UnicodeDecodeError, csv.Error):
        return None
    headers = {header_key(h) for h in first}
    fits = [(sum(header_key(c.header) in headers for c in s.columns), name) for name, s in SHEETS.items()
            if all(header_key(c.header) in headers for c in s.columns if c.required)]
    return max(fits)[1] if fits else None


# --- reading --------------------------------------------------------------------------------------


@dataclass
class Problem:
    """One thing wrong with the file, where Excel shows it."""

    sheet: str
    row: int | None       # the row number Excel shows (1 = the header row); None: the whole sheet
    column: str | None    # the header
    message: str

    def __post_init__(self):
        # a row of a split 月收入 sheet (SheetRow) reported under the format's sheet name names its own sheet
        if isinstance(self.row, SheetRow):
            if sheet_kind(self.row.sheet) == self.sheet:
                self.sheet = self.row.sheet
            self.row = int(self.row)

    def where(self) -> str:
        parts = [f"工作表“{self.sheet}”"]
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column:
            parts.append(f"“{self.column}”列")
        return " ".join(parts)


@dataclass
class Rows:
    """A sheet as read: each row's Excel row number and its values by column key."""

    sheet: Sheet
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def header_key(text: Any) -> str:
    """A header as typed, without the required mark and spaces: "户主姓名 *" → "户主姓名"."""
    return str(text or "").replace("*", "").replace("＊", "").strip()


def _is_explanation(sheet: Sheet, values: dict[str, Any]) -> bool:
    notes = {c.key: c.note for c in sheet.columns if c.note}
    filled = {k: v for k, v in values.items() if v not in (None, "")}
    return bool(filled) and all(notes.get(k) == str(v).strip() for k, v in filled.items())


# columns of earlier versions of the format whose data now lives elsewhere: refused when filled, never dropped silently
RETIRED: dict[str, dict[str, str]] = {
    "家庭档案": {"纳入低保": "“纳入低保”列已停用（纳入政府救助体系须有起止日期）：请删除该列，在“救助记录”工作表中按救助项目"
                          "填写起始日期和截止日期"},
}
RETIRED_EMPTY = ("", "否")  # what a retired column may hold and still be ignored


def _rows(sheet: Sheet, table: list[list[Any]], problems: list[Problem], name: str | None = None) -> Rows:
    """A sheet's rows; `name` is the workbook sheet they come from when it is not the format's own (月收入2019): each row
    number is then a SheetRow, so that every problem names that sheet."""
    out = Rows(sheet)
    name = name or sheet.name
    if not table:
        problems.append(Problem(name, None, None, "工作表是空的：第一行应为表头"))
        return out
    by_header = {header_key(c.header): c for c in sheet.columns}
    positions: dict[int, Column] = {}
    for index, text in enumerate(table[0]):
        column = by_header.get(header_key(text))
        if column is None:
            continue
        twice = next((i for i, c in positions.items() if c is column), None)
        if twice is not None:  # which of the two holds the data is anyone's guess: refuse, never pick one silently
            problems.append(Problem(name, 1, column.header, f"表头“{column.header}”出现了两次（第 {column_letter(twice + 1)} 列和第 "
                                    f"{column_letter(index + 1)} 列）：请删除或改名其中一列"))
            return out
        positions[index] = column
    retired = {index: header_key(text) for index, text in enumerate(table[0]) if header_key(text) in RETIRED.get(sheet.name, {})}
    for index, header in retired.items():
        filled = next((n for n, cells in enumerate(table[1:], start=2)
                       if index < len(cells) and str(cells[index] if cells[index] is not None else "").strip() not in RETIRED_EMPTY), None)
        if filled is not None:
            problems.append(Problem(name, filled, header, RETIRED[sheet.name][header]))
    missing = [c.header for c in sheet.columns if c.required and c not in positions.values()]
    if sheet.either and not any(c.key in sheet.either for c in positions.values()):
        missing.append(" 或 ".join(sheet.column(k).header for k in sheet.either))
    if missing:
        problems.append(Problem(name, 1, None, "缺少必填列：" + "、".join(missing) + "（表头须与模板一致，顺序不限）"))
        return out
    for number, cells in enumerate(table[1:], start=2):
        values = {c.key: cells[i] if i < len(cells) else None for i, c in positions.items()}
        for key, value in values.items():
            if isinstance(value, str):
                value = value.strip()
                if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_START:
                    value = value[1:]  # the quote our CSV export puts before formula-looking text
                values[key] = value
        if all(v in (None, "") for v in values.values()):
            continue  # blank rows between blocks of data
        if number == 2 and _is_explanation(sheet, values):
            continue  # the template's explanation row
        out.rows.append((number if name == sheet.name else SheetRow(number, name), values))
        if len(out.rows) > MAX_ROWS:
            problems.append(Problem(name, number, None, f"一个工作表最多 {MAX_ROWS:,} 行，请分批导入"))
            break
    return out


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")  # .xls: Excel 97–2003, still what many offices send
UPLOAD_TYPES = ["xlsx", "xls", "csv"]            # what the pages' uploaders accept


def is_workbook(filename: str | None) -> bool:
    return (filename or "").lower().endswith(WORKBOOK_SUFFIXES)


# What an uploaded .xlsx may declare before it is opened. The reader builds each sheet's whole rectangle from A1 to its
# last cell, so one cell at XFD1048576 in a 2 KB file would cost gigabytes (or abort the process): refused up front.
MAX_CELLS = 30_000_000                  # rows × columns of one sheet's used range
MAX_UNPACKED_BYTES = 1_000_000_000      # all parts of the file, unpacked (a zip bomb is refused before it is read)
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="\$?([A-Z]{1,3})\$?(\d{1,7})(?::\$?([A-Z]{1,3})\$?(\d{1,7}))?"')
_CELL_REF = re.compile(rb'<(?:\w+:)?c\s[^>]*?r="([A-Z]{1,3})(\d{1,7})"')


class Unreadable(ValueError):
    """A file that cannot be read as it is; the message says so and what to do, in Chinese."""


class WorkbookTooLarge(Unreadable):
    """An upload whose declared size the reader must not attempt; the message says what to do, in Chinese."""


def column_index(letters: str) -> int:
    """"A" → 1, "Z" → 26, "AA" → 27, "XFD" → 16384."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index


def column_letter(index: int) -> str:
    """1 → "A", 27 → "AA": the column's name as Excel shows it."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _last_cell(part) -> tuple[int, int]:
    """(last row, last column) of a worksheet part: its <dimension>, or, without one, the largest cell reference."""
    head = part.read(8192)
    found = _DIMENSION.search(head)
    if found:
        col, row = (found[3], found[4]) if found[3] else (found[1], found[2])
        return int(row), column_index(col.decode())
    rows = cols = 0
    tail = b""
    while True:
        chunk = head or part.read(1 << 20)
        head = b""
        if not chunk:
            return rows, cols
        text = tail + chunk
        for match in _CELL_REF.finditer(text):
            rows, cols = max(rows, int(match[2])), max(cols, column_index(match[1].decode()))
        tail = text[-256:]  # a reference cut by the chunk's end is read again with the next chunk


def check_extent(data: bytes) -> None:
    """Refuse an .xlsx whose unpacked size or used range is beyond what an import can mean (WorkbookTooLarge).
    Anything that is not a zip (an .xls, a damaged file) is left to the reader."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return
    parts = book.infolist()
    if sum(p.file_size for p in parts) > MAX_UNPACKED_BYTES:
        raise WorkbookTooLarge("该文件解压后超过 1 GB，不像是正常的工作簿：请只保留需要导入的工作表，另存后再上传")
    for part in parts:
        if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"):
            with book.open(part) as stream:
                rows, cols = _last_cell(stream)
            if rows * cols > MAX_CELLS:
                raise WorkbookTooLarge(
                    f"工作簿中有工作表的使用区域延伸到第 {rows:,} 行、第 {cols:,} 列（约 {rows * cols:,} 个单元格），超出可导入的范围："
                    "请删除数据以外的行和列（或把有数据的区域复制到新工作簿）后再上传")


# How a file's bytes become tables of cells: `read_tables` in this process, or the same function run in a child
# process with time and memory limits (file_sandbox.read_tables), which is what every upload and import goes through.
Reader = Callable[[bytes, str], dict[str, list[list[Any]]]]


def read_tables(data: bytes, kind: str) -> dict[str, list[list[Any]]]:
    """The cells of a file: kind "csv" gives its one table under "", "workbook" every sheet of an .xlsx/.xls by name.
    Raises WorkbookTooLarge (refused before reading), UnicodeDecodeError or csv.Error (a CSV in no known encoding),
    and anything at all for a damaged workbook."""
    if kind == "csv":
        return {"": read_csv(data)}
    return read_xlsx(data)


def read_xlsx(data: bytes) -> dict[str, list[list[Any]]]:
    """Every sheet of an .xlsx (or .xls) file as rows of cell values (a formula cell gives its saved value; nothing
    is run). An .xlsx declaring an absurd size is refused first (`check_extent`, WorkbookTooLarge).

    Read with calamine (a Rust reader, about ten times faster than openpyxl on large sheets; it reads .xls too)."""
    from python_calamine import CalamineWorkbook

    check_extent(data)

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {name: [[_plain_cell(v) for v in row] for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False)]
            for name in book.sheet_names}


def _plain_cell(value: Any) -> Any:
    """A cell as a person typed it: empty is None, a whole number typed into a number cell is its digits (1001, not
    1001.0), so file numbers and phone numbers typed as numbers read as text would."""
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), or GB18030 as Excel in China saves it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def read_csv(data: bytes) -> list[list[Any]]:
    return [row for row in csv.reader(io.StringIO(decode_csv(data)))]


def read_file(data: bytes, filename: str, sheet: str | None = None, *, reader: Reader = read_tables) -> tuple[dict[str, Rows], list[Problem]]:
    """The known sheets of an .xlsx/.xls, or one sheet saved as CSV (its sheet name given, or the file's name).
    `reader` turns the bytes into tables (an uploaded file: file_sandbox.read_tables, in a limited child process)."""
    problems: list[Problem] = []
    name = (filename or "").lower()
    if name.endswith(".csv"):
        target = sheet or next((s for s in SHEETS if s in filename), None)
        if target not in SHEETS:
            problems.append(Problem(sheet or filename, None, None, "CSV 文件请指明是哪个工作表（" + "、".join(SHEETS) + "）"))
            return {}, problems
        try:
            tables = {target: reader(data, "csv")[""]}
        except Unreadable as exc:
            problems.append(Problem(filename, None, None, str(exc)))
            return {}, problems
        except (UnicodeDecodeError, csv.Error):
            problems.append(Problem(filename, None, None, "无法读取该 CSV 文件：请在 Excel 中另存为“CSV UTF-8”或“CSV（逗号分隔）”后再上传"))
            return {}, problems
    elif is_workbook(name):
        try:
            tables = reader(data, "workbook")
        except Unreadable as exc:
            problems.append(Problem(filename, None, None, str(exc)))
            return {}, problems
        except Exception:  # a damaged or mislabelled file: say so, never crash
            problems.append(Problem(filename, None, None, "无法读取该文件：请确认是 Excel 工作簿（.xlsx 或 .xls），或另存为 CSV"))
            return {}, problems
        if sheet:
            tables = {k: v for k, v in tables.items() if sheet_kind(k) == sheet}
    else:
        problems.append(Problem(filename, None, None, "只能导入 Excel 工作簿（.xlsx 或 .xls）或 .csv 文件"))
        return {}, problems
    found = _known_sheets(tables, problems)
    if not found and not problems:
        problems.append(Problem(filename, None, None, "没有找到可导入的工作表：工作表名称应为 " + "、".join(SHEETS)))
    return found, problems


def _known_sheets(tables: dict[str, list[list[Any]]], problems: list[Problem]) -> dict[str, Rows]:
    """The format's sheets of a workbook, by the format's name: the 月收入 sheets of a split export (月收入2019, 月收入2020,
    月收入2019-2 …, in the workbook's order, with or without a plain 月收入) are read as one 月收入 table."""
    found: dict[str, Rows] = {}
    kinds = [sheet_kind(k) for k in tables]
    for name, table in tables.items():
        kind = sheet_kind(name)
        if kind is None:
            base = next((b for b in SPLITTABLE if str(name).strip().startswith(b)), None)
            if base:  # a misnamed part would be left out silently: say so
                problems.append(Problem(name, None, None, f"工作表名称“{name}”无法识别：应为“{base}”"
                                        + ("，或按年份命名，如“月收入2019”（一年超过一个工作表的，如“月收入2019-1”“月收入2019-2”）"
                                           if base == INCOMES.name else f"，或分为多个工作表时的“{base}-1”“{base}-2”……")))
            continue
        split = name != kind or kinds.count(kind) > 1  # its rows remember their sheet
        rows = _rows(SHEETS[kind], table, problems, name if split else None)
        if kind in found:
            found[kind].rows.extend(rows.rows)
        else:
            found[kind] = rows
    return found


# --- writing --------------------------------------------------------------------------------------


def safe_text(value: Any) -> Any:
    """Text that Excel (or a CSV opened in it) would run as a formula is kept as text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def column_width(header: str) -> int:
    """A column as wide as its header reads (a Chinese character takes two), within 10 to 40."""
    return max(10, min(40, 2 * len(header) + 4))


def write_xlsx(sheets: dict[str, list[dict[str, Any]]], *, template: bool = False, titles: dict[str, list[str]] | None = None) -> bytes:
    """A workbook of the format's sheets (rows keyed by column key), or of free tables (`titles`: sheet → headers,
    rows keyed by header). Strings are always written as text; a template adds the explanation row and drop-downs."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    book.remove(book.active)
    lists = None
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        if titles and name in titles:
            headers, keys, spec = titles[name], titles[name], None
        else:
            spec = SHEETS[sheet_kind(name) or name]  # 月收入2019: a year's sheet of the split form
            headers = [c.header + (" *" if c.required else "") for c in spec.columns]
            keys = [c.key for c in spec.columns]
        ws.append([_cell(h) for h in headers])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        first = 2
        if template and spec is not None:
            ws.append([c.note for c in spec.columns])
            for cell in ws[2]:
                cell.font = Font(italic=True, color="808080")
                cell.fill = PatternFill("solid", fgColor="F2F2F2")
                cell.alignment = Alignment(wrap_text=True)
            first = 3
        for row in rows:
            ws.append([_cell(row.get(k)) for k in keys])
        for index, cell in enumerate(ws[1], start=1):
            ws.column_dimensions[cell.column_letter].width = column_width(str(headers[index - 1]))
        for row in ws.iter_rows(min_row=first):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, even when it looks like a formula or a number
        ws.freeze_panes = ws.cell(row=first, column=1).coordinate  # the headers (and explanations) stay in view
        if template and spec is not None:
            for index, c in enumerate(spec.columns, start=1):
                if c.key in TEXT_COLUMNS:  # typed as text: Excel must not turn an ID number into 1.30302E+17
                    letter = ws.cell(row=1, column=index).column_letter
                    ws.column_dimensions[letter].number_format = "@"
                    for row in range(first, first + 2001):
                        ws.cell(row=row, column=index).number_format = "@"
            if lists is None:
                lists = book.create_sheet("代码表")
            for c in spec.columns:
                if not c.choices:
                    continue
                letter = ws.cell(row=1, column=spec.columns.index(c) + 1).column_letter
                col = lists.max_column + 1 if lists.max_row > 1 or lists["A1"].value else 1
                lists.cell(row=1, column=col, value=c.header)
                for i, label in enumerate(c.choices.values(), start=2):
                    lists.cell(row=i, column=col, value=label)
                ref = lists.cell(row=1, column=col).column_letter
                check = DataValidation(type="list", formula1=f"=代码表!${ref}$2:${ref}${len(c.choices) + 1}", allow_blank=True,
                                       showErrorMessage=True, errorTitle="请从列表中选择", error=f"“{c.header}”请从下拉列表中选择")
                ws.add_data_validation(check)
                check.add(f"{letter}{first}:{letter}{first + 2000}")
    if lists is not None:
        lists.sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# The control characters an .xlsx cell cannot hold (openpyxl raises IllegalCharacterError on them: U+0000–U+0008,
# U+000B, U+000C, U+000E–U+001F). Input refuses them (core.typed), but a row stored before that may hold one.
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_text(text: str) -> str:
    """Text as an .xlsx cell can hold it. Each character a cell cannot hold is written visibly escaped, as the four
    characters of its Python escape (U+0001 → the text `\\x01`), so an export shows exactly what is stored — and
    where to correct it — instead of failing for the whole scope. CSV is written the same way (a NUL in a CSV file
    stops most readers, Python's csv among them)."""
    return XLSX_ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return xlsx_text(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return value


def write_csv(headers: list[str], rows: list[list[Any]]) -> bytes:
    """A CSV Excel in China opens correctly (UTF-8 with BOM), formula-looking text kept as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([safe_text(_cell(v)) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


# --- writing a large workbook as it goes -------------------------------------------------------------
#
# openpyxl (even in write-only mode) writes some 90,000 cells a second here; a province's workbook holds some
# 55 million. This writer puts the same cells (strings as inline text, never a formula) straight into the zip as XML,
# a sheet at a time, so memory stays flat and the file grows on disk as it is written.

SHEET_ROWS = MAX_ROWS                 # data rows one exported sheet takes (the header is row 1)
# Sheets of one file's rows may be split: 月收入 by year (月收入2019), and any of them past a sheet's limit in parts
# (月收入2019-1, 月收入2019-2; 走访记录-1, 走访记录-2). 家庭档案 and 低保标准 are never split (a million files or lines
# is no city's).
SPLITTABLE = ("家庭成员", "月收入", "致困原因消除", "帮扶措施", "走访记录", "救助记录")
SPLIT_SHEET = re.compile(r"^(" + "|".join(SPLITTABLE) + r")\s*(\d{4})?(?:\s*[-－_]\s*(\d{1,3}))?$")


def income_sheet_name(year: int, part: int | None = None) -> str:
    """月收入2019, or 月收入2019-2 for a year that fills more than one sheet."""
    return f"月收入{year}" + (f"-{part}" if part else "")


def sheet_kind(name: str) -> str | None:
    """The format's sheet a workbook sheet holds: its own name, or the sheet a part is of (月收入2019, 走访记录-2)."""
    name = str(name).strip()
    if name in SHEETS:
        return name
    match = SPLIT_SHEET.match(name)
    return match[1] if match and (match[2] or match[3]) else None


def sheet_order(name: str) -> tuple:
    """Sheets of one kind in reading order: the plain one first, then by year and part (月收入2019-2 before -10)."""
    match = SPLIT_SHEET.match(str(name).strip())
    return (int(match[2] or 0), int(match[3] or 0)) if match else (0, 0)


class SheetRow(int):
    """A row number that remembers its workbook sheet: the 月收入2019, 月收入2020 … sheets are read as one table, and a
    problem found in it (core.importing, db.importer) still names the sheet and row the person sees."""

    sheet: str

    def __new__(cls, number: int, sheet: str):
        value = super().__new__(cls, number)
        value.sheet = sheet
        return value

    def __getnewargs__(self):
        return int(self), self.sheet

    # row 5 of 月收入2019 and row 5 of 月收入2020 are two rows (as keys, and when two rows are compared)
    def __eq__(self, other):
        if isinstance(other, SheetRow):
            return int(self) == int(other) and self.sheet == other.sheet
        return int(self) == other

    def __ne__(self, other):  # int's own __ne__ would otherwise answer
        return not self == other

    def __hash__(self):
        return hash((int(self), self.sheet))

    def text(self, here: str | None = None) -> str:
        """"第 5 行", or "工作表“月收入2019”第 5 行" when read from another sheet than `here`."""
        return f"第 {int(self)} 行" if here == self.sheet else f"工作表“{self.sheet}”第 {int(self)} 行"


def row_text(row: int, here: str | None = None) -> str:
    """Where a row is, said to someone reading a problem of sheet `here`."""
    return row.text(here) if isinstance(row, SheetRow) else f"第 {row} 行"


_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_SPECIAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f&<>]")  # what a text cell cannot hold as it is (XLSX_ILLEGAL, XML)
_STYLES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _letters(count: int) -> list[str]:
    return [column_letter(i) for i in range(1, count + 1)]


class StreamingWorkbook:
    """An .xlsx written row by row into `target` (a path or a binary file object), one sheet at a time.

        book = StreamingWorkbook(path)
        book.write(HOUSEHOLDS, rows)                  # rows keyed by column key, as write_xlsx takes them
        book.write_years(INCOMES, rows_by_year)       # 月收入2019, 月收入2020 …, split further past `sheet_rows`
        book.close()
    """

    def __init__(self, target, *, sheet_rows: int = SHEET_ROWS, on_sheet: Callable[[str, int], None] | None = None):
        self.zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1, allowZip64=True)
        self.sheet_rows = sheet_rows
        self.on_sheet = on_sheet  # told (sheet name, rows written so far) as each sheet begins: for progress
        self.names: list[str] = []
        self.rows_written = 0

    # one sheet

    def write(self, spec: Sheet, rows, name: str | None = None) -> int:
        """A sheet of `rows` (dicts by column key) under the format's headers; stops after `sheet_rows` rows and returns
        how many it took (rows left in the iterator stay there)."""
        headers = [c.header + (" *" if c.required else "") for c in spec.columns]
        keys = [c.key for c in spec.columns]
        limit = self.sheet_rows
        part = f"xl/worksheets/sheet{len(self.names) + 1}.xml"
        self.names.append(name or spec.name)
        if self.on_sheet:
            self.on_sheet(name or spec.name, self.rows_written)
        letters = _letters(len(keys))
        count = 0
        with self.zip.open(part, "w", force_zip64=True) as raw:
            out = io.BufferedWriter(raw, 1 << 20)
            widths = "".join(f'<col min="{i}" max="{i}" width="{column_width(h)}" customWidth="1"/>'
                             for i, h in enumerate(headers, start=1))
            out.write(('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                       f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetViews><sheetView workbookViewId="0">'
                       '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
                       f'<cols>{widths}</cols><sheetData>').encode())
            out.write(self._row(1, letters, headers, ' s="1"'))
            for row in rows:
                count += 1
                out.write(self._row(count + 1, letters, [row.get(k) for k in keys]))
                if count >= limit:
                    break
            out.write(b"</sheetData></worksheet>")
            out.flush()
            out.detach()
        self.rows_written += count
        return count

    def write_parts(self, spec: Sheet, rows, name_of: Callable[[int | None], str]) -> bool:
        """Rows as one sheet, `name_of(None)`; past `sheet_rows` they go on in `name_of(2)`, `name_of(3)` … (the first
        then renamed `name_of(1)`). Whether there were any rows (none: no sheet)."""
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return False
        rows = _chain_one(first, rows)
        part, at = 1, len(self.names)
        while True:
            taken = self.write(spec, rows, name_of(None if part == 1 else part))
            nxt = next(rows, None) if taken >= self.sheet_rows else None
            if nxt is None:
                return True
            if part == 1:
                self.names[at] = name_of(1)
            part += 1
            rows = _chain_one(nxt, rows)

    def write_split(self, spec: Sheet, rows) -> None:
        """A file's rows (家庭成员, 走访记录 …) as one sheet, or 走访记录-1, 走访记录-2 … past a sheet's limit."""
        if not self.write_parts(spec, rows, lambda part: spec.name + (f"-{part}" if part else "")):
            self.write(spec, [])

    def write_years(self, spec: Sheet, years, name_of: Callable[[int, int | None], str] = income_sheet_name) -> None:
        """(year, rows) pairs as one sheet per year; a year past `sheet_rows` goes on in 月收入2019-2, -3 … (its first
        sheet then named -1). No rows at all: one empty sheet under the format's own name, as a template has it."""
        written = [self.write_parts(spec, rows, functools.partial(name_of, year)) for year, rows in years]
        if not any(written):
            self.write(spec, [])

    @staticmethod
    def _row(number: int, letters: list[str], values: list[Any], style: str = "") -> bytes:
        # the hot loop of a province's export (some 55 million cells): one type test and, for text, one search
        cells = []
        for letter, value in zip(letters, values):
            if value is None or value == "":
                continue
            if value.__class__ is str:
                if _SPECIAL.search(value):
                    value = xlsx_text(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                cells.append(f'<c r="{letter}{number}"{style} t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>')
            elif isinstance(value, bool):
                cells.append(f'<c r="{letter}{number}"{style} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, (int, float, Decimal)):
                cells.append(f'<c r="{letter}{number}"{style}><v>{value}</v></c>')
            else:  # a date, a datetime: as the workbook writes them (core.workbook._cell)
                text = xlsx_text(str(_cell(value))).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                cells.append(f'<c r="{letter}{number}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
        return f'<row r="{number}">{"".join(cells)}</row>'.encode("utf-8", "replace")

    def abandon(self) -> None:
        """Give up a workbook that failed half-way (the disk full): the caller removes the file; nothing more is written
        to it (a ZipFile would otherwise try to finish it when collected, into a file already closed)."""
        self.zip.fp = None

    def close(self) -> None:
        """The workbook's parts that name the sheets; the file is complete only after this."""
        sheets = "".join(f'<sheet name="{n.translate(_XML_ESCAPES)}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, n in enumerate(self.names, start=1))
        rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                       for i in range(1, len(self.names) + 1))
        count = len(self.names)
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                            for i in range(1, count + 1))
        head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        self.zip.writestr("[Content_Types].xml", head +
                          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                          '<Default Extension="xml" ContentType="application/xml"/>'
                          '<Override PartName="/xl/workbook.xml" '
                          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                          '<Override PartName="/xl/styles.xml" '
                          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                          f'{overrides}</Types>')
        self.zip.writestr("_rels/.rels", head + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                          f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        self.zip.writestr("xl/workbook.xml", head + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{sheets}</sheets></workbook>')
        self.zip.writestr("xl/_rels/workbook.xml.rels", head +
                          '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                          f'{rels}<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>')
        self.zip.writestr("xl/styles.xml", _STYLES)
        self.zip.close()


def _chain_one(first, rest):
    yield first
    yield from rest

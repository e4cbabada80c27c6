"""The civil-affairs office's 低保 / 特困 roster (数据共享): read it, check it, say what is wrong where.

The office sends a list of 身份证号, sometimes with the programme (救助类型) and the date the person
entered it (纳入日期), as an Excel workbook or a CSV. Columns are found by their header in any order;
the header may sit under a title row (the first ten rows are searched), and every sheet of a
workbook that has an ID-number column is read (offices often send 低保 and 特困 on separate sheets).

`read_roster` returns the clean entries (18-digit numbers, programme codes of `codes.ASSISTANCE_PROGRAMME`,
dates) and the problems, each with the row number Excel shows and a Chinese message. Matching the
entries against the files is `db/roster.py`'s work.

Pure: bytes in, values out.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from core import codes
from core.identity import id_number_text as _id_text
from core.identity import InvalidIdentifier, parse_id_number
from core.typed import echo
from core.workbook import MAX_ROWS, Reader, Unreadable, header_key, is_workbook, read_tables, write_csv, write_xlsx

# header as typed (without * and spaces) → field
HEADERS: dict[str, str] = {
    "身份证号": "id_number", "公民身份号码": "id_number", "身份证号码": "id_number",
    "救助类型": "programme", "救助类别": "programme",
    "纳入日期": "since",
    "姓名": "name",
}
ID_HEADER = "身份证号"
COLUMN_TITLES = {"id_number": "身份证号", "programme": "救助类型", "since": "纳入日期", "name": "姓名"}
HEADER_SEARCH_ROWS = 10  # a title such as "XX区城市低保对象名单" may sit above the header

DEFAULT_PROGRAMME = "dibao"
# what offices write → codes.ASSISTANCE_PROGRAMME (its labels are read too); 低保边缘 is deliberately absent
# (it is not a programme of the government assistance system)
PROGRAMMES: dict[str, str] = {
    "低保": "dibao", "城市低保": "dibao", "农村低保": "dibao", "城乡低保": "dibao", "低保户": "dibao",
    "最低生活保障": "dibao", "城市最低生活保障": "dibao", "农村最低生活保障": "dibao",
    "特困": "tekun", "特困供养": "tekun", "特困人员": "tekun", "特困人员供养": "tekun", "特困供养人员": "tekun",
    "特困人员救助供养": "tekun",
    "临时救助对象": "temporary", "医疗救助对象": "medical", "受灾人员": "disaster", "自然灾害救助": "disaster",
}

_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?|\s*月?)$")


@dataclass(frozen=True)
class RosterEntry:
    """One clean line of the roster."""

    row: int                  # the row number Excel shows
    id_number: str            # always the 18-character form
    programme: str            # a key of codes.ASSISTANCE_PROGRAMME
    since: dt.date | None     # 纳入日期; None when the office gave none
    name: str = ""            # only shown in reports
    sheet: str = ""           # the workbook's sheet ("" for a CSV)
    typed_id: str = ""        # the number as it was in the file (a 15-digit one differs from id_number)

    @property
    def where(self) -> str:
        return where(self.sheet, self.row)


@dataclass(frozen=True)
class RosterProblem:
    """A line (or the whole file) that cannot be used, and why, in Chinese."""

    row: int | None           # the row number Excel shows; None: the whole file or sheet
    column: str | None        # the header as users read it
    message: str
    sheet: str = ""
    typed_id: str = ""        # what the line had under 身份证号, for the report
    name: str = ""

    @property
    def where(self) -> str:
        return where(self.sheet, self.row)


@dataclass
class Roster:
    entries: list[RosterEntry] = field(default_factory=list)
    problems: list[RosterProblem] = field(default_factory=list)


def where(sheet: str, row: int | None) -> str:
    """"第 5 行", or "工作表“特困”第 5 行" when the workbook has sheets."""
    parts = []
    if sheet:
        parts.append(f"工作表“{sheet}”")
    if row is not None:
        parts.append(f"第 {row} 行")
    return "".join(parts) or "整个文件"


def read_roster(data: bytes, filename: str, *, today: dt.date, reader: Reader = read_tables) -> Roster:
    """Every usable entry of the roster file and every problem, in the file's order. `reader` turns the bytes into
    tables (an uploaded file: file_sandbox.read_tables, in a limited child process)."""
    roster = Roster()
    name = (filename or "").lower()
    if name.endswith(".csv"):
        try:
            tables = reader(data, "csv")
        except Unreadable as exc:
            roster.problems.append(RosterProblem(None, None, str(exc)))
            return roster
        except (UnicodeDecodeError, ValueError, csv.Error):
            roster.problems.append(RosterProblem(None, None, "无法读取该 CSV 文件：请用 Excel 另存为“CSV UTF-8”或 .xlsx 后重试"))
            return roster
    elif is_workbook(name):
        try:
            tables = reader(data, "workbook")
        except Unreadable as exc:
            roster.problems.append(RosterProblem(None, None, str(exc)))
            return roster
        except Exception:  # a damaged or mislabelled file: say so, never crash
            roster.problems.append(RosterProblem(None, None, "无法读取该文件：请确认是 Excel 工作簿（.xlsx 或 .xls），或另存为 CSV"))
            return roster
    else:
        roster.problems.append(RosterProblem(None, None, "只能读取 Excel 工作簿（.xlsx 或 .xls）或 .csv 文件"))
        return roster

    seen: dict[str, RosterEntry | RosterProblem] = {}  # 18-digit number → its first line
    found = False
    for sheet, table in tables.items():
        located = _locate_header(table)
        if located is None:
            continue
        found = True
        header_row, positions = located
        for number, cells in enumerate(table[header_row + 1:], start=header_row + 2):
            values = {key: _strip(cells[i]) if i < len(cells) else None for key, i in positions.items()}
            if all(v in (None, "") for v in values.values()):
                continue
            if len(roster.entries) + len(roster.problems) >= MAX_ROWS:
                roster.problems.append(RosterProblem(number, None, f"名单最多 {MAX_ROWS:,} 行，请分批导入", sheet))
                return roster
            _read_line(roster, seen, sheet, number, values, today)
    if not found:
        roster.problems.append(RosterProblem(
            1, None, "找不到“身份证号”列：表头应为 身份证号、公民身份号码 或 身份证号码（另可有 救助类型、纳入日期、姓名，顺序不限）"))
    return roster


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _locate_header(table: list[list[Any]]) -> tuple[int, dict[str, int]] | None:
    """The index of the header row and each field's column, or None when no row has an ID-number header."""
    for index, cells in enumerate(table[:HEADER_SEARCH_ROWS]):
        positions: dict[str, int] = {}
        for column, text in enumerate(cells):
            key = HEADERS.get(header_key(text).replace(" ", ""))
            if key and key not in positions:
                positions[key] = column
        if "id_number" in positions:
            return index, positions
    return None


def _read_line(roster: Roster, seen: dict, sheet: str, row: int, values: dict[str, Any], today: dt.date) -> None:
    person = "" if values.get("name") is None else str(values["name"])
    typed, id_problem = _id_text(values.get("id_number"))

    def problem(column: str, message: str) -> None:
        roster.problems.append(RosterProblem(row, COLUMN_TITLES[column], message, sheet, typed, person))

    if id_problem:
        problem("id_number", id_problem)
        return
    try:
        number = parse_id_number(typed, today=today).number
    except InvalidIdentifier as exc:
        problem("id_number", str(exc))
        return
    programme, message = parse_programme(values.get("programme"))
    if message:
        problem("programme", message)
        return
    since, message = parse_since(values.get("since"), today=today)
    if message:
        problem("since", message)
        return
    first = seen.get(number)
    if first is not None:
        problem("id_number", f"与{first.where}重复（同一人只应出现一次），本行未处理")
        return
    entry = RosterEntry(row, number, programme, since, person, sheet, typed)
    seen[number] = entry
    roster.entries.append(entry)


def parse_programme(value: Any) -> tuple[str, str | None]:
    """A 救助类型 as written → a codes.ASSISTANCE_PROGRAMME key; empty means 低保."""
    text = "" if value is None else str(value).replace(" ", "").replace("\u3000", "")
    if not text:
        return DEFAULT_PROGRAMME, None
    if text in codes.ASSISTANCE_PROGRAMME:
        return text, None
    code = PROGRAMMES.get(text) or {label: code for code, label in codes.ASSISTANCE_PROGRAMME.items()}.get(text)
    if code is None:
        return "", (f"救助类型“{echo(text)}”无法识别：应为 " + "、".join(codes.ASSISTANCE_PROGRAMME.values())
                    + "（特困供养也可写“特困”），留空按低保处理")
    return code, None


def parse_since(value: Any, *, today: dt.date) -> tuple[dt.date | None, str | None]:
    """A 纳入日期: YYYY-MM-DD, YYYY-MM (the 1st of the month) or an Excel date cell; empty is allowed."""
    if value is None or value == "":
        return None, None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        text = str(value).strip()
        match = _DATE_RE.match(text)
        day = None
        if match:
            year, month, dom = int(match[1]), int(match[2]), int(match[3] or 1)
            try:
                day = dt.date(year, month, dom)
            except ValueError:
                day = None
        if day is None:
            return None, f"纳入日期“{echo(text)}”不是有效日期：应为 YYYY-MM-DD（如 2026-03-01）或 YYYY-MM"
    if day > today:
        return None, f"纳入日期 {day:%Y-%m-%d} 晚于今天，请核对"
    return day, None


def programme_label(code: str | None) -> str:
    return codes.ASSISTANCE_PROGRAMME.get(code or "", "")


# --- the match, as the store found it, and its report ---------------------------------------------


@dataclass(frozen=True)
class FileMatch:
    """An open file in the user's scope named by one or more lines of the roster."""

    household_id: int
    file_no: str
    head_name: str
    version: int                               # the file's version when matched: applying checks it
    lines: tuple[tuple[RosterEntry, str], ...]  # each line and whom it named ("户主" / "家庭成员 张三")
    programme: str                              # what the roster says (all lines agree)
    since: dt.date | None                       # the earliest date of the lines; None: the office gave none
    current_programme: str | None               # `programme` when the file has an open record of it, else None
    current_since: dt.date | None               # that record's 起始日期
    record_id: int | None = None                # the record applying changes (open, or ended from the roster's date)
    record_version: int | None = None


@dataclass(frozen=True)
class Unmatched:
    entry: RosterEntry
    note: str  # why, in Chinese (e.g. the person's file in scope is closed)


@dataclass(frozen=True)
class Ambiguous:
    entry: RosterEntry
    file_nos: tuple[str, ...]


@dataclass
class RosterResult:
    """What a roster means for the files in the user's scope; nothing has been written yet."""

    matched: list[FileMatch] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    ambiguous: list[Ambiguous] = field(default_factory=list)
    problems: list[RosterProblem] = field(default_factory=list)  # unreadable lines, and files named with two programmes

    @property
    def to_change(self) -> list[FileMatch]:
        return [m for m in self.matched if target(m, None) is not None]


@dataclass(frozen=True)
class RosterOutcome:
    """What applying did: files (户) marked or left as they were; lines (行) not found, ambiguous or wrong."""

    marked: int
    unchanged: int
    unmatched: int
    ambiguous: int
    problems: int
    marked_ids: frozenset[int] = frozenset()


def target(match: FileMatch, today: dt.date | None) -> tuple[str, dt.date | None] | None:
    """The (programme, since) the file's record of the roster's programme should get, or None when it already says so.

    A roster without a date for a file already in the same programme leaves the file's own date
    alone (the household has been in it since then); otherwise a missing date means today."""
    if match.since is None:
        if match.current_programme == match.programme:
            return None
        wanted = (match.programme, today)
    else:
        wanted = (match.programme, match.since)
    if (match.current_programme, match.current_since) == wanted:
        return None
    return wanted


REPORT_HEADERS = ["位置", "身份证号", "姓名", "救助类型", "纳入日期", "结果", "说明", "档案编号", "户主姓名"]
REPORT_SHEET = "比对结果"


def _shown(programme: str | None, since: dt.date | None) -> str:
    if not programme:
        return "未纳入"
    return programme_label(programme) + (f"（{since:%Y-%m-%d} 起）" if since else "（无纳入日期）")


def report_rows(result: RosterResult, outcome: RosterOutcome | None = None) -> list[dict[str, Any]]:
    """One row per line of the roster, in the file's order, keyed by REPORT_HEADERS (full ID numbers: staff only).

    Before applying (`outcome` None) matched lines read 待标记 / 无变化; after, 已标记 / 无变化."""
    rows: list[tuple[tuple[str, int], dict[str, Any]]] = []

    def add(sheet: str, row: int | None, values: dict[str, Any]) -> None:
        rows.append(((sheet, row or 0), {h: values.get(h, "") for h in REPORT_HEADERS}))

    def line(entry: RosterEntry) -> dict[str, Any]:
        return {"位置": entry.where, "身份证号": entry.id_number, "姓名": entry.name,
                "救助类型": programme_label(entry.programme), "纳入日期": entry.since or ""}

    for match in result.matched:
        wanted = target(match, None)
        if wanted is None:
            verdict = "无变化"
            note = "档案已是" + _shown(match.current_programme, match.current_since)
        else:
            done = outcome is not None and match.household_id in outcome.marked_ids
            verdict = "已标记" if done else "待标记"
            now = _shown(wanted[0], wanted[1]) if wanted[1] else programme_label(wanted[0]) + "（纳入日期记为标记当天）"
            note = f"原为{_shown(match.current_programme, match.current_since)}，{'已改为' if done else '将改为'}{now}"
        for entry, whom in match.lines:
            add(entry.sheet, entry.row, {**line(entry), "结果": verdict, "说明": f"{whom}；{note}", "档案编号": match.file_no,
                                         "户主姓名": match.head_name})
    for item in result.unmatched:
        add(item.entry.sheet, item.entry.row, {**line(item.entry), "结果": "未找到", "说明": item.note})
    for item in result.ambiguous:
        add(item.entry.sheet, item.entry.row, {**line(item.entry), "结果": "对应多户",
                                               "说明": "该身份证号出现在多份在档档案中（" + "、".join(item.file_nos) + "），未标记，请核实后处理",
                                               "档案编号": "、".join(item.file_nos)})
    for problem in result.problems:
        add(problem.sheet, problem.row, {"位置": problem.where, "身份证号": problem.typed_id, "姓名": problem.name, "结果": "有误",
                                         "说明": (f"“{problem.column}”列：" if problem.column else "") + problem.message})
    rows.sort(key=lambda pair: pair[0])
    return [values for _, values in rows]


def report_xlsx(result: RosterResult, outcome: RosterOutcome | None = None) -> bytes:
    return write_xlsx({REPORT_SHEET: report_rows(result, outcome)}, titles={REPORT_SHEET: REPORT_HEADERS})


def report_csv(result: RosterResult, outcome: RosterOutcome | None = None) -> bytes:
    return write_csv(REPORT_HEADERS, [[row[h] for h in REPORT_HEADERS] for row in report_rows(result, outcome)])

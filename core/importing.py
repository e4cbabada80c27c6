"""An import as read: every row of every sheet checked on its own and against the other rows.

Pure: the rows (core.workbook) in, typed records and problems out. What needs the store — does
a file number exist, is it in the user's scope, is an ID number already in another open file —
is checked by db.importer with these records.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from core import codes
from core.assistance import AssistanceErrors, check_record
from core.identity import InvalidIdentifier, id_number_text, parse_id_number
from core.incomes import month_refusal
from core.intake import IntakeErrors, check_household
from core.money import InvalidAmount, persons_count, yuan_to_fen
from core.places import DISTRICTS
from core.typed import INVALID, as_code, as_date, as_text, echo
from core.workbook import Problem, Rows, SHEETS, SheetRow, row_text

PLACE_BY_NAME = {p.name: p.code for p in DISTRICTS} | {p.code: p.code for p in DISTRICTS}
BOOL = {"是": True, "否": False, "yes": True, "no": False, "y": True, "n": False, "1": True, "0": False, "true": True, "false": False}


@dataclass
class FileRow:
    row: int
    file_no: str | None
    place_code: str
    org: str | None
    filed_on: dt.date | None
    status: str | None              # None: not given (a new file is 申请中, an existing one keeps its own)
    category: str | None
    head: dict[str, Any]            # Household columns, checked by core.intake
    causes: list[tuple[str, bool]]  # (cause, is_main)
    given: frozenset[str] = frozenset()  # the Household columns the sheet has: an update touches only these


@dataclass
class MemberRow:
    row: int
    file_no: str
    values: dict[str, Any]          # name, relation, id_number, sex, birth_date, health, monthly_income_fen, identity
    given: frozenset[str] = frozenset()  # the Member columns the sheet has


@dataclass
class Parsed:
    files: list[FileRow] = field(default_factory=list)
    members: list[MemberRow] = field(default_factory=list)
    incomes: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)     # (row, file_no, values)
    removals: list[tuple[int, str, str, dt.date]] = field(default_factory=list)      # (row, file_no, cause, date)
    lines: list[tuple[int, str, dt.date, int]] = field(default_factory=list)         # (row, place, from, fen)
    measures: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    visits: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    # (row, file_no, clean record, whether the row named its source: a blank one leaves an existing record's source alone)
    assistance: list[tuple[int, str, dict[str, Any], bool]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    refused_files: dict[str, int] = field(default_factory=dict)  # file_no or "#"+head ID of a refused 家庭档案 row → its row

    def row_count(self) -> int:
        return sum(len(x) for x in (self.files, self.members, self.incomes, self.removals, self.lines, self.measures, self.visits, self.assistance))


class _Sheet:
    """Collects problems of one sheet under the header of the column they belong to."""

    def __init__(self, rows: Rows, problems: list[Problem]):
        self.name = rows.sheet.name
        self.headers = {c.key: c.header for c in rows.sheet.columns}
        self.problems = problems

    def bad(self, row: int, key: str | None, message: str) -> None:
        self.problems.append(Problem(self.name, row, self.headers.get(key or "", None), message))

    def first(self, seen: dict, what: Any, row: int, key: str, message: str) -> bool:
        """Whether this is the first row for `what`; a later one gets `message` (with "{row}", the first row's number)."""
        if what in seen:  # the first may be on another 月收入 sheet of a split workbook: then it is named
            here = row.sheet if isinstance(row, SheetRow) else self.name
            self.bad(row, key, message.replace("第 {row} 行", row_text(seen[what], here)))
            return False
        seen[what] = row
        return True


def _required(sheet: _Sheet, row: int, values: dict, key: str) -> str | None:
    text = as_text(values.get(key))
    if not text:
        sheet.bad(row, key, f"“{sheet.headers[key]}”必填")
        return None
    return text


def _date(sheet: _Sheet, row: int, values: dict, key: str, *, required: bool, today: dt.date) -> dt.date | None:
    value = as_date(values.get(key))
    if value is None:
        if required:
            sheet.bad(row, key, f"“{sheet.headers[key]}”必填，格式 YYYY-MM-DD")
        return None
    if value == INVALID:
        sheet.bad(row, key, f"“{echo(as_text(values.get(key)))}”不是有效日期，格式应为 YYYY-MM-DD")
        return None
    if not dt.date(1950, 1, 1) <= value <= dt.date(today.year + 5, 12, 31):
        sheet.bad(row, key, f"日期 {value:%Y-%m-%d} 超出合理范围")
        return None
    return value


def _money(sheet: _Sheet, row: int, values: dict, key: str, *, required: bool) -> int | None:
    text = as_text(values.get(key))
    if not text:
        if required:
            sheet.bad(row, key, f"“{sheet.headers[key]}”必填（元）")
        return None
    try:
        return yuan_to_fen(text)
    except InvalidAmount as exc:
        sheet.bad(row, key, str(exc))
        return None


def _code(sheet: _Sheet, row: int, values: dict, key: str, code_list: codes.CodeList, *, required: bool = False) -> str | None:
    value = as_code(values.get(key), code_list)
    if value is None and required:
        sheet.bad(row, key, f"“{sheet.headers[key]}”必填")
    if value == INVALID:
        sheet.bad(row, key, f"“{echo(as_text(values.get(key)))}”不在代码表中（可选：{'、'.join(code_list.values())}）")
        return None
    return value


def _bool(sheet: _Sheet, row: int, values: dict, key: str, default: bool) -> bool:
    text = as_text(values.get(key)).lower()
    if not text:
        return default
    if text not in BOOL:
        sheet.bad(row, key, f"“{echo(as_text(values.get(key)))}”应填 是 或 否")
        return default
    return BOOL[text]


def _file_no(values: dict) -> str:
    return as_text(values.get("file_no")).upper()


# A row of another sheet names its household by 档案编号, by the head's 身份证号, or both: its "ref" is the number,
# "#" and the ID number, or the number and "#ID" (db.importer resolves it; "#" is never part of a file number).
HEAD_REF = "#"


def split_ref(ref: str) -> tuple[str | None, str | None]:
    """(档案编号, 户主身份证号) of a ref, each None when not given."""
    file_no, _, head = ref.partition(HEAD_REF)
    return file_no or None, head or None


def ref_text(ref: str) -> str:
    """A ref as the user typed it: "档案编号 HG-1", "户主身份证号 1303…" or both."""
    file_no, head = split_ref(ref)
    return "、".join(([f"档案编号 {file_no}"] if file_no else []) + ([f"户主身份证号 {head}"] if head else []))


def _ref(sheet: _Sheet, row: int, values: dict, today: dt.date) -> str | None:
    """The household a row of another sheet belongs to: its 档案编号 and/or its head's 身份证号 (normalised)."""
    file_no = _file_no(values)
    raw, head = values.get("head_id_number"), None
    if raw not in (None, ""):
        number, why = id_number_text(raw)
        if why:
            sheet.bad(row, "head_id_number", why)
            return None
        try:
            head = parse_id_number(number, today).number
        except InvalidIdentifier as exc:
            sheet.bad(row, "head_id_number", f"户主身份证号“{echo(number)}”：{exc}")
            return None
    if not file_no and not head:  # reported by _filled already: such a row never gets here
        return None
    return file_no + (HEAD_REF + head if head else "")


def _check_file_no(sheet: "_Sheet", row: int, number: str) -> bool:
    if not FILE_NO.match(number):
        sheet.bad(row, "file_no", f"档案编号“{echo(number)}”格式不对：只能用字母、数字和减号，最多32位")
        return False
    if number.startswith("QHD-") and not OUR_FILE_NO.match(number):
        sheet.bad(row, "file_no", f"档案编号“{echo(number)}”：以 QHD- 开头的是系统编号，应以6位数字结尾（如 QHD-130302-000123）；新建的户请留空")
        return False
    return True


MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")
FILE_NO = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
OUR_FILE_NO = re.compile(r"^QHD-[A-Z0-9-]+-\d{6}$")  # what the app numbers files as (QHD-<district>-000123)


def _month(sheet: _Sheet, row: int, values: dict) -> dt.date | None:
    raw = values.get("month")
    if isinstance(raw, (dt.date, dt.datetime)):
        return dt.date(raw.year, raw.month, 1)
    if isinstance(raw, float):  # 2026.10 typed into a number cell reads as 2026.1: which month was meant is lost
        sheet.bad(row, "month", f"月份“{raw}”被 Excel 存成了数字：请把该列设为文本，按 YYYY-MM 填写，如 2026-10")
        return None
    match = MONTH.match(as_text(raw))
    day = as_date(raw) if not match else None
    if isinstance(day, dt.date) and day.day == 1:  # a month cell a spreadsheet turned into a date: "2026-03-01 0:00:00"
        return day
    if not match or not 1 <= int(match.group(2)) <= 12:
        sheet.bad(row, "month", f"月份“{echo(as_text(raw))}”格式应为 YYYY-MM，如 2026-03")
        return None
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


# --- the sheets ----------------------------------------------------------------------------------

HEAD_KEYS = ("name", "id_number", "mobile", "employer", "employer_uscc", "worker_no", "ethnicity", "political_status", "health",
             "disability_kind", "disability_grade", "work_status", "model_worker", "housing", "floor_area", "employer_kind",
             "industry", "marital", "hukou", "address", "hukou_division", "medical_insurance", "key_group", "bank_name",
             "bank_account")
HEAD_BOOLS = {"single_parent": False, "zero_employment": False, "self_help_ability": True, "hard_to_exit": False}
INTAKE_TO_COLUMN = {"causes": "main_cause", "floor_area": "floor_area"}
HEAD_COLUMN = {"floor_area": "floor_area_dm2"}  # sheet column → Household column, where they differ


def _files(rows: Rows, out: Parsed, today: dt.date) -> None:
    sheet = _Sheet(rows, out.problems)
    for row, values in rows.rows:
        before = len(out.problems)
        if _file_no(values):
            _check_file_no(sheet, row, _file_no(values))
        number, why = id_number_text(values.get("id_number"))
        if why and values.get("id_number") not in (None, ""):
            sheet.bad(row, "id_number", why)
            _refused_file(out, row, values, today)
            continue
        values = values | {"id_number": number}
        place = as_text(values.get("place"))
        place_code = PLACE_BY_NAME.get(place)
        if not place:
            sheet.bad(row, "place", "“区县”必填")
        elif place_code is None:
            sheet.bad(row, "place", f"区县“{echo(place)}”不存在（可填：{'、'.join(p.name for p in DISTRICTS)}，或其代码）")
        # empty: a new file is 申请中, an existing one keeps its status; a filed status needs the filing date
        status = _code(sheet, row, values, "status", codes.HOUSEHOLD_STATUS)
        filed = status not in (None, "applying")
        filed_on = _date(sheet, row, values, "filed_on", required=False, today=today)
        if filed and filed_on is None and as_text(values.get("filed_on")) == "":
            sheet.bad(row, "filed_on", f"状态为“{codes.HOUSEHOLD_STATUS[status]}”的档案须填写建档日期（YYYY-MM-DD）")
        if filed_on and filed_on > today:
            sheet.bad(row, "filed_on", "建档日期不能晚于今天")
        if as_text(values.get("persons")) and persons_count(values.get("persons")) is None:
            sheet.bad(row, "persons", f"家庭人口“{echo(as_text(values.get('persons')))}”应为 1–30 的整数（含户主）")
        category = _code(sheet, row, values, "category", codes.CATEGORY)
        main = _code(sheet, row, values, "main_cause", codes.CAUSE, required=True)
        others = []
        for part in re.split(r"[；;,，、]", as_text(values.get("other_causes"))):
            if part.strip():
                code = as_code(part, codes.CAUSE)
                if code in (None, INVALID):
                    sheet.bad(row, "other_causes", f"次要致困原因“{echo(part.strip())}”不在代码表中")
                else:
                    others.append(code)
        raw = {k: values.get(k) for k in HEAD_KEYS}
        raw |= {k: _bool(sheet, row, values, k, default) for k, default in HEAD_BOOLS.items()}
        raw["causes"] = ([{"cause": main, "is_main": True}] if main else []) + [{"cause": c, "is_main": False} for c in others]
        try:
            clean = check_household(raw, today)
        except IntakeErrors as exc:
            for key, message in exc.errors.items():
                sheet.bad(row, INTAKE_TO_COLUMN.get(key, key), message)
            _refused_file(out, row, values, today)
            continue
        if len(out.problems) > before or place_code is None or (filed and filed_on is None) or main is None:
            _refused_file(out, row, values, today)
            continue
        given = {HEAD_COLUMN.get(k, k) for k in values}
        out.files.append(FileRow(row, _file_no(values) or None, place_code, as_text(values.get("org")) or None, filed_on, status,
                                 category, clean.head, [(c.cause, c.is_main) for c in clean.causes], frozenset(given)))


def _refused_file(out: Parsed, row: int, values: dict, today: dt.date) -> None:
    """A refused 家庭档案 row: the other sheets' rows naming it are reported once, pointing here (db.importer)."""
    number = _normalised_id(values.get("id_number"), today)
    for ref in ([_file_no(values)] if _file_no(values) else []) + ([HEAD_REF + number] if number else []):
        out.refused_files.setdefault(ref, row)


def _normalised_id(value: Any, today: dt.date) -> str | None:
    number, why = id_number_text(value)
    if why:
        return None
    try:
        return parse_id_number(number, today).number
    except InvalidIdentifier:
        return None


def _members(rows: Rows, out: Parsed, today: dt.date) -> None:
    sheet = _Sheet(rows, out.problems)
    for row, values in rows.rows:
        before = len(out.problems)
        file_no = _ref(sheet, row, values, today)
        name = _required(sheet, row, values, "name")
        if name and len(name) > 64:
            sheet.bad(row, "name", "姓名过长（最多 64 个字）")
        relation = _code(sheet, row, values, "relation", codes.RELATION, required=True)
        number, why = id_number_text(values.get("id_number"))
        parsed = None
        if why and values.get("id_number") not in (None, ""):
            sheet.bad(row, "id_number", why)
        elif number:
            try:
                parsed = parse_id_number(number, today)
            except InvalidIdentifier as exc:
                sheet.bad(row, "id_number", f"身份证号“{echo(number)}”：{exc}")
        health = _code(sheet, row, values, "health", codes.HEALTH)
        identity = _code(sheet, row, values, "identity", codes.MEMBER_IDENTITY)
        income = _money(sheet, row, values, "monthly_income", required=False)
        if len(out.problems) > before or not (file_no and name and relation):
            continue
        given = {"monthly_income_fen" if k == "monthly_income" else k for k in values}
        out.members.append(MemberRow(row, file_no, {
            "name": name, "relation": relation, "id_number": parsed.number if parsed else None,
            "sex": parsed.sex if parsed else None, "birth_date": parsed.birth_date if parsed else None,
            "health": health, "identity": identity, "monthly_income_fen": income or 0}, frozenset(given)))


def _incomes(rows: Rows, out: Parsed, today: dt.date) -> None:
    sheet = _Sheet(rows, out.problems)
    seen: dict[tuple[str, dt.date], int] = {}
    for row, values in rows.rows:
        before = len(out.problems)
        file_no = _ref(sheet, row, values, today)
        month = _month(sheet, row, values)
        income = _money(sheet, row, values, "income", required=True)
        transfer = _money(sheet, row, values, "transfer", required=False) or 0
        persons = persons_count(values.get("persons"))
        if persons is None:
            sheet.bad(row, "persons", f"家庭人口“{echo(as_text(values.get('persons')))}”应为 1–30 的整数")
        refusal = month_refusal(month, today) if month else None
        if refusal:  # the rule the 月收入 screen applies (core.incomes)
            sheet.bad(row, "month", f"{month:%Y-%m}：{refusal}")
        if income is not None and transfer > income:
            sheet.bad(row, "transfer", "转移性收入不能大于家庭月收入")
        if len(out.problems) > before or not (file_no and month and income is not None and persons):
            continue
        key = (file_no, month)
        if sheet.first(seen, key, row, "month", f"{ref_text(file_no)} {month:%Y-%m} 与第 " + "{row} 行重复（同一户同一月只能有一行）"):
            out.incomes.append((row, file_no, {"month": month, "income_fen": income, "persons": persons,
                                                       "transfer_fen": transfer}))


def _removals(rows: Rows, out: Parsed, today: dt.date) -> None:
    sheet = _Sheet(rows, out.problems)
    seen: dict[tuple[str, str], int] = {}
    for row, values in rows.rows:
        before = len(out.problems)
        file_no = _ref(sheet, row, values, today)
        cause = _code(sheet, row, values, "cause", codes.CAUSE, required=True)
        day = _date(sheet, row, values, "removed_on", required=True, today=today)
        if day and day > today:
            sheet.bad(row, "removed_on", "消除日期不能晚于今天")
        if len(out.problems) == before and file_no and cause and day:
            if sheet.first(seen, (file_no, cause), row, "cause", "与第 {row} 行是同一户的同一致困原因"):
                out.removals.append((row, file_no, cause, day))


def _lines(rows: Rows, out: Parsed, today: dt.date) -> None:
    sheet = _Sheet(rows, out.problems)
    seen: dict[tuple[str, dt.date], int] = {}
    for row, values in rows.rows:
        before = len(out.problems)
        place = _required(sheet, row, values, "place")
        code = PLACE_BY_NAME.get(place or "")
        if place and code is None:
            sheet.bad(row, "place", f"区县“{echo(place)}”不存在")
        day = _date(sheet, row, values, "effective_from", required=True, today=today)
        amount = _money(sheet, row, values, "amount", required=True)
        if amount is not None and amount <= 0:
            sheet.bad(row, "amount", "标准须大于0")
        if len(out.problems) > before or not (code and day and amount):
            continue
        if sheet.first(seen, (code, day), row, "effective_from", "与第 {row} 行是同一区县同一生效日期"):
            out.lines.append((row, code, day, amount))


def _measures(rows: Rows, out: Parsed, today: dt.date) -> None:
    sheet = _Sheet(rows, out.problems)
    for row, values in rows.rows:
        file_no = _ref(sheet, row, values, today)
        if file_no:
            raw = {k: values.get(k) for k in ("track", "programme", "cause", "content", "status", "start_on", "end_on", "responsible",
                                               "amount", "fund_source", "first_pay_on")}
            raw["pay_every"] = "once" if as_text(values.get("amount")) else None
            out.measures.append((row, file_no, raw))  # checked with the file's causes by db.importer


def _visits(rows: Rows, out: Parsed, today: dt.date) -> None:
    sheet = _Sheet(rows, out.problems)
    for row, values in rows.rows:
        file_no = _ref(sheet, row, values, today)
        if file_no:
            out.visits.append((row, file_no, {k: values.get(k) for k in ("visited_on", "visitor", "kind", "notes")}))


def _assistance(rows: Rows, out: Parsed, today: dt.date) -> None:
    """救助记录: each row checked by core.assistance (the same check as the file page); overlaps are db.importer's."""
    sheet = _Sheet(rows, out.problems)
    for row, values in rows.rows:
        file_no = _ref(sheet, row, values, today)
        raw = {k: values.get(k) for k in ("programme", "from_on", "to_on", "source", "note")}
        given = bool(as_text(raw["source"]))
        raw["source"] = raw["source"] if given else "import"
        try:
            clean = check_record(raw, today=today)
        except AssistanceErrors as exc:
            for key, message in exc.errors.items():
                sheet.bad(row, key, message)
            continue
        if file_no:
            out.assistance.append((row, file_no, clean, given))


READERS = {"家庭档案": _files, "家庭成员": _members, "月收入": _incomes, "致困原因消除": _removals, "低保标准": _lines,
           "帮扶措施": _measures, "走访记录": _visits, "救助记录": _assistance}
assert set(READERS) == set(SHEETS)


def _filled(rows: Rows, out: Parsed, today: dt.date) -> Rows:
    """The rows with every required cell filled (the columns the template marks *, and one of a sheet's `either`
    columns); each empty one is reported at its cell and its row goes no further. One definition, core.workbook's,
    marks the template and decides here."""
    sheet = _Sheet(rows, out.problems)
    kept = Rows(rows.sheet)
    for row, values in rows.rows:
        empty = [c for c in rows.sheet.columns if c.required and as_text(values.get(c.key)) == ""]
        for column in empty:
            sheet.bad(row, column.key, f"“{column.header}”必填")
        either = rows.sheet.either
        if either and all(as_text(values.get(k)) == "" for k in either):
            sheet.bad(row, either[0], "“" + "”或“".join(sheet.headers[k] for k in either) + "”须至少填一项"
                      + ("（本工作簿中新建的户填户主身份证号即可）" if "head_id_number" in either else ""))
            empty.append(either)
        if not empty:
            kept.rows.append((row, values))
        elif rows.sheet.name == "家庭档案":  # still a household the other sheets may name
            _refused_file(out, row, values, today)
    return kept


def parse(sheets: dict[str, Rows], today: dt.date) -> Parsed:
    """Every sheet read into records; problems by sheet, row and column. Duplicate people are found here."""
    out = Parsed()
    for name, rows in sheets.items():
        READERS[name](_filled(rows, out, today), out, today)
    # one person, one row: a head or member ID number twice in the workbook
    seen: dict[str, tuple[str, int]] = {}
    for sheet, row, number in ([("家庭档案", f.row, f.head["id_number"]) for f in out.files]
                               + [("家庭成员", m.row, m.values["id_number"]) for m in out.members if m.values["id_number"]]):
        if number in seen:
            first = seen[number]
            column = "户主身份证号" if sheet == "家庭档案" else "身份证号"
            out.problems.append(Problem(sheet, row, column, f"身份证号 {number} 与工作表“{first[0]}”第 {first[1]} 行是同一人"))
        else:
            seen[number] = (row.sheet if isinstance(row, SheetRow) else sheet, int(row))
    numbers: dict[str, int] = {}
    for f in out.files:
        if f.file_no and f.file_no in numbers:
            out.problems.append(Problem("家庭档案", f.row, "档案编号", f"档案编号 {f.file_no} 与第 {numbers[f.file_no]} 行重复"))
        elif f.file_no:
            numbers[f.file_no] = f.row
    return out

"""Values as typed in a form or read from a spreadsheet, before the rules look at them.

Each parser returns None for an empty value and INVALID for one that is not what it should be,
so a checker can say "missing" and "wrong" apart and put each message under its field.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from core import codes

INVALID = "\0invalid"
LOOSE_DATE = re.compile(r"^(\d{4})\s*[/.年-]\s*(\d{1,2})\s*[/.月-]\s*(\d{1,2})\s*日?$")
# a time of day after a date, as a spreadsheet program writes a date cell into CSV: "2021-01-15 0:00:00", "2021/1/15 0:00"
TIME_OF_DAY = re.compile(r"^(?P<date>.+?)(?:[ T]+(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?)$")


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")  # never typed on purpose; PostgreSQL refuses NUL
SEARCH_LIMIT = 100  # no name, file number or ID number is longer

# --- free text: one limit per field, the same on every database -------------------------------------------------
#
# PostgreSQL refuses text longer than a column's declared length and any NUL (DataError); SQLite stores both. So every
# free-text field is checked here, before any database sees it, with a message under the field.

# Characters nobody types on purpose and no screen shows: C0 controls, DEL, C1 controls, and lone surrogates (which
# no database can encode). A multi-line field keeps tab and line feed; its CR LF / CR become LF first.
REFUSED_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
REFUSED_IN_MULTILINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
CONTROL_MESSAGE = "含有不可见的控制字符，请删除后再保存"


@dataclass(frozen=True)
class TextField:
    label: str
    limit: int  # characters; for a String column its declared length in db/models.py (a test holds the two together)
    multiline: bool = False


# "table.column" → the field. Every column a user, an import or the shell writes free text into is here;
# tests/db/test_text_limits.py checks each String column's length against db/models.py (and db/textguard.py
# reads the length from the model itself).
TEXT_FIELDS: dict[str, TextField] = {
    "household.name": TextField("姓名", 64),
    "household.worker_no": TextField("职工编号", 32),
    "household.employer": TextField("工作单位", 128),
    "household.address": TextField("家庭住址", 255),
    "household.hukou_division": TextField("户口所在地", 16),
    "household.bank_name": TextField("开户银行", 64),
    "household.bank_account": TextField("银行卡号", 32),
    "member.name": TextField("姓名", 64),
    "member.school_or_employer": TextField("单位或学校", 128),
    "exclusion_check.source": TextField("核查来源", 255),
    "process_step.note": TextField("说明", 500, multiline=True),
    "status_change.note": TextField("说明", 500, multiline=True),
    "measure.content": TextField("帮扶内容", 500, multiline=True),
    "measure.responsible": TextField("责任人", 64),
    "aid_payment.note": TextField("说明", 255),
    "pairing.helper_name": TextField("帮扶责任人", 64),
    "pairing.helper_unit": TextField("结对单位", 128),
    "visit.visitor": TextField("走访人", 64),
    "visit.notes": TextField("走访情况", 2000, multiline=True),
    "visit.needs": TextField("发现的需求", 1000, multiline=True),
    "assistance_record.note": TextField("说明", 255),
    "dibao_line.note": TextField("依据", 255),
    "policy_parameter.value": TextField("取值", 255),
    "policy_parameter.note": TextField("说明", 255),
    "policy_scenario.name": TextField("方案名称", 60),
    "official_calendar_year.holidays": TextField("放假日期", 4000, multiline=True),
    "official_calendar_year.workdays": TextField("调休上班日期", 4000, multiline=True),
    "official_calendar_year.source": TextField("依据", 255),
    "org.name": TextField("工会名称", 128),
    "app_user.username": TextField("用户名", 64),
    "app_user.display_name": TextField("姓名", 64),
    "import_batch.filename": TextField("文件名", 255),
    "audit_log.reason": TextField("原因", 2000, multiline=True),
}
REASON = TextField("原因", 500, multiline=True)  # a reason a user types for a change (deleting a payment, a correction)


def text_problem(text: str, limit: int, *, multiline: bool = False, label: str = "") -> str | None:
    """Why `text` cannot be stored in a field of `limit` characters, or None when it can."""
    if (REFUSED_IN_MULTILINE if multiline else REFUSED_CHARACTERS).search(text):
        return f"{label}{CONTROL_MESSAGE}"
    if len(text) > limit:
        return f"{label}不能超过 {limit} 个字（现为 {len(text):,} 个字）"
    return None


def field_text(value: Any, field: str | TextField, errors: dict[str, str], key: str, *, prefix: str = "",
               required: str | None = None) -> str:
    """A free-text value as typed, trimmed (a multi-line one with LF line ends); its problem, if any, goes into
    `errors[key]` ("不能超过 N 个字", a control character), labelled and prefixed (e.g. "第 2 位成员：").
    With `required`, an empty value is a problem too, told with that message."""
    spec = TEXT_FIELDS[field] if isinstance(field, str) else field
    text = "" if value is None else str(value)
    if spec.multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.strip()
    problem = text_problem(text, spec.limit, multiline=spec.multiline, label=spec.label) or (required if not text else None)
    if problem and key not in errors:
        errors[key] = prefix + problem
    return text


def echo(value: Any, limit: int = 30) -> str:
    """A value a user typed, as a message may quote it back: control characters dropped, at most `limit` characters."""
    text = CONTROL_CHARACTERS.sub("", "" if value is None else str(value)).strip()
    return text if len(text) <= limit else text[:limit] + "…"


def search_text(value: Any) -> str:
    """What a search box holds, as it can be searched: control characters (a pasted NUL) dropped, spaces trimmed,
    cut to SEARCH_LIMIT characters — so no input can make the database refuse the query."""
    return CONTROL_CHARACTERS.sub("", str(value or "")).strip()[:SEARCH_LIMIT]


def as_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def as_code(value: Any, code_list: codes.CodeList) -> str | None:
    """A code, or its Chinese label; None when empty, INVALID when it is neither."""
    text = as_text(value)
    if not text:
        return None
    return codes.code_for(code_list, text) or INVALID


def as_date(value: Any) -> dt.date | None | str:
    """A date (date, datetime or YYYY-MM-DD text, also 2025/5/6 and 2025年5月6日, with or without the time of day a
    spreadsheet program adds); None when empty, INVALID when not a date."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = as_text(value)
    timed = TIME_OF_DAY.match(text)
    if timed:
        hour, minute, second = int(timed["h"]), int(timed["m"]), int(timed["s"] or 0)
        if hour > 23 or minute > 59 or second > 59:
            return INVALID
        text = timed["date"].strip()
    match = LOOSE_DATE.match(text)
    try:
        if match:  # 2025/5/6, 2025.5.6, 2025年5月6日
            return dt.date(*(int(g) for g in match.groups()))
        return dt.date.fromisoformat(text)
    except ValueError:
        return INVALID

"""Values as typed in a form or read from a spreadsheet, before the rules look at them.

Each parser returns None for an empty value and INVALID for one that is not what it should be,
so a checker can say "missing" and "wrong" apart and put each message under its field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from core import codes

INVALID = "\0invalid"
LOOSE_DATE = re.compile(r"^(\d{4})\s*[/.年-]\s*(\d{1,2})\s*[/.月-]\s*(\d{1,2})\s*日?$")
# a time of day after a date, as a spreadsheet program writes a date cell into CSV: "2021-01-15 0:00:00", "2021/1/15 0:00"
TIME_OF_DAY = re.compile(r"^(?P<date>.+?)(?:[ T]+(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?)$")


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # never typed on purpose; PostgreSQL refuses NUL
SEARCH_LIMIT = 100  # no name, file number or ID number is longer


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

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


def as_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def as_code(value: Any, code_list: codes.CodeList) -> str | None:
    """A code, or its Chinese label; None when empty, INVALID when it is neither."""
    text = as_text(value)
    if not text:
        return None
    return codes.code_for(code_list, text) or INVALID


def as_date(value: Any) -> dt.date | None | str:
    """A date (date, datetime or YYYY-MM-DD text); None when empty, INVALID when not a date."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = as_text(value)
    match = LOOSE_DATE.match(text)
    try:
        if match:  # 2025/5/6, 2025.5.6, 2025年5月6日
            return dt.date(*(int(g) for g in match.groups()))
        return dt.date.fromisoformat(text)
    except ValueError:
        return INVALID

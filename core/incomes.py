"""Which months and which files may take a monthly income: one rule for the 月收入 screen, the import and the shell.

Pure: a month, today and a file's status in, a Chinese refusal (or None) out. `db.incomes.save_month` and
`db.importer` (the 月收入 sheet, on the page and through `manage.py import`) both call these.
"""

from __future__ import annotations

import datetime as dt

EARLIEST_MONTH = dt.date(2010, 1, 1)        # before the policy's records began: a typo such as 1900-01, never a month
OPEN_STATUSES = ("applying", "active")      # a closed file (脱困, 解困, 退出) takes no more incomes


def month_refusal(month: dt.date, today: dt.date) -> str | None:
    """Why `month` (any day in it) cannot take an income as of `today`, or None when it can."""
    month = month.replace(day=1)
    if month > today.replace(day=1):
        return "不能录入未来月份的收入"
    if month < EARLIEST_MONTH:
        return f"月份不能早于 {EARLIEST_MONTH:%Y年%m月}"
    return None


def file_refusal(status: str) -> str | None:
    """Why a file of this status cannot take an income, or None when it can."""
    if status not in OPEN_STATUSES:
        return "档案已关闭，不能再录入收入"
    return None

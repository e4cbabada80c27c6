"""Official working days (工作日) and how a 公示 period is counted.

Working days are the State Council's: weekdays that are not public holidays, plus the make-up working days (调休)
that fall on a weekend. The `chinese-calendar` package knows the years it ships with; later years are entered by
an administrator as dated data (`ExtraYear`: the year's holidays and make-up working days). A day in a year that
neither knows is never guessed: `CalendarMissing` names the year.

How a 公示 of N working days is counted (decided, as in 民法典 §201: the day a period starts does not count):
the working days after the start day are counted; the 审核 (or the 脱困/解困 confirmation) may take place on the
N-th of them at the earliest. A 公示 starting Friday 2018-09-28 with N = 5 counts 09-29 and 09-30 (调休 weekend
days), skips the National Day holiday 10-01..10-07 and reaches 5 on 2018-10-10.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import chinese_calendar

from core.typed import echo

PACKAGE_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


class CalendarMissing(Exception):
    """A day in a year for which no official calendar is known."""

    def __init__(self, year: int) -> None:
        super().__init__(year)
        self.year = year

    def message(self) -> str:
        return (f"系统还没有 {self.year} 年的法定节假日安排（国务院办公厅通知），无法计算工作日："
                f"请管理员在“低保标准与参数”页的“法定节假日”中录入 {self.year} 年后再办理")


@dataclass(frozen=True)
class ExtraYear:
    """A year an administrator entered: its public holidays and its make-up working days (调休上班)."""

    year: int
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Calendar:
    """The official calendar: the package's years plus the administrator's (a year in both: the package's)."""

    extra: dict[int, ExtraYear] = field(default_factory=dict)

    def knows(self, year: int) -> bool:
        return year in PACKAGE_YEARS or year in self.extra

    def is_working_day(self, day: dt.date) -> bool:
        if day.year in PACKAGE_YEARS:
            return chinese_calendar.is_workday(day)
        entered = self.extra.get(day.year)
        if entered is None:
            raise CalendarMissing(day.year)
        if day in entered.workdays:
            return True
        return day.weekday() < 5 and day not in entered.holidays


def publicity_end(start: dt.date, days: int, calendar: Calendar) -> dt.date:
    """The first day a 审核 may follow a 公示 of `days` working days that started on `start` (see the module doc)."""
    if days <= 0:
        return start
    counted, day = 0, start
    while counted < days:  # ends: every known year has working days, and an unknown one raises CalendarMissing
        day += dt.timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day


def latest_publicity_start(done_on: dt.date, days: int, calendar: Calendar) -> dt.date:
    """The latest start day of a 公示 of `days` working days that allows a 审核 on `done_on` (the inverse of
    `publicity_end`; the demo plans its filings backwards from the filing day with it)."""
    counted, day = 0, done_on
    while counted < days:
        if calendar.is_working_day(day):
            counted += 1
        day -= dt.timedelta(days=1)
    return day


def working_day_on_or_before(day: dt.date, calendar: Calendar) -> dt.date:
    while not calendar.is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def publicity_refusal(start: dt.date, done_on: dt.date, days: int, calendar: Calendar, *, what: str = "审核") -> str | None:
    """None when `done_on` comes after a full 公示; else the Chinese reason, naming the first allowed date."""
    if done_on < start:
        return f"{what}日期不能早于公示开始日期 {start:%Y-%m-%d}"
    try:
        first = publicity_end(start, days, calendar)
    except CalendarMissing as missing:
        return f"公示始于 {start:%Y-%m-%d}、为期 {days} 个工作日，期满日已进入 {missing.year} 年：" + missing.message()
    if done_on < first:
        return (f"公示期为 {days} 个工作日（按国务院法定节假日和调休安排计算，公示当天不计）：公示始于 {start:%Y-%m-%d}，"
                f"最早可于 {first:%Y-%m-%d} {what}")
    return None


# --- what an administrator types for a year ----------------------------------------------------------

DAY_OR_RANGE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:~([0-9]{4})-([0-9]{1,2})-([0-9]{1,2}))?")


class CalendarInputError(ValueError):
    """A year's calendar as typed, wrong; `errors` maps a field ("year", "holidays", "workdays") to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def _days(text: str, label: str, year: int, errors: dict[str, str], key: str) -> frozenset[dt.date]:
    out: set[dt.date] = set()
    text = re.sub(r"\s*[~～至到]\s*", "~", (text or "").strip())
    for part in re.split(r"[,，、;；\s]+", text):
        part = part.strip()
        if not part:
            continue
        match = DAY_OR_RANGE.fullmatch(part)
        try:
            if not match:
                raise ValueError
            first = dt.date(int(match[1]), int(match[2]), int(match[3]))
            last = dt.date(int(match[4]), int(match[5]), int(match[6])) if match[4] else first
        except ValueError:
            errors[key] = f"{label}中的“{echo(part)}”不是日期：请写成 YYYY-MM-DD，连续几天写成 YYYY-MM-DD~YYYY-MM-DD，用逗号或换行分开"
            return frozenset()
        if last < first or first.year != year or last.year != year:
            errors[key] = f"{label}中的“{echo(part)}”不在 {year} 年内（或起止颠倒）"
            return frozenset()
        while first <= last:
            out.add(first)
            first += dt.timedelta(days=1)
    return frozenset(out)


def parse_extra_year(year: object, holidays: str, workdays: str) -> ExtraYear:
    """Check a year's calendar as an administrator typed it (dates and ranges, separated by commas or lines)."""
    errors: dict[str, str] = {}
    try:
        number = int(str(year).strip())
    except ValueError:
        raise CalendarInputError({"year": "请填写年份（如 2027）"}) from None
    if not 2000 <= number <= 2100:
        raise CalendarInputError({"year": "年份应在 2000–2100 之间"})
    if number in PACKAGE_YEARS:
        raise CalendarInputError({"year": f"{number} 年的安排已随程序内置（{PACKAGE_YEARS[0]}–{PACKAGE_YEARS[-1]} 年），无需录入"})
    off = _days(holidays, "放假日期", number, errors, "holidays")
    on = _days(workdays, "调休上班日期", number, errors, "workdays")
    if not errors:
        if not off:
            errors["holidays"] = "请填写该年的放假日期（元旦、春节、清明、劳动节、端午、中秋、国庆）"
        weekdays = sorted(d for d in on if d.weekday() < 5)
        both = sorted(off & on)
        if weekdays:
            errors["workdays"] = f"调休上班日应为周六或周日：{weekdays[0]:%Y-%m-%d} 本来就是工作日"
        elif both:
            errors["workdays"] = f"{both[0]:%Y-%m-%d} 不能既放假又上班"
    if errors:
        raise CalendarInputError(errors)
    return ExtraYear(number, off, on)


def format_days(days: frozenset[dt.date] | set[dt.date]) -> str:
    """Days as an administrator types them back: consecutive days as one range."""
    parts, ordered = [], sorted(days)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] - ordered[j] == dt.timedelta(days=1):
            j += 1
        parts.append(f"{ordered[i]:%Y-%m-%d}" if i == j else f"{ordered[i]:%Y-%m-%d}~{ordered[j]:%Y-%m-%d}")
        i = j + 1
    return ", ".join(parts)

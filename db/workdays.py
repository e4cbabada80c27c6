"""The official calendar in the store: the years an administrator entered, and the 公示 check that uses them.

`core.workdays` holds the rule; this module loads the administrator's years and saves one (admin only,
versioned, audited). The filing steps (db.households) and the 脱困/解困 confirmation (db.evaluation) call
`publicity_refusal` here, so both count a 公示 the same way.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import workdays
from core.typed import field_text
from core.workdays import Calendar, CalendarInputError, ExtraYear, format_days, parse_extra_year
from db import audit
from db.actor import Actor
from db.errors import Conflict, ValidationError
from db.models import OfficialCalendarYear
from db.scope import require_admin


def _dates(text: str) -> frozenset[dt.date]:
    return frozenset(dt.date.fromisoformat(part) for part in (text or "").split(",") if part.strip())


def _stored(days: frozenset[dt.date]) -> str:
    return ",".join(f"{d:%Y-%m-%d}" for d in sorted(days))


def load_calendar(session: Session) -> Calendar:
    rows = session.scalars(select(OfficialCalendarYear))
    return Calendar({r.year: ExtraYear(r.year, _dates(r.holidays), _dates(r.workdays)) for r in rows})


def calendar_years(session: Session) -> list[dict]:
    """The administrator's years, for the screen: year, the days as typed back, source, version."""
    rows = session.scalars(select(OfficialCalendarYear).order_by(OfficialCalendarYear.year))
    return [{"id": r.id, "year": r.year, "holidays": format_days(_dates(r.holidays)), "workdays": format_days(_dates(r.workdays)),
             "source": r.source or "", "version": r.version} for r in rows]


def save_calendar_year(
    session: Session, actor: Actor, *, year: object, holidays: str, workdays: str, source: str | None = None,
    expected_version: int | None = None,
) -> OfficialCalendarYear:
    """Enter (or correct) one year's holidays and make-up working days. `expected_version` is the version the
    administrator loaded when correcting a year; a year already entered and not loaded is refused."""
    require_admin(actor, "录入法定节假日")
    try:
        entered = parse_extra_year(year, holidays, workdays)
    except CalendarInputError as exc:
        raise ValidationError(exc.errors) from None
    problems: dict[str, str] = {}
    source = field_text(source, "official_calendar_year.source", problems, "source") or None
    if problems:
        raise ValidationError(problems)
    row = session.scalar(select(OfficialCalendarYear).where(OfficialCalendarYear.year == entered.year))
    values = {"holidays": _stored(entered.holidays), "workdays": _stored(entered.workdays), "source": source}
    if row is None:
        if expected_version is not None:
            raise Conflict(f"{entered.year} 年的安排已被他人删除或改了年份，请刷新后重新录入。")
        row = OfficialCalendarYear(year=entered.year, **values)
        audit.create(session, actor, row, reason=f"录入 {entered.year} 年法定节假日和调休")
    else:
        if expected_version is None:
            raise ValidationError({"year": f"{entered.year} 年已录入：请在下方选择该年份后修改"})
        audit.update(session, actor, row, values, expected_version=expected_version,
                     reason=f"修改 {entered.year} 年法定节假日和调休")
    session.flush()
    return row


def publicity_refusal(session: Session, start: dt.date, done_on: dt.date, days: int, *, what: str = "审核") -> str | None:
    """None when `done_on` follows a full 公示 of `days` official working days from `start`; else why not."""
    return workdays.publicity_refusal(start, done_on, days, load_calendar(session), what=what)

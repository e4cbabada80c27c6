"""The official calendar in the store: filing steps and the 脱困 confirmation count a 公示 in official working
days; a year the package does not know is refused by name until an administrator enters it (SQLite + PostgreSQL)."""

import datetime as dt

import pytest
from sqlalchemy import select

from db import households as hh
from db.actor import system_actor
from db.engine import reading, transaction
from db.errors import Conflict, OutOfScope, ValidationError
from db.proposals import confirm
from db.models import AuditLog, DibaoLine, Household, OfficialCalendarYear
from db.workdays import calendar_years, load_calendar, save_calendar_year
from tests.db.test_evaluation import _active_with_incomes
from tests.db.test_households import org_id, raw, staff

HOLIDAYS_2027 = "2027-01-01~2027-01-03, 2027-02-06~2027-02-12"
WORKDAYS_2027 = "2027-02-14"


def _applying(engine, applied_on: dt.date, today: dt.date) -> int:
    with transaction(engine) as s:
        return hh.create_household(s, staff(s), org_id=org_id(s), raw=raw(), applied_on=applied_on, today=today).id


def _step(engine, hid, step, day, today):
    with transaction(engine) as s:
        hh.record_step(s, staff(s), hid, expected_version=s.get(Household, hid).version, step=step, done_on=day, today=today)


def test_a_review_after_a_holiday_publicity_names_the_first_allowed_date(db_engine):
    today = dt.date(2018, 12, 1)
    hid = _applying(db_engine, dt.date(2018, 9, 20), today)
    _step(db_engine, hid, "survey", dt.date(2018, 9, 25), today)
    _step(db_engine, hid, "publicity", dt.date(2018, 9, 28), today)
    for too_early in (dt.date(2018, 10, 5), dt.date(2018, 10, 9)):  # 10-05 passed Monday–Friday, but is a holiday
        with pytest.raises(ValidationError) as refused:
            _step(db_engine, hid, "review", too_early, today)
        assert refused.value.errors["done_on"].endswith("公示始于 2018-09-28，最早可于 2018-10-10 审核")
    _step(db_engine, hid, "review", dt.date(2018, 10, 10), today)
    with reading(db_engine) as s:
        assert [st.step for st in hh.steps_of(s, staff(s), hid)][-1] == "review"


def test_a_year_beyond_the_package_is_refused_until_an_administrator_enters_it(db_engine):
    today = dt.date(2027, 2, 1)
    hid = _applying(db_engine, dt.date(2026, 12, 1), today)
    _step(db_engine, hid, "survey", dt.date(2026, 12, 20), today)
    _step(db_engine, hid, "publicity", dt.date(2026, 12, 28), today)
    with pytest.raises(ValidationError) as refused:
        _step(db_engine, hid, "review", dt.date(2027, 1, 8), today)
    assert "系统还没有 2027 年的法定节假日安排" in refused.value.errors["done_on"]
    with transaction(db_engine) as s:
        with pytest.raises(OutOfScope, match="只有管理员可以录入法定节假日"):
            save_calendar_year(s, staff(s), year="2027", holidays=HOLIDAYS_2027, workdays=WORKDAYS_2027)
        with pytest.raises(ValidationError) as bad:
            save_calendar_year(s, system_actor("test"), year="2027", holidays="2027-02-30", workdays="")
        assert "不是日期" in bad.value.errors["holidays"]
        save_calendar_year(s, system_actor("test"), year="2027", holidays=HOLIDAYS_2027, workdays=WORKDAYS_2027,
                           source="国办发明电〔2026〕示例号")
    with pytest.raises(ValidationError) as refused:  # 12-29, 12-30, 12-31, (01-01..03 off) 01-04: four
        _step(db_engine, hid, "review", dt.date(2027, 1, 4), today)
    assert refused.value.errors["done_on"].endswith("最早可于 2027-01-05 审核")
    _step(db_engine, hid, "review", dt.date(2027, 1, 5), today)
    with reading(db_engine) as s:
        assert load_calendar(s).is_working_day(dt.date(2027, 2, 14))
        audited = s.scalars(select(AuditLog).where(AuditLog.entity == "official_calendar_year")).all()
        assert [a.action for a in audited] == ["create"] and "2027-02-14" in audited[0].new_value


def test_an_entered_year_is_corrected_on_the_version_seen_and_never_entered_twice(db_engine):
    admin = system_actor("test")
    with transaction(db_engine) as s:
        save_calendar_year(s, admin, year=2027, holidays=HOLIDAYS_2027, workdays="")
    with transaction(db_engine) as s:
        with pytest.raises(ValidationError, match="2027 年已录入"):
            save_calendar_year(s, admin, year=2027, holidays="2027-01-01", workdays="")
        (seen,) = calendar_years(s)
        assert seen["holidays"] == HOLIDAYS_2027 and seen["version"] == 1
        save_calendar_year(s, admin, year=2027, holidays=seen["holidays"], workdays=WORKDAYS_2027, expected_version=1)
    with transaction(db_engine) as s:
        with pytest.raises(Conflict):
            save_calendar_year(s, admin, year=2027, holidays=HOLIDAYS_2027, workdays="", expected_version=1)
    with reading(db_engine) as s:
        row = s.scalar(select(OfficialCalendarYear))
        assert (row.workdays, row.version) == ("2027-02-14", 2)
        changes = s.scalars(select(AuditLog.field).where(AuditLog.entity == "official_calendar_year", AuditLog.action == "update")).all()
        assert changes == ["workdays"]


def test_a_confirmation_after_publicity_names_its_first_allowed_date(db_engine):
    with transaction(db_engine) as s:
        s.add(DibaoLine(place_code="130302", effective_from=dt.date(2026, 1, 1), amount_fen=70000))
    out_id, _ = _active_with_incomes(db_engine, 70001)
    today = dt.date(2026, 11, 29)
    with transaction(db_engine) as s:
        with pytest.raises(ValidationError) as refused:  # from Wednesday 11-25: 26, 27, 30, 12-01, 12-02
            confirm(s, staff(s), [out_id], kind="exit", as_of=dt.date(2026, 10, 31), effective_on=today,
                    publicity_from=dt.date(2026, 11, 25), today=today)
    assert refused.value.errors["publicity_from"].endswith("公示始于 2026-11-25，最早可于 2026-12-02 确认")


def test_every_demo_filing_reviews_after_a_full_publicity_of_official_working_days(db_engine):
    from collections import defaultdict

    from core.workdays import Calendar, publicity_refusal
    from demo import load_demo
    from db.models import ProcessStep

    load_demo(db_engine, households=400)
    with reading(db_engine) as s:
        steps = defaultdict(dict)
        for step in s.scalars(select(ProcessStep)):
            steps[step.household_id][step.step] = step.done_on
    reviewed = [(d["publicity"], d["review"]) for d in steps.values() if "review" in d]
    assert len(reviewed) > 300
    calendar = Calendar()
    too_short = [(p, r, publicity_refusal(p, r, 5, calendar)) for p, r in reviewed if publicity_refusal(p, r, 5, calendar)]
    assert too_short == []
    # a 审核 on a holiday or a plain weekend never happens; the 公示 starts on a working day too
    assert all(calendar.is_working_day(r) and calendar.is_working_day(p) for p, r in reviewed)

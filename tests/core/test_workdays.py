"""Official working days and the 公示 count, from issue 10's examples and the State Council's calendars."""

import datetime as dt

import pytest

from core.workdays import (
    PACKAGE_YEARS, Calendar, CalendarInputError, CalendarMissing, ExtraYear, format_days, parse_extra_year, publicity_end,
    publicity_refusal,
)

D = dt.date
OFFICIAL = Calendar()
BEYOND = PACKAGE_YEARS[-1] + 1  # the first year chinese-calendar 1.11.0 does not know (2027)


@pytest.mark.parametrize(
    "start,days,first_allowed,why",
    [
        (D(2018, 9, 28), 5, D(2018, 10, 10), "09-29 and 09-30 are 调休 working days; National Day 10-01..10-07 is off"),
        (D(2020, 1, 23), 5, D(2020, 2, 7), "Spring Festival 2020, extended to 02-02: no working day until 02-03"),
        (D(2019, 9, 27), 1, D(2019, 9, 29), "Sunday 2019-09-29 is a 调休 working day and counts"),
        (D(2019, 10, 11), 1, D(2019, 10, 12), "Saturday 2019-10-12 is a 调休 working day and counts"),
        (D(2019, 10, 18), 1, D(2019, 10, 21), "an ordinary Saturday does not"),
        (D(2026, 11, 3), 5, D(2026, 11, 10), "an ordinary week: Monday to Friday"),
        (D(2026, 11, 6), 5, D(2026, 11, 13), "a Friday start: the weekend does not count, the start day neither"),
        (D(2026, 11, 3), 0, D(2026, 11, 3), "no 公示 required"),
    ],
)
def test_first_allowed_day(start, days, first_allowed, why):
    assert publicity_end(start, days, OFFICIAL) == first_allowed, why


@pytest.mark.parametrize(
    "start,done_on,refusal",
    [
        (D(2018, 9, 28), D(2018, 10, 5), "公示始于 2018-09-28，最早可于 2018-10-10 审核"),  # Mon–Fri would allow 10-05, a holiday
        (D(2018, 9, 28), D(2018, 10, 9), "最早可于 2018-10-10 审核"),
        (D(2018, 9, 28), D(2018, 10, 10), None),
        (D(2020, 1, 23), D(2020, 1, 30), "最早可于 2020-02-07 审核"),  # Mon–Fri would allow 01-30 after no working day
        (D(2020, 1, 23), D(2020, 2, 7), None),
        (D(2018, 9, 28), D(2018, 9, 27), "审核日期不能早于公示开始日期 2018-09-28"),
    ],
)
def test_a_refused_review_names_the_first_allowed_date(start, done_on, refusal):
    message = publicity_refusal(start, done_on, 5, OFFICIAL)
    if refusal is None:
        assert message is None
    else:
        assert refusal in message


def test_the_package_knows_2004_to_2026():
    assert PACKAGE_YEARS[0] == 2004 and PACKAGE_YEARS[-1] == 2026
    assert OFFICIAL.is_working_day(D(2018, 9, 29)) and not OFFICIAL.is_working_day(D(2018, 10, 5))


def test_a_year_with_no_calendar_is_refused_by_name_then_allowed_once_entered():
    start = D(BEYOND - 1, 12, 28)  # Monday 2026-12-28: 12-29, 12-30, 12-31 then into 2027
    with pytest.raises(CalendarMissing) as missing:
        publicity_end(start, 5, OFFICIAL)
    assert missing.value.year == BEYOND
    message = publicity_refusal(start, D(BEYOND, 1, 15), 5, OFFICIAL)
    assert f"系统还没有 {BEYOND} 年的法定节假日安排" in message and f"录入 {BEYOND} 年" in message
    # a 公示 that ends before the unknown year needs no calendar for it
    assert publicity_refusal(D(BEYOND - 1, 12, 21), D(BEYOND, 1, 15), 5, OFFICIAL) is None
    entered = parse_extra_year(BEYOND, f"{BEYOND}-01-01~{BEYOND}-01-03, {BEYOND}-02-06 ~ {BEYOND}-02-12", f"{BEYOND}-02-14")
    calendar = Calendar({BEYOND: entered})
    assert publicity_end(start, 5, calendar) == D(BEYOND, 1, 5)  # 01-01 is off; 01-04 Mon and 01-05 Tue
    assert publicity_refusal(start, D(BEYOND, 1, 4), 5, calendar).endswith(f"最早可于 {BEYOND}-01-05 审核")
    assert calendar.is_working_day(D(BEYOND, 2, 14))  # an entered 调休 Sunday counts
    assert not calendar.is_working_day(D(BEYOND, 2, 8))  # an entered holiday Monday does not


@pytest.mark.parametrize(
    "year,holidays,workdays,field,message",
    [
        ("", "2027-01-01", "", "year", "请填写年份"),
        ("2018", "2018-01-01", "", "year", "已随程序内置"),
        ("2027", "", "", "holidays", "请填写该年的放假日期"),
        ("2027", "2027-13-01", "", "holidays", "“2027-13-01”不是日期"),
        ("2027", "2028-01-01", "", "holidays", "不在 2027 年内"),
        ("2027", "2027-02-12~2027-02-06", "", "holidays", "起止颠倒"),
        ("2027", "2027-01-01", "2027-02-15", "workdays", "调休上班日应为周六或周日：2027-02-15 本来就是工作日"),
        ("2027", "2027-02-06~2027-02-14", "2027-02-14", "workdays", "不能既放假又上班"),
    ],
)
def test_an_entered_year_is_checked(year, holidays, workdays, field, message):
    with pytest.raises(CalendarInputError) as caught:
        parse_extra_year(year, holidays, workdays)
    assert message in caught.value.errors[field]


def test_entered_days_read_back_as_ranges():
    entered = parse_extra_year("2027", "2027-01-01\n2027-10-01至2027-10-07；2027-05-01", "")
    assert format_days(entered.holidays) == "2027-01-01, 2027-05-01, 2027-10-01~2027-10-07"
    assert parse_extra_year("2027", format_days(entered.holidays), "") == ExtraYear(2027, entered.holidays, frozenset())

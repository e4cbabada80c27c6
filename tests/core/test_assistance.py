"""纳入政府救助体系: a record is in force in a month when it began by the month's last day and had not ended before its first."""

import datetime as dt

import pandas as pd
import pytest

from core.assistance import (AssistanceErrors, check_record, households_in_force, in_force, in_force_per_household, month_bounds,
                             overlapping)

D = dt.date


@pytest.mark.parametrize("from_on, to_on, month, expected", [
    (D(2018, 6, 15), None, D(2018, 6, 1), True),          # from the 15th: the whole month counts
    (D(2018, 6, 30), None, D(2018, 6, 30), True),         # from the last day of the month
    (D(2018, 7, 1), None, D(2018, 6, 30), False),         # from the 1st of the next month: not yet
    (D(2018, 1, 1), D(2018, 6, 1), D(2018, 6, 20), True),  # ended on the 1st: still in force that month
    (D(2018, 1, 1), D(2018, 5, 31), D(2018, 6, 1), False),  # ended the last day before: not in June
    (D(2018, 1, 1), D(2018, 5, 31), D(2018, 5, 31), True),
    (D(2016, 2, 29), D(2016, 2, 29), D(2016, 2, 1), True),  # one day, a leap day
    (D(2016, 3, 1), None, D(2016, 2, 29), False),
    (D(2018, 12, 31), None, D(2018, 12, 1), True),         # a December record (the year's end)
    (D(2019, 1, 1), None, D(2018, 12, 31), False),
])
def test_a_record_is_in_force_in_every_month_it_touches(from_on, to_on, month, expected):
    assert in_force(from_on, to_on, month) is expected
    frame = pd.DataFrame([{"household_id": 7, "from_on": from_on, "to_on": to_on}])
    assert households_in_force(frame, month) == ({7} if expected else set())


def test_any_record_of_any_programme_puts_the_household_in_the_system():
    frame = pd.DataFrame([
        {"household_id": 1, "from_on": D(2017, 1, 1), "to_on": D(2017, 12, 31)},   # 低保, ended
        {"household_id": 1, "from_on": D(2018, 3, 10), "to_on": D(2018, 3, 10)},   # 临时救助, one day in March
        {"household_id": 2, "from_on": D(2018, 4, 1), "to_on": None},
    ])
    assert households_in_force(frame, D(2018, 2, 1)) == set()
    assert households_in_force(frame, D(2018, 3, 31)) == {1}
    assert households_in_force(frame, D(2018, 4, 1)) == {2}
    assert households_in_force(frame.iloc[:0], D(2018, 4, 1)) == set()


def test_month_bounds():
    assert month_bounds(D(2020, 2, 14)) == (D(2020, 2, 1), D(2020, 2, 29))
    assert month_bounds(D(2018, 12, 31)) == (D(2018, 12, 1), D(2018, 12, 31))


TODAY = D(2026, 11, 29)


def test_a_record_as_typed_is_cleaned():
    assert check_record({"programme": "特困供养", "from_on": "2020/3/5", "to_on": "", "source": "入户调查", "note": " 核实 "},
                        today=TODAY) == {"programme": "tekun", "from_on": D(2020, 3, 5), "to_on": None, "source": "survey",
                                         "note": "核实"}


@pytest.mark.parametrize("over, field, message", [
    ({"programme": ""}, "programme", "请选择救助项目"),
    ({"programme": "低保边缘"}, "programme", "无法识别"),
    ({"from_on": None}, "from_on", "请填写起始日期"),
    ({"from_on": "2030-01-01"}, "from_on", "晚于今天"),
    ({"from_on": "2020-13-01"}, "from_on", "YYYY-MM-DD"),
    ({"to_on": "2019-12-31"}, "to_on", "不能早于起始日期"),
    ({"source": ""}, "source", "请选择来源"),
    ({"source": "听说"}, "source", "无法识别"),
])
def test_each_mistake_is_named_at_its_field(over, field, message):
    raw = {"programme": "dibao", "from_on": D(2020, 1, 1), "to_on": None, "source": "manual"} | over
    with pytest.raises(AssistanceErrors) as refused:
        check_record(raw, today=TODAY)
    assert list(refused.value.errors) == [field] and message in refused.value.errors[field]


@pytest.mark.parametrize("other, clashes", [
    ({"programme": "dibao", "from_on": D(2018, 1, 1), "to_on": D(2019, 12, 31)}, False),  # ended the day before
    ({"programme": "dibao", "from_on": D(2018, 1, 1), "to_on": D(2020, 1, 1)}, True),     # ended on the first day
    ({"programme": "dibao", "from_on": D(2020, 6, 1), "to_on": None}, True),
    ({"programme": "dibao", "from_on": D(2021, 1, 1), "to_on": None}, False),             # begins after this one ends
    ({"programme": "medical", "from_on": D(2020, 6, 1), "to_on": None}, False),            # another programme
])
def test_one_programme_cannot_have_two_records_at_once(other, clashes):
    record = {"programme": "dibao", "from_on": D(2020, 1, 1), "to_on": D(2020, 12, 31)}
    assert (overlapping(record, [other]) is not None) is clashes


def test_each_household_on_its_own_judged_month():
    records = pd.DataFrame([
        {"household_id": 1, "from_on": D(2018, 11, 20), "to_on": None},
        {"household_id": 2, "from_on": D(2018, 1, 1), "to_on": D(2018, 11, 1)},
        {"household_id": 3, "from_on": D(2018, 12, 5), "to_on": None},
    ])
    months = pd.Series({1: D(2018, 11, 1), 2: D(2018, 12, 1), 3: D(2018, 11, 30), 4: D(2018, 12, 1)})
    assert in_force_per_household(records, months).to_dict() == {1: True, 2: False, 3: False, 4: False}
    # the same answers as the one-record rule
    for hid, month in months.items():
        mine = records[records["household_id"] == hid]
        assert in_force_per_household(records, months)[hid] == any(in_force(r.from_on, r.to_on, month) for r in mine.itertuples())
    assert not in_force_per_household(records.iloc[:0], months).any()

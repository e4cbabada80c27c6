"""Progress against the 50/40/10 targets, rebuilt from the status history."""

import datetime as dt

import pandas as pd

from core.progress import by_year, cohort, monthly_share, new_and_reopened, target_steps

BASELINE = dt.date(2017, 12, 31)
SHARES = {2018: 50, 2019: 40, 2020: 10}


def history(rows):
    return pd.DataFrame([{"id": i, "household_id": h, "effective_on": d, "to_status": s, "reason": r}
                         for i, (h, d, s, r) in enumerate(rows)], columns=["id", "household_id", "effective_on", "to_status", "reason"])


CHANGES = history([
    (1, dt.date(2016, 3, 1), "active", None), (1, dt.date(2018, 6, 30), "exited", None),
    (2, dt.date(2016, 5, 1), "active", None), (2, dt.date(2019, 3, 31), "relieved", None),
    (3, dt.date(2017, 1, 1), "active", None), (3, dt.date(2018, 9, 1), "exited", None), (3, dt.date(2019, 5, 1), "active", "reopened"),
    (4, dt.date(2017, 7, 1), "active", None),
    (5, dt.date(2018, 4, 1), "active", None), (5, dt.date(2019, 8, 1), "exited", None),  # 新增, after the baseline
    (6, dt.date(2017, 2, 1), "active", None), (6, dt.date(2017, 11, 1), "withdrawn", "death"),  # closed before the baseline
])
FILES = pd.DataFrame({"household_id": [1, 2, 3, 4, 5, 6], "place_name": ["海港区", "海港区", "昌黎县", "昌黎县", "海港区", "昌黎县"]})


def test_the_cohort_is_the_files_active_on_the_baseline():
    assert list(cohort(CHANGES, BASELINE)) == [1, 2, 3, 4]


def test_each_year_against_its_cumulative_target():
    table = by_year(FILES, CHANGES, BASELINE, SHARES).set_index(["范围", "年份"])
    city = table.loc["全市"]
    assert list(city["累计目标%"]) == [50, 90, 100] and list(city["累计目标户数"]) == [2, 4, 4]
    # 2018: households 1 and 3 out; 2019: 3 reopened, 2 relieved → 1 and 2; 2020 the same
    assert list(city["累计完成户数"]) == [2, 2, 2] and list(city["当年完成户数"]) == [2, 0, 0]
    assert list(city["完成率%"]) == [100.0, 50.0, 50.0] and list(city["差距户数"]) == [0, 2, 2]
    haigang = table.loc["海港区"]
    assert list(haigang["基数"]) == [2, 2, 2] and list(haigang["累计完成户数"]) == [1, 2, 2]


def test_a_later_correction_does_not_move_last_years_figure():
    corrected = pd.concat([CHANGES, history([(4, dt.date(2018, 12, 20), "exited", None)]).assign(id=99)])
    before = by_year(FILES, CHANGES, BASELINE, SHARES, group=None, as_of=dt.date(2019, 12, 31))
    after = by_year(FILES, corrected, BASELINE, SHARES, group=None, as_of=dt.date(2019, 12, 31))
    assert before.loc[0, "累计完成户数"] == 2 and after.loc[0, "累计完成户数"] == 3  # dated back into 2018: counted there
    later = pd.concat([CHANGES, history([(4, dt.date(2020, 2, 1), "exited", None)]).assign(id=98)])
    assert by_year(FILES, later, BASELINE, SHARES, group=None).loc[0, "累计完成户数"] == 2  # 2018 unchanged


def test_years_not_begun_show_their_target_only():
    table = by_year(FILES, CHANGES, BASELINE, SHARES, group=None, as_of=dt.date(2018, 12, 31))
    assert pd.isna(table.loc[1, "累计完成户数"]) and table.loc[1, "累计目标户数"] == 4


def test_monthly_share_and_target_steps():
    share = monthly_share(CHANGES, BASELINE, dt.date(2018, 9, 30)).set_index("月份")["累计完成%"]
    assert share[pd.Timestamp("2018-05-31")] == 0 and share[pd.Timestamp("2018-06-30")] == 25.0 and share[pd.Timestamp("2018-09-30")] == 50.0
    assert list(target_steps(SHARES, BASELINE)["目标%"]) == [0, 50, 90, 100]


def test_new_and_reopened_are_counted_apart():
    assert new_and_reopened(CHANGES, BASELINE, dt.date(2020, 12, 31)) == {"新增": 1, "新增已解困脱困": 1, "返困": 1}

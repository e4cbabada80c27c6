"""Progress against the 50/40/10 targets, rebuilt from the status history."""

import datetime as dt

import pandas as pd

import pytest

from core.progress import apart, by_year, report, cohort, monthly_share, new_by_year, target_steps, withdrawn_reasons

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


def test_new_withdrawn_and_reopened_are_counted_apart():
    assert apart(CHANGES, BASELINE, dt.date(2020, 12, 31)) == {"新增": 1, "新增已解困脱困": 1, "退出": 0, "返困": 1,
                                                               "返困后再次解困脱困": 0}


def _city(rows, as_of=None):
    return by_year(pd.DataFrame({"household_id": [1]}), history(rows), BASELINE, SHARES, group=None, as_of=as_of).set_index("年份")


COHORT = [(1, dt.date(2016, 1, 1), "active", None),
          (2, dt.date(2016, 1, 1), "active", None), (2, dt.date(2018, 6, 30), "exited", None)]


@pytest.mark.parametrize("withdrawn_on, year, base, withdrawn, target, rate", [
    # "不符合的退出": a cohort file leaves the base from its withdrawal date
    (dt.date(2018, 12, 31), 2018, 2, 1, 1, 100.0),   # withdrawn on the year's last day: out of that year's base
    (dt.date(2019, 1, 1), 2018, 3, 0, 2, 50.0),      # the next day: still in 2018's base …
    (dt.date(2019, 1, 1), 2019, 2, 1, 2, 50.0),      # … and out of 2019's
    (dt.date(2020, 12, 31), 2020, 2, 1, 2, 50.0),
    (dt.date(2017, 12, 31), 2018, 2, 0, 1, 100.0),   # withdrawn on the baseline: never in the cohort
])
def test_a_withdrawn_cohort_file_leaves_the_base_from_its_withdrawal_date(withdrawn_on, year, base, withdrawn, target, rate):
    rows = COHORT + [(3, dt.date(2016, 1, 1), "active", None), (3, withdrawn_on, "withdrawn", "misidentified")]
    got = _city(rows).loc[year]
    assert (got["基数"], got["已退出户数"], got["累计目标户数"], got["累计完成户数"], got["完成率%"]) == (base, withdrawn, target, 1, rate)


def test_with_every_other_file_out_the_withdrawn_no_longer_keep_a_district_below_100_percent():
    rows = COHORT + [(1, dt.date(2019, 9, 1), "relieved", None),
                     (3, dt.date(2016, 1, 1), "active", None), (3, dt.date(2020, 4, 1), "withdrawn", "death")]
    assert _city(rows).loc[2020, "累计完成%"] == 100.0 and _city(rows).loc[2020, "差距户数"] == 0
    assert _city(rows, as_of=dt.date(2020, 3, 31)).loc[2020, "累计完成%"] == 66.7  # before the withdrawal it still counted


@pytest.mark.parametrize("year, done, reopened", [
    (2018, 2, 0),   # out in May 2018
    (2019, 1, 1),   # reopened (返困) in February 2019: in the base, not out
    (2020, 2, 1),   # out again in March 2020
])
def test_a_reopened_file_counts_as_not_out_until_it_is_out_again(year, done, reopened):
    rows = COHORT + [(3, dt.date(2016, 1, 1), "active", None), (3, dt.date(2018, 5, 1), "exited", None),
                     (3, dt.date(2019, 2, 1), "active", "reopened"), (3, dt.date(2020, 3, 1), "exited", None)]
    got = _city(rows).loc[year]
    assert (got["基数"], got["累计完成户数"], got["返困户数"]) == (3, done, reopened)


def test_the_monthly_line_is_a_share_of_the_base_without_the_withdrawn():
    rows = COHORT + [(3, dt.date(2016, 1, 1), "active", None), (3, dt.date(2018, 8, 15), "withdrawn", "transferred")]
    share = monthly_share(history(rows), BASELINE, dt.date(2018, 8, 31)).set_index("月份")["累计完成%"]
    assert share[pd.Timestamp("2018-07-31")] == 33.3 and share[pd.Timestamp("2018-08-31")] == 50.0


NEW = history([
    (1, dt.date(2016, 1, 1), "active", None),                                                        # the cohort
    (11, dt.date(2018, 4, 1), "active", None), (11, dt.date(2019, 8, 1), "exited", None),
    (12, dt.date(2018, 10, 1), "active", None), (12, dt.date(2019, 5, 1), "withdrawn", "misidentified"),
    (13, dt.date(2019, 2, 1), "active", None), (13, dt.date(2019, 11, 30), "relieved", None),
    (14, dt.date(2020, 6, 1), "active", None),
])


@pytest.mark.parametrize("year, filed, out, on_file, out_at_end, share", [
    (2018, 2, 0, 2, 0, 0.0),
    (2019, 1, 2, 2, 2, 100.0),   # 12 withdrawn: off the 新增 on file, as for the cohort
    (2020, 1, 0, 3, 2, 66.7),
])
def test_new_files_per_year_filed_out_and_the_share_out_at_each_year_end(year, filed, out, on_file, out_at_end, share):
    got = new_by_year(NEW, BASELINE, SHARES).set_index("年份").loc[year]
    assert (got["当年新增户数"], got["当年解困脱困户数"], got["年末新增在册户数"], got["年末已解困脱困户数"],
            got["年末解困脱困占比%"]) == (filed, out, on_file, out_at_end, share)


def test_new_files_in_a_year_not_ended_are_counted_up_to_the_date_and_later_years_have_no_figures():
    table = new_by_year(NEW, BASELINE, SHARES, as_of=dt.date(2019, 6, 30)).set_index("年份")
    assert (table.loc[2019, "当年新增户数"], table.loc[2019, "当年解困脱困户数"], table.loc[2019, "年末新增在册户数"]) == (1, 0, 2)
    assert pd.isna(new_by_year(NEW, BASELINE, SHARES, as_of=dt.date(2018, 6, 30)).set_index("年份").loc[2019, "当年新增户数"])


def test_the_withdrawn_are_listed_by_their_reason():
    rows = history(COHORT + [(3, dt.date(2016, 1, 1), "active", None), (3, dt.date(2019, 3, 1), "withdrawn", "death"),
                             (4, dt.date(2016, 1, 1), "active", None), (4, dt.date(2019, 4, 1), "withdrawn", "death"),
                             (5, dt.date(2016, 1, 1), "active", None), (5, dt.date(2020, 4, 1), "withdrawn", "misidentified")])
    assert withdrawn_reasons(rows, BASELINE, dt.date(2019, 12, 31)).values.tolist() == [["死亡", 2]]
    assert withdrawn_reasons(rows, BASELINE, dt.date(2020, 12, 31)).values.tolist() == [["死亡", 2], ["识别不准/不符合", 1]]
    assert apart(rows, BASELINE, dt.date(2020, 12, 31))["退出"] == 3


def test_the_report_puts_each_scopes_new_files_beside_its_targets():
    files = pd.DataFrame({"household_id": [1, 11, 12, 13, 14], "place_name": ["海港区", "海港区", "昌黎县", "昌黎县", "海港区"]})
    table = report(files, NEW, BASELINE, SHARES).set_index(["范围", "年份"])
    assert table.loc[("全市", 2019), "年末新增在册户数"] == 2 and table.loc[("全市", 2019), "基数"] == 1
    assert table.loc[("海港区", 2018), "当年新增户数"] == 1 and table.loc[("昌黎县", 2019), "年末解困脱困占比%"] == 100.0
    assert table.loc[("海港区", 2020), "年末新增在册户数"] == 2

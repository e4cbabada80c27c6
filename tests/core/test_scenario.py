"""Scenarios as a transform of the dated tables: periods, overlaps, scaled series, the hash, the whole-set checks."""

from __future__ import annotations

import copy
import datetime as dt

import pandas as pd
import pytest

from core import scenario as sc
from core.parameters import SPECS, value_on
from core.scenario import LINE_ADD, LINE_SCALE, DatedTables, Override, ScenarioInvalid
from core.status_engine import line_grid, month_index

D = dt.date
HAIGANG, LULONG = "130302", "130324"
PLACES = {HAIGANG: "海港区", LULONG: "卢龙县"}
TODAY = D(2026, 11, 29)


def baseline() -> DatedTables:
    """海港区 700 → 760 (2019-07-01) → 800 (2020-01-15); 卢龙县 600 throughout; the seeded parameters."""
    lines = pd.DataFrame({"place_code": [HAIGANG, HAIGANG, HAIGANG, LULONG],
                          "effective_from": [D(2018, 1, 1), D(2019, 7, 1), D(2020, 1, 15), D(2018, 1, 1)],
                          "amount_fen": [70000, 76000, 80000, 60000]})
    params = {s.key: [(D(2000, 1, 1), s.default)] for s in SPECS}
    params["exit_run_months"] = [(D(2000, 1, 1), "6"), (D(2019, 3, 1), "5")]
    return DatedTables(lines=lines, params=params)


def line_on(tables: DatedTables, place: str, year: int, month: int) -> int:
    """The line a month is judged with (the one in force on its first day), as the status engine reads it."""
    index = month_index(D(year, month, 1))
    return int(line_grid(tables.lines, [place], index, index)[0, 0])


def param_on(tables: DatedTables, key: str, on: dt.date):
    return value_on(tables.params[key], key, on)


# --- periods ---------------------------------------------------------------------------------------------------------


def test_an_onward_override_holds_from_its_start_and_replaces_the_baseline_rows_after_it():
    tables = sc.resolve(baseline(), [Override("exit_run_months", "3", D(2019, 1, 1))])
    assert param_on(tables, "exit_run_months", D(2018, 12, 31)) == 6
    assert param_on(tables, "exit_run_months", D(2019, 1, 1)) == 3
    assert param_on(tables, "exit_run_months", D(2019, 3, 1)) == 3  # the baseline's 2019-03 change gives way
    assert param_on(tables, "exit_run_months", D(2030, 1, 1)) == 3


def test_a_bounded_override_ends_on_its_last_day_and_the_baseline_value_in_force_then_returns():
    tables = sc.resolve(baseline(), [Override("exit_run_months", "3", D(2019, 1, 1), D(2019, 6, 30))])
    assert [param_on(tables, "exit_run_months", d) for d in (D(2018, 12, 31), D(2019, 1, 1), D(2019, 6, 30), D(2019, 7, 1))] \
        == [6, 3, 3, 5]  # after the period: 5, the baseline's value on 2019-07-01 (it changed inside the period)
    before = sc.resolve(baseline(), [Override("income_lag_months", "0", D(2019, 1, 1), D(2019, 1, 31))])
    assert [param_on(before, "income_lag_months", d) for d in (D(2018, 12, 31), D(2019, 1, 15), D(2019, 2, 1))] == [1, 0, 1]


def test_two_overlapping_overrides_of_a_key_the_later_wins_and_the_earlier_holds_outside_it():
    tables = sc.resolve(baseline(), [Override("exit_multiple", "1.2", D(2019, 1, 1), D(2019, 12, 31)),
                                     Override("exit_multiple", "1.5", D(2019, 4, 1), D(2019, 6, 30))])
    assert [str(param_on(tables, "exit_multiple", d)) for d in
            (D(2018, 12, 31), D(2019, 3, 31), D(2019, 4, 1), D(2019, 6, 30), D(2019, 7, 1), D(2020, 1, 1))] \
        == ["1", "1.2", "1.5", "1.5", "1.2", "1"]
    reversed_order = sc.resolve(baseline(), [Override("exit_multiple", "1.5", D(2019, 4, 1), D(2019, 6, 30)),
                                             Override("exit_multiple", "1.2", D(2019, 1, 1), D(2019, 12, 31))])
    assert str(param_on(reversed_order, "exit_multiple", D(2019, 5, 1))) == "1.2"


def test_a_scale_over_a_series_with_rises_scales_each_rise_and_the_baseline_line_returns_after_the_period():
    tables = sc.resolve(baseline(), [Override(LINE_SCALE, "1.2", D(2019, 1, 1), D(2020, 6, 30))])
    assert [line_on(tables, HAIGANG, y, m) for y, m in ((2018, 12), (2019, 1), (2019, 7), (2020, 1), (2020, 2), (2020, 6), (2020, 7))] \
        == [70000, 84000, 91200, 91200, 96000, 96000, 80000]  # the rise on 2020-01-15 applies from February, scaled
    assert line_on(tables, LULONG, 2019, 1) == 72000
    assert line_on(tables, LULONG, 2020, 7) == 60000


def test_a_scaled_line_is_rounded_half_up_to_the_fen():
    lines = pd.DataFrame({"place_code": [HAIGANG], "effective_from": [D(2018, 1, 1)], "amount_fen": [70001]})
    tables = sc.resolve(DatedTables(lines, {}), [Override(LINE_SCALE, "1.5", D(2019, 1, 1))])
    assert line_on(tables, HAIGANG, 2019, 1) == 105002  # 105001.5 → 105002
    tables = sc.resolve(DatedTables(lines, {}), [Override(LINE_SCALE, "0.5", D(2019, 1, 1))])
    assert line_on(tables, HAIGANG, 2019, 1) == 35001  # 35000.5 → 35001


def test_an_addition_in_yuan_for_some_districts_leaves_the_others_alone():
    tables = sc.resolve(baseline(), [Override(LINE_ADD, "-20.5", D(2019, 1, 1), places=(LULONG,))])
    assert line_on(tables, LULONG, 2019, 1) == 57950
    assert line_on(tables, LULONG, 2030, 1) == 57950
    assert line_on(tables, HAIGANG, 2019, 1) == 70000
    assert tables.lines[tables.lines.place_code == HAIGANG].reset_index(drop=True).equals(
        baseline().lines[baseline().lines.place_code == HAIGANG].reset_index(drop=True))


def test_an_override_starting_mid_month_applies_from_the_next_month_as_a_real_line_does():
    tables = sc.resolve(baseline(), [Override(LINE_ADD, "100", D(2019, 3, 15), D(2019, 5, 20))])
    # from 2019-03-15 (a row of that date: April on) to 2019-05-20 (the baseline's row dated 05-21: June on)
    assert [line_on(tables, LULONG, 2019, m) for m in (3, 4, 5, 6)] == [60000, 70000, 70000, 60000]


def test_two_overlapping_line_overrides_the_later_wins_per_district():
    tables = sc.resolve(baseline(), [Override(LINE_SCALE, "1.2", D(2019, 1, 1)),
                                     Override(LINE_SCALE, "1.5", D(2019, 1, 1), D(2019, 12, 31), places=(LULONG,))])
    assert line_on(tables, LULONG, 2019, 6) == 90000  # 600 × 1.5, not × 1.2 × 1.5
    assert line_on(tables, LULONG, 2020, 1) == 72000  # the earlier one still holds after the later one ends
    assert line_on(tables, HAIGANG, 2019, 6) == 84000


def test_a_scale_and_an_addition_in_force_together_both_apply_in_list_order():
    tables = sc.resolve(baseline(), [Override(LINE_SCALE, "1.5", D(2019, 1, 1)), Override(LINE_ADD, "10", D(2019, 1, 1))])
    assert line_on(tables, LULONG, 2019, 1) == 91000  # 600 × 1.5 + 10


def test_an_override_before_any_line_is_in_force_adds_no_line():
    tables = sc.resolve(baseline(), [Override(LINE_SCALE, "2", D(2010, 1, 1), D(2018, 6, 30))])
    assert line_on(tables, LULONG, 2017, 12) == 0  # still none: a missing line stays an error, never invented
    assert line_on(tables, LULONG, 2018, 3) == 120000
    assert line_on(tables, LULONG, 2018, 7) == 60000


# --- the baseline is left as it is -------------------------------------------------------------------------------------


def test_no_overrides_give_tables_equal_to_the_baseline():
    base = baseline()
    tables = sc.resolve(base, ())
    pd.testing.assert_frame_equal(tables.lines, base.lines)
    assert tables.params == base.params


def test_resolve_never_changes_the_baseline_it_is_given():
    base = baseline()
    before = copy.deepcopy(base)
    sc.resolve(base, [Override(LINE_SCALE, "1.2", D(2019, 1, 1), D(2019, 12, 31)), Override(LINE_ADD, "5", D(2018, 6, 1)),
                      Override("exit_run_months", "3", D(2019, 1, 1)), Override("target_shares", '{"2018": 100}', D(2018, 1, 1))])
    pd.testing.assert_frame_equal(base.lines, before.lines)
    assert base.params == before.params


def test_resolved_rows_are_plain_dated_rows_one_per_change():
    tables = sc.resolve(baseline(), [Override(LINE_ADD, "0", D(2019, 1, 1), D(2019, 3, 31), places=(LULONG,))])
    assert len(tables.lines) == len(baseline().lines)  # +0 changes nothing: no row is added
    tables = sc.resolve(baseline(), [Override("exit_run_months", "3", D(2019, 1, 1), D(2019, 6, 30))])
    assert tables.params["exit_run_months"] == [(D(2000, 1, 1), "6"), (D(2019, 1, 1), "3"), (D(2019, 7, 1), "5")]


# --- the stored form and the hash ------------------------------------------------------------------------------------


def test_the_same_overrides_hash_the_same_whatever_the_order_of_their_fields_or_districts():
    one = sc.parse([{"key": LINE_SCALE, "value": "1.2", "start": "2019-01-01", "end": "2019-12-31", "places": [LULONG, HAIGANG]},
                    {"value": '{"2019": 40, "2018": 50, "2020": 10}', "start": "2018-01-01", "key": "target_shares"}])
    two = sc.parse(sc.to_json([Override(LINE_SCALE, "1.2", D(2019, 1, 1), D(2019, 12, 31), (HAIGANG, LULONG)),
                               Override("target_shares", '{"2018": 50, "2019": 40, "2020": 10}', D(2018, 1, 1))]))
    assert sc.content_hash(one) == sc.content_hash(two)
    assert len(sc.content_hash(one)) == 16
    assert sc.parse(sc.to_json(one)) == one


@pytest.mark.parametrize("changed", [
    Override(LINE_SCALE, "1.3", D(2019, 1, 1), D(2019, 12, 31)),
    Override(LINE_SCALE, "1.2", D(2019, 1, 2), D(2019, 12, 31)),
    Override(LINE_SCALE, "1.2", D(2019, 1, 1)),
    Override(LINE_SCALE, "1.2", D(2019, 1, 1), D(2019, 12, 31), (HAIGANG,)),
    Override(LINE_ADD, "1.2", D(2019, 1, 1), D(2019, 12, 31)),
])
def test_different_overrides_hash_differently(changed):
    assert sc.content_hash([changed]) != sc.content_hash([Override(LINE_SCALE, "1.2", D(2019, 1, 1), D(2019, 12, 31))])


def test_the_order_of_overrides_is_part_of_the_content():
    a, b = Override("exit_multiple", "1.2", D(2019, 1, 1)), Override("exit_multiple", "1.5", D(2019, 1, 1))
    assert sc.content_hash([a, b]) != sc.content_hash([b, a])


@pytest.mark.parametrize("data, key", [
    ("not json", "overrides"),
    ({"key": LINE_SCALE}, "overrides"),
    ([{"key": "publicity_working_days", "value": "3", "start": "2019-01-01"}], "0.key"),
    ([{"key": LINE_SCALE, "value": "1.2", "start": "2019-13-01"}], "0.start"),
    ([{"key": LINE_SCALE, "value": "1.2", "start": "2019-01-01", "end": "soon"}], "0.end"),
    ([{"key": LINE_SCALE, "start": "2019-01-01"}], "0.value"),
    ([{"key": LINE_SCALE, "value": "1.2", "start": "2019-01-01", "places": HAIGANG}], "0.places"),
    ([{"key": LINE_SCALE, "value": "1.2", "start": "2019-01-01", "colour": "red"}], "0.key"),
])
def test_a_badly_shaped_stored_set_is_refused_at_its_field(data, key):
    with pytest.raises(ScenarioInvalid) as refused:
        sc.parse(data)
    assert key in refused.value.errors


# --- validation of the whole set ---------------------------------------------------------------------------------------


def refusal(overrides) -> dict[str, str]:
    with pytest.raises(ScenarioInvalid) as refused:
        sc.validate(overrides, baseline(), PLACES, TODAY)
    return refused.value.errors


def test_a_sound_set_passes():
    sc.validate([Override(LINE_SCALE, "1.2", D(2019, 1, 1), D(2019, 12, 31)), Override(LINE_ADD, "-50", D(2018, 1, 1), places=(HAIGANG,)),
                 Override("exit_run_months", "36", D(2019, 1, 1)), Override("income_lag_months", "0", D(2019, 1, 1)),
                 Override("relative_multiplier", "10", D(2019, 1, 1)), Override("target_shares", '{"2018": 60, "2019": 40}', D(2018, 1, 1)),
                 Override("baseline_date", "2018-12-31", D(2000, 1, 1)), Override(LINE_SCALE, "5", D(2027, 11, 29))],
                baseline(), PLACES, TODAY)


@pytest.mark.parametrize("override, key, message", [
    (Override(LINE_SCALE, "1.2", D(1999, 12, 31)), "0.start", "开始日期应在 2000-01-01 至 2027-11-29 之间"),
    (Override(LINE_SCALE, "1.2", D(2027, 11, 30)), "0.start", "开始日期应在 2000-01-01 至 2027-11-29 之间"),
    (Override(LINE_SCALE, "1.2", D(2019, 1, 1), D(2018, 12, 31)), "0.end", "结束日期不能早于开始日期"),
    (Override(LINE_SCALE, "1.2", D(2019, 1, 1), D(2027, 11, 29)), "0.end", "结束日期应早于 2027-11-29"),
    (Override(LINE_SCALE, "0", D(2019, 1, 1)), "0.value", "低保标准倍数须大于 0 且不超过 5"),
    (Override(LINE_SCALE, "5.01", D(2019, 1, 1)), "0.value", "低保标准倍数须大于 0 且不超过 5"),
    (Override(LINE_SCALE, "一点二", D(2019, 1, 1)), "0.value", "不是有效数字"),
    (Override(LINE_ADD, "12.345", D(2019, 1, 1)), "0.value", "最多保留两位小数"),
    (Override(LINE_ADD, "-600", D(2019, 1, 1), places=(LULONG,)), "0.value", "调整后卢龙县自 2019-01-01 起的低保标准为 0.00 元"),
    (Override(LINE_ADD, "-650", D(2019, 1, 1)), "0.value", "低保标准必须大于 0"),
    (Override(LINE_SCALE, "1.2", D(2019, 1, 1), places=("999999",)), "0.places", "未知的区县代码“999999”"),
    (Override("exit_run_months", "3", D(2019, 1, 1), places=(HAIGANG,)), "0.places", "只有低保标准的调整"),
    (Override("exit_run_months", "0", D(2019, 1, 1)), "0.value", "脱困所需连续超线月数必须是正整数"),
    (Override("exit_run_months", "37", D(2019, 1, 1)), "0.value", "脱困所需连续超线月数须在 1 至 36 之间"),
    (Override("income_lag_months", "7", D(2019, 1, 1)), "0.value", "收入录入允许滞后须在 0 至 6 之间"),
    (Override("income_lag_months", "-1", D(2019, 1, 1)), "0.value", "不小于 0 的整数"),
    (Override("exit_multiple", "0", D(2019, 1, 1)), "0.value", "必须是大于 0"),
    (Override("relief_multiple", "10.5", D(2019, 1, 1)), "0.value", "须大于 0 且不超过 10"),
    (Override("edge_multiplier", "abc", D(2019, 1, 1)), "0.value", "格式不正确"),
    (Override("target_shares", '{"2018": 50, "2019": 40}', D(2018, 1, 1)), "0.value", "合计为100%"),
    (Override("baseline_date", "2017-02-30", D(2018, 1, 1)), "0.value", "格式不正确"),
    (Override("line_cut", "1", D(2019, 1, 1)), "0.key", "未知的调整项"),
])
def test_each_problem_is_refused_with_a_chinese_message_at_its_field(override, key, message):
    errors = refusal([Override("exit_run_months", "3", D(2019, 1, 1)), override])
    shifted = key.replace("0.", "1.", 1)  # the problem is the set's second override
    assert list(errors) == [shifted]
    assert message in errors[shifted]
    assert errors[shifted].startswith("第 2 项调整：")


def test_a_line_made_negative_only_by_an_overlap_is_refused_at_the_last_override_in_force_there():
    fine = [Override(LINE_ADD, "-100", D(2019, 1, 1)), Override(LINE_SCALE, "0.1", D(2020, 1, 1), D(2020, 3, 31), places=(LULONG,))]
    sc.validate(fine, baseline(), PLACES, TODAY)  # in list order: (600 − 100) × 0.1 = 50 yuan
    errors = refusal(fine[::-1])
    assert list(errors) == ["1.value"]  # 600 × 0.1 − 100 < 0 in 卢龙县 in 2020 Q1
    assert "卢龙县自 2020-01-01 起的低保标准为 -40.00 元" in errors["1.value"]


def test_too_many_overrides_are_refused_as_a_whole():
    errors = refusal([Override("exit_run_months", "3", D(2019, 1, 1))] * 51)
    assert errors == {"overrides": "一个方案最多 50 项调整（现为 51 项）"}
    sc.validate([Override("exit_run_months", "3", D(2019, 1, 1))] * 50, baseline(), PLACES, TODAY)


def test_every_problem_of_a_set_is_told_at_once():
    errors = refusal([Override("exit_run_months", "99", D(2019, 1, 1)), Override(LINE_SCALE, "1.2", D(1990, 1, 1), places=("x",))])
    assert set(errors) == {"0.value", "1.start", "1.places"}


def test_a_row_without_its_parameter_is_asked_for_it():
    with pytest.raises(ScenarioInvalid) as refused:
        sc.parse([{"key": "", "value": '{"2018": 50, "2019": 50}', "start": "2019-01-01", "end": "", "places": []}])
    assert refused.value.errors == {"0.key": "第 1 项调整：请选择要调整的参数"}


def test_an_override_reads_as_a_person_would_say_it():
    assert sc.describe(Override(LINE_SCALE, "1.2", dt.date(2019, 1, 1))) == "低保标准倍数 ×1.2，2019-01-01 起长期，全部区县"
    assert (sc.describe(Override(LINE_ADD, "-20", dt.date(2019, 1, 1), dt.date(2019, 6, 30), ("130302",)), {"130302": "海港区"})
            == "低保标准增减（元） -20 元，2019-01-01 起至 2019-06-30，海港区")
    assert sc.describe(Override("exit_run_months", "3", dt.date(2019, 1, 1))) == "脱困所需连续超线月数 3 个月，2019-01-01 起长期"

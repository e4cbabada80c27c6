"""Money in fen, and dated parameters that never fall back silently."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import codes
from core.dibao import NoLineInForce, line_on
from core.money import InvalidAmount, fen_to_yuan, per_capita_fen, persons_count, yuan_to_fen
from core.parameters import SPECS, InvalidParameter, cumulative_targets, parse_value, value_on


@pytest.mark.parametrize("typed,fen", [("0", 0), ("12.3", 1230), ("1,234.56", 123456), (" 660 ", 66000), (0.1, 10)])
def test_yuan_to_fen(typed, fen):
    assert yuan_to_fen(typed) == fen


@pytest.mark.parametrize("typed,message", [("-1", "负数"), ("1.234", "两位小数"), ("abc", "不是有效数字"), ("nan", "不是有效数字")])
def test_bad_amounts(typed, message):
    with pytest.raises(InvalidAmount, match=message):
        yuan_to_fen(typed)


def test_fen_to_yuan_and_per_capita_rounds_down_to_the_fen():
    assert fen_to_yuan(123456) == "1,234.56" and fen_to_yuan(-5) == "-0.05" and fen_to_yuan(None) == ""
    assert per_capita_fen(200001, 3) == 66667  # 666.67 yuan, not 666.6700…
    assert per_capita_fen(200000, 3) == 66666


def test_defaults_of_every_parameter_parse():
    for spec in SPECS:
        parse_value(spec.key, spec.default)
    assert parse_value("relative_multiplier", "1.5") == Decimal("1.5")


def test_the_income_lag_is_a_whole_number_of_months_from_zero():
    assert parse_value("income_lag_months", "1") == 1 and parse_value("income_lag_months", "0") == 0
    with pytest.raises(InvalidParameter, match="收入录入允许滞后必须是不小于 0 的整数"):
        parse_value("income_lag_months", "-1")
    with pytest.raises(InvalidParameter, match="脱困所需连续超线月数必须是正整数"):
        parse_value("exit_run_months", "0")


def test_targets_are_50_40_10_and_cumulate_to_100():
    shares = parse_value("target_shares", '{"2018": 50, "2019": 40, "2020": 10}')
    assert cumulative_targets(shares) == {2018: 50, 2019: 90, 2020: 100}
    with pytest.raises(InvalidParameter, match="合计为100%"):
        parse_value("target_shares", '{"2018": 50, "2019": 40}')


def test_the_value_in_force_follows_its_effective_date():
    rows = [(dt.date(2016, 1, 1), "6"), (dt.date(2019, 7, 1), "3")]
    assert value_on(rows, "exit_run_months", dt.date(2019, 6, 30)) == 6
    assert value_on(rows, "exit_run_months", dt.date(2019, 7, 1)) == 3
    with pytest.raises(LookupError, match="没有生效的取值"):
        value_on(rows, "exit_run_months", dt.date(2015, 12, 31))


def test_a_month_with_no_line_in_force_is_an_error_not_a_fallback():
    lines = [(dt.date(2017, 1, 1), 62000), (dt.date(2017, 7, 1), 64000)]
    assert line_on(lines, dt.date(2017, 6, 1), "海港区") == 62000
    assert line_on(lines, dt.date(2017, 7, 1), "海港区") == 64000
    with pytest.raises(NoLineInForce, match="海港区 2016年12月"):
        line_on(lines, dt.date(2016, 12, 1), "海港区")


def test_code_lists_have_the_domain_entries():
    assert len(codes.CAUSE) == 10 and codes.CAUSE["6"] == "患重特大疾病"
    assert len(codes.KEY_GROUP) == 5
    assert set(codes.TRACK) == {"employment", "insurance", "medical", "safety_net", "warmth"}
    assert codes.code_for(codes.HOUSING, "政府廉租房") == "low_rent" and codes.code_for(codes.HOUSING, "low_rent") == "low_rent"
    assert codes.code_for(codes.HOUSING, "别墅") is None
    for name, code_list in codes.ALL_LISTS.items():
        assert len(set(code_list.values())) == len(code_list), f"{name} has a label twice"


def test_parameters_are_shown_in_plain_chinese():
    from core.parameters import display_value

    assert display_value("target_shares", '{"2018": 50, "2019": 40, "2020": 10}') == "2018年 50%，2019年 40%，2020年 10%"
    assert display_value("rule_set", "national_2016").startswith("2016 全国标准")
    assert display_value("exit_run_months", "6") == "6 个月"


# --- amounts and persons beyond all reason (issue 11): a Chinese refusal, never an exception past the check ---------

@pytest.mark.parametrize("typed, message", [
    ("1e308", "不能超过 1 亿元"),
    ("1e9999", "不能超过 1 亿元"),
    ("-1e308", "不能为负数"),
    ("1e20", "不能超过 1 亿元"),
    ("100000000.01", "不能超过 1 亿元"),
    ("inf", "不是有效数字"),
    ("NaN", "不是有效数字"),
    ("1e-9999", "最多保留两位小数"),
])
def test_an_amount_beyond_all_reason_is_refused_with_a_message(typed, message):
    with pytest.raises(InvalidAmount, match=message):
        yuan_to_fen(typed)


def test_the_largest_amount_allowed_fits_every_sum_the_store_makes():
    assert yuan_to_fen("100000000") == 10_000_000_000
    assert yuan_to_fen("100000000") * 900_000_000 < 2**63  # nine hundred million payments of the largest amount


@given(st.text(max_size=40) | st.floats(allow_nan=True, allow_infinity=True).map(str) | st.integers().map(str))
def test_any_text_is_fen_or_a_refusal(typed):
    try:
        fen = yuan_to_fen(typed)
    except InvalidAmount:
        return
    assert isinstance(fen, int) and 0 <= fen <= 10_000_000_000


@pytest.mark.parametrize("typed, persons", [
    ("3", 3), (3, 3), (3.0, 3), ("３", 3), (" 30 ", 30), ("0", None), ("31", None), ("2.5", None), ("inf", None),
    ("1e308", None), ("nan", None), ("", None), (None, None), ("三", None),
])
def test_persons_as_typed(typed, persons):
    assert persons_count(typed) == persons


@given(st.text(max_size=20) | st.floats(allow_nan=True, allow_infinity=True))
def test_any_persons_value_is_a_count_or_none(typed):
    result = persons_count(typed)
    assert result is None or 1 <= result <= 30

"""身份证号, 统一社会信用代码 and mobile checks, from the standards' own examples."""

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from core.identity import (
    InvalidIdentifier, id_check_char, mask_id_number, parse_id_number, parse_mobile, parse_uscc, uscc_check_char,
)

TODAY = dt.date(2026, 11, 29)


@pytest.mark.parametrize(
    "number,birth,sex",
    [("11010519491231002X", dt.date(1949, 12, 31), "2"), ("440524188001010014", dt.date(1880, 1, 1), "1")],
)
def test_the_standards_examples_are_valid(number, birth, sex):
    parsed = parse_id_number(number, TODAY)
    assert (parsed.number, parsed.birth_date, parsed.sex) == (number, birth, sex)


def test_lower_case_x_and_spaces_are_normalised():
    assert parse_id_number(" 11010519491231002x ", TODAY).number == "11010519491231002X"


@pytest.mark.parametrize(
    "raw,message",
    [
        ("110105194912310021", "校验位错误：最后一位应为 X"),
        ("11010519491331002X", "不是有效日期"),
        ("11010520300101002X", "晚于今天"),
        ("1101051949123100", "应为18位"),
        ("11010A19491231002X", "前17位只能是数字"),
        ("", "请填写身份证号"),
    ],
)
def test_bad_id_numbers_say_what_is_wrong(raw, message):
    with pytest.raises(InvalidIdentifier, match=message):
        parse_id_number(raw, TODAY)


def test_a_15_digit_number_becomes_its_18_digit_form():
    parsed = parse_id_number("130302800101123", TODAY)
    assert parsed.number[:17] == "13030219800101123"
    assert parsed.number[17] == id_check_char(parsed.number[:17])
    assert parsed.birth_date == dt.date(1980, 1, 1) and parsed.sex == "1"


@given(
    division=st.sampled_from(["130302", "130303", "130304", "130306", "130321", "130322", "130323", "130324"]),
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY),
    seq=st.integers(min_value=0, max_value=999),
)
def test_any_number_built_by_the_rule_parses_back(division, birth, seq):
    first17 = f"{division}{birth:%Y%m%d}{seq:03d}"
    number = first17 + id_check_char(first17)
    parsed = parse_id_number(number, TODAY)
    assert parsed.birth_date == birth
    assert parsed.sex == ("1" if seq % 2 else "2")


@given(
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY),
    seq=st.integers(min_value=0, max_value=999),
    position=st.integers(min_value=0, max_value=16),
    delta=st.integers(min_value=1, max_value=9),
)
def test_any_single_mistyped_digit_is_caught(birth, seq, position, delta):
    first17 = f"130302{birth:%Y%m%d}{seq:03d}"
    number = first17 + id_check_char(first17)
    digits = list(number)
    digits[position] = str((int(digits[position]) + delta) % 10)
    with pytest.raises(InvalidIdentifier):
        parse_id_number("".join(digits), TODAY)


def test_masking_keeps_first_six_and_last_four():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_id_number(None) == ""


def test_uscc_example_and_errors():
    assert parse_uscc("91110108551385082q") == "91110108551385082Q"
    assert uscc_check_char("91110108551385082") == "Q"
    with pytest.raises(InvalidIdentifier, match="校验位错误"):
        parse_uscc("91110108551385082A")
    with pytest.raises(InvalidIdentifier, match="不能包含字符：I"):
        parse_uscc("9111010855138508IQ")
    with pytest.raises(InvalidIdentifier, match="应为18位"):
        parse_uscc("9111010855")


@pytest.mark.parametrize("raw,ok", [("13812345678", True), ("138 1234 5678", True), ("23812345678", False), ("1381234567", False)])
def test_mobiles(raw, ok):
    if ok:
        assert parse_mobile(raw) == raw.replace(" ", "")
    else:
        with pytest.raises(InvalidIdentifier, match="11位"):
            parse_mobile(raw)

"""身份证号, 统一社会信用代码 and mobile checks, from the standards' own examples."""

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from core.identity import (
    CHECKSUM_MESSAGE, InvalidIdentifier, division_codes, id_check_char, id_number_key, id_number_text, mask_id_number,
    normalise_identifier, parse_id_number, parse_mobile, parse_uscc, uscc_check_char,
)

TODAY = dt.date(2026, 11, 29)


FULL_WIDTH_3 = "130302197907195\uff1302"  # DOMAIN.md / issue 10: a full-width ３ typed among ASCII digits


def _valid(first17: str) -> str:
    return first17 + id_check_char(first17)


@pytest.mark.parametrize(
    "raw,number,birth,sex",
    [
        ("11010519491231002X", "11010519491231002X", dt.date(1949, 12, 31), "2"),  # GB 11643's example
        (" 11010519491231002x ", "11010519491231002X", dt.date(1949, 12, 31), "2"),  # lower-case x, spaces
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X", dt.date(1949, 12, 31), "2"),  # all full-width
        ("110105\u300019491231\u3000002ｘ", "11010519491231002X", dt.date(1949, 12, 31), "2"),  # full-width spaces, x
        ("1101051949\u200b1231002X", "11010519491231002X", dt.date(1949, 12, 31), "2"),  # a zero-width space pasted in
        (FULL_WIDTH_3, "130302197907195302", dt.date(1979, 7, 19), "2"),
        ("1101051949123100\u00b2X", "11010519491231002X", dt.date(1949, 12, 31), "2"),  # superscript ²: NFKC reads it as 2
        (_valid("13032319800101001"), _valid("13032319800101001"), dt.date(1980, 1, 1), "1"),  # old 130323 抚宁县
        (_valid("13030619500101002"), _valid("13030619500101002"), dt.date(1950, 1, 1), "2"),  # 抚宁区 code, born before 2015
        (_valid("13030219000101001"), _valid("13030219000101001"), dt.date(1900, 1, 1), "1"),  # the first day allowed
    ],
)
def test_valid_numbers_are_normalised_to_ascii(raw, number, birth, sex):
    parsed = parse_id_number(raw, TODAY)
    assert (parsed.number, parsed.birth_date, parsed.sex) == (number, birth, sex)


@pytest.mark.parametrize(
    "raw,message",
    [
        ("110105194912310021", CHECKSUM_MESSAGE),
        ("11010519491331002X", "不是有效日期"),
        ("11010520300101002X", "晚于今天"),
        ("440524188001010014", "早于 1900-01-01"),  # the standard's format example, born 1880
        (_valid("13030218991231001"), "早于 1900-01-01"),
        (_valid("00000019800101001"), "前6位 000000 不是有效的行政区划代码"),
        (_valid("99999919800101001"), "前6位 999999 不是有效的行政区划代码"),
        (_valid("13039919800101001"), "前6位 130399 不是有效的行政区划代码"),
        ("1101051949123100", "应为18位"),
        ("11010A19491231002X", "前17位只能是数字"),
        ("11010519491231002A", "最后一位只能是数字或X"),
        ("13030219800101\U00010a40123", "前17位只能是数字"),  # a Kharoshthi digit: isdigit() says yes, int() refuses
        ("13030219800101002\u00b9", CHECKSUM_MESSAGE),  # superscript ¹ as the check character: NFKC makes it "1", not X
        ("13030280010112\u0663", "15位身份证号只能由数字组成"),  # an Arabic-Indic ٣ in a 15-digit number
        ("", "请填写身份证号"),
        ("\u3000 ", "请填写身份证号"),
    ],
)
def test_bad_id_numbers_say_what_is_wrong(raw, message):
    with pytest.raises(InvalidIdentifier, match=message):
        parse_id_number(raw, TODAY)


def test_the_checksum_message_never_names_the_passing_character():
    first17 = "13030219800101001"
    for wrong in "0123456789X":
        if wrong == id_check_char(first17):
            continue
        with pytest.raises(InvalidIdentifier) as caught:
            parse_id_number(first17 + wrong, TODAY)
        assert str(caught.value) == "校验位不符，请逐位核对"


def test_division_codes_come_from_the_shipped_list_in_every_period():
    codes = division_codes()
    assert {"130302", "130303", "130304", "130306", "130321", "130322", "130323", "130324", "110105", "440524"} <= codes
    assert "000000" not in codes and "999999" not in codes and len(codes) > 3000


def test_matching_key_is_the_normal_form():
    assert id_number_key(FULL_WIDTH_3) == "130302197907195302"
    assert id_number_key("130302800101123") == parse_id_number("130302800101123", TODAY).number
    assert id_number_key(" abc\u3000 ") == "ABC"  # not a valid number: still one normal form to match on
    assert normalise_identifier(None) == ""
    assert id_number_text(FULL_WIDTH_3) == ("130302197907195302", None)


@given(st.text())
def test_any_text_gives_a_number_or_a_chinese_message(raw):
    try:
        parsed = parse_id_number(raw, TODAY)
    except InvalidIdentifier as exc:
        assert str(exc) and not str(exc).isascii()
    else:
        assert len(parsed.number) == 18 and parsed.number.isascii()


@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=15, max_size=20)
       | st.text(alphabet="0123456789Xx²³¹０１２３４５６７８９Ｘｘ \u3000٣𐩀", min_size=14, max_size=20))
def test_digit_like_text_never_raises_anything_else(raw):
    for check in (parse_id_number, parse_uscc, parse_mobile):
        try:
            check(raw) if check is not parse_id_number else check(raw, TODAY)
        except InvalidIdentifier as exc:
            assert str(exc)


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
    assert parse_uscc("９１１１０１０８５５１３８５０８２ｑ") == "91110108551385082Q"
    with pytest.raises(InvalidIdentifier) as caught:
        parse_uscc("91110108551385082A")
    assert str(caught.value) == "统一社会信用代码校验位不符，请逐位核对"
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

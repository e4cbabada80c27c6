"""Every validator in core, fed what a careless user, a broken spreadsheet or an attacker types.

Random text with control characters and lone surrogates, huge strings, 1e308, NaN, '1e9999', infinities, huge integers,
wrong types: each validator either returns a clean value or refuses with its own error carrying a Chinese message for
the user — never another exception (which a screen would show as an error page, and an import as a crash). A clean
text value never holds a control character nor more characters than its field's limit.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import codes
from core.assistance import AssistanceErrors, check_record
from core.identity import InvalidIdentifier, normalise_identifier, parse_id_number, parse_mobile, parse_uscc
from core.intake import IntakeErrors, check_household
from core.money import InvalidAmount, persons_count, yuan_to_fen
from core.parameters import SPEC_BY_KEY, InvalidParameter, parse_value
from core.plan import PlanErrors, check_helper, check_measure, check_payment, check_visit
from core.roster import parse_programme, parse_since
from core.typed import INVALID, TEXT_FIELDS, TextField, as_code, as_date, field_text, search_text, text_problem
from core.workdays import CalendarInputError, parse_extra_year

TODAY = dt.date(2026, 11, 29)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CHINESE = re.compile(r"[\u4e00-\u9fff]")

NUMBERS_THAT_ARE_NOT = ["1e308", "-1e308", "1e9999", "-1e9999", "NaN", "nan", "sNaN", "inf", "-Infinity", "1e-9999", "0x10",
                        "１２３", "1,000.005", "9" * 5000, "--1", "1e20", "²", "٣"]
HUGE = ["长" * 100_000, "9" * 100_000, "x" * 1_000_000, "\x00" * 1000]
control_text = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x9F), max_size=30)
any_text = st.text(alphabet=st.characters(codec=None), max_size=60)  # everything, lone surrogates included
hostile_text = st.one_of(any_text, control_text, st.sampled_from(NUMBERS_THAT_ARE_NOT + HUGE),
                         st.builds(lambda a, b: a + "\x00" + b, st.text(max_size=10), st.text(max_size=10)))
hostile = st.one_of(
    hostile_text, st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=True, allow_infinity=True),
    st.dates(min_value=dt.date(1, 1, 1)), st.sampled_from([[], {}, b"\x00", Decimal("1e308")]),
)


def is_message(text: str) -> bool:
    return bool(text) and bool(CHINESE.search(text))


def assert_refused_with_messages(errors: dict[str, str]) -> None:
    assert errors, "refused without saying why"
    for key, message in errors.items():
        assert isinstance(key, str) and is_message(message), (key, message)
        assert len(message) < 500, f"{key}: a message quotes the whole input back ({len(message):,} characters)"


def assert_clean_text(values: dict, limits: dict[str, int]) -> None:
    for key, limit in limits.items():
        value = values.get(key)
        if isinstance(value, str):
            assert len(value) <= limit and not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]", value), (key, value[:50])


# --- typed, money, identity ----------------------------------------------------------------------


@FUZZ
@given(hostile)
def test_typed_parsers_give_a_value_none_or_invalid(value):
    day = as_date(value)
    assert day is None or day == INVALID or isinstance(day, dt.date)
    code = as_code(value, codes.CAUSE)
    assert code is None or code == INVALID or code in codes.CAUSE
    searched = search_text(value)
    assert len(searched) <= 100 and not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]", searched)


@FUZZ
@given(hostile, st.sampled_from(sorted(TEXT_FIELDS)))
def test_a_free_text_field_is_clean_or_refused_at_its_key(value, field):
    errors: dict[str, str] = {}
    text = field_text(value, field, errors, "the_key")
    spec = TEXT_FIELDS[field]
    if errors:
        assert list(errors) == ["the_key"] and is_message(errors["the_key"])
    else:
        assert len(text) <= spec.limit and text_problem(text, spec.limit, multiline=spec.multiline) is None


@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x9F, exclude_characters="\t\n\r "), min_size=1, max_size=5)
       .filter(lambda t: any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in t.strip())))
def test_a_control_character_inside_any_text_is_refused(controls):
    for multiline in (False, True):
        assert "控制字符" in text_problem("张" + controls + "三", 64, multiline=multiline)


def test_a_multi_line_field_keeps_its_lines_and_tabs_and_a_one_line_field_does_not():
    multi, single = TextField("说明", 100, multiline=True), TextField("姓名", 100)
    errors: dict[str, str] = {}
    assert field_text("一\r\n二\t三\r四", multi, errors, "note") == "一\n二\t三\n四" and not errors
    field_text("王\n建华", single, errors, "name")
    assert "控制字符" in errors["name"]


@FUZZ
@given(hostile)
def test_money_is_fen_within_the_bound_or_a_message(value):
    try:
        fen = yuan_to_fen(value)
    except InvalidAmount as exc:
        assert is_message(str(exc))
    else:
        assert isinstance(fen, int) and 0 <= fen <= 10**10
    persons = persons_count(value)
    assert persons is None or 1 <= persons <= 30


@FUZZ
@given(hostile)
def test_identifiers_parse_or_refuse_with_a_message(value):
    assert isinstance(normalise_identifier(value), str)
    for parse in (lambda v: parse_id_number(v, TODAY), parse_mobile, parse_uscc):
        try:
            parse(value if isinstance(value, str) else str(value))
        except InvalidIdentifier as exc:
            assert is_message(str(exc))


# --- the forms: a file, a measure, a payment, a helper, a visit, a record, a calendar year ------


def form(keys: list[str]) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({}, optional={key: hostile for key in keys})


HEAD_KEYS = ["name", "id_number", "sex", "birth_date", "ethnicity", "work_status", "mobile", "employer", "employer_uscc", "address",
             "hukou_division", "bank_name", "bank_account", "floor_area", "worker_no", "union_member_since", "disability_kind"]
MEMBER_KEYS = ["name", "relation", "id_number", "monthly_income", "identity", "school_or_employer", "birth_date", "sex"]


@FUZZ
@given(form(HEAD_KEYS), st.lists(form(MEMBER_KEYS), max_size=3),
       st.lists(st.fixed_dictionaries({"cause": hostile, "is_main": st.booleans(), "removed_on": hostile}), max_size=3),
       st.lists(st.fixed_dictionaries({"exclusion": st.sampled_from(sorted(codes.EXCLUSION)), "applies": st.booleans(),
                                       "source": hostile, "checked_on": hostile}), max_size=2))
def test_a_household_file_is_clean_or_refused_field_by_field(head, members, causes, exclusions):
    raw = head | {"members": members, "causes": causes, "exclusions": exclusions}
    try:
        clean = check_household(raw, TODAY)
    except IntakeErrors as exc:
        assert_refused_with_messages(exc.errors)
    else:
        assert_clean_text(clean.head, {"name": 64, "employer": 128, "address": 255, "hukou_division": 16, "bank_name": 64,
                                       "worker_no": 32, "bank_account": 32})
        for member in clean.members:
            assert_clean_text(member, {"name": 64, "school_or_employer": 128})


def test_the_wide_numbers_of_a_file_are_refused_with_messages():
    for number in NUMBERS_THAT_ARE_NOT:
        with pytest.raises(IntakeErrors) as refused:
            check_household({"name": "王建华", "floor_area": number, "members": [{"name": "李", "relation": "spouse",
                                                                                "monthly_income": number}]}, TODAY)
        assert_refused_with_messages(refused.value.errors)


@FUZZ
@given(form(["track", "programme", "cause", "content", "status", "start_on", "end_on", "responsible", "amount", "fund_source",
             "pay_every", "first_pay_on", "pay_count"]))
def test_a_measure_is_clean_or_refused_field_by_field(raw):
    try:
        clean = check_measure(raw, file_causes={"3", "6"}, today=TODAY)
    except PlanErrors as exc:
        assert_refused_with_messages(exc.errors)
    else:
        assert_clean_text(clean.values(), {"content": 500, "responsible": 64})
        assert clean.amount_fen is None or 0 < clean.amount_fen <= 10**10


@FUZZ
@given(form(["amount", "fund_source", "paid_on", "note"]), form(["helper_name", "helper_unit", "helper_phone", "start_on"]),
       form(["visited_on", "visitor", "kind", "notes", "needs"]), form(["programme", "source", "from_on", "to_on", "note"]))
def test_a_payment_helper_visit_and_assistance_record_are_clean_or_refused(pay, helper, visit, record):
    for check, raw, limits, error in (
        (check_payment, pay, {"note": 255}, PlanErrors), (check_helper, helper, {"helper_name": 64, "helper_unit": 128}, PlanErrors),
        (check_visit, visit, {"visitor": 64, "notes": 2000, "needs": 1000}, PlanErrors),
        (check_record, record, {"note": 255}, AssistanceErrors),
    ):
        try:
            clean = check(raw, today=TODAY)
        except error as exc:
            assert_refused_with_messages(exc.errors)
        else:
            assert_clean_text(clean, limits)


@FUZZ
@given(hostile, hostile, hostile)
def test_a_calendar_year_is_clean_or_refused(year, holidays, workdays):
    try:
        parse_extra_year(year, holidays if isinstance(holidays, str) else str(holidays), workdays if isinstance(workdays, str) else "")
    except CalendarInputError as exc:
        assert_refused_with_messages(exc.errors)


@FUZZ
@given(st.sampled_from(sorted(SPEC_BY_KEY)), hostile)
def test_a_policy_parameter_is_a_value_or_a_message(key, value):
    try:
        parse_value(key, value if isinstance(value, str) else str(value))
    except InvalidParameter as exc:
        assert is_message(str(exc)) and len(str(exc)) < 500


@FUZZ
@given(hostile)
def test_a_roster_lines_programme_and_date_are_values_or_messages(value):
    programme, problem = parse_programme(value)
    assert problem is None or (is_message(problem) and len(problem) < 500)
    since, problem = parse_since(value, today=TODAY)
    assert (since is None or isinstance(since, dt.date)) and (problem is None or is_message(problem))

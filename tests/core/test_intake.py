"""Checks on a file as typed: each mistake gets its message at its field."""

import datetime as dt

import pytest

from core.intake import IntakeErrors, check_household

TODAY = dt.date(2026, 11, 29)
HEAD_ID = "11010519491231002X"  # the standard's example: a woman born 1949-12-31
MEMBER_ID = "130302198001011235"  # built by the rule below


def _id(first17: str) -> str:
    from core.identity import id_check_char

    return first17 + id_check_char(first17)


def good(**over):
    raw = {
        "name": "张秀英", "id_number": HEAD_ID, "sex": "女", "birth_date": "1949-12-31", "ethnicity": "汉族",
        "work_status": "retired", "housing": "租房", "mobile": "13812345678",
        "members": [{"name": "李强", "relation": "child", "id_number": _id("13030219800101123"), "monthly_income": "1,200.50"}],
        "causes": [{"cause": "6", "is_main": True}, {"cause": "3", "is_main": False}],
        "exclusions": [{"exclusion": "two_homes", "applies": False, "source": "入户调查"}],
    }
    raw.update(over)
    return raw


def errors_of(raw) -> dict:
    with pytest.raises(IntakeErrors) as err:
        check_household(raw, TODAY)
    return err.value.errors


def test_a_good_file_is_cleaned_to_codes_and_fen():
    clean = check_household(good(), TODAY)
    assert clean.head["sex"] == "2" and clean.head["birth_date"] == dt.date(1949, 12, 31)
    assert clean.head["ethnicity"] == "01" and clean.head["housing"] == "rented"
    assert clean.members[0]["monthly_income_fen"] == 120050 and clean.members[0]["sex"] == "1"
    assert [(c.cause, c.is_main) for c in clean.causes] == [("6", True), ("3", False)]


def test_a_15_digit_number_is_stored_in_18_digit_form():
    clean = check_household(good(id_number="110105491231002", birth_date="", sex=""), TODAY)
    assert clean.head["id_number"] == "11010519491231002X"


@pytest.mark.parametrize(
    "over,field,message",
    [
        ({"id_number": "110105194912310021"}, "id_number", "校验位不符，请逐位核对"),
        ({"birth_date": "1950-01-01"}, "birth_date", "与身份证号中的 1949-12-31 不一致"),
        ({"sex": "男"}, "sex", "与身份证号（第17位）显示的“女”不一致"),
        ({"mobile": "2381234567"}, "mobile", "以1开头的11位数字"),
        ({"employer_uscc": "91110108551385082A"}, "employer_uscc", "统一社会信用代码校验位不符，请逐位核对"),
        ({"bank_account": "6222 02"}, "bank_account", "12–19 位数字"),
        ({"floor_area": "-3"}, "floor_area", "建筑面积"),
        ({"housing": "别墅"}, "housing", "不在代码表中"),
        ({"name": " "}, "name", "请填写户主姓名"),
        ({"union_member_since": "2030-01-01"}, "union_member_since", "至今天"),
        ({"disability_kind": "limb"}, "disability_grade", "残疾等级"),
    ],
)
def test_each_mistake_is_reported_at_its_field(over, field, message):
    errors = errors_of(good(**over))
    assert message in errors[field], errors


@pytest.mark.parametrize(
    "causes,message",
    [
        ([{"cause": "6", "is_main": False}], "一个（且只能一个）主要致困原因"),
        ([{"cause": "6", "is_main": True}, {"cause": "3", "is_main": True}], "一个（且只能一个）主要致困原因"),
        ([{"cause": "6", "is_main": True}] + [{"cause": c, "is_main": False} for c in "1234"], "最多 3 个"),
        ([{"cause": "6", "is_main": True}, {"cause": "6", "is_main": False}], "不能重复"),
        ([{"cause": "无此原因", "is_main": True}], "不在代码表中"),
    ],
)
def test_exactly_one_main_cause_and_at_most_three_secondary(causes, message):
    assert message in errors_of(good(causes=causes))["causes"]


def test_member_mistakes_name_the_row():
    errors = errors_of(good(members=[
        {"name": "李强", "relation": "child", "id_number": _id("13030219800101123")},
        {"name": "", "relation": "", "id_number": "130302198001011230", "monthly_income": "-5"},
    ]))
    assert errors["members.1.name"] == "第 2 位成员：请填写姓名"
    assert errors["members.1.relation"] == "第 2 位成员：请选择与户主的关系"
    assert errors["members.1.id_number"] == "第 2 位成员：校验位不符，请逐位核对"
    assert "不能为负数" in errors["members.1.monthly_income"]


def test_the_same_person_twice_in_one_file_is_refused():
    errors = errors_of(good(members=[{"name": "张秀英", "relation": "other", "id_number": HEAD_ID}]))
    assert errors["members.0.id_number"] == "身份证号与户主重复"


def test_empty_grid_rows_are_ignored_and_exclusions_need_a_source():
    clean = check_household(good(members=[{"name": "", "id_number": "", "relation": None, "able_to_work": False}]), TODAY)
    assert clean.members == []
    errors = errors_of(good(exclusions=[{"exclusion": "vehicle", "applies": True, "source": ""}]))
    assert "请注明核查来源" in errors["exclusions.vehicle"]
    # a row with no source and "no" is simply not checked yet
    assert check_household(good(exclusions=[{"exclusion": "vehicle", "applies": False, "source": ""}]), TODAY).exclusions == []

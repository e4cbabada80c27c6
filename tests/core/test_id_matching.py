"""Every reader of an ID number hands on its normal form: the roster, the workbook import, the intake form."""

import datetime as dt

import pytest

from core.importing import parse
from core.intake import IntakeErrors, check_household
from core.roster import read_roster
from core.workbook import read_file, write_xlsx

TODAY = dt.date(2026, 11, 29)
ASCII = "130302197907195302"
TYPED = ["130302197907195\uff1302", "１３０３０２１９７９０７１９５３０２", "130302 19790719 5302", "130302\u300019790719\u30005302"]


@pytest.mark.parametrize("typed", TYPED)
def test_the_roster_matches_on_the_normal_form(typed):
    roster = read_roster(f"姓名,身份证号\n张三,{typed}\n".encode(), "低保名单.csv", today=TODAY)
    assert [e.id_number for e in roster.entries] == [ASCII] and not roster.problems


@pytest.mark.parametrize("typed", TYPED)
def test_the_import_reads_the_normal_form_and_sees_one_person_twice(typed):
    data = write_xlsx({"家庭档案": [
        {"file_no": "HG-1", "name": "甲", "id_number": ASCII, "place": "海港区", "filed_on": "2025-03-01", "main_cause": "下岗失业"},
        {"file_no": "HG-2", "name": "乙", "id_number": typed, "place": "海港区", "filed_on": "2025-03-01", "main_cause": "下岗失业"},
    ]}, template=True)
    sheets, problems = read_file(data, "档案.xlsx")
    parsed = parse(sheets, TODAY)
    assert [f.head["id_number"] for f in parsed.files] == [ASCII, ASCII]
    assert [(p.row, p.column) for p in parsed.problems if "同一人" in p.message] == [(4, "户主身份证号")]


def test_the_form_sees_a_member_typed_full_width_as_the_head():
    with pytest.raises(IntakeErrors) as caught:
        check_household({"name": "甲", "id_number": ASCII, "causes": [{"cause": "3", "is_main": True}],
                         "members": [{"name": "乙", "relation": "spouse", "id_number": TYPED[0]}]}, TODAY)
    assert caught.value.errors["members.0.id_number"] == "身份证号与户主重复"


def test_a_superscript_in_a_workbook_is_a_problem_not_a_crash():
    data = write_xlsx({"家庭档案": [{"file_no": "HG-1", "name": "甲", "id_number": "13030219800101\U00010a40123", "place": "海港区",
                                     "filed_on": "2025-03-01", "main_cause": "下岗失业"}]}, template=True)
    sheets, _ = read_file(data, "档案.xlsx")
    parsed = parse(sheets, TODAY)
    assert [(p.column, p.message) for p in parsed.problems if p.column == "户主身份证号"] == [
        ("户主身份证号", "身份证号前17位只能是数字")]

"""法定节假日 on 低保标准与参数: an administrator enters a year chinese-calendar does not know; a mistake is shown
at its field with the text kept; everyone sees the years entered."""

from sqlalchemy import select

from db.engine import reading
from db.models import OfficialCalendarYear
from tests.screens.conftest import app_as, assert_ok, make_user


def _texts(at) -> str:
    return "\n".join(str(e.value) for kind in ("error", "success", "caption") for e in getattr(at, kind))


def test_admin_enters_a_year_and_a_viewer_sees_it(app_db):
    make_user(app_db, "boss", "admin")
    at = app_as("boss").run()
    at.switch_page("screens/policy_params.py").run()
    assert_ok(at)
    assert "2004–2026 年已随程序内置" in _texts(at) and "尚未录入 2026 年以后的年份" in _texts(at)
    at.text_input(key="pp_cal_year_new").input("2027")
    at.text_area(key="pp_cal_holidays_new").input("2027-01-01~2027-01-03, 2027-02-30")
    at.text_area(key="pp_cal_workdays_new").input("2027-02-14")
    at.button(key="FormSubmitter:pp_cal_form_new-保存").click().run()
    assert_ok(at)
    assert "放假日期中的“2027-02-30”不是日期" in _texts(at)
    assert at.text_area(key="pp_cal_holidays_new").value == "2027-01-01~2027-01-03, 2027-02-30"  # kept
    with reading(app_db) as s:
        assert s.scalar(select(OfficialCalendarYear)) is None
    at.text_area(key="pp_cal_holidays_new").input("2027-01-01~2027-01-03, 2027-02-06~2027-02-12")
    at.button(key="FormSubmitter:pp_cal_form_new-保存").click().run()
    assert_ok(at)
    assert "已保存 2027 年的法定节假日和调休安排" in _texts(at)
    with reading(app_db) as s:
        row = s.scalar(select(OfficialCalendarYear))
    assert (row.year, row.workdays) == (2027, "2027-02-14") and row.holidays.count(",") == 9

    make_user(app_db, "viewer1", "viewer", "海港区总工会")
    viewer = app_as("viewer1").run()
    viewer.switch_page("screens/policy_params.py").run()
    assert_ok(viewer)
    table = viewer.dataframe[-1].value
    assert list(table["年份"]) == [2027] and table["放假日期"][0] == "2027-01-01~2027-01-03, 2027-02-06~2027-02-12"
    assert not [t for t in viewer.text_area if str(t.key).startswith("pp_cal_")]

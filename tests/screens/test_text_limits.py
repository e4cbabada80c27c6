"""A text a field cannot hold, typed on a screen: the message is shown, the typing kept, nothing written."""

import datetime as dt

from sqlalchemy import func, select

from db.engine import reading, transaction
from db.models import Visit
from tests.db.support import add_file
from tests.screens.conftest import app_as, assert_ok, make_user

TODAY = dt.date.today()


def test_a_visit_whose_needs_hold_a_control_character_is_refused_with_the_message_on_the_form(app_db):
    """发现的需求 has no message place of its own on the form: its refusal is said in the form's notice, not lost."""
    make_user(app_db, "hgstaff", "staff", "海港区总工会")
    with transaction(app_db) as s:
        file_no = add_file(s, 1, causes=("6", "3"), filed_on=TODAY - dt.timedelta(days=400)).file_no
    at = app_as("hgstaff").run()
    at.switch_page("screens/household.py")
    at.query_params["file"] = file_no
    at.run()
    at.selectbox(key="pv_kind").set_value("home")
    at.text_area(key="pv_notes").input("入户了解收入")
    at.text_input(key="pv_needs").input("希望参加\x01技能培训")
    at.button(key="FormSubmitter:pv_visit-登记走访").click().run()
    assert_ok(at)
    assert any("发现的需求含有不可见的控制字符，请删除后再保存" in e.value for e in at.error), [e.value for e in at.error]
    assert at.text_area(key="pv_notes").value == "入户了解收入"
    with reading(app_db) as s:
        assert s.scalar(select(func.count()).select_from(Visit)) == 0

"""Every write on chosen rows names what it will change right above its button; a tick opens the file ticked."""

import datetime as dt

from sqlalchemy import select

from db import users
from db.engine import reading, transaction
from tests.db.support import add_file
from tests.screens.conftest import PASSWORD, app_as, assert_ok, make_user
from tests.screens.ticks import tick


def _texts(at) -> str:
    kinds = ("markdown", "caption", "error", "warning", "success", "info")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def test_the_files_to_mark_are_named_above_the_button(app_db):
    make_user(app_db, "hgstaff", "staff", "海港区总工会")
    with transaction(app_db) as s:
        on_list = add_file(s, 1)
        add_file(s, 2)
        number, file_no = on_list.id_number, on_list.file_no
    at = app_as("hgstaff").run()
    at.switch_page("screens/excel.py").run()
    at.file_uploader(key="ro_file").set_value(("低保名单.csv", f"身份证号\n{number}\n".encode(), "text/csv")).run()
    assert_ok(at)
    assert f"将标记的 **1** 户：{file_no} 户主1" in _texts(at)
    at.button(key="ro_apply").click().run()
    assert_ok(at)
    assert "已标记 1 户，0 户原已标记无变化" in _texts(at)  # exactly the file named (the store's form is db.roster's business)


def test_the_user_a_form_changes_is_named_above_its_button(app_db):
    make_user(app_db, "boss", "admin")
    make_user(app_db, "li.yewu", "staff", "海港区总工会")
    at = app_as("boss").run()
    at.switch_page("screens/users.py").run()
    at.selectbox(key="pw_user").set_value("li.yewu").run()
    assert "将重置用户 **li.yewu**（li.yewu用户）的密码" in _texts(at)
    at.text_input(key="pw_new").input("new-pass-2027")
    at.text_input(key="pw_repeat").input("new-pass-2027")
    at.button(key="FormSubmitter:user_password-重置密码").click().run()
    assert_ok(at)
    with reading(app_db) as s:
        hashes = {u.username: u.password_hash for u in users.list_users(s, users.actor_for(s, "boss"))}
    import bcrypt
    assert bcrypt.checkpw(b"new-pass-2027", hashes["li.yewu"].encode())
    assert bcrypt.checkpw(PASSWORD.encode(), hashes["boss"].encode())  # nobody else's


def test_a_tick_in_the_file_list_opens_the_file_ticked(app_db):
    make_user(app_db, "hgstaff", "staff", "海港区总工会")
    with transaction(app_db) as s:
        for n in (1, 2, 3):
            add_file(s, n)
    at = app_as("hgstaff").run()
    at.switch_page("screens/households.py").run()
    listed = list(at.dataframe[0].value["档案编号"])
    tick(at, "hh_table", [2])
    assert_ok(at)
    assert at.query_params["file"] == listed[2]
    assert f"档案编号 **{listed[2]}**" in _texts(at)  # the file page of the row ticked


def test_a_measure_ticked_is_the_one_changed_and_the_tick_goes_after_the_save(app_db):
    from db import measures
    from db.models import Measure
    from tests.db.support import actor_of
    from tests.db.test_measures import job
    from tests.screens.ticks import ticked

    make_user(app_db, "hgstaff", "staff", "海港区总工会")
    with transaction(app_db) as s:
        household = add_file(s, 1, causes=("3",))
        hid, file_no = household.id, household.file_no
        first = measures.add_measure(s, actor_of(s), hid, job(content="推荐到港务集团从事保洁工作"), today=dt.date.today())[0].id
        second = measures.add_measure(s, actor_of(s), hid, job(content="参加家政服务技能培训"), today=dt.date.today())[0].id
    at = app_as("hgstaff").run()
    at.switch_page("screens/household.py")
    at.query_params["file"] = file_no
    at.run()
    shown = list(at.dataframe(key=at.session_state["_selection_key::pm_table"]).value["帮扶内容"])
    row = shown.index("参加家政服务技能培训")
    tick(at, "pm_table", [row])
    assert at.text_area(key=f"pm_content_{second}").value == "参加家政服务技能培训"
    at.text_area(key=f"pm_content_{second}").input("参加家政服务技能培训（已报名）")
    at.button(key=f"FormSubmitter:pm_measure_{second}-保存修改").click().run()
    assert_ok(at)
    with reading(app_db) as s:
        contents = {m.id: m.content for m in s.scalars(select(Measure))}
    assert contents == {first: "推荐到港务集团从事保洁工作", second: "参加家政服务技能培训（已报名）"}
    assert ticked(at, "pm_table") == []  # the saved row starts the table afresh: the form is for a new measure again

"""The app as users meet it, driven by AppTest on a real SQLite database."""

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.engine import reading, transaction
from db.models import AuditLog, Org, User
from db import users
from tests.screens.conftest import PASSWORD, app_as, assert_ok, make_user
from ui.navigation import PAGES, pages_for


def _texts(at) -> str:
    parts = [e.value for kind in ("title", "markdown", "caption", "error", "warning", "success", "info", "subheader") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def test_first_run_with_the_demo_loads_it_from_the_setup_page(app_db):
    """The setup page's own path into the demo package: the administrator, then the demo's files and its audit row."""
    from db.models import Household

    at = app_as().run()
    for key, value in (("setup_username", "admin"), ("setup_display_name", "王管理"), ("setup_password", "admin-pass-1"),
                       ("setup_password_repeat", "admin-pass-1")):
        at.text_input(key=key).input(value)
    at.number_input(key="setup_demo_size").set_value(50)
    at.button[0].click().run(timeout=120)
    assert_ok(at)
    assert "已载入示例数据：50 户档案" in _texts(at) and "管理员已创建" in _texts(at)
    with reading(app_db) as s:
        assert s.scalar(select(func.count()).select_from(Household)) == 50
        assert s.scalar(select(func.count()).where(AuditLog.entity == "demo")) == 1


def test_first_run_creates_the_admin_and_keeps_input_on_error(app_db):
    at = app_as().run()
    assert_ok(at)
    assert at.title[0].value == "初始设置"
    at.text_input(key="setup_username").input("admin")
    at.text_input(key="setup_display_name").input("王管理")
    at.text_input(key="setup_password").input("admin-pass-1")
    at.text_input(key="setup_password_repeat").input("admin-pass-2")
    at.checkbox(key="setup_demo").uncheck()
    at.button[0].click().run()
    assert "两次输入的密码不一致" in _texts(at)
    assert at.text_input(key="setup_username").value == "admin"  # what was typed is kept
    with reading(app_db) as s:
        assert users.user_count(s) == 0

    at.text_input(key="setup_password_repeat").input("admin-pass-1")
    at.button[0].click().run()
    assert_ok(at)
    assert "管理员已创建" in _texts(at)
    with reading(app_db) as s:
        assert users.actor_for(s, "admin").role == "admin"

    at = app_as().run()  # a new visitor now gets the login form, not the setup page
    assert at.text_input(key="login_username") is not None
    assert "初始设置" not in _texts(at)


def test_login_refuses_a_wrong_password_and_lets_the_right_one_in(app_db):
    make_user(app_db, "boss", "admin")
    at = app_as().run()
    at.text_input(key="login_username").input("boss")
    at.text_input(key="login_password").input("wrong-password")
    at.button[0].click().run()
    assert "用户名或密码错误" in _texts(at)
    assert "待办事项" not in _texts(at)

    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert_ok(at)
    assert "待办事项" in _texts(at)
    with reading(app_db) as s:
        assert s.scalar(select(AuditLog).where(AuditLog.action == "login")).actor == "boss"


@pytest.mark.parametrize("role", ["admin", "staff", "viewer", "analyst"])
def test_every_role_renders_each_of_its_pages(app_db, role):
    org = "秦皇岛市总工会" if role == "admin" else "海港区总工会"
    make_user(app_db, f"u_{role}", role, org)
    at = app_as(f"u_{role}").run()
    assert_ok(at)
    for spec in pages_for(role):
        at.switch_page(spec.path).run()
        assert_ok(at)
        assert at.title[0].value.startswith(spec.title) or spec.url_path == "home", spec.path
        assert not at.error or spec.url_path == "home", [e.value for e in at.error]


@pytest.mark.parametrize("role", ["staff", "viewer", "analyst"])
def test_pages_outside_a_role_are_unreachable(app_db, role):
    make_user(app_db, f"u_{role}", role, "海港区总工会")
    allowed = {p.path for p in pages_for(role)}
    refused = [spec for spec in PAGES if spec.path not in allowed]
    assert refused, "every role but admin has pages it may not use"
    for spec in refused:
        at = app_as(f"u_{role}").run()
        # the screen's file was never handed to st.navigation (its address shows a "no access" page
        # instead, checked in the browser test), so Streamlit cannot switch to it at all
        with pytest.raises(Exception, match="Could not find"):
            at.switch_page(spec.path).run()


@pytest.mark.parametrize("role", ["staff", "viewer", "analyst"])
def test_admin_screens_refuse_other_roles_even_when_run_directly(app_db, role):
    """The second gate: each screen checks the role itself (run here without the navigation)."""
    from streamlit.testing.v1 import AppTest

    from db.actor import Actor
    from tests.screens.conftest import APP

    actor = Actor(username="x", display_name="x", role=role, org_id=2, org_path="/1/2/")
    for screen in ("users.py", "orgs.py", "audit_log.py"):
        at = AppTest.from_file(str(Path(APP).parent / "screens" / screen), default_timeout=30)
        at.session_state["jiekun_actor"] = actor
        at.run()
        assert any("仅限管理员" in str(e.value) for e in at.error), screen
        assert not at.dataframe, screen


def test_admin_creates_a_staff_user_and_errors_stay_at_their_field(app_db):
    make_user(app_db, "boss", "admin")
    at = app_as("boss").run()
    at.switch_page("screens/users.py").run()
    with reading(app_db) as s:
        haigang = s.scalar(select(Org).where(Org.name == "海港区总工会")).id
    at.text_input(key="new_username").input("X")
    at.text_input(key="new_display_name").input("李业务")
    at.selectbox(key="new_role").set_value("staff")
    at.selectbox(key="new_org").set_value(haigang)
    at.text_input(key="new_password").input("staff-pass-1")
    at.text_input(key="new_password_repeat").input("staff-pass-1")
    at.button(key="FormSubmitter:user_new-创建用户").click().run()
    assert_ok(at)
    assert "用户名为 3–32 位字母、数字" in _texts(at)
    assert at.text_input(key="new_display_name").value == "李业务"

    at.text_input(key="new_username").input("li.yewu")
    at.button(key="FormSubmitter:user_new-创建用户").click().run()
    assert "已创建用户 li.yewu" in _texts(at)
    with reading(app_db) as s:
        staff = users.actor_for(s, "li.yewu")
    assert staff.role == "staff" and staff.org_name == "海港区总工会"


def test_a_deactivated_user_is_logged_out_on_the_next_run(app_db):
    make_user(app_db, "boss", "admin")
    make_user(app_db, "leaver", "staff", "海港区总工会")
    at = app_as("leaver").run()
    assert "待办事项" in _texts(at)
    with transaction(app_db) as s:
        u = s.scalar(select(User).where(User.username == "leaver"))
        users.update_user(s, users.actor_for(s, "boss"), u.id, expected_version=u.version, display_name=u.display_name,
                          role=u.role, org_id=u.org_id, active=False)
    at.run()
    assert "账号已停用" in _texts(at)
    assert "待办事项" not in _texts(at)


def test_staff_sees_only_files_of_their_district(app_db):
    from demo import load_demo

    load_demo(app_db, households=60, seed=7)
    make_user(app_db, "hgstaff", "staff", "海港区总工会")
    at = app_as("hgstaff").run()
    at.switch_page("screens/households.py").run()
    assert_ok(at)
    frame = at.dataframe[0].value
    assert len(frame) > 0
    assert set(frame["区县"]) == {"海港区"}
    assert all("*" in n for n in frame["身份证号"])


def test_after_logout_a_wrong_password_is_told_at_once(app_db):
    make_user(app_db, "boss", "admin")
    at = app_as().run()
    at.text_input(key="login_username").input("boss")
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert "待办事项" in _texts(at)
    at.button(key="jiekun_logout").click().run()
    assert_ok(at)
    assert "待办事项" not in _texts(at)
    at.text_input(key="login_username").input("boss")
    at.text_input(key="login_password").input("not-the-password")
    at.button(key="FormSubmitter:login-登录").click().run()
    assert "用户名或密码错误" in _texts(at)


def test_repeated_failed_logins_make_the_form_wait_with_a_message(app_db):
    from db.users import FREE_FAILURES

    make_user(app_db, "boss", "admin")
    at = app_as().run()
    for _ in range(FREE_FAILURES):
        at.text_input(key="login_username").input("boss")
        at.text_input(key="login_password").input("wrong-password")
        at.button(key="FormSubmitter:login-登录").click().run()
        assert "用户名或密码错误" in _texts(at)
    at.text_input(key="login_password").input(PASSWORD)
    at.button(key="FormSubmitter:login-登录").click().run()
    assert_ok(at)
    assert re.search(r"登录失败次数过多，请 [1-5] 秒后再试", _texts(at)), _texts(at)
    assert "待办事项" not in _texts(at)


def test_admin_adds_a_real_line_in_the_grid_and_a_viewer_cannot_edit(app_db):
    from db.models import DibaoLine

    make_user(app_db, "boss", "admin")
    at = app_as("boss").run()
    at.switch_page("screens/policy_params.py").run()
    assert_ok(at)
    assert "尚未录入任何低保标准" in _texts(at)
    at.session_state["pp_lines_grid"] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"区县": "海港区", "生效日期": "2026-01-01", "标准(元)": 790.0, "依据": "秦民〔2026〕1号"}]}
    at.button(key="FormSubmitter:pp_lines_form-保存").click().run()
    assert_ok(at)
    assert "已保存：新增 1 行" in _texts(at)
    with reading(app_db) as s:
        line = s.scalar(select(DibaoLine))
    assert (line.place_code, line.amount_fen, line.is_demo, line.note) == ("130302", 79000, False, "秦民〔2026〕1号")

    make_user(app_db, "viewer1", "viewer", "海港区总工会")
    viewer = app_as("viewer1").run()
    viewer.switch_page("screens/policy_params.py").run()
    assert_ok(viewer)
    assert "修改（管理员）" not in _texts(viewer) and not viewer.data_editor

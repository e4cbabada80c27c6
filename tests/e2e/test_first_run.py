"""A new installation in a real browser: first-run setup, login, the home page, reload, logout.

Demo data is left out here (the checkbox is unchecked) so the walk stays quick; loading it is the
demo loader's own tests' business.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import login as _login, settle, uncaught_errors, wait_for_run

APP_TITLE = "困难职工解困脱困工作平台"
ADMIN = "e2e.admin"
ADMIN_NAME = "王建国"
PASSWORD = "jiekun-e2e-2024"
ROLE_NAME = "管理员（市总）"
ADMIN_PAGES = ("首页", "档案列表", "低保标准与参数", "用户管理", "工会组织", "操作日志")
LEAD_SCREENSHOT = Path("/tmp/jiekun-home.png")


def _expect_logged_in(page: Page) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(ADMIN_NAME)).to_be_visible()
    expect(sidebar.get_by_text(ROLE_NAME)).to_be_visible()
    expect(sidebar.get_by_role("button", name="退出登录")).to_be_visible()
    nav = page.get_by_test_id("stSidebarNav")
    for title in ADMIN_PAGES:
        expect(nav.get_by_role("link", name=title)).to_be_visible()
    expect(page.get_by_role("heading", name=APP_TITLE)).to_be_visible()
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
    expect(page.get_by_role("button", name="登录", exact=True)).to_have_count(0)


def _wait_for_cookie(page: Page, *, present: bool, seconds: float = 15) -> None:
    """The login cookie is written and deleted by a component in the page: give it time on a busy machine."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(c["name"] == "jiekun_login" for c in page.context.cookies()) == present:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"the login cookie was {'never written' if present else 'not deleted'} within {seconds} s")


def _expect_login_form(page: Page) -> None:
    expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible()
    expect(page.get_by_label("用户名", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="退出登录")).to_have_count(0)
    expect(page.get_by_text(ADMIN_NAME)).to_have_count(0)


def test_first_run_setup_login_home_reload_logout(page: Page, app_url: str, app_log: Path, tmp_path: Path) -> None:
    page.goto(app_url)
    wait_for_run(page)

    # First run: no users yet, so the only page is the setup form.
    expect(page.get_by_role("heading", name="初始设置")).to_be_visible()
    page.get_by_label("管理员用户名", exact=True).fill(ADMIN)
    page.get_by_label("姓名", exact=True).fill(ADMIN_NAME)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入密码", exact=True).fill(PASSWORD)
    demo = page.get_by_role("checkbox", name=re.compile("同时载入示例数据"))
    expect(demo).to_be_checked()
    page.get_by_text("同时载入示例数据").click()
    expect(demo).not_to_be_checked()
    page.get_by_role("button", name="创建管理员").click()
    wait_for_run(page)
    expect(page.get_by_text("管理员已创建。请用刚才的用户名和密码登录。")).to_be_visible()
    page.get_by_role("button", name="前往登录").click()
    wait_for_run(page)

    # The login form; a wrong password is refused.
    expect(page.get_by_role("heading", name="登录", exact=True)).to_be_visible()
    _login(page, ADMIN, PASSWORD + "x")
    expect(page.get_by_text("用户名或密码错误。")).to_be_visible()
    _expect_login_form(page)

    _login(page, ADMIN, PASSWORD)
    _expect_logged_in(page)
    expect(page.get_by_text(f"{ADMIN_NAME} · {ROLE_NAME} · 管辖范围：全市").first).to_be_visible()
    # The Chinese title is laid out and visible (the saved screenshot shows whether the glyphs are real).
    title = page.get_by_role("heading", name=APP_TITLE)
    box = title.bounding_box()
    assert box is not None and box["width"] > 200, box
    shot = tmp_path / "home.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    shutil.copyfile(shot, LEAD_SCREENSHOT)
    assert uncaught_errors(app_log) == [], "a script run crashed during setup or login"

    # A reload keeps the user logged in: the login cookie was written (by a component, so wait for it).
    _wait_for_cookie(page, present=True)
    page.reload()
    wait_for_run(page)
    settle(page)
    _expect_logged_in(page)
    assert uncaught_errors(app_log) == [], "a script run crashed when the login cookie logged the user back in"

    # Logging out brings the form back, and a reload does not log the user in again (cookie deleted).
    page.get_by_test_id("stSidebar").get_by_role("button", name="退出登录").click()
    wait_for_run(page)
    settle(page)  # deleting the cookie is a component too: it reports back with another run
    _expect_login_form(page)
    _wait_for_cookie(page, present=False)
    page.reload()
    wait_for_run(page)
    settle(page)
    _expect_login_form(page)

    # A crash can flash by and be hidden by the next rerun: the server log tells.
    assert uncaught_errors(app_log) == [], "a script run crashed during logout"

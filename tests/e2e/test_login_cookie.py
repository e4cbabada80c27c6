"""Login cookies in a real browser: a forged or unreadable cookie is no cookie, and a logged-out one stays out."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import E2E_PASSWORD, district_staff_user, login, settle, uncaught_errors, wait_for_run

COOKIE = "jiekun_login"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _expect_login_form(page: Page) -> None:
    expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="退出登录")).to_have_count(0)
    expect(page.get_by_text("意外错误")).to_have_count(0)


def _open_with_cookie(page: Page, app_url: str, value: str) -> None:
    page.context.clear_cookies()
    page.context.add_cookies([{"name": COOKIE, "value": value, "url": app_url}])
    page.goto(app_url)
    wait_for_run(page)
    settle(page)


def test_unreadable_forged_and_logged_out_cookies_all_show_the_login_form(page: Page, app_url: str, app_db_url: str,
                                                                           app_log: Path) -> None:
    staff = district_staff_user(app_db_url)
    far = int(time.time()) + 10 * 365 * 86400
    forged = {
        "garbage": "not-a-token",
        "alg=none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({'sid': 'x', 'sub': 'e2e.admin', 'iat': 1, 'exp': far})}.",
        "the old format, unsigned": f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64({'username': 'e2e.admin', 'exp_date': far})}.AAAA",
    }
    for what, value in forged.items():
        _open_with_cookie(page, app_url, value)
        _expect_login_form(page)
    assert uncaught_errors(app_log) == [], "a forged cookie crashed a run"

    # A real login's cookie, kept by someone after the user logged out, logs nobody in.
    page.context.clear_cookies()
    page.goto(app_url)
    wait_for_run(page)
    login(page, staff, E2E_PASSWORD)
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    deadline = time.monotonic() + 15
    while not (kept := [c for c in page.context.cookies() if c["name"] == COOKIE]) and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert kept, "the login cookie was never written"
    page.get_by_test_id("stSidebar").get_by_role("button", name="退出登录").click()
    wait_for_run(page)
    settle(page)
    _open_with_cookie(page, app_url, kept[0]["value"])
    _expect_login_form(page)
    assert uncaught_errors(app_log) == []

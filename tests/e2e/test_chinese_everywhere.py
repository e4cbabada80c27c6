"""Chinese on every pixel: every page of every role, in a real browser, shows no English word a user could read.

Each role logs in (in its own browser context), opens every page its sidebar offers and every tab on it, and the
text a user can see is gathered: the visible text nodes (Material icons, which are ligature words, left out), the
placeholders and button labels, and the cells the data grids draw (their accessible table). A Latin word outside
the allowlist — file formats, codes, units, the test's own user names — fails the test with the page and the word.
The hint Streamlit writes inside a text field of a form while one types ("Press Enter to submit form") is checked on
the login form and the file search.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from .conftest import E2E_PASSWORD as PASSWORD, login, settle, uncaught_errors, wait_for_run

# words a user may meet in Latin letters: file formats and programs, units, the test's user names
ALLOWED = {"Excel", "XLSX", "xlsx", "XLS", "xls", "CSV", "csv", "PNG", "png", "PDF", "MB", "KB",
           "QHD", "ETDZ", "BDHNA",                    # the file numbers' and the two zones' codes
           "YYYY", "MM", "DD", "yyyy", "mm", "dd",    # a date field's format
           "e2e", "admin", "hg", "staff", "city", "viewer", "analyst", "test"}  # this test's user names and job
GRID_MARKS = {"true", "false"}  # a grid's accessible text for the tick boxes it draws
LATIN = re.compile(r"[A-Za-z][A-Za-z]+")

# the text a user can see on the page now (visible text nodes, placeholders, the grids' cells), one item per piece
VISIBLE_TEXT = """() => {
  const GRID_MARKS = %s;
  const out = [];
  const shown = (el) => {
    if (!el) return false;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none' || parseFloat(style.fontSize) === 0) return false;
    return el.getClientRects().length > 0;
  };
  const icon = (el) => el.closest('[data-testid="stIconMaterial"], .material-symbols-rounded, [translate="no"]')
      || /Material/.test(getComputedStyle(el).fontFamily);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const text = node.textContent.trim();
    if (!text || !el || el.closest('script, style, noscript') || icon(el)) continue;
    const grid = el.closest('[data-testid="stDataFrame"] table');
    if (grid) {
      if (shown(el.closest('[data-testid="stDataFrame"]')) && !GRID_MARKS.includes(text)) out.push(text);
    } else if (shown(el)) out.push(text);
  }
  for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
    const select = el.closest('[data-baseweb="select"]');
    if (el.value || (select && select.innerText.trim())) continue;  // a value is shown, not the placeholder
    if (shown(el) && el.placeholder) out.push(el.placeholder);
  }
  return out;
}""" % sorted(GRID_MARKS)

USERS = {"admin": ("e2e.admin", "秦皇岛市总工会"), "staff": ("hg.staff", "海港区总工会"),
         "viewer": ("city.viewer", "秦皇岛市总工会"), "analyst": ("city.analyst", "秦皇岛市总工会")}


@pytest.fixture
def people(app_db_url: str) -> str:
    """The demo city and one user per role; returns the number of a file of 海港区 to open in 一户一档."""
    from sqlalchemy import select

    from db.actor import system_actor
    from db.engine import make_engine, reading, transaction
    from db.models import Household, Org
    from db.users import create_first_admin, create_user
    from demo import load_demo

    engine = make_engine(app_db_url)
    try:
        load_demo(engine, households=150, seed=4)
        with transaction(engine) as session:
            create_first_admin(session, username="e2e.admin", display_name="王建国", password=PASSWORD, password_repeat=PASSWORD)
        with transaction(engine) as session:
            for role, (username, union) in USERS.items():
                if role != "admin":
                    org = session.scalar(select(Org).where(Org.name == union))
                    create_user(session, system_actor("test"), username=username, display_name=f"测试{role}",
                                password=PASSWORD, role=role, org_id=org.id)
        with reading(engine) as session:
            org = session.scalar(select(Org).where(Org.name == "海港区总工会"))
            unions = select(Org.id).where(Org.path.startswith(org.path))
            return session.scalar(select(Household.file_no).where(Household.org_id.in_(unions), Household.status == "active")
                                  .order_by(Household.id).limit(1))
    finally:
        engine.dispose()


def english(texts: list[str]) -> set[str]:
    return {word for text in texts for word in LATIN.findall(text) if word not in ALLOWED}


def _look(page: Page, where: str, found: dict[str, set[str]]) -> None:
    words = english(page.evaluate(VISIBLE_TEXT))
    if words:
        found.setdefault(where, set()).update(words)


def _every_tab(page: Page, where: str, found: dict[str, set[str]]) -> None:
    _look(page, where, found)
    tabs = page.locator("[data-testid='stMain'] [role='tab']")
    for i in range(tabs.count()):
        tab = tabs.nth(i)
        if not tab.is_visible():
            continue
        name = tab.inner_text().strip()
        tab.click()
        settle(page, 600)
        _look(page, f"{where} › {name}", found)


def _typing(page: Page, field, where: str, found: dict[str, set[str]]) -> None:
    """What the page shows while one types in `field` (Streamlit's hint appears under it then)."""
    field.click()
    field.press_sequentially("ab")
    page.wait_for_timeout(300)
    _look(page, where, found)
    field.fill("")


@pytest.mark.parametrize("role", list(USERS))
def test_every_page_of_every_role_shows_no_english(role: str, people: str, app_url: str, app_log: Path,
                                                    browser: Browser) -> None:
    from ui.navigation import pages_for

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    found: dict[str, set[str]] = {}
    try:
        page.goto(app_url)
        wait_for_run(page)
        settle(page)
        if role == "admin":  # the login form, once: its fields and the hint Streamlit shows while one types
            _look(page, "登录", found)
            _typing(page, page.get_by_label("用户名", exact=True), "登录（输入时）", found)
        login(page, USERS[role][0], PASSWORD)
        for spec in pages_for(role):
            target = f"{app_url}/" + ("" if spec.url_path == "home" else spec.url_path) + (
                f"?file={people}" if spec.url_path == "household" else "")
            page.goto(target)
            wait_for_run(page)
            settle(page)
            _every_tab(page, spec.title, found)
            if spec.url_path == "households":
                _typing(page, page.get_by_label("搜索", exact=True), "档案列表（输入时）", found)
        assert not found, "English a user can see: " + "; ".join(f"{where}: {', '.join(sorted(words))}"
                                                              for where, words in found.items())
    finally:
        context.close()
    assert not uncaught_errors(app_log)

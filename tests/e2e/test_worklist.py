"""The work queue in a real browser: from the home page to a queue, one row ticked, a visit recorded, the item gone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect


from .conftest import E2E_PASSWORD as PASSWORD, district_staff_user, login, settle, uncaught_errors, wait_for_run

ROW_PX = 35  # glide-data-grid row (and header) height in Streamlit's grids
SHOT = Path("/tmp/jiekun-worklist.png")


@pytest.fixture
def district_staff(app_db_url: str) -> str:
    return district_staff_user(app_db_url, demo_households=600)


def _overdue_count(page: Page) -> int:
    text = page.get_by_test_id("stRadio").inner_text()  # each option's label, then its caption "N 户"
    return int(re.search(r"走访逾期\s*([\d,]+) 户", text).group(1).replace(",", ""))


def test_a_staff_user_clears_an_overdue_visit_from_the_work_queue(district_staff: str, app_url: str, app_log: Path, page: Page) -> None:
    page.goto(app_url)
    wait_for_run(page)
    login(page, district_staff, PASSWORD)
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()

    page.get_by_role("link", name="走访逾期").click()  # the home page's to-do opens its queue
    wait_for_run(page)
    settle(page)
    expect(page.get_by_role("heading", name="工作台", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stRadio").get_by_role("radio", name=re.compile("^走访逾期")).first).to_be_checked()
    before = _overdue_count(page)
    assert before > 0

    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_be_visible()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + ROW_PX + ROW_PX / 2)  # the first row's tick box (the row-marker column)
    wait_for_run(page)
    expect(page.get_by_text("为选中的 1 户登记走访")).to_be_visible()

    form = page.get_by_test_id("stForm")
    form.get_by_label("情况记录 *").fill("电话回访：户主病情稳定，配偶在超市打零工")
    form.get_by_role("button", name="登记走访").click()
    wait_for_run(page)
    expect(page.get_by_text(re.compile(r"已为 1 户登记 .* 的走访"))).to_be_visible()
    assert _overdue_count(page) == before - 1
    expect(page.get_by_test_id("stRadio").get_by_role("radio", name=re.compile("^走访逾期")).first).to_be_checked()  # still there
    page.screenshot(path=str(SHOT), full_page=True)
    assert not uncaught_errors(app_log)

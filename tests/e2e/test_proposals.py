"""可脱困名单 in a real browser: two files confirmed, one more ticked and confirmed — exactly the three ticked close.

The grid keeps its ticks in the browser by row position; before ui.selection the refreshed list showed
rows 1 and 2 still ticked (now other households) and the next confirmation closed files nobody chose.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from db.engine import make_engine, reading
from db.models import Household

from .conftest import E2E_PASSWORD as PASSWORD, district_staff_user, login, settle, uncaught_errors, wait_for_run

ROW_PX = 35  # glide-data-grid row (and header) height in Streamlit's grids
AS_OF = "2020-12-31"
SHOT = Path("/tmp/jiekun-proposals.png")


@pytest.fixture
def admin(app_db_url: str) -> str:
    district_staff_user(app_db_url, demo_households=600)  # also creates e2e.admin (city-wide) on the demo data
    return "e2e.admin"


def _exited(db_url: str) -> set[str]:
    engine = make_engine(db_url)
    try:
        with reading(engine) as s:
            return set(s.scalars(select(Household.file_no).where(Household.status == "exited")))
    finally:
        engine.dispose()


def _tick(page: Page, row: int) -> None:
    """Click the tick box of the (0-based) row of the 可脱困 grid (the row-marker column)."""
    box = page.get_by_test_id("stDataFrame").first.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + ROW_PX * (row + 1) + ROW_PX / 2)
    wait_for_run(page)


def _ticked(page: Page) -> tuple[int, list[str]]:
    """The count and the file numbers the form names above its button."""
    text = page.get_by_test_id("stForm").first.inner_text()
    count = int(re.search(r"已勾选 (\d+) 户", text).group(1))
    return count, re.findall(r"QHD-\d{6}-\d{6}", text)


def _listed(page: Page) -> int:
    return int(re.search(r"可脱困（(\d+)）", page.get_by_role("tab").first.inner_text()).group(1))


def _confirm(page: Page) -> None:
    page.get_by_test_id("stForm").first.get_by_role("button", name="确认脱困").click()
    wait_for_run(page)


def test_a_confirmation_closes_exactly_the_files_ticked(admin: str, app_url: str, app_db_url: str, app_log: Path, page: Page) -> None:
    page.goto(app_url)
    wait_for_run(page)
    login(page, admin, PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="可脱困/可解困名单").click()
    wait_for_run(page)
    settle(page)
    for part, value in zip(("year", "month", "day"), AS_OF.split("-"), strict=True):  # the date field's segments
        page.get_by_role("spinbutton", name=f"{part}, 评估截至").click()
        page.keyboard.type(value)
    page.keyboard.press("Escape")  # close the calendar the typing opened
    page.get_by_role("heading", name="可脱困/可解困名单").click()  # leaving the field commits the date
    wait_for_run(page)
    expect(page.get_by_text("评估月份：2020年12月")).to_be_visible()
    listed = _listed(page)
    assert listed >= 4, listed
    before = _exited(app_db_url)

    _tick(page, 0)
    _tick(page, 1)
    count, first_two = _ticked(page)
    assert count == 2 and len(first_two) == 2, (count, first_two)
    _confirm(page)
    expect(page.get_by_text("已确认脱困 2 户。")).to_be_visible()
    assert _exited(app_db_url) - before == set(first_two)
    assert _listed(page) == listed - 2
    assert _ticked(page) == (0, [])  # the refreshed list has nothing ticked

    _tick(page, 2)  # one more file: the form must count it alone, not with the old positions
    count, third = _ticked(page)
    assert count == 1 and len(third) == 1 and third[0] not in first_two, (count, third)
    _confirm(page)
    expect(page.get_by_text("已确认脱困 1 户。")).to_be_visible()
    assert _exited(app_db_url) - before == {*first_two, *third}  # exactly the three ticked, nothing else
    assert _listed(page) == listed - 3
    assert _ticked(page) == (0, [])
    page.screenshot(path=str(SHOT), full_page=True)
    assert not uncaught_errors(app_log)

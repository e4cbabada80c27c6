"""The progress dashboard in a real browser: on demo data its charts render, and meeting mode fits a projector."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from demo import load_demo
from db.engine import make_engine, transaction
from db.users import create_first_admin
from ui.charts import download_key

from .conftest import login as _login, settle as _settle, uncaught_errors, wait_for_run
from .test_intake import _logged_errors

PASSWORD = "jiekun-e2e-2024"
SHOT = Path("/tmp/jiekun-meeting.png")


@pytest.fixture
def admin_with_demo(app_db_url: str) -> str:
    engine = make_engine(app_db_url)
    try:
        load_demo(engine, households=600, seed=4)
        with transaction(engine) as session:
            create_first_admin(session, username="e2e.admin", display_name="王建国", password=PASSWORD, password_repeat=PASSWORD)
    finally:
        engine.dispose()
    return "e2e.admin"


def test_the_dashboard_renders_its_charts_and_meeting_mode(admin_with_demo: str, app_url: str, app_log: Path, page: Page, tmp_path: Path) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})  # a common projector resolution
    page.goto(app_url)
    wait_for_run(page)
    _login(page, admin_with_demo, PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="进度看板").click()
    wait_for_run(page)
    _settle(page)
    expect(page.get_by_role("heading", name="进度看板", exact=True)).to_be_visible()
    charts = page.locator("[data-testid='stVegaLiteChart']")
    expect(charts.first).to_be_visible(timeout=20_000)
    assert charts.count() >= 7  # progress, districts, cause, category, track, exits per month, payments
    expect(charts.first.locator("canvas, svg").first).to_be_visible()
    expect(page.get_by_text("各区县分年度目标与完成")).to_be_visible()
    expect(page.get_by_role("button", name="下载全部数据（Excel）")).to_be_visible()

    page.locator("label").filter(has_text="会议模式").first.click()
    wait_for_run(page)
    expect(page.get_by_role("heading", name="解困脱困进度", exact=True)).to_be_visible()
    expect(page.get_by_text("各区县历年累计完成与目标")).to_be_visible()
    meeting_charts = page.locator("[data-testid='stVegaLiteChart']")
    expect(meeting_charts).to_have_count(2)
    # both charts fit on the screen without scrolling
    for i in range(2):
        box = meeting_charts.nth(i).bounding_box()
        assert box is not None and box["y"] + box["height"] <= 768 + 5, box
    page.screenshot(path=str(tmp_path / "meeting.png"))
    shutil.copyfile(tmp_path / "meeting.png", SHOT)
    assert uncaught_errors(app_log) == [] and _logged_errors(app_log) == []


def test_a_charts_picture_and_the_workbook_are_made_when_their_download_is_clicked(admin_with_demo: str, app_url: str,
                                                                                  app_log: Path, page: Page) -> None:
    page.goto(app_url)
    wait_for_run(page)
    _login(page, admin_with_demo, PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="进度看板").click()
    wait_for_run(page)
    _settle(page)
    with page.expect_download() as got:
        # by the chart's own button, not by position: the charts' order on screen settles only when all have drawn
        page.locator(f".st-key-png_{download_key('累计完成进度')}").get_by_role("button", name="下载图片").click()
    assert got.value.suggested_filename == "累计完成进度.png"
    assert Path(got.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as got:
        page.get_by_role("button", name="下载全部数据（Excel）").click()
    assert Path(got.value.path()).read_bytes()[:2] == b"PK"  # an .xlsx is a zip
    assert uncaught_errors(app_log) == [] and _logged_errors(app_log) == []

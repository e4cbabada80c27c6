"""Importing in a real browser: a workbook with one mistyped ID is refused with the cell named; fixed, it imports."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from core.workbook import write_xlsx
from db.engine import make_engine, reading
from db.models import Household
from tests.db.test_import import family

from .conftest import E2E_PASSWORD as PASSWORD, district_staff_user, login, settle, uncaught_errors, wait_for_run

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOT = Path("/tmp/jiekun-import-problems.png")


@pytest.fixture
def district_staff(app_db_url: str) -> str:
    return district_staff_user(app_db_url)


def _upload(page: Page, name: str, data: bytes) -> None:
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(files=[{"name": name, "mimeType": XLSX, "buffer": data}])
    wait_for_run(page)


def test_staff_fix_a_mistyped_id_and_import_twenty_households(district_staff: str, app_url: str, app_db_url: str, app_log: Path,
                                                               page: Page) -> None:
    families = [family(n) for n in range(1, 21)]
    wrong = [dict(f) for f in families]
    last = wrong[11]["id_number"][-1]
    wrong[11]["id_number"] = wrong[11]["id_number"][:-1] + ("1" if last == "0" else "0")  # a wrong check digit in row 14

    page.goto(app_url)
    wait_for_run(page)
    login(page, district_staff, PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Excel导入导出").click()
    wait_for_run(page)
    settle(page)
    expect(page.get_by_role("heading", name="Excel导入导出")).to_be_visible()
    expect(page.get_by_role("button", name="下载导入模板（Excel）")).to_be_visible()

    _upload(page, "困难户.xlsx", write_xlsx({"家庭档案": wrong}, template=True))
    expect(page.get_by_text("没有导入任何数据")).to_be_visible(timeout=20_000)
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid.locator("td").filter(has_text="户主身份证号").first).to_be_attached()
    expect(grid.locator("td").filter(has_text="14").first).to_be_attached()  # the row Excel shows
    page.screenshot(path=str(SHOT), full_page=True)
    engine = make_engine(app_db_url)
    with reading(engine) as s:
        assert s.scalar(select(func.count()).select_from(Household)) == 0

    _upload(page, "困难户.xlsx", write_xlsx({"家庭档案": families}, template=True))
    expect(page.get_by_text("检查通过：共 20 行数据")).to_be_visible(timeout=20_000)
    page.get_by_role("button", name="导入", exact=True).click()
    wait_for_run(page)
    expect(page.get_by_text("家庭档案：新增 20")).to_be_visible(timeout=30_000)
    with reading(engine) as s:
        # new households come in as 申请中: they go through 入户调查, 公示 and 审核 like any new file
        assert s.scalar(select(func.count()).select_from(Household).where(Household.status == "applying")) == 20
    engine.dispose()

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="档案列表").click()
    wait_for_run(page)
    page.get_by_label("搜索").fill("户主12")
    page.keyboard.press("Enter")
    wait_for_run(page)
    expect(page.get_by_text("共 1 户")).to_be_visible()
    assert not uncaught_errors(app_log)

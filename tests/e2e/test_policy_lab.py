"""政策模拟 in a real browser: an analyst opens a shared ?scenario= link, sees the difference the engine computes, and
downloads the workbook and a chart's data — and neither the page nor the downloads name anybody (no file number,
head of household or ID number from the demo data)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import select

from core import policy_lab, scenario
from db import policy_lab as lab
from db import scenarios
from db.actor import system_actor
from db.engine import make_engine, reading, transaction
from db.models import Household, Member, Org
from db.users import actor_for, create_first_admin, create_user
from demo import load_demo

from .conftest import E2E_PASSWORD as PASSWORD, login, settle, uncaught_errors, wait_for_run
from .test_intake import _logged_errors

AS_OF = dt.date(2019, 12, 31)
FROM = dt.date(2019, 1, 1)
QUESTION = (scenario.Override(scenario.LINE_SCALE, "1.2", FROM), scenario.Override("exit_run_months", "3", FROM))
NAME = "低保1.2倍·连续3个月"


def _comparison(session, username: str) -> policy_lab.Comparison:
    actor = actor_for(session, username)
    prepared = policy_lab.prepare(lab.load(session, actor, dt.date.today()))
    baseline = lab.baseline_tables(session)
    return lab.for_actor(policy_lab.compare(prepared, policy_lab.simulate(prepared, baseline, AS_OF),
                                            policy_lab.simulate(prepared, scenario.resolve(baseline, QUESTION), AS_OF)), actor)


@pytest.fixture
def shared(app_db_url: str) -> dict:
    """Demo data, an analyst of the city union with a saved scenario, and what the engine says about it."""
    engine = make_engine(app_db_url)
    try:
        load_demo(engine, households=400, seed=4)
        with transaction(engine) as session:
            create_first_admin(session, username="e2e.admin", display_name="王建国", password=PASSWORD, password_repeat=PASSWORD)
        with transaction(engine) as session:
            city = session.scalar(select(Org).where(Org.name == "秦皇岛市总工会"))
            create_user(session, system_actor("test"), username="e2e.analyst", display_name="政策分析员", password=PASSWORD,
                        role="analyst", org_id=city.id)
        with transaction(engine) as session:
            link = scenarios.create(session, actor_for(session, "e2e.analyst"), NAME, QUESTION).hash
        with reading(engine) as session:
            seen = _comparison(session, "e2e.analyst")
            changed = _comparison(session, "e2e.admin").outcomes  # the households an analyst must not see
            numbers = {*session.scalars(select(Household.id_number)), *session.scalars(select(Member.id_number))}
    finally:
        engine.dispose()
    assert len(changed) > 0
    return {"link": link, "headline": seen.headline,
            "personal": {*changed["档案编号"], *changed["户主姓名"], *(n for n in numbers if n)}}


def _named(text: str, personal: set[str]) -> list[str]:
    return sorted(p for p in personal if p in text)


def test_an_analyst_opens_a_shared_link_and_nothing_names_a_household(shared: dict, app_url: str, app_log: Path,
                                                                      page: Page) -> None:
    # the link from a meeting note, opened before logging in: the login leads to it, in Chinese throughout
    page.goto(f"{app_url}/policy-lab?scenario={shared['link']}&as_of={AS_OF:%Y-%m}")
    wait_for_run(page)
    expect(page.get_by_test_id("stForm")).to_be_visible()
    assert "Page not found" not in page.inner_text("body")
    login(page, "e2e.analyst", PASSWORD)
    assert "/policy-lab" in page.url and f"scenario={shared['link']}" in page.url

    expect(page.get_by_role("heading", name=f"对比：基线 与 方案“{NAME}”")).to_be_visible(timeout=20_000)
    h = shared["headline"]
    metrics = page.get_by_test_id("stMetric")
    expect(metrics.filter(has_text="可脱困（基线 → 方案）")).to_contain_text(f"{h['exit_base']:,} → {h['exit_scen']:,}")
    expect(metrics.filter(has_text="可解困（基线 → 方案）")).to_contain_text(f"{h['relief_base']:,} → {h['relief_scen']:,}")
    expect(metrics.filter(has_text="结果改变户数")).to_contain_text(f"{h['changed']:,}")
    expect(page.get_by_text("按截至 2019年12月31日 比较")).to_be_visible()
    expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
    assert page.get_by_role("button", name="下载档案名单（CSV）").count() == 0

    with page.expect_download() as got:
        page.get_by_role("button", name="下载全部对比（Excel）").click()
    book = load_workbook(io.BytesIO(Path(got.value.path()).read_bytes()), read_only=True)
    assert "按区县" in book.sheetnames and "结果改变的档案" not in book.sheetnames
    cells = "\n".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    districts = list(book["按区县"].iter_rows(values_only=True))
    total = dict(zip(districts[0], districts[1], strict=True))
    assert total["分组"] == "合计" and (total["可脱困·基线"], total["可脱困·方案"]) == (h["exit_base"], h["exit_scen"])
    assert "档案编号" not in cells and "户主姓名" not in cells
    # the workbook says what was assumed: the scenario, its link and its overrides
    settings = dict(list(book["方案设置"].iter_rows(values_only=True))[1:])
    assert settings["方案"] == NAME and shared["link"] in settings["链接"] and settings["调整 1"].startswith("低保标准倍数 ×1.2")

    with page.expect_download() as got:
        page.get_by_role("button", name="下载数据").first.click()
    csv = Path(got.value.path()).read_bytes().decode("utf-8-sig")
    assert csv.startswith("月份,系列,类型,值") and "方案（模拟）" in csv

    shown = page.inner_text("body") + page.content()
    assert _named(shown, shared["personal"]) == []
    assert _named(cells, shared["personal"]) == []
    assert _named(csv, shared["personal"]) == []
    assert uncaught_errors(app_log) == [] and _logged_errors(app_log) == []

"""Two app instances (two `streamlit run` on different ports) on one PostgreSQL database, as behind a reverse proxy:
a file opened through one instance shows on the other's next run, although the other had the figures of its home
page cached — the caches are keyed on the data version, which is kept in the database, not in either process."""

from __future__ import annotations

import os
import subprocess
import tempfile
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from core.identity import id_check_char
from bench.harness import stop_server
from tests.conftest import pg_database

from .conftest import (REPO_ROOT, STARTUP_TIMEOUT_S, E2E_PASSWORD, _free_port, _healthy, _tail,
                       district_staff_user, login, uncaught_errors, wait_for_run)
from .test_intake import _choose, _open_new_form, _save

HEAD = "孙立平"
HEAD_ID = "13030219790412003" + id_check_char("13030219790412003")


@pytest.fixture
def shared_pg_url(pg_url) -> Iterator[str]:
    """A PostgreSQL database of this test's own, migrated by `manage.py init`, with an administrator and hg.staff."""
    with pg_database("jiekun_two") as url:
        init = subprocess.run([sys.executable, "manage.py", "init"], cwd=REPO_ROOT, env=_server_env(url),
                              capture_output=True, text=True, timeout=120)
        assert init.returncode == 0, init.stderr
        district_staff_user(url)
        yield url


def _server_env(db_url: str) -> dict:
    # Both instances read the one login key `manage.py init` writes for this database (as two servers of a
    # federation share JIEKUN_COOKIE_KEY); kept outside the checkout.
    secrets = Path(tempfile.gettempdir()) / f"{db_url.rsplit('/', 1)[-1]}-secrets.toml"
    env = {**os.environ, "JIEKUN_DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1", "JIEKUN_SECRETS_FILE": str(secrets)}
    env.pop("JIEKUN_COOKIE_KEY", None)
    return env


@contextmanager
def _instance(db_url: str, log_path: Path) -> Iterator[str]:
    """One `streamlit run app.py` on a free port of 127.0.0.1; yields its base URL once /_stcore/health answers."""
    port = _free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=REPO_ROOT, env=_server_env(db_url), stdout=log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _healthy(f"{base_url}/_stcore/health"):
            if server.poll() is not None:
                pytest.fail(f"streamlit exited with {server.returncode}:\n{_tail(log_path)}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer within {STARTUP_TIMEOUT_S} s:\n{_tail(log_path)}", pytrace=False)
            time.sleep(0.2)
        yield base_url
    finally:
        stop_server(server)


def _open_as_staff(browser: Browser, url: str) -> Page:
    """A browser of its own (its own cookies), logged in to the instance at `url` as hg.staff."""
    page = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900}).new_page()
    page.goto(url)
    wait_for_run(page)
    login(page, "hg.staff", E2E_PASSWORD)
    return page


def _go(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    wait_for_run(page)


def test_a_file_opened_on_one_instance_shows_on_the_other(shared_pg_url: str, browser: Browser, tmp_path: Path) -> None:
    logs = tmp_path / "instance-a.log", tmp_path / "instance-b.log"
    with _instance(shared_pg_url, logs[0]) as url_a, _instance(shared_pg_url, logs[1]) as url_b:
        assert url_a != url_b
        on_b = _open_as_staff(browser, url_b)
        expect(on_b.get_by_text("申请中（尚未在档）：0 户")).to_be_visible()  # B has its home figures cached now

        on_a = _open_as_staff(browser, url_a)
        _open_new_form(on_a)
        on_a.get_by_label("户主姓名 *", exact=True).fill(HEAD)
        on_a.get_by_label("身份证号 *", exact=True).fill(HEAD_ID)
        _choose(on_a, "主要致困原因 *", "下岗失业")
        _save(on_a)
        expect(on_a.get_by_text("已新建档案 QHD-130302-000001（申请中）")).to_be_visible()

        # B's next run: its home page counts the new file, and its file list holds it
        _go(on_b, "工作台")
        _go(on_b, "首页")
        expect(on_b.get_by_text("申请中（尚未在档）：1 户")).to_be_visible()
        expect(on_b.get_by_test_id("stMetric").filter(has_text="申请中").get_by_test_id("stMetricValue")).to_have_text("1")
        _go(on_b, "档案列表")
        expect(on_b.get_by_test_id("stDataFrame").first).to_contain_text(HEAD)
        for page in (on_a, on_b):
            page.context.close()
    for log in logs:
        assert uncaught_errors(log) == [], _tail(log)

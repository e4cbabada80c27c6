"""Real-browser fixtures: the app served by `streamlit run` on a free local port, driven by Debian's Chromium.

Playwright's Python package drives the system Chromium (`executable_path`); `playwright install` is
never run. Without a Chromium the browser tests skip and say why — except with CI=true, where a
missing browser fails the run.

Every test here is marked `e2e` (so `pytest -m "not e2e"` leaves them out).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bench.harness import stop_server

REPO_ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"
STARTUP_TIMEOUT_S = 60
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_LOG_KEY = pytest.StashKey[Path]()
DB_URL_KEY = pytest.StashKey[str]()
LOG_TAIL_LINES = 80


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def _find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The system Chromium; skip (or fail, with CI=true) when there is none."""
    found = _find_chromium()
    if found is None:
        reason = ("no Chromium found (looked for `chromium` / `chromium-browser` on PATH and /usr/bin/chromium); "
                  "install Debian's `chromium` and `fonts-noto-cjk` to run the browser tests")
        if IN_CI:
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    return found


@pytest.fixture(autouse=True)
def _require_chromium(chromium_executable):
    """Every e2e test needs the browser: decide skip/fail before starting a server."""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium_executable):
    """pytest-playwright's launch options (--headed, --slowmo still work), pointed at the system Chromium."""
    return {
        "headless": True,
        **browser_type_launch_args,
        "executable_path": chromium_executable,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1366, "height": 900}}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(no server log: {exc})"
    return "\n".join(text.splitlines()[-lines:])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200 and response.read().decode().strip() == "ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@pytest.fixture
def app_url(request, tmp_path) -> str:
    """A fresh SQLite database (migrated by `manage.py init`) and the app served on it; yields the base URL."""
    db_file = tmp_path / "jiekun-e2e.db"
    db_url = request.node.stash[DB_URL_KEY] = f"sqlite:///{db_file}"
    env = {**os.environ, "JIEKUN_DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1",
           "JIEKUN_SECRETS_FILE": str(tmp_path / "secrets.toml")}  # the key `manage.py init` writes
    env.pop("JIEKUN_COOKIE_KEY", None)
    log_path = tmp_path / "streamlit-server.log"
    request.node.stash[SERVER_LOG_KEY] = log_path

    init = subprocess.run([sys.executable, "manage.py", "init"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    if init.returncode != 0:
        pytest.fail(f"manage.py init failed ({init.returncode}):\n{init.stdout}\n{init.stderr}", pytrace=False)

    port = _free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _healthy(f"{base_url}/_stcore/health"):
            if server.poll() is not None:
                pytest.fail(f"streamlit exited with {server.returncode} before answering:\n{_tail(log_path)}",
                            pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer /_stcore/health within {STARTUP_TIMEOUT_S} s:\n"
                            f"{_tail(log_path)}", pytrace=False)
            time.sleep(0.2)
        yield base_url
    finally:
        stop_server(server)


@pytest.fixture
def app_log(request, app_url) -> Path:
    """The file the app server's stdout/stderr go to (for asserting that it logged no crash)."""
    return request.node.stash[SERVER_LOG_KEY]


@pytest.fixture
def app_db_url(request, app_url) -> str:
    """The SQLAlchemy URL of the database the app server uses (to prepare users or data before the browser opens it)."""
    return request.node.stash[DB_URL_KEY]


def uncaught_errors(log_path: Path) -> list[str]:
    """The script-run crashes Streamlit logged, each as its first and last traceback line."""
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    found = []
    for i, line in enumerate(lines):
        if "Uncaught app execution" in line or "Uncaught exception" in line:
            tail = next((l for l in lines[i + 1:] if l and not l.startswith((" ", "Traceback"))), "")
            found.append(f"{line.strip()} -> {tail.strip()}")
    return found


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, add the tail of the app server's output to the report."""
    report = yield
    log_path = item.stash.get(SERVER_LOG_KEY, None)
    if report.failed and log_path is not None:
        report.sections.append((f"streamlit server log (last {LOG_TAIL_LINES} lines of {log_path})", _tail(log_path)))
    return report


def wait_for_run(page: Page, timeout: float = 30_000) -> None:
    """Wait until the script run an action started has finished.

    Give Streamlit a moment to start the run (the state may already be past `running`, or the
    action may not rerun at all — a timeout there is fine), then wait for `notRunning`.
    """
    try:
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='running']", timeout=1_000)
    except PlaywrightTimeout:
        pass
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)


def settle(page: Page, quiet_ms: int = 1_500) -> None:
    """Wait until no script run starts for a while.

    Logging in is followed by one more run (the login cookie's component reports that it wrote the cookie);
    a sidebar click that landed in it was once lost here (the page stayed on 首页).
    """
    for _ in range(10):
        try:
            page.wait_for_selector("[data-testid='stApp'][data-test-script-state='running']", timeout=quiet_ms)
        except PlaywrightTimeout:
            return
        wait_for_run(page)
    raise AssertionError("the app kept starting script runs after the login")


def login(page: Page, username: str, password: str) -> None:
    """Log in through the app's form and wait until the login cookie's extra runs are over."""
    form = page.get_by_test_id("stForm")
    form.get_by_label("用户名", exact=True).fill(username)
    form.get_by_label("密码", exact=True).fill(password)
    form.get_by_role("button", name="登录", exact=True).click()
    wait_for_run(page)
    settle(page)


E2E_PASSWORD = "jiekun-e2e-2024"


def district_staff_user(db_url: str, *, demo_households: int = 0) -> str:
    """An administrator (so the app is past its first run) and hg.staff of 海港区总工会, optionally on demo data."""
    from sqlalchemy import select

    from db.actor import system_actor
    from demo import load_demo
    from db.engine import make_engine, transaction
    from db.models import Org
    from db.users import create_first_admin, create_user

    engine = make_engine(db_url)
    try:
        if demo_households:
            load_demo(engine, households=demo_households, seed=4)
        with transaction(engine) as session:
            create_first_admin(session, username="e2e.admin", display_name="王建国", password=E2E_PASSWORD, password_repeat=E2E_PASSWORD)
        with transaction(engine) as session:
            union = session.scalar(select(Org).where(Org.name == "海港区总工会"))
            create_user(session, system_actor("test"), username="hg.staff", display_name="刘海港", password=E2E_PASSWORD,
                        role="staff", org_id=union.id)
    finally:
        engine.dispose()
    return "hg.staff"

#!/usr/bin/env python3
"""Many people at once on the real app: N sessions log in, then click 进度看板 ↔ 首页 for a bounded time.

Starts `streamlit run app.py` headless on a free 127.0.0.1 port, on a temporary SQLite database holding the demo
city (`load_demo`) and one user per session, then drives N concurrent sessions from this process as websocket
clients speaking Streamlit's own protocol (the BackMsg / ForwardMsg protobufs the browser sends and receives). A
client costs next to no CPU, so on a small machine the figures are the server's, not the load generator's (a
headless Chromium per session would take the cores the server needs).

Each client does what a browser tab does:
- connects and asks for the first run (the login form), as a page load does;
- acts as the login cookie's component (`extra_streamlit_components.CookieManager`) as its script does in a browser:
  as soon as an instance arrives, mid-run, it reports its result when that differs from the last (getAll: the tab's
  cookies; set / delete: true), and the browser asks for a rerun at once, which ends the running run early;
- submits the login form (user name, password, the submit button) and waits for the first page (首页) to be fully
  sent (`script_finished` of a run no rerun interrupted): that is one login;
- then clicks 进度看板 and 首页 in the sidebar in turn, each click a rerun of that page: the time from the request to
  the same end is one page run. With `--think S` a person looks at each page for S seconds on average (0.5–1.5 × S,
  at random) before the next click, as someone reading it would; the default, 0, clicks again the moment a page is
  drawn — a stress far beyond twenty people, kept to compare with earlier figures.
Halfway through its time each session leaves and a new tab logs in as a user who has not logged in before (--relogins
times): a new user arriving while the others click. The sessions' leaving is spread over a tenth of each share of the
time (`--spread`, seat by seat), as people arrive one after another; `--spread 0` has all of them log in at the same
moment again. A run that ends in an exception, an error box, the wrong page or
no answer within --timeout is an error.

Prints the logins (the first ones, all at once, and those of new users under load) and the page runs (count,
median, p95, max), the errors and the machine's load (os.getloadavg) before and after. Exits 1 when there was any
error. The server and every temporary file are removed at the end, on Ctrl-C and on SIGTERM too.

  .venv/bin/python bench/sessions.py                                          # 20 sessions, 120 s, 3,500 households
  .venv/bin/python bench/sessions.py --think 2                                # the same at a reading pace
  .venv/bin/python bench/sessions.py --sessions 3 --seconds 5 --households 300   # the short form the tests run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import random
import os
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
logging.disable(logging.WARNING)

import websockets  # noqa: E402

from bench.harness import stop_server  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

PASSWORD = "bench-sessions-1"
STARTUP_TIMEOUT_S = 90
UNEXPECTED_ERROR = "页面出现意外错误"  # the start of app.UNEXPECTED_ERROR
COOKIE_COMPONENT = "cookie_manager"
DASHBOARD, HOME = "dashboard", "home"  # the url paths of 进度看板 and 首页 (ui/navigation.py)
ROLES = ("admin", "staff", "viewer")  # round robin: a city-wide administrator, district staff, a district viewer
EARLY = ForwardMsg.FINISHED_EARLY_FOR_RERUN


class RunFailed(Exception):
    """A script run that a user would see as broken (an exception, an error box, the wrong page, no answer)."""


# --- the database and the server -------------------------------------------------------------------------------


def prepare_database(db_url: str, households: int, users: int) -> list[str]:
    """The demo city and `users` users (roles round robin, district users spread over the districts)."""
    from sqlalchemy import select

    from db.actor import system_actor
    from db.engine import make_engine, transaction
    from db.migrate import prepare
    from db.models import Org
    from db.reference import city_org
    from db.users import create_user
    from demo import load_demo

    engine = make_engine(db_url)
    try:
        prepare(engine)
        load_demo(engine, households=households)
        names = []
        with transaction(engine) as session:
            city = city_org(session)
            districts = list(session.scalars(select(Org).where(Org.parent_id == city.id).order_by(Org.id)))
            for i in range(users):
                role = ROLES[i % len(ROLES)]
                org = city if role == "admin" else districts[i % len(districts)]
                name = f"bench.s{i:03d}"
                create_user(session, system_actor("bench"), username=name, display_name=f"压测{i}", password=PASSWORD,
                            role=role, org_id=org.id)
                names.append(name)
    finally:
        engine.dispose()
    return names


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200 and response.read().decode().strip() == "ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def start_server(tmp: Path, db_url: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "JIEKUN_DATABASE_URL": db_url, "JIEKUN_SECRETS_FILE": str(tmp / "secrets.toml"),
           "JIEKUN_COOKIE_KEY": secrets.token_urlsafe(32), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with (tmp / "server.log").open("wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not healthy(f"http://127.0.0.1:{port}/_stcore/health"):
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the app did not start:\n{log_tail(tmp)}")
            time.sleep(0.2)
    except BaseException:  # not started, or Ctrl-C while waiting: no server is left behind
        stop_server(server)
        raise
    return server, port


def log_tail(tmp: Path, lines: int = 40) -> str:
    path = tmp / "server.log"
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


# --- one browser tab, as a websocket client ----------------------------------------------------------------------


@dataclass
class Run:
    """What one script run sent: its widgets and components, error boxes, exceptions, the page it showed."""

    outcome: int = -1
    widgets: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (kind, widget id)
    components: list[tuple[str, dict]] = field(default_factory=list)  # (widget id, args) of the cookie component
    errors: list[str] = field(default_factory=list)
    pages: dict[str, str] = field(default_factory=dict)  # url path -> page script hash
    page_hash: str = ""

    def take(self, msg: ForwardMsg) -> tuple[str, dict] | None:
        """Note what a message of this run sends; a cookie component instance is returned."""
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            return self._element(msg.delta.new_element)
        if kind == "navigation":
            # the default page (首页) has the address "" (the app's root)
            self.pages = {p.url_pathname or (HOME if p.is_default else ""): p.page_script_hash for p in msg.navigation.app_pages}
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "script_finished":
            self.outcome = msg.script_finished
        return None

    def _element(self, element) -> tuple[str, dict] | None:
        kind = element.WhichOneof("type")
        if kind in ("text_input", "button"):
            widget = getattr(element, kind)
            self.widgets[widget.label] = (kind, widget.id)
        elif kind == "component_instance" and element.component_instance.component_name.endswith(COOKIE_COMPONENT):
            instance = element.component_instance
            self.components.append((instance.id, json.loads(instance.json_args or "{}")))
            return self.components[-1]
        elif kind == "exception":
            self.errors.append(f"exception: {element.exception.type}: {element.exception.message[:200]}")
        elif kind == "alert" and element.alert.format == element.alert.ERROR:
            self.errors.append(f"error box: {element.alert.body[:200]}")
        return None


class Tab:
    """One browser tab on the app: a websocket, its cookies and the widget values it sends back.

    The cookie component is played as its script does it in the browser, as soon as an instance arrives (mid-run):
    a result that is truthy and differs from the one it reported last is reported, and the browser asks for a rerun
    at once, which ends the running run early. So a run the component interrupts is waited for until a run ends
    undisturbed, as a person waits for the page to stop changing.
    """

    def __init__(self, url: str, timeout: float):
        self.url, self.timeout = url, timeout
        self.ws = None
        self.cookies: dict[str, str] = {}
        self.reported: dict[str, str] = {}  # component id -> the JSON it last reported (its script's `l`)
        self.values: dict[str, str] = {}  # component id -> its value, sent with every rerun while it is on the page
        self.page = ""  # the hash of the page on screen, sent with every rerun as the browser does
        self.pending = False  # a rerun asked for and not started yet
        self.last = Run()
        self.extra_runs = 0  # reruns the cookie component asked for, not the person

    async def open(self) -> Run:
        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None, open_timeout=self.timeout)
        return await self.rerun()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def rerun(self, *, page: str | None = None, texts: dict[str, str] | None = None,
                    trigger: str | None = None) -> Run:
        """Ask for a run (a page's hash, typed texts, a button pressed) and read until a run ends undisturbed."""
        if page is not None:
            self.page = page
        await self._ask(self.last.components, texts, trigger)
        run = Run()
        async with asyncio.timeout(self.timeout):
            while True:
                reply = ForwardMsg()
                reply.ParseFromString(await self.ws.recv())
                if reply.WhichOneof("type") == "new_session":  # a run starts: what was asked for is being served
                    self.pending, run = False, Run()
                    continue
                component = run.take(reply)
                if component is not None and self._reports(*component):
                    self.extra_runs += 1
                    await self._ask(run.components)
                if run.outcome != -1 and run.outcome != EARLY and not self.pending:
                    break
        if not run.pages:
            run.pages, run.page_hash = self.last.pages, self.last.page_hash  # a run that sent no navigation kept it
        self.page = run.page_hash or self.page
        self.last = run
        return run

    async def _ask(self, mounted: list[tuple[str, dict]], texts: dict[str, str] | None = None,
                   trigger: str | None = None) -> None:
        msg = BackMsg()
        state = msg.rerun_script
        state.SetInParent()  # a rerun with nothing in it is still a rerun
        state.page_script_hash = self.page
        on_page = {widget_id for widget_id, _ in mounted}
        for widget_id, value in self.values.items():
            if widget_id in on_page:  # a component no longer on the page sends nothing
                w = state.widget_states.widgets.add()
                w.id, w.json_value = widget_id, value
        for widget_id, value in (texts or {}).items():
            w = state.widget_states.widgets.add()
            w.id, w.string_value = widget_id, value
        if trigger is not None:
            w = state.widget_states.widgets.add()
            w.id, w.trigger_value = trigger, True
        self.pending = True
        await self.ws.send(msg.SerializeToString())

    def _reports(self, widget_id: str, args: dict) -> bool:
        """The cookie component's script (extra_streamlit_components' CookieManager) on one render: whether it reports."""
        method = args.get("method")
        if method == "set":
            self.cookies[args["cookie"]] = args["value"]
            result = True
        elif method == "delete":
            self.cookies.pop(args.get("cookie"), None)
            result = True
        elif method == "getAll":
            result = dict(self.cookies)
        else:
            return False
        text = json.dumps(result, sort_keys=True)
        if self.reported.get(widget_id) == text:
            return False
        self.reported[widget_id] = self.values[widget_id] = text
        return True


def check(run: Run, page: str | None) -> None:
    if run.errors:
        raise RunFailed("; ".join(run.errors))
    if page is not None and run.page_hash != run.pages.get(page):
        shown = next((path for path, h in run.pages.items() if h == run.page_hash), "?")
        raise RunFailed(f"the run showed the page {shown!r}, not {page!r}")


# --- one person: log in, click, leave, and a new person logs in ---------------------------------------------------


@dataclass
class Tally:
    first_logins: list[float] = field(default_factory=list)
    late_logins: list[float] = field(default_factory=list)
    page_runs: list[float] = field(default_factory=list)
    extra_runs: int = 0
    errors: list[str] = field(default_factory=list)
    client_cpu: float = 0.0  # seconds of CPU this process (all the clients) used


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def log_in(tab: Tab, username: str) -> float:
    """Open the app, fill in the form and submit it; the time from the submit to 首页 shown and settled."""
    form = await tab.open()
    check(form, None)
    try:
        user_box, password_box, submit = (form.widgets[label][1] for label in ("用户名", "密码", "登录"))
    except KeyError:
        raise RunFailed("no login form on the first page") from None
    started = time.perf_counter()
    run = await tab.rerun(texts={user_box: username, password_box: PASSWORD}, trigger=submit)
    took = time.perf_counter() - started
    check(run, HOME)
    if "退出登录" not in run.widgets:
        raise RunFailed(f"{username} was not logged in")
    return took


async def person(url: str, usernames: list[str], until: float, args, tally: Tally, seat: int = 0) -> None:
    """One seat: a login per user name, each followed by clicks (at least one) until its share of the time is up; a
    seat leaves `seat / sessions` of the spread earlier than the last one."""
    share = (until - time.perf_counter()) / len(usernames)
    pace = random.Random(seat)
    early = share * args.spread * seat / max(args.sessions, 1)
    for n, username in enumerate(usernames):
        tab = Tab(url, args.timeout)
        leave = until - share * (len(usernames) - n - 1) - (early if n < len(usernames) - 1 else 0)
        try:
            took = await log_in(tab, username)
            (tally.first_logins if n == 0 else tally.late_logins).append(took)
            clicks = 0
            while clicks == 0 or time.perf_counter() < leave and (not args.clicks or clicks < args.clicks):
                page = DASHBOARD if clicks % 2 == 0 else HOME
                started = time.perf_counter()
                run = await tab.rerun(page=tab.last.pages.get(page, ""))
                tally.page_runs.append(time.perf_counter() - started)
                check(run, page)
                clicks += 1
                if args.think:  # a person reads the page before the next click; jittered so the seats do not march together
                    await asyncio.sleep(args.think * pace.uniform(0.5, 1.5))
        except (RunFailed, TimeoutError, websockets.ConnectionClosed, OSError) as exc:
            tally.errors.append(f"{username}: {type(exc).__name__}: {exc}")
            return
        finally:
            tally.extra_runs += tab.extra_runs
            await tab.close()


async def drive(port: int, seats: list[list[str]], args) -> Tally:
    tally = Tally()
    url = f"ws://127.0.0.1:{port}/_stcore/stream"
    until = time.perf_counter() + args.seconds
    await asyncio.gather(*(person(url, names, until, args, tally, seat) for seat, names in enumerate(seats)))
    return tally


# --- the figures ----------------------------------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def figures(label: str, values: list[float]) -> str:
    if not values:
        return f"{label}: none"
    return (f"{label}: {len(values)}, median {statistics.median(values):.2f} s, p95 {p95(values):.2f} s, "
            f"max {max(values):.2f} s")


def load_text(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{x:.2f}" for x in load)


def report(args, tally: Tally, load_before, load_after, elapsed: float) -> None:
    print(f"sessions: {args.sessions} on {args.households:,} households, {elapsed:.0f} s "
          f"({os.cpu_count()} cores; {args.relogins} new user(s) per session under load, spread over {args.spread:.0%} of its time; "
          + (f"{args.think:g} s (0.5–1.5×) between a page and the next click)" if args.think else "the next click at once)"))
    print(figures("logins, all at once", tally.first_logins))
    print(figures("logins of new users under load", tally.late_logins))
    print(figures("page runs (进度看板 ↔ 首页)", tally.page_runs))
    print(f"runs started by the login cookie's component: {tally.extra_runs}")
    print(f"errors: {len(tally.errors)}")
    for error in tally.errors[:10]:
        print(f"  {error}")
    print(f"load average (1/5/15 min) before: {load_text(load_before)}, after: {load_text(load_after)}")
    print(f"CPU used by the {args.sessions} clients themselves: {tally.client_cpu:.1f} s in {elapsed:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20, help="people clicking at once (default 20)")
    parser.add_argument("--seconds", type=float, default=120, help="how long the sessions run, logins included (default 120)")
    parser.add_argument("--households", type=int, default=3500, help="households of the demo city (default 3,500)")
    parser.add_argument("--clicks", type=int, default=0, help="at most this many clicks per login (default: no limit)")
    parser.add_argument("--relogins", type=int, default=1, help="new users per session during the run (default 1)")
    parser.add_argument("--spread", type=float, default=0.1,
                        help="the new users' logins spread over this share of each session's time (default 0.1; 0: at once)")
    parser.add_argument("--think", type=float, default=0,
                        help="seconds a person looks at a page before the next click, on average (default 0: at once)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds a run may take before it is an error")
    args = parser.parse_args()
    if (args.sessions < 1 or args.seconds <= 0 or args.households < 1 or args.relogins < 0 or not 0 <= args.spread < 1
            or args.think < 0):
        parser.error("--sessions, --seconds and --households must be positive, --relogins and --think at least 0, "
                     "--spread in [0, 1)")
    signal.signal(signal.SIGTERM, _interrupted)  # a SIGTERM cleans up as Ctrl-C does
    try:
        return run_bench(args)
    except KeyboardInterrupt:
        print("interrupted: the server and the temporary files were removed", file=sys.stderr)
        return 130


def _interrupted(*_) -> None:
    raise KeyboardInterrupt


def run_bench(args) -> int:
    with tempfile.TemporaryDirectory(prefix="jiekun-sessions-") as tmp_name:
        tmp = Path(tmp_name)
        db_url = f"sqlite:///{tmp / 'sessions.db'}"
        names = prepare_database(db_url, args.households, args.sessions * (1 + args.relogins))
        seats = [names[i::args.sessions] for i in range(args.sessions)]
        server, port = start_server(tmp, db_url)
        try:
            load_before, cpu_before = os.getloadavg(), own_cpu()
            started = time.perf_counter()
            tally = asyncio.run(drive(port, seats, args))
            elapsed = time.perf_counter() - started
            load_after, tally.client_cpu = os.getloadavg(), own_cpu() - cpu_before
        finally:
            stop_server(server)
        report(args, tally, load_before, load_after, elapsed)
        if tally.errors:
            print(f"server log (last lines):\n{log_tail(tmp)}", file=sys.stderr)
    return 1 if tally.errors else 0


if __name__ == "__main__":
    sys.exit(main())

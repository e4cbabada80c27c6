#!/usr/bin/env python3
"""How long the progress dashboard's script run takes: the first load, reruns, a new filter, and the first run after
someone else's save — beside the old way (the whole scope read from the database and every figure computed cold),
measured in the same run.

Loads the demo data (default 3,500 households) into a temporary SQLite file, then drives the real app
with streamlit.testing (the same script runs a browser would trigger), as a city-wide administrator.
With `--copy-of FILE` the app runs on a copy of an existing SQLite database instead.
With `--read-only URL` it instead times the dashboard's computations on an existing database (read only, nothing
written): the snapshot loaded once, then the figures for the city and for one district.

  .venv/bin/python bench/dashboard.py
  .venv/bin/python bench/dashboard.py --households 300     # the short form the tests run
  .venv/bin/python bench/dashboard.py --read-only sqlite:////work/data/p200k.db
  .venv/bin/python bench/dashboard.py --copy-of /work/data/p200k.db     # the app on a copy (1.7 GB in the temp dir)
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
logging.disable(logging.WARNING)

from bench.harness import timed  # noqa: E402 — after the path is set


def clock(work) -> tuple[float, object]:
    started = time.perf_counter()
    value = work()
    return time.perf_counter() - started, value


def load_average() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"
    except OSError:
        return "unknown"


def the_old_way(engine, actor, today: dt.date) -> float:
    """The whole scope read from the database and every figure of the page computed: a cold full reload."""
    from db import dashboard
    from db.engine import reading

    started = time.perf_counter()
    with reading(engine) as session:
        data = dashboard.load(session, actor, today)
        dashboard.targets_summary(session, actor, today)  # 首页's line, read again as it was
    dashboard.tables(data, today, None, min(max(today.year, min(data.shares)), max(data.shares)), None, None)
    return time.perf_counter() - started


def the_former_figures(engine, actor, today: dt.date) -> float:
    """The page's figures of the status history computed by core.progress as it was before it was vectorised (kept as the
    tests' oracle), on the data of one database read."""
    from db import dashboard
    from db.engine import reading
    from tests.core import progress_oracle as former

    with reading(engine) as session:
        data = dashboard.load(session, actor, today)
    started = time.perf_counter()
    until = min(today, dt.date(max(data.shares), 12, 31))
    former.by_year(data.files, data.changes, data.baseline, data.shares, group=None, as_of=today)
    former.report(data.files, data.changes, data.baseline, data.shares, group="place_name", as_of=today)
    former.monthly_share(data.changes, data.baseline, until)
    former.apart(data.changes, data.baseline, today)
    former.withdrawn_reasons(data.changes, data.baseline, today)
    former.new_by_year(data.changes, data.baseline, data.shares, as_of=today)
    return time.perf_counter() - started


def the_same_figures_now(engine, actor, today: dt.date) -> float:
    """The same figures by core.progress now, on the same read (its history sorted once, as the page does)."""
    from core import progress
    from db import dashboard
    from db.engine import reading

    with reading(engine) as session:
        data = dashboard.load(session, actor, today)
    started = time.perf_counter()
    history = progress.History(data.changes)
    until = min(today, dt.date(max(data.shares), 12, 31))
    progress.by_year(data.files, history, data.baseline, data.shares, group=None, as_of=today)
    progress.report(data.files, history, data.baseline, data.shares, group="place_name", as_of=today)
    progress.monthly_share(history, data.baseline, until)
    progress.apart(history, data.baseline, today)
    progress.withdrawn_reasons(history, data.baseline, today)
    progress.new_by_year(history, data.baseline, data.shares, as_of=today)
    return time.perf_counter() - started


def close_one_file(engine, today: dt.date) -> None:
    """Someone else's save: a file closed as 退出 (死亡) today, through the service."""
    from sqlalchemy import select

    from db import households
    from db.actor import system_actor
    from db.engine import transaction
    from db.models import Household

    with transaction(engine) as session:
        household = session.scalar(select(Household).where(Household.status == "active").order_by(Household.id).limit(1))
        households.close_household(session, system_actor("bench"), household.id, expected_version=household.version,
                                   to_status="withdrawn", reason="death", effective_on=today)


def copy_sqlite(source: str, target: Path) -> None:
    """A copy of an SQLite database through its online backup API (the source is only read)."""
    import sqlite3

    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def app_run(households: int, copy_of: str | None) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["JIEKUN_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.db'}"
        os.environ.setdefault("JIEKUN_COOKIE_KEY", secrets.token_urlsafe(32))  # a throwaway key for this run's logins
        from streamlit.testing.v1 import AppTest

        from db.actor import system_actor
        from demo import load_demo
        from db.engine import make_engine, transaction
        from db.migrate import prepare
        from db.reference import city_org
        from db.users import create_user, start_session
        from ui.login import SESSION_KEY

        if copy_of:
            copy_sqlite(copy_of, Path(tmp) / "bench.db")
        engine = make_engine()
        prepare(engine)
        if not copy_of:
            load_demo(engine, households=households)
        with transaction(engine) as session:
            user = create_user(session, system_actor("bench"), username="bench", display_name="bench", password="bench-pass-1",
                               role="admin", org_id=city_org(session).id)
            login = start_session(session, user)

        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.session_state[SESSION_KEY] = login.id  # logged in as "bench"
        landing = timed(at)  # 首页, the process's first page: reads the snapshot whole
        at.switch_page("screens/dashboard.py")
        first = timed(at)
        reruns = [timed(at) for _ in range(5)]
        at.selectbox(key="db_place").set_value("海港区")
        new_filter = timed(at)
        at.selectbox(key="db_place").set_value(None)
        timed(at)
        today = dt.date.today()
        after_save = []
        for _ in range(3):
            close_one_file(engine, today)
            after_save.append(timed(at))
        warm = statistics.median([timed(at) for _ in range(5)])
        old = statistics.median([the_old_way(engine, system_actor("bench"), today) for _ in range(1 if copy_of else 3)])
        former = the_former_figures(engine, system_actor("bench"), today)
        now = the_same_figures_now(engine, system_actor("bench"), today)
        at.switch_page("screens/home.py")
        home = statistics.median([timed(at) for _ in range(3)])
        engine.dispose()
    print(f"{'a copy of ' + copy_of if copy_of else f'demo data: {households:,} households'}; load average {load_average()}")
    print(f"home page, the first run of the process:    {landing:6.2f} s   (reads the shared snapshot whole)")
    print(f"dashboard first load:                       {first:6.2f} s   (the snapshot in memory, figures cold)")
    print(f"dashboard rerun (median):                   {statistics.median(reruns):6.2f} s")
    print(f"dashboard, a new filter:                    {new_filter:6.2f} s")
    print(f"dashboard, first run after another's save:  {statistics.median(after_save):6.2f} s   (median of 3 saves)")
    print(f"dashboard, warm rerun after that (median):  {warm:6.2f} s")
    print(f"the old way, a cold full reload (median):   {old:6.2f} s   (db.dashboard.load + 首页's targets + the tables, "
          f"no page): {old / max(statistics.median(after_save), 1e-9):.1f}× the run after a save")
    print(f"the status-history figures, former code:    {former:6.2f} s   against {now:.2f} s now on the same data: "
          f"{former / max(now, 1e-9):.0f}×")
    print(f"home page rerun (median):                   {home:6.2f} s   (the app's own cost per run, for comparison)")
    return 0


def read_only(url: str) -> int:
    from sqlalchemy import select

    from db import dashboard, snapshot
    from db.actor import Actor, system_actor
    from db.engine import make_engine, reading
    from db.models import Org

    engine = make_engine(url)
    today = dt.date.today()
    with reading(engine) as session:
        loaded, whole = clock(lambda: snapshot.load(session))
        org = session.scalar(select(Org).where(Org.name == "海港区总工会"))
    print(f"{url}: {len(whole.files):,} files, snapshot read whole in {loaded:.1f} s; load average {load_average()}")
    district = Actor(username="bench", display_name="bench", role="viewer", org_id=org.id, org_path=org.path, org_name=org.name)
    for name, actor in (("city", system_actor("bench")), ("district 海港区", district)):
        scope, snap = clock(lambda: snapshot.scoped(whole, actor))
        data_t = min(clock(lambda: dashboard.load_from(snap, actor, today))[0] for _ in range(3))
        data = dashboard.load_from(snap, actor, today)
        year = min(max(today.year, min(data.shares)), max(data.shares))
        tables_t = min(clock(lambda: dashboard.tables(data, today, None, year, None, None))[0] for _ in range(3))
        filter_t = min(clock(lambda: dashboard.tables(data, today, "海港区", year, "dibao", None))[0] for _ in range(3))
        home_t = min(clock(lambda: dashboard.targets_summary_from(snap, actor, today))[0] for _ in range(3))
        print(f"{name:>15}: {len(snap.files):,} files; scope filter {scope:.2f} s, dashboard data {data_t:.2f} s, "
              f"its tables {tables_t:.2f} s (a filter {filter_t:.2f} s), 首页's target line {home_t:.2f} s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=3500)
    parser.add_argument("--read-only", metavar="URL", help="time the computations on this database, writing nothing")
    parser.add_argument("--copy-of", metavar="SQLITE_FILE", help="run the app on a copy of this SQLite database instead of demo data")
    args = parser.parse_args()
    return read_only(args.read_only) if args.read_only else app_run(args.households, args.copy_of)


if __name__ == "__main__":
    sys.exit(main())

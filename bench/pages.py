#!/usr/bin/env python3
"""The figures pages' script runs, as a user waits for them: cold, after someone else's save, and warm.

Drives the real app with streamlit.testing (the same script runs a browser triggers), as a city-wide administrator
and as a district's staff, on the demo (default 3,500 households, in a temporary SQLite file) or on an existing
database (`--database-url`; the script adds a user "bench-pages" and records one income correction per round, as
another user's save would). For each page it prints, median of `--runs`:
  - cold: the first run in a new server process (the whole snapshot is read: what every page paid after any save
    before the shared snapshot — the old way, measured in the same run),
  - after a save: the first run after someone else saved an income month (the snapshot takes the delta, the page
    recomputes what depends on incomes),
  - warm: a rerun with nothing changed.

  .venv/bin/python bench/pages.py
  .venv/bin/python bench/pages.py --database-url sqlite:////path/to/province.db --runs 3
  .venv/bin/python bench/pages.py --households 300 --runs 1         # the short form the tests run
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

PAGES = {"首页": "screens/home.py", "进度看板": "screens/dashboard.py", "可脱困/可解困名单": "screens/proposals.py",
         "资金台账": "screens/ledger.py", "工作台": "screens/worklist.py"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=3500)
    parser.add_argument("--database-url", help="an existing database (a user and income corrections are written to it)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", nargs="*", choices=list(PAGES), default=list(PAGES), help="only these pages")
    parser.add_argument("--users", nargs="*", choices=["bench-pages", "bench-district"], default=["bench-pages", "bench-district"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        os.environ["JIEKUN_DATABASE_URL"] = url
        os.environ.setdefault("JIEKUN_COOKIE_KEY", secrets.token_urlsafe(32))  # a throwaway key for this run's logins
        import streamlit as st
        from sqlalchemy import func, select
        from streamlit.testing.v1 import AppTest

        from db.actor import system_actor
        from db.engine import make_engine, transaction
        from db.incomes import IncomeRow, save_month
        from db.migrate import prepare
        from db.models import Household, IncomeMonth, Org, User
        from db.reference import city_org
        from db.users import create_user, start_session
        from demo import load_demo
        from ui.login import SESSION_KEY

        engine = make_engine(url)
        prepare(engine)
        if not args.database_url:
            load_demo(engine, households=args.households)
        with transaction(engine) as session:
            district = session.scalars(select(Org).where(Org.kind == "district").order_by(Org.id)).first()
            logins = {}
            for username, role, org in (("bench-pages", "admin", city_org(session)), ("bench-district", "staff", district)):
                user = session.scalar(select(User).where(User.username == username)) or create_user(
                    session, system_actor("bench"), username=username, display_name=username, password="bench-pass-1",
                    role=role, org_id=org.id)
                logins[username] = start_session(session, user).id
            files = session.scalar(select(func.count()).select_from(Household))
            household, month = session.execute(
                select(Household.id, func.max(IncomeMonth.month)).join(IncomeMonth, IncomeMonth.household_id == Household.id)
                .where(Household.status == "active").group_by(Household.id).order_by(Household.id).limit(1)).one()
        admin = system_actor("bench")

        def someone_saves(round_: int) -> None:  # another user corrects one income month
            with transaction(engine) as session:
                version = session.scalar(select(IncomeMonth.version).where(IncomeMonth.household_id == household,
                                                                           IncomeMonth.month == month))
                save_month(session, admin, month, [IncomeRow(household, f"{5000 + round_ * 7 + time.time_ns() % 7}.00", 2,
                                                             version=version)], today=dt.date.today())

        print(f"database: {engine.dialect.name}, {files:,} files; load average before: {os.getloadavg()[0]:.2f} (2 cores)")
        sessions = {}
        for username, login in logins.items():
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
            at.session_state[SESSION_KEY] = login
            sessions[username] = at

        results: dict[tuple[str, str], dict[str, list[float]]] = {}
        for username, at in sessions.items():
            if username not in args.users:
                continue
            for page, path in PAGES.items():
                if page not in args.pages:
                    continue
                row = results.setdefault((username, page), {"cold": [], "after a save": [], "warm": []})
                for round_ in range(args.runs):
                    st.cache_data.clear()
                    st.cache_resource.clear()  # a new server process: the snapshot is read whole
                    at.switch_page(path)
                    row["cold"].append(timed(at))
                    someone_saves(round_)
                    row["after a save"].append(timed(at))
                    row["warm"].append(statistics.median(timed(at) for _ in range(3)))
        print(f"{'user':<15} {'page':<12} {'cold: whole reload':>19} {'after a save':>13} {'warm':>7} {'ratio':>6}")
        for (username, page), row in results.items():
            cold, after, warm = (statistics.median(row[k]) for k in ("cold", "after a save", "warm"))
            print(f"{username:<15} {page:<12} {cold:17.2f} s {after:11.2f} s {warm:5.2f} s {cold / after:5.1f}×")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""How long 首页 and 工作台 take from the shared snapshot, against the old direct read, and a helper's bulk move.

Loads the demo (default 3,500 households) into a temporary SQLite file (or copies a SQLite database given with
`--sqlite-copy`, e.g. the 200,000-household one, and works on the copy), then:
- the old way: the work queues read straight from the database (db.worklist.worklist, cold: what every user paid
  after any save before the shared snapshot), for the whole city and for 海港区 (median of 3);
- the pages, driven with streamlit.testing (the script runs a browser triggers), for a city administrator and a
  海港区 staff member: the first run of the process (the whole snapshot read), a warm rerun, and the first run
  after someone else saves an income month (the snapshot's delta and the figures recomputed), for 首页 and 工作台;
- moving the largest caseload to a new helper in one transaction.

  .venv/bin/python bench/worklist.py
  .venv/bin/python bench/worklist.py --households 300     # the short form the tests run
  .venv/bin/python bench/worklist.py --sqlite-copy /work/data/p200k.db
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
logging.disable(logging.WARNING)

from bench.harness import timed  # noqa: E402 — after the path is set

RERUNS = 5


def median_seconds(action, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def pad(text: str, width: int) -> str:
    """`text` left-aligned in `width` columns of a terminal (a Chinese character takes two)."""
    return text + " " * max(width - len(text) - sum(ord(c) > 0x2E80 for c in text), 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=3500)
    parser.add_argument("--sqlite-copy", type=Path, help="bench on a copy of this SQLite database instead of a new demo")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        os.environ["JIEKUN_DATABASE_URL"] = f"sqlite:///{path}"
        os.environ.setdefault("JIEKUN_COOKIE_KEY", secrets.token_urlsafe(32))  # a throwaway key for this run's logins
        return run(args, path)


def run(args, path: Path) -> int:
    from sqlalchemy import func, select
    from streamlit.testing.v1 import AppTest

    from core.codes import WORK_QUEUE
    from db import pairings, worklist
    from db.actor import Actor, system_actor
    from db.engine import make_engine, reading, transaction
    from db.incomes import IncomeRow, save_month
    from db.migrate import prepare
    from db.models import Household, Org
    from db.reference import city_org
    from db.users import create_user, start_session
    from db.visits import record_visits
    from demo import load_demo
    from ui.login import SESSION_KEY

    today = dt.date.today()
    if args.sqlite_copy:
        shutil.copyfile(args.sqlite_copy, path)
    engine = make_engine(f"sqlite:///{path}")
    prepare(engine)
    if not args.sqlite_copy:
        load_demo(engine, households=args.households)
    city = system_actor("bench")
    with reading(engine) as s:
        org = s.scalar(select(Org).where(Org.name == "海港区总工会"))
        district = Actor(username="bench_hg", display_name="bench", role="staff", org_id=org.id, org_path=org.path,
                         org_name=org.name)
        households = s.scalar(select(func.count()).select_from(Household))
        in_district = select(Org.id).where(Org.path.startswith(org.path))
        saved = s.scalars(select(Household.id).where(Household.status == "active", Household.org_id.in_(in_district))
                          .order_by(Household.id).limit(20)).all()
    with transaction(engine) as s:
        logins = {}
        for username, role, org_id in (("bench", "admin", city_org(s).id), ("bench_hg", "staff", org.id)):
            user = create_user(s, system_actor("bench"), username=username, display_name=username, password="bench-pass-1",
                               role=role, org_id=org_id)
            logins[username] = start_session(s, user).id

    def queues(actor):
        with reading(engine) as s:
            return worklist.worklist(s, actor, today)

    source = f"a copy of {args.sqlite_copy}" if args.sqlite_copy else "demo"
    print(f"{source}: {households:,} households (SQLite), today {today}; machine load {os.getloadavg()[0]:.2f}")
    result = queues(city)
    print("queues (city):", "，".join(f"{WORK_QUEUE[q]} {n:,}" for q, n in result.counts.items()))
    runs = 1 if households > 50_000 else 3
    old_city = median_seconds(lambda: queues(city), runs)
    old_district = median_seconds(lambda: queues(district), runs)
    print(f"work queues, whole city, old way (direct database read, cold; median of {runs}): {old_city:6.2f} s")
    print(f"work queues, 海港区, old way (direct database read, cold; median of {runs}):   {old_district:6.2f} s")

    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    saves = iter(range(len(saved)))

    def someone_saves(kind: str) -> None:
        """Another user (海港区 staff, in another session) records last month's income of one file, or a visit."""
        n = next(saves)
        with transaction(engine) as s:
            if kind == "income":
                save_month(s, district, month, [IncomeRow(saved[n], f"{2000 + n}.00", 2)], today=today)
            else:
                record_visits(s, district, [saved[n]], {"visited_on": today, "visitor": "bench", "kind": "phone",
                                                        "notes": "电话了解近况", "needs": ""}, today=today)

    figures = {}
    for username, label in (("bench", "city administrator"), ("bench_hg", "海港区 staff")):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.session_state[SESSION_KEY] = logins[username]
        for page in ("首页", "工作台"):
            if page == "首页":
                first = timed(at)  # the login lands on 首页
            else:
                at.switch_page("screens/worklist.py")
                at.run()
                at.radio(key="wl_queue").set_value("visit_overdue")  # a long queue: its table is shown
                first = timed(at)
            warm = statistics.median([timed(at) for _ in range(RERUNS)])
            someone_saves("income")
            after_income = timed(at)
            someone_saves("visit")
            after_visit = timed(at)
            warm_after = statistics.median([timed(at) for _ in range(RERUNS)])
            figures[(label, page)] = (first, warm, after_income, after_visit, warm_after)
    engine.dispose()

    print(f"pages (AppTest script runs, seconds; warm: median of {RERUNS}; 工作台 shows 走访逾期):")
    print(f"  {'who':<20} {'page':<6}{'first run':>10}{'warm':>8}{'after an income':>17}{'after a visit':>15}{'warm again':>12}")
    for (label, page), (first, warm, after_income, after_visit, warm_after) in figures.items():
        print(f"  {pad(label, 20)} {pad(page, 6)}{first:10.2f}{warm:8.2f}{after_income:17.2f}{after_visit:15.2f}{warm_after:12.2f}")
    print("  (first run: the administrator's 首页 is the process's first run, which reads the whole snapshot; the staff\n"
          "   member's is the first run for a new scope; 工作台's follows 首页, which computed its queues; after an income /\n"
          "   a visit: someone else saved one just before, so the run applies the snapshot's delta and recomputes)")
    ratio_city = old_city / figures[("city administrator", "工作台")][2]
    ratio_district = old_district / figures[("海港区 staff", "工作台")][2]
    print(f"ratio: the old cold read / 工作台's first run after an income saved: city {ratio_city:.1f}×, 海港区 {ratio_district:.1f}×")

    engine = make_engine(f"sqlite:///{path}")
    with reading(engine) as s:
        load = pairings.caseload(s, district, today)
        name, unit = load.iloc[0]["帮扶责任人"], load.iloc[0]["结对单位"]
        files = pairings.helper_files(s, district, name, unit)
    seen = dict(zip(files["pairing_id"].astype(int), files["version"].astype(int)))
    started = time.perf_counter()
    with transaction(engine) as s:
        moved, measures = pairings.reassign_helper(s, district, name, unit, {"helper_name": "接任者", "helper_unit": unit,
                                                                            "start_on": today}, pairing_versions=seen, today=today)
    print(f"move a helper's {moved:,} files (and {measures:,} measures) in one transaction: {time.perf_counter() - started:.2f} s")
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""What a login costs, piece by piece: the password check, N logins at once, and the first page's figures.

A login on the form (ui/login.py) is `db.users.authenticate` followed, in the same script run, by 首页 for a user
the app has not seen in this data version (its figures are cached per user). This script, on a temporary SQLite
file with the demo city, measures:

- one bcrypt check (`bcrypt.checkpw` at the cost the users' hashes have);
- one login alone, then N logins at once (N threads, as N script runs are threads of one server), each as the form
  does it; the ratio of the slowest to one alone says whether the logins waited for each other;
- a save (an empty write transaction) started while the N logins run: how long it waited for the write lock;
- the first page's figures for a user seen for the first time (`queries.home_figures`, `dashboard.targets_summary`,
  `worklist.worklist`), the part of a login that is not the login itself.

  .venv/bin/python bench/logins.py                                # 20 logins at once, 3,500 households
  .venv/bin/python bench/logins.py --logins 4 --households 300    # the short form the tests run
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
logging.disable(logging.WARNING)

PASSWORD = "bench-logins-1"


def create_users(engine, count: int) -> list[str]:
    from db.actor import system_actor
    from db.engine import transaction
    from db.reference import city_org
    from db.users import create_user

    names = [f"bench.l{i:03d}" for i in range(count)]
    with transaction(engine) as session:
        city = city_org(session).id
        for name in names:
            create_user(session, system_actor("bench"), username=name, display_name=name, password=PASSWORD,
                        role="admin", org_id=city)
    return names


def log_in(engine, username: str) -> float:
    """One login as the form makes it (ui/login.py), and how long it took."""
    from db.users import authenticate

    started = time.perf_counter()
    result = authenticate(engine, username, PASSWORD, "127.0.0.1")
    took = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"the login of {username} was refused")
    return took


def logins_at_once(engine, names: list[str]) -> tuple[list[float], float]:
    """Every name logs in at the same moment; meanwhile one save waits for its turn to write."""
    from db.engine import transaction

    times: list[float] = []
    start = threading.Barrier(len(names) + 1)
    save_wait: list[float] = []

    def login(name: str) -> None:
        start.wait()
        times.append(log_in(engine, name))

    def save() -> None:
        start.wait()
        time.sleep(0.05)  # the logins have begun
        started = time.perf_counter()
        with transaction(engine):
            pass
        save_wait.append(time.perf_counter() - started)

    threads = [threading.Thread(target=login, args=(n,)) for n in names] + [threading.Thread(target=save)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, save_wait[0]


def first_page(engine, username: str) -> dict[str, float]:
    """The home page's three figures for this user, computed cold (as for a user seen the first time)."""
    from db import dashboard, queries, worklist
    from db.engine import reading
    from db.users import actor_for

    today = dt.date.today()
    costs = {}
    with reading(engine) as session:
        actor = actor_for(session, username)
        for label, compute in (("home_figures", queries.home_figures), ("targets_summary", dashboard.targets_summary),
                               ("worklist", worklist.worklist)):
            started = time.perf_counter()
            compute(session, actor, today)
            costs[label] = time.perf_counter() - started
    return costs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logins", type=int, default=20, help="logins at once (default 20)")
    parser.add_argument("--households", type=int, default=3500, help="households of the demo city (default 3,500)")
    args = parser.parse_args()
    if args.logins < 1 or args.households < 1:
        parser.error("--logins and --households must be positive")
    with tempfile.TemporaryDirectory(prefix="jiekun-logins-") as tmp:
        os.environ["JIEKUN_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'logins.db'}"
        import bcrypt

        from db.engine import make_engine
        from db.migrate import prepare
        from demo import load_demo

        engine = make_engine()
        prepare(engine)
        load_demo(engine, households=args.households)
        names = create_users(engine, args.logins + 1)
        digest = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt())
        started = time.perf_counter()
        bcrypt.checkpw(PASSWORD.encode(), digest)
        check = time.perf_counter() - started
        alone = log_in(engine, names[-1])
        times, save_wait = logins_at_once(engine, names[:-1])
        page = first_page(engine, names[0])
        engine.dispose()
    print(f"demo data: {args.households:,} households, {os.cpu_count()} cores")
    print(f"one bcrypt check:             {check:6.2f} s")
    print(f"one login alone:              {alone:6.2f} s")
    print(f"{args.logins} logins at once:          median {statistics.median(times):.2f} s, max {max(times):.2f} s "
          f"(ratio of the slowest to one alone: {max(times) / alone:.1f})")
    print(f"a save during those logins waited {save_wait:.2f} s for the write lock")
    print("the first page's figures for a user seen the first time: "
          + ", ".join(f"{label} {cost:.2f} s" for label, cost in page.items()) + f" (together {sum(page.values()):.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

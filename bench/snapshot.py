#!/usr/bin/env python3
"""The shared snapshot (db/snapshot.py): a whole read against the refresh after one save, on the same database.

Loads the demo (default 3,500 households) into a temporary SQLite file — or uses `--database-url` (an existing
database; the script then records one income month for one file, as a district's staff would, and leaves it there) —
and prints, best of `--runs`:
  - the whole read (what every page paid after any save before: the cold full reload),
  - the refresh after someone saved one income month (the delta), and the ratio,
  - a district's scoped view, and the engine's proposals on the city's and on a district's snapshot.

  .venv/bin/python bench/snapshot.py
  .venv/bin/python bench/snapshot.py --database-url sqlite:////path/to/province.db
  .venv/bin/python bench/snapshot.py --households 300 --runs 1      # the short form the tests run
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def best(runs: int, action) -> tuple[float, object]:
    times, value = [], None
    for _ in range(runs):
        started = time.perf_counter()
        value = action()
        times.append(time.perf_counter() - started)
    return min(times), value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=3500)
    parser.add_argument("--database-url", help="an existing database (one income month is written to it)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        os.environ["JIEKUN_DATABASE_URL"] = url
        from sqlalchemy import func, select

        from db import evaluation, snapshot
        from db.actor import Actor, system_actor
        from db.engine import make_engine, reading, transaction
        from db.incomes import IncomeRow, save_month
        from db.migrate import prepare
        from db.models import Household, IncomeMonth, Org
        from demo import load_demo

        engine = make_engine(url)
        if not args.database_url:
            prepare(engine)
            load_demo(engine, households=args.households)
        print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores); database: {engine.dialect.name}")
        with reading(engine) as session:
            whole_time, snap = best(args.runs, lambda: snapshot.load(session))
            district = session.scalars(select(Org).where(Org.kind == "district").order_by(Org.id)).first()
            staff = Actor("bench", "bench", "staff", district.id, district.path, district.name)
            household, month = session.execute(
                select(Household.id, func.max(IncomeMonth.month)).join(IncomeMonth, IncomeMonth.household_id == Household.id)
                .where(Household.status == "active", Household.org_id.in_(select(Org.id).where(Org.path.startswith(district.path))))
                .group_by(Household.id).order_by(Household.id).limit(1)).one()
        print(f"files {len(snap.files):,}, income months {len(snap.incomes):,}, payments {len(snap.payments):,}")
        print(f"whole read (the cold full reload): {whole_time:.3f} s; peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")

        refresh_times = []
        for run in range(args.runs):
            with transaction(engine) as session:  # someone else saves: a correction of that month's income
                version = session.scalar(select(IncomeMonth.version).where(IncomeMonth.household_id == household,
                                                                           IncomeMonth.month == month))
                save_month(session, staff, month, [IncomeRow(household, f"{3000 + run}.00", 2, version=version)],
                           today=dt.date.today())
            with reading(engine) as session:
                started = time.perf_counter()
                fresh = snapshot.refresh(session, snap)
                refresh_times.append(time.perf_counter() - started)
            assert fresh.version > snap.version and fresh.stamp("payments") == snap.stamp("payments")
            snap = fresh
        refresh_time = min(refresh_times)
        print(f"refresh after one save: {refresh_time:.3f} s — {whole_time / refresh_time:,.0f}× quicker than the whole read")

        scoped_time, mine = best(args.runs, lambda: snapshot.scoped(snap, staff))
        print(f"{district.name}'s view ({len(mine.files):,} files): {scoped_time:.3f} s")
        as_of = dt.date.today().replace(day=1) - dt.timedelta(days=1)
        city = system_actor("bench")
        city_time, _ = best(args.runs, lambda: evaluation.evaluate_snapshot(snap, city, as_of))
        mine_time, _ = best(args.runs, lambda: evaluation.evaluate_snapshot(mine, staff, as_of))
        print(f"proposals from the snapshot: city {city_time:.3f} s, {district.name} {mine_time:.3f} s")
        with reading(engine) as session:
            direct_time, _ = best(1, lambda: evaluation.evaluate_files(session, city, as_of))
        print(f"proposals read from the database (before): city {direct_time:.3f} s — "
              f"{direct_time / (refresh_time + city_time):.1f}× the refresh and the computation together")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

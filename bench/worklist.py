#!/usr/bin/env python3
"""How long the work queues (工作台) and a helper's bulk move take on demo data.

Loads the demo (default 3,500 households) into a temporary SQLite file, then times the work queues for
the whole city and for one district (median of 3; the page caches the result until the next write),
and moving the largest caseload to a new helper in one transaction.

  .venv/bin/python bench/worklist.py
  .venv/bin/python bench/worklist.py --households 300     # the short form the tests run
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
logging.disable(logging.WARNING)


def median_seconds(action, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=3500)
    args = parser.parse_args()
    from sqlalchemy import select

    from core.codes import WORK_QUEUE
    from db import pairings, worklist
    from db.actor import Actor, system_actor
    from demo import load_demo
    from db.engine import make_engine, reading, transaction
    from db.migrate import prepare
    from db.models import Org

    today = dt.date.today()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        prepare(engine)
        load_demo(engine, households=args.households)
        city = system_actor("bench")
        with reading(engine) as s:
            org = s.scalar(select(Org).where(Org.name == "海港区总工会"))
            district = Actor(username="bench", display_name="bench", role="staff", org_id=org.id, org_path=org.path, org_name=org.name)

        def queues(actor):
            with reading(engine) as s:
                return worklist.worklist(s, actor, today)

        print(f"demo: {args.households:,} households (SQLite), today {today}")
        result = queues(city)
        print("queues (city):", "，".join(f"{WORK_QUEUE[q]} {n:,}" for q, n in result.counts.items()))
        print(f"work queues, whole city (median of 3): {median_seconds(lambda: queues(city)):.2f} s")
        print(f"work queues, 海港区 (median of 3): {median_seconds(lambda: queues(district)):.2f} s")

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

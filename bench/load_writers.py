#!/usr/bin/env python3
"""Many staff saving at once: N writer threads entering incomes and editing files through the services.

Builds a small demo city in a database of its own (a temporary SQLite file, or a temporary database on the local
PostgreSQL server, dropped afterwards), opens a few files of its own through `create_household`, then runs N writers
for a fixed time. Each writer, like a person at the income grid or the file form, reads what it is about to change
(the version it saw), then saves through the service in a transaction of its own:

- 月收入: `incomes.save_month` for one file and one of the last twelve months (new or corrected);
- 修改档案: `households.update_household` of a file's mobile number and address, with the version it loaded.

Several writers often pick the same file or month, so some saves are refused by the optimistic lock (a Conflict or a
"已由他人录入" refusal) — that is the lock working, and counted as such. Anything else is an error. Afterwards every
acknowledged write is checked against the store: for each file and month the stored row is the last acknowledged
one (its version and its values), and no two acknowledged saves claim the same version. A save acknowledged but not
found is a lost write. The script exits 1 unless there were 0 errors and 0 lost writes. One writer alone runs first
(--baseline-seconds), and the load's throughput is printed as a ratio to it.

Only 127.0.0.1 (or localhost) is ever connected to; the run stops by itself after --seconds.

  .venv/bin/python bench/load_writers.py                                  # 20 writers, SQLite, 20 s
  .venv/bin/python bench/load_writers.py --db postgresql                  # 50 writers on the local PostgreSQL
  .venv/bin/python bench/load_writers.py --db sqlite --writers 8 --seconds 3   # the short form `make test` runs
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from core.identity import id_check_char  # noqa: E402
from db import households as hh  # noqa: E402
from db import incomes  # noqa: E402
from db.actor import Actor  # noqa: E402
from db.engine import make_engine, reading, transaction  # noqa: E402
from db.errors import RACE_MESSAGE, Conflict, ValidationError  # noqa: E402
from db.migrate import prepare  # noqa: E402
from db.models import Household, IncomeMonth, Member, Org  # noqa: E402

PG_ADMIN_URL = os.environ.get("JIEKUN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
EXCLUSIONS = [{"exclusion": c, "applies": False, "source": "入户调查"} for c in ("two_homes", "business", "private_school", "vehicle")]


def person_id(division: str, birth: dt.date, serial: int) -> str:
    first17 = f"{division}{birth:%Y%m%d}{serial % 1000:03d}"
    return first17 + id_check_char(first17)


def file_raw(k: int) -> dict:
    """A file as the form would send it: a head and one member (numbers unique for k < 900)."""
    return {
        "name": f"压测户主{k}", "id_number": person_id("130302", dt.date(1970 + k % 20, k % 12 + 1, k % 28 + 1), 100 + k),
        "work_status": "laid_off", "mobile": "13900000000", "address": "海港区压测路1号",
        "members": [{"name": f"压测成员{k}", "relation": "spouse",
                     "id_number": person_id("130302", dt.date(1972 + k % 20, k % 12 + 1, k % 28 + 1), 100 + k)}],
        "causes": [{"cause": "3", "is_main": True}], "exclusions": EXCLUSIONS,
    }


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    incomes: list[tuple] = field(default_factory=list)  # (household_id, month, version, income_fen)
    edits: list[tuple] = field(default_factory=list)  # (household_id, version, mobile, address)
    conflicts: int = 0
    conflict_kinds: dict[str, int] = field(default_factory=dict)  # 版本已变 (the version moved) / 同时保存 (deadlock, lock wait)
    refusals: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    elapsed: float = 0.0
    hung: int = 0
    p95: float = 0.0

    @property
    def acknowledged(self) -> int:
        return len(self.incomes) + len(self.edits)


def months_before(today: dt.date, count: int) -> list[dt.date]:
    first = today.replace(day=1)
    out = []
    for _ in range(count):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        out.append(first)
    return out


def enter_income(engine, actor: Actor, rng: random.Random, hid: int, month: dt.date, today: dt.date, tally: Tally) -> None:
    with reading(engine) as s:  # what the grid showed
        seen = s.scalar(select(IncomeMonth.version).where(IncomeMonth.household_id == hid, IncomeMonth.month == month))
    income = rng.randint(500, 6000)
    with transaction(engine) as s:
        counts = incomes.save_month(s, actor, month, [incomes.IncomeRow(hid, income=str(income), persons=2, version=seen)],
                                    today=today)
        version = s.scalar(select(IncomeMonth.version).where(IncomeMonth.household_id == hid, IncomeMonth.month == month))
    if counts["未变"]:
        return  # the same amount again: nothing was written
    with tally.lock:
        tally.incomes.append((hid, month, version, income * 100))


def edit_file(engine, actor: Actor, rng: random.Random, hid: int, raw: dict, today: dt.date, tally: Tally) -> None:
    with reading(engine) as s:  # what the form loaded
        household = s.get(Household, hid)
        seen = household.version
        member_id = s.scalar(select(Member.id).where(Member.household_id == hid))
    mobile = f"139{rng.randint(0, 99_999_999):08d}"
    address = f"海港区压测路{rng.randint(1, 9999)}号"
    form = dict(raw, mobile=mobile, address=address, members=[dict(raw["members"][0], id=member_id)])
    with transaction(engine) as s:
        changed = hh.update_household(s, actor, hid, expected_version=seen, loaded=None, raw=form, reason="压测", today=today)
        version = s.scalar(select(Household.version).where(Household.id == hid))
    if not changed:
        return
    with tally.lock:
        tally.edits.append((hid, version, mobile, address))


def writer(engine, actor, seed, deadline, targets, files, months, today, tally: Tally) -> None:
    rng = random.Random(seed)
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            if rng.random() < 0.6:
                enter_income(engine, actor, rng, rng.choice(targets), rng.choice(months), today, tally)
            else:
                hid, raw = rng.choice(files)
                edit_file(engine, actor, rng, hid, raw, today, tally)
        except Conflict as exc:
            with tally.lock:
                tally.conflicts += 1
                kind = "同时保存" if str(exc) == RACE_MESSAGE else "版本已变"
                tally.conflict_kinds[kind] = tally.conflict_kinds.get(kind, 0) + 1
        except ValidationError as exc:
            with tally.lock:
                tally.refusals += 1
                if "他人" not in str(exc):  # anything but "someone saved it first" is a bug of the script or the service
                    tally.errors.append(f"ValidationError: {exc}")
        except Exception as exc:  # noqa: BLE001 - every other failure is counted and shown
            with tally.lock:
                tally.errors.append(f"{exc.__class__.__name__}: {str(exc)[:200]}")
        with tally.lock:
            tally.latencies.append(time.perf_counter() - started)


def lost_writes(engine, tallies: list[Tally]) -> tuple[int, int]:
    """(lost, checked): every key's stored row must be its last acknowledged save, and no version acknowledged twice."""
    lost = 0
    with reading(engine) as s:
        stored_incomes = {(r.household_id, r.month): (r.version, r.income_fen) for r in s.scalars(select(IncomeMonth))}
        stored_files = {h.id: (h.version, h.mobile, h.address) for h in s.scalars(select(Household))}
    acked_incomes = [a for t in tallies for a in t.incomes]
    acked_edits = [a for t in tallies for a in t.edits]
    last: dict = {}
    claimed: set = set()
    for hid, month, version, income in acked_incomes:
        if (hid, month, version) in claimed:
            lost += 1  # two saves acknowledged as the same version: one of them overwrote the other unseen
        claimed.add((hid, month, version))
        if (hid, month) not in last or version > last[(hid, month)][0]:
            last[(hid, month)] = (version, income)
    lost += sum(1 for key, want in last.items() if stored_incomes.get(key) != want)
    last = {}
    claimed = set()
    for hid, version, mobile, address in acked_edits:
        if (hid, version) in claimed:
            lost += 1
        claimed.add((hid, version))
        if hid not in last or version > last[hid][0]:
            last[hid] = (version, mobile, address)
    lost += sum(1 for hid, want in last.items() if stored_files.get(hid) != want)
    return lost, len(acked_incomes) + len(acked_edits)


def phase(engine, actor, writers: int, seconds: float, seed: int, targets, files, months, today) -> Tally:
    """`writers` threads started together at a barrier, for `seconds`."""
    tally = Tally()
    barrier = threading.Barrier(writers + 1)
    deadline_box: list[float] = []

    def start(k: int) -> None:
        barrier.wait()
        writer(engine, actor, seed * 1000 + k, deadline_box[0], targets, files, months, today, tally)

    threads = [threading.Thread(target=start, args=(k,), daemon=True) for k in range(writers)]
    for t in threads:
        t.start()
    began = time.perf_counter()
    deadline_box.append(began + seconds)
    barrier.wait()
    for t in threads:
        t.join(timeout=seconds + 120)
    tally.elapsed = time.perf_counter() - began
    tally.hung = sum(t.is_alive() for t in threads)
    lat = sorted(tally.latencies)
    tally.p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else 0.0
    return tally


def run(url: str, writers: int, seconds: float, baseline_seconds: float, demo_households: int, own_files: int,
        seed: int) -> int:
    from demo import load_demo

    engine = make_engine(url, pool_size=writers + 2, max_overflow=2)
    try:
        prepare(engine)
        setup = time.perf_counter()
        load_demo(engine, households=demo_households, seed=seed)
        today = dt.date.today()
        with reading(engine) as s:
            org = s.scalar(select(Org).where(Org.name == "海港区总工会"))
            actor = Actor(username="load@staff", display_name="压测业务员", role="staff", org_id=org.id, org_path=org.path,
                          org_name=org.name)
        files = []
        for k in range(own_files):
            with transaction(engine) as s:
                raw = file_raw(k)
                files.append((hh.create_household(s, actor, org_id=org.id, raw=raw, today=today).id, raw))
        with reading(engine) as s:  # the open files of the district: the income grid's rows
            demo_open = list(s.scalars(select(Household.id).where(Household.org_id.in_(select(Org.id).where(Org.path.startswith(org.path))),
                                                                   Household.status.in_(incomes.GRID_STATUSES))))
        targets = sorted(set(demo_open) | {hid for hid, _ in files})
        months = months_before(today, 12)
        print(f"setup: {demo_households} demo households, {own_files} files opened through the service, "
              f"{len(targets)} open files in 海港区 ({time.perf_counter() - setup:.1f} s)")

        baseline = phase(engine, actor, 1, baseline_seconds, seed, targets, files, months, today) if baseline_seconds else None
        tally = phase(engine, actor, writers, seconds, seed + 1, targets, files, months, today)

        lost, acknowledged = lost_writes(engine, [t for t in (baseline, tally) if t is not None])
        dialect = engine.dialect.name
        if baseline is not None:
            print(f"baseline: 1 writer on {dialect} for {baseline.elapsed:.1f} s: {baseline.acknowledged / baseline.elapsed:,.1f} "
                  f"acknowledged writes/s, p95 {baseline.p95 * 1000:.0f} ms")
        lat = sorted(tally.latencies)
        print(f"load: {writers} writers on {dialect} for {tally.elapsed:.1f} s")
        print(f"saves attempted: {len(lat):,}  acknowledged: {tally.acknowledged:,} "
              f"(月收入 {len(tally.incomes):,}, 修改档案 {len(tally.edits):,})")
        rate = tally.acknowledged / tally.elapsed
        print(f"throughput: {rate:,.1f} acknowledged writes/s  ({len(lat) / tally.elapsed:,.1f} saves/s)"
              + (f"; ratio to one writer: {rate / (baseline.acknowledged / baseline.elapsed):.2f}×"
                 if baseline is not None and baseline.acknowledged else ""))
        if lat:
            print(f"latency: median {statistics.median(lat) * 1000:.0f} ms, p95 {tally.p95 * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms")
        print(f"optimistic-lock refusals: {tally.conflicts + tally.refusals:,} "
              f"(Conflict {tally.conflicts:,}: " + ", ".join(f"{k} {v:,}" for k, v in sorted(tally.conflict_kinds.items()))
              + f"; 已由他人录入/修改 {tally.refusals:,})")
        errors = [e for t in (baseline, tally) if t is not None for e in t.errors]
        hung = sum(t.hung for t in (baseline, tally) if t is not None)
        print(f"errors: {len(errors) + hung}")
        for message in sorted(set(errors))[:10]:
            print(f"  {message}")
        print(f"lost writes: {lost} (of {acknowledged:,} acknowledged, checked against the store)")
        return 0 if not errors and not hung and lost == 0 and tally.acknowledged > 0 else 1
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--writers", type=int, help="writer threads (default 20 on SQLite, 50 on PostgreSQL)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the writers run (at most 600)")
    parser.add_argument("--baseline-seconds", type=float, help="one writer alone first, for the ratio "
                        "(default a quarter of --seconds, at most 5; 0: none)")
    parser.add_argument("--households", type=int, default=40, help="demo households to build first")
    parser.add_argument("--files", type=int, default=12, help="files opened through the service that the writers edit")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    writers = args.writers or (20 if args.db == "sqlite" else 50)
    baseline = min(5.0, args.seconds / 4) if args.baseline_seconds is None else args.baseline_seconds
    if not 1 <= writers <= 200 or not 0 < args.seconds <= 600 or not 1 <= args.files <= 900:
        parser.error("--writers 1–200, --seconds up to 600, --files 1–900")

    if args.db == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            return run(f"sqlite:///{Path(tmp) / 'load.db'}", writers, args.seconds, baseline, args.households, args.files, args.seed)

    admin_url = make_url(PG_ADMIN_URL)
    if admin_url.host not in LOCAL_HOSTS:
        parser.error(f"only a PostgreSQL server on this machine is used (127.0.0.1), not {admin_url.host}")
    name = f"jiekun_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        return run(admin_url.set(database=name).render_as_string(hide_password=False), writers, args.seconds, baseline,
                   args.households, args.files, args.seed)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""How fast the file list (档案列表) answers at province scale.

Fills a fresh database with N households (each with one member and a main cause), then times the
searches a staff user makes, through the same query the screen uses (db.queries.search_households),
as a city-wide admin and as a district's staff user. Prints the median of several runs per search.

  .venv/bin/python bench/search_files.py                 # 200,000 files on a temporary SQLite file
  .venv/bin/python bench/search_files.py --files 20000   # the short form CI runs
  .venv/bin/python bench/search_files.py --url postgresql+psycopg://postgres@127.0.0.1:5432/jiekun_bench
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text  # noqa: E402

from core.codes import CATEGORY, CAUSE  # noqa: E402
from core.identity import id_check_char  # noqa: E402
from core.places import DISTRICTS  # noqa: E402
from db.actor import Actor, system_actor  # noqa: E402
from db.engine import make_engine, reading, transaction  # noqa: E402
from db.migrate import prepare  # noqa: E402
from db.models import Household, HouseholdCause, Member, Org  # noqa: E402
from db.queries import FileFilter, search_households  # noqa: E402

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马胡朱郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = "伟刚勇毅俊峰强军平保东文辉力明永健广志义兴良海山秀娟英华慧巧美娜静淑惠翠雅芝玉萍红玲芬芳"


def person_id(rng: random.Random, division: str, serial: int) -> str:
    birth = f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    first17 = f"{division}{birth}{serial % 1000:03d}"
    return first17 + id_check_char(first17)


def fill(engine, files: int, seed: int = 1) -> dict:
    rng = random.Random(seed)
    with reading(engine) as s:
        orgs = {o.place_code: o.id for o in s.scalars(select(Org).where(Org.kind == "district"))}
    seen: set[str] = set()
    samples: dict = {}
    households, members, causes = [], [], []
    statuses = ["active"] * 6 + ["exited"] * 3 + ["relieved", "withdrawn", "applying"]
    for i in range(1, files + 1):
        place = DISTRICTS[i % len(DISTRICTS)]
        division = place.code if place.code.isdigit() else "130302"
        ids = []
        while len(ids) < 2:
            number = person_id(rng, division, rng.randint(0, 999))
            if number not in seen:
                seen.add(number)
                ids.append(number)
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=2))
        households.append({"id": i, "file_no": f"QHD-{place.code}-{i:06d}", "org_id": orgs[place.code], "place_code": place.code,
                           "status": rng.choice(statuses), "name": name, "id_number": ids[0], "category": rng.choice(list(CATEGORY)[:3]),
                           "version": 1, "hard_to_exit": False, "casualty": False, "single_parent": False, "zero_employment": False,
                           "self_help_ability": True})
        members.append({"household_id": i, "name": rng.choice(SURNAMES) + rng.choice(GIVEN), "relation": "spouse",
                        "id_number": ids[1], "monthly_income_fen": 0, "able_to_work": True, "version": 1})
        causes.append({"household_id": i, "cause": rng.choice(list(CAUSE)), "is_main": True, "version": 1})
        if i == files // 2:
            samples = {"name": name, "file_no": households[-1]["file_no"], "id_number": ids[0], "member_id": ids[1], "place": place.code}
    with transaction(engine) as s:
        for table, rows in ((Household.__table__, households), (Member.__table__, members), (HouseholdCause.__table__, causes)):
            for start in range(0, len(rows), 20_000):
                s.execute(insert(table), rows[start:start + 20_000])
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            for table in ("household", "member", "household_cause"):
                c.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"))
        c.execute(text("ANALYZE"))
    return samples


def timed(engine, actor, filters: FileFilter, page: int = 1, runs: int = 7) -> tuple[float, int]:
    times, total = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        with reading(engine) as s:
            _, total = search_households(s, actor, filters, page=page)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument("--url", help="a database URL (default: a temporary SQLite file); it must be empty")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        prepare(engine)
        started = time.perf_counter()
        sample = fill(engine, args.files)
        print(f"database: {engine.dialect.name}, {args.files:,} files (+ {args.files:,} members) filled in {time.perf_counter() - started:.1f} s")
        with reading(engine) as s:
            org = s.scalar(select(Org).where(Org.place_code == sample["place"], Org.kind == "district"))
        city = system_actor("bench")
        staff = Actor(username="bench", display_name="bench", role="staff", org_id=org.id, org_path=org.path)
        searches = [
            ("完整身份证号（户主）", FileFilter(text=sample["id_number"])),
            ("完整身份证号（家庭成员）", FileFilter(text=sample["member_id"])),
            ("档案编号", FileFilter(text=sample["file_no"])),
            ("姓名", FileFilter(text=sample["name"])),
            ("区县 + 状态 + 致困原因", FileFilter(place_code=sample["place"], status="active", cause="3")),
            ("无条件（第 1 页）", FileFilter()),
        ]
        print(f"{'search':<24}{'as':<8}{'median ms':>10}{'matches':>10}")
        worst = 0.0
        for label, filters in searches:
            for who, actor in (("city", city), ("staff", staff)):
                ms, total = timed(engine, actor, filters)
                worst = max(worst, ms)
                print(f"{label:<24}{who:<8}{ms:>10.1f}{total:>10,}")
        ms, _ = timed(engine, city, FileFilter(), page=100)
        print(f"{'翻到第 100 页':<24}{'city':<8}{ms:>10.1f}")
        print(f"slowest search: {max(worst, ms):.0f} ms (target: under 1,000 ms)")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

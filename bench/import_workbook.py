#!/usr/bin/env python3
"""How long importing a large workbook takes: households with members and 48 months of incomes, on SQLite
(or, with --postgres, on a fresh database of the PostgreSQL server the tests use).

Writes the workbook first (not timed), then times the whole import as a user starts it: reading the
file, checking every row, writing it in one transaction. Target (issue 6): 10,000 households with
members and 48 months of incomes in under 30 s. A simple baseline in the same run: reading the same
workbook with pandas alone, to show how much of the time is the file itself.

  .venv/bin/python bench/import_workbook.py
  .venv/bin/python bench/import_workbook.py --households 300     # the short form the tests run
  .venv/bin/python bench/import_workbook.py --households 5000 --postgres   # JIEKUN_TEST_PG_URL, else 127.0.0.1:5432
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
logging.disable(logging.WARNING)


def id_number(n: int, year: int) -> str:
    from core.identity import id_check_char

    first17 = f"130302{year}{n // 28 % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def workbook(households: int, months: int) -> bytes:
    """A workbook as a union would fill it: 家庭档案, 家庭成员 (one or two per family), 月收入, and the district's line."""
    from openpyxl import Workbook

    from core.workbook import HOUSEHOLDS, INCOMES, LINES, MEMBERS

    book = Workbook(write_only=True)
    sheets = {}
    for spec in (HOUSEHOLDS, MEMBERS, INCOMES, LINES):
        sheets[spec.name] = book.create_sheet(spec.name)
        sheets[spec.name].append([c.header for c in spec.columns])

    def add(spec, row: dict) -> None:
        sheets[spec.name].append([row.get(c.key) for c in spec.columns])

    add(LINES, {"place": "海港区", "effective_from": "2015-01-01", "amount": "700"})
    first = dt.date(2022, 1, 1)
    for n in range(households):
        year = 1950 + n // 1000 % 40
        no = f"IMP-{n:06d}"
        # files 在档 in another system (导入的历史档案): each assessed on its incomes, the heaviest kind of import
        add(HOUSEHOLDS, {"file_no": no, "name": f"户主{n}", "id_number": id_number(n, year), "place": "海港区", "status": "在档",
                         "filed_on": "2021-12-01", "main_cause": "下岗失业", "other_causes": "子女上学" if n % 3 else "",
                         "mobile": "13900000000"})
        for k in range(1 + n % 2):
            add(MEMBERS, {"file_no": no, "name": f"成员{n}-{k}", "relation": "配偶" if k == 0 else "子女",
                          "id_number": id_number(n, year + 40 + k * 5), "health": "健康", "monthly_income": "800", "identity": "在岗"})
        for m in range(months):
            month = dt.date(first.year + (first.month - 1 + m) // 12, (first.month - 1 + m) % 12 + 1, 1)
            add(INCOMES, {"file_no": no, "month": f"{month:%Y-%m}", "income": f"{1500 + n % 700}.00", "persons": 2 + n % 2,
                          "transfer": "200"})
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@contextlib.contextmanager
def database(postgres: bool):
    """The URL of an empty database, removed afterwards: a SQLite file, or a new database on the PostgreSQL server."""
    if not postgres:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url(os.environ.get("JIEKUN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    name = f"jiekun_bench_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=48)
    parser.add_argument("--no-baseline", action="store_true", help="skip reading the workbook with pandas first")
    parser.add_argument("--postgres", action="store_true", help="on a new database of the PostgreSQL server (JIEKUN_TEST_PG_URL)")
    args = parser.parse_args()
    import pandas as pd

    from db import importer
    from db.actor import system_actor
    from db.engine import make_engine, transaction
    from db.migrate import prepare

    data = workbook(args.households, args.months)
    print(f"workbook: {args.households:,} households, {args.months} months of incomes, {len(data) / 1e6:.1f} MB")
    with database(args.postgres) as url:
        engine = make_engine(url)
        prepare(engine)
        started = time.perf_counter()
        if not args.no_baseline:
            pd.read_excel(io.BytesIO(data), sheet_name=None, engine="openpyxl")
        baseline = time.perf_counter() - started
        marks = []
        started = time.perf_counter()
        with transaction(engine) as session:
            report = importer.run(session, system_actor("bench"), data, "bench.xlsx", today=dt.date(2026, 11, 29),
                                  progress=lambda f, text: marks.append((time.perf_counter() - started, text)))
        took = time.perf_counter() - started
        engine.dispose()
    print("database:", "PostgreSQL" if args.postgres else "SQLite")
    print("imported:", report.summary())
    for at, text in marks:
        print(f"  {at:6.1f} s  {text}")
    print(f"import (read, check, write in one transaction): {took:.1f} s   (target < 30 s)")
    written = next((took - at for at, text in marks if text.startswith("正在写入")), took)
    print(f"of which writing: {written:.1f} s")
    if not args.no_baseline:
        print(f"baseline — pandas reading the same workbook only: {baseline:.1f} s   ratio {took / baseline:.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""How long the whole workbook export takes, and how much memory it needs: the demo city loaded into a new SQLite
file (or, with --postgres, a new database of the PostgreSQL server the tests use), then exported as
`manage.py export` does (streamed into a file, rows read in chunks) and, for the ratio, the old way (every sheet
built in memory as openpyxl cells, saved at the end) — the old way only up to --old-max households, since past
about 22,000 households its one 月收入 sheet passes Excel's 1,048,576 rows and it cannot be written at all.

Each export runs in a child process of its own; its peak memory is that child's maximum resident set size.

  .venv/bin/python bench/export_workbook.py                       # 3,500 households, the demo's size
  .venv/bin/python bench/export_workbook.py --households 300      # the short form the tests run
  .venv/bin/python bench/export_workbook.py --households 20000 --postgres   # JIEKUN_TEST_PG_URL, else 127.0.0.1:5432
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
logging.disable(logging.WARNING)


def export(url: str, way: str, out: str) -> None:
    """One export, in this (child) process: "stream" (write_workbook into a file) or "old" (all in memory)."""
    from core.workbook import write_xlsx
    from db import exporter
    from db.actor import system_actor
    from db.engine import make_engine, reading

    engine = make_engine(url)
    started = time.perf_counter()
    with reading(engine) as session:
        actor = system_actor("bench")
        if way == "stream":
            with open(out, "wb") as file:
                rows = exporter.write_workbook(session, actor, file)
        else:
            sheets = exporter.workbook_rows(session, actor)
            rows = sum(len(r) for r in sheets.values())
            Path(out).write_bytes(write_xlsx(sheets))
    print(f"{rows} {time.perf_counter() - started:.3f}")


def measured(url: str, way: str, out: str) -> tuple[int, float, float]:
    """(rows, seconds, peak MB) of one export run in a child process."""
    child = subprocess.Popen([sys.executable, __file__, "--child", way, "--url", url, "--out", out], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    output, errors = child.stdout.read(), child.stderr.read()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{way} export failed:\n{errors[-2000:]}")
    rows, seconds = output.split()
    return int(rows), float(seconds), usage.ru_maxrss / 1024  # KB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=3500)
    parser.add_argument("--seed", type=int, default=20171231)
    parser.add_argument("--postgres", action="store_true", help="on a new database of the PostgreSQL server (JIEKUN_TEST_PG_URL)")
    parser.add_argument("--old-max", type=int, default=5000, help="measure the old in-memory export up to this many households")
    parser.add_argument("--child", choices=["stream", "old"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        export(args.url, args.child, args.out)
        return 0

    from import_workbook import database

    from core.workbook import read_file
    from db.engine import make_engine
    from db.migrate import prepare
    from demo import load_demo

    with database(args.postgres) as url, tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(url)
        prepare(engine)
        started = time.perf_counter()
        load_demo(engine, households=args.households, seed=args.seed)
        engine.dispose()
        print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}, {args.households:,} households "
              f"(demo loaded in {time.perf_counter() - started:.1f} s)")
        out = str(Path(tmp) / "stream.xlsx")
        rows, seconds, peak = measured(url, "stream", out)
        size = os.path.getsize(out) / 1e6
        sheets, problems = read_file(Path(out).read_bytes(), "stream.xlsx") if size < 200 else ({}, [])
        print(f"streamed export: {rows:,} rows, {size:.1f} MB, {seconds:.1f} s, peak memory {peak:,.0f} MB"
              + (f"; reads back: {sum(len(s.rows) for s in sheets.values()):,} rows, {len(problems)} problems" if sheets else ""))
        if args.households <= args.old_max:
            old_rows, old_seconds, old_peak = measured(url, "old", str(Path(tmp) / "old.xlsx"))
            print(f"old in-memory export: {old_rows:,} rows, {old_seconds:.1f} s, peak memory {old_peak:,.0f} MB")
            print(f"ratio (old / streamed): time {old_seconds / seconds:.2f}×, memory {old_peak / peak:.2f}×")
        else:
            print(f"old in-memory export: not measured above {args.old_max:,} households (--old-max)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

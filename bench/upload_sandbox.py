#!/usr/bin/env python3
"""What reading uploads in a limited child process costs and what it survives (file_sandbox).

For the sample files (tests/fixtures) and a workbook of N households: the time to read them in this process and in
the child. For the hostile files of tests/db/test_hostile_uploads.py (one cell at XFD1048576 or ZZ200000 with the
<dimension> stripped or lying, a 600 MB zip bomb of under 3 MB, an .xls with a cell at row 65,536, column 16,384):
what the reader answers and how long it took, while this process goes on.

  .venv/bin/python bench/upload_sandbox.py
  .venv/bin/python bench/upload_sandbox.py --households 1000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(read, data: bytes, kind: str) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        read(data, kind)
        outcome = "read"
    except Exception as exc:  # the refusal, as the import shows it
        outcome = f"{type(exc).__name__}: {str(exc)[:40]}…"
    return time.perf_counter() - started, outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1000)
    args = parser.parse_args()

    import file_sandbox
    from bench.import_workbook import workbook
    from core.workbook import read_tables
    from tests.db.test_hostile_uploads import HOSTILE

    normal = {path.name: path.read_bytes() for path in sorted((ROOT / "tests" / "fixtures").glob("spreadsheet-sample*"))}
    normal[f"{args.households:,} households × 48 months"] = workbook(args.households, 48)
    print("normal files                                   in this process   in the child")
    for name, data in normal.items():
        kind = "csv" if name.endswith(".csv") else "workbook"
        here, _ = timed(read_tables, data, kind)
        child, outcome = timed(file_sandbox.read_tables, data, kind)
        print(f"  {name:<44} {here * 1000:10.0f} ms   {child * 1000:10.0f} ms   {outcome}")
    print("hostile files (read only in the child)")
    for case, make in HOSTILE.items():
        data, name = make()
        took, outcome = timed(file_sandbox.read_tables, data, "workbook")
        print(f"  {case:<34} {len(data) / 1024:8.0f} KB {took:6.1f} s   {outcome}")
    print("this process survived every one of them")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""How long `manage.py backup` and `restore` take on demo data, on SQLite and (when reachable) PostgreSQL.

Loads the demo (default 3,500 households) into a temporary SQLite file and a temporary PostgreSQL database, then
times a backup and a restore (over the same data, as `restore --yes` does) and checks that every table holds the same
rows afterwards. The baseline, measured in the same run: copying the SQLite file with `shutil.copyfile` (not safe
while the app writes), and a bare `pg_dump --format=custom` of the same database.

  .venv/bin/python bench/backup.py
  .venv/bin/python bench/backup.py --households 300
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
logging.disable(logging.WARNING)
PG_ADMIN_URL = os.environ.get("JIEKUN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def seconds(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def rows_of(engine) -> dict[str, int]:
    from sqlalchemy import MetaData, func, select

    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as c:
        return {name: c.execute(select(func.count()).select_from(t)).scalar() for name, t in metadata.tables.items()}


def measure(kind: str, url: str, households: int, folder: Path) -> None:
    from db import backup
    from demo import load_demo
    from db.engine import make_engine
    from db.migrate import prepare

    engine = make_engine(url)
    prepare(engine)
    load_demo(engine, households=households, seed=20171231)
    before = rows_of(engine)
    file = folder / f"{kind}.backup"
    took_backup = seconds(lambda: backup.backup(engine, file))
    if kind == "sqlite":
        baseline_name = "shutil.copyfile of the database file"
        baseline = seconds(lambda: shutil.copyfile(engine.url.database, folder / "copy.db"))
    else:
        baseline_name = "bare pg_dump --format=custom"
        conninfo, env = backup._libpq(engine)
        baseline = seconds(lambda: subprocess.run(["pg_dump", "--format=custom", "--file", str(folder / "bare.dump"),
                                                   "--dbname", conninfo], env=env, check=True))
    took_restore = seconds(lambda: backup.restore(engine, file, overwrite=True))
    after = rows_of(engine)
    after["audit_log"] -= 1  # the restore's own audit row
    same = after == before
    engine.dispose()
    print(f"{kind}: {households:,} households, {sum(before.values()):,} rows in {len(before)} tables, "
          f"backup file {file.stat().st_size / 1e6:.1f} MB")
    print(f"  backup  {took_backup:6.2f} s   (baseline, {baseline_name}: {baseline:.3f} s; ratio {took_backup / max(baseline, 1e-3):.1f}x)")
    print(f"  restore {took_restore:6.2f} s   every table's row count the same afterwards: {'yes' if same else 'NO'}")
    if not same:
        raise SystemExit(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=3500)
    args = parser.parse_args()
    from sqlalchemy import create_engine, text

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        measure("sqlite", f"sqlite:///{folder / 'bench.db'}", args.households, folder)
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        try:
            with admin.connect() as c:
                name = f"jiekun_bench_{uuid.uuid4().hex[:8]}"
                c.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # no server: the SQLite figures stand alone
            print(f"postgresql: skipped ({exc.__class__.__name__}: not reachable at {PG_ADMIN_URL})")
            return 0
        try:
            measure("postgresql", admin.url.set(database=name).render_as_string(hide_password=False), args.households,
                    folder)
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

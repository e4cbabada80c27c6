#!/usr/bin/env python3
"""What the audit log's hash chain costs: N rows written through db.audit.record in one transaction, then the whole
chain checked the way `manage.py verify-audit` checks it; and W writers appending at once, then checked again.

  .venv/bin/python bench/audit_chain.py                  # 100,000 rows, 20 writers, on a temporary SQLite file
  .venv/bin/python bench/audit_chain.py --rows 10000 --url postgresql+psycopg://postgres@127.0.0.1:5432/jiekun_bench

The PostgreSQL database must be empty or a jiekun database; rows are added to its audit log.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db import audit  # noqa: E402
from db.actor import system_actor  # noqa: E402
from db.engine import make_engine, reading, transaction  # noqa: E402
from db.migrate import prepare  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(args.url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        prepare(engine)
        actor = system_actor("bench")
        start = time.perf_counter()
        with transaction(engine) as s:
            for i in range(args.rows):
                audit.record(s, actor, "update", "household", i, field="name", old="旧", new=f"新{i}", reason="bench")
        written = time.perf_counter() - start

        errors: list[str] = []
        gate = threading.Barrier(args.writers)

        def writer(n: int) -> None:
            try:
                gate.wait()
                for _ in range(5):
                    with transaction(engine) as s:
                        audit.record(s, system_actor(f"w{n}"), "update", "household", n, field="name", new="并发")
            except Exception as exc:  # every failure is counted and shown
                errors.append(repr(exc))

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(args.writers)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        concurrent = time.perf_counter() - start

        start = time.perf_counter()
        with reading(engine) as s:
            checked, broken = audit.verify_chain(s)
        verified = time.perf_counter() - start
        engine.dispose()
    print(f"{engine.dialect.name}: wrote {args.rows:,} chained rows in {written:.1f} s; "
          f"{args.writers} writers x 5 transactions in {concurrent:.1f} s, {len(errors)} errors; "
          f"checked {checked:,} rows in {verified:.1f} s: {'chain intact' if broken is None else f'BROKEN at {broken}'}")
    for error in errors[:5]:
        print("  ", error)
    return 0 if broken is None and not errors else 1


if __name__ == "__main__":
    sys.exit(main())

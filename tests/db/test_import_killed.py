"""An import killed with SIGKILL at any moment leaves the store as it was: it writes in one transaction.

`manage.py import` runs in a process of its own on a workbook that takes several seconds to import, and is killed
after 1 s, then 1.3 s, 1.6 s, … (reading, checking, then writing) until a run is let finish. After every kill the
database holds nothing of the workbook — no household, member, income or batch — unless the kill came after the
commit, when it holds all of it; the run that finishes holds it all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from db.engine import reading
from db.models import AuditLog, Household, ImportBatch, IncomeMonth, Member

ROOT = Path(__file__).resolve().parents[2]
HOUSEHOLDS = 400


def _counts(engine) -> tuple[int, ...]:
    with reading(engine) as s:
        return tuple(s.scalar(select(func.count()).select_from(m))
                     for m in (Household, Member, IncomeMonth, ImportBatch, AuditLog))


def test_an_import_killed_at_any_moment_writes_nothing(db_engine, tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    from import_workbook import workbook

    book = tmp_path / "大批导入.xlsx"
    book.write_bytes(workbook(HOUSEHOLDS, 48))
    env = {**os.environ, "JIEKUN_DATABASE_URL": db_engine.url.render_as_string(hide_password=False)}
    command = [sys.executable, "manage.py", "import", str(book), "--as-system"]
    before = _counts(db_engine)

    killed, delay = 0, 1.0  # the first second is the interpreter starting
    while True:
        run = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(delay)
        if run.poll() is None and killed < 40:
            run.send_signal(signal.SIGKILL)
        run.wait(timeout=600)
        if run.returncode != -signal.SIGKILL:
            break
        killed += 1
        now = _counts(db_engine)
        if now != before:  # killed after its commit, while the process was ending: then all of it is there
            assert now[:4] == (before[0] + HOUSEHOLDS, *now[1:3], before[3] + 1) and now[2] == before[2] + HOUSEHOLDS * 48, \
                f"an import killed after {delay:.1f} s left part of the workbook: {now}"
            break
        delay += 0.3
        if killed >= 30:  # past any plausible run: let the next one finish
            delay = 600
    assert run.returncode in (0, -signal.SIGKILL), run.stderr.read().decode()
    assert killed >= 3, "the import finished too fast to be killed in the middle"
    assert _counts(db_engine)[0] == before[0] + HOUSEHOLDS  # the run let finish imported all of it

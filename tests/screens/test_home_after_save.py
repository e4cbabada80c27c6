"""首页 from the shared snapshot: a save by one user reaches the counts another user sees on their next run (the
snapshot refreshed, never stale), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from db.actor import Actor
from db.engine import reading, transaction
from db.incomes import IncomeRow, save_month
from db.models import Org
from db import worklist as worklist_service
from db.visits import record_visits
from tests.db.support import add_file
from tests.screens.conftest import app_as, assert_ok, make_user

TODAY = dt.date.today()
LAST_MONTH = (TODAY.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _queue_counts(at) -> dict[str, int]:
    """The 待办事项 tiles as the user reads them: 走访逾期 → 3."""
    labels = [str(link.label) for link in at.get("page_link")]
    return {m.group(1): int(m.group(2).replace(",", "")) for m in (re.search(r"\*\*(.+)：([\d,]+) 户\*\*", t) for t in labels) if m}


def _status_counts(at) -> dict[str, str]:
    return {str(m.label): str(m.value) for m in at.metric}


def _someone_else(engine) -> Actor:
    with reading(engine) as s:
        org = s.scalar(select(Org).where(Org.name == "海港区总工会"))
    return Actor(username="hgother", display_name="另一位干事", role="staff", org_id=org.id, org_path=org.path, org_name=org.name)


def test_a_visit_and_an_income_saved_by_one_user_change_the_counts_another_sees_on_the_next_run(app_any_db, monkeypatch):
    engine_runs = []  # the status engine's part is recomputed only when what it reads changed
    judge = worklist_service.engine_facts
    monkeypatch.setattr(worklist_service, "engine_facts", lambda *args: engine_runs.append(args[2]) or judge(*args))
    with transaction(app_any_db) as s:
        files = [add_file(s, n, filed_on=TODAY - dt.timedelta(days=400)).id for n in range(1, 4)]
        for n in range(4, 40):  # files elsewhere: one save is then a delta, not a whole reload (db.snapshot.WHOLE_RELOAD_SHARE)
            add_file(s, n, org_name="山海关区总工会", filed_on=TODAY - dt.timedelta(days=400))
    make_user(app_any_db, "hgstaff", "staff", "海港区总工会")
    make_user(app_any_db, "hgother", "staff", "海港区总工会")
    b = app_as("hgstaff").run()
    assert_ok(b)
    before = _queue_counts(b)
    assert before["走访逾期"] == 3 and before["缺上月收入"] == 3 and before["缺近期收入"] == 3
    assert _status_counts(b)["在档"] == "3"
    assert len(engine_runs) == 1

    a = _someone_else(app_any_db)
    with transaction(app_any_db) as s:  # A, in another session, records a visit
        record_visits(s, a, [files[0]], {"visited_on": TODAY, "visitor": "另一位干事", "kind": "home", "notes": "入户了解",
                                         "needs": ""}, today=TODAY)
    b.run()
    assert_ok(b)
    assert _queue_counts(b)["走访逾期"] == 2 and _queue_counts(b)["缺上月收入"] == 3 and _queue_counts(b)["缺近期收入"] == 3
    assert len(engine_runs) == 1  # a visit: the engine's answer kept

    with transaction(app_any_db) as s:  # and then last month's income of another file
        save_month(s, a, LAST_MONTH, [IncomeRow(files[1], "3000.00", 2)], today=TODAY)
    b.run()
    assert_ok(b)
    # the status engine's queue too: the file now has an income in the month it is judged on
    assert _queue_counts(b)["缺上月收入"] == 2 and _queue_counts(b)["缺近期收入"] == 2 and _queue_counts(b)["走访逾期"] == 2
    assert "本范围内最近一次录入收入的月份：" + f"{LAST_MONTH:%Y年%m月}" in [str(c.value) for c in b.caption]
    assert _status_counts(b)["在档"] == "3"
    assert len(engine_runs) == 2

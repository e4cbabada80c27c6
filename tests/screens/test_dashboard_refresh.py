"""A save by one user reaches the dashboard another user sees on their next run (the shared snapshot refreshed, not
stale), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import progress
from db import households, snapshot
from db.engine import reading, transaction
from db.models import Household
from demo import load_demo
from tests.db.support import actor_of
from tests.screens.conftest import app_as, assert_ok, make_user


def _metric(at, label: str) -> int:
    return int(next(m.value for m in at.metric if m.label == label).replace(",", ""))


def _captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_a_file_closed_by_one_user_moves_the_figures_the_other_sees_next(app_any_db):
    engine = app_any_db
    load_demo(engine, households=200, seed=5)
    make_user(engine, "viewer_b", "viewer")
    b = app_as("viewer_b").run()
    b.switch_page("screens/dashboard.py").run()
    assert_ok(b)
    active, withdrawn = _metric(b, "在档"), _metric(b, "已退出")
    with reading(engine) as session:
        staff = actor_of(session, "海港区总工会")
        whole = snapshot.load(session)
        base = progress.cohort(whole.changes, dt.date(2017, 12, 31))
        mine = snapshot.scoped(whole, staff).files
        household = session.get(Household, int(mine[(mine["status"] == "active") & mine["household_id"].isin(base)]
                                                   ["household_id"].iloc[0]))
        cohort_withdrawn = progress.apart(whole.changes, dt.date(2017, 12, 31), dt.date.today())["退出"]
        version = household.version
    assert f"基线档案已退出 {cohort_withdrawn:,} 户" in _captions(b)

    with transaction(engine) as session:  # user A, staff of 海港区, closes a cohort file as withdrawn (死亡) today
        households.close_household(session, staff, household.id, expected_version=version, to_status="withdrawn",
                                   reason="death", effective_on=dt.date.today())

    b.run()
    assert_ok(b)
    assert (_metric(b, "在档"), _metric(b, "已退出")) == (active - 1, withdrawn + 1)
    assert f"基线档案已退出 {cohort_withdrawn + 1:,} 户" in _captions(b)
    home = app_as("viewer_b").run()  # 首页's line on the targets follows too
    assert_ok(home)
    assert f"基线档案已退出 {cohort_withdrawn + 1:,} 户" in _captions(home)
    with reading(engine) as session:
        assert session.scalar(select(Household.status).where(Household.id == household.id)) == "withdrawn"

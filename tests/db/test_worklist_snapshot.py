"""首页 and 工作台 compute on a snapshot: read for one scope in the session (the services' path) or cut from the whole
snapshot the pages share, the figures are the same, for the city and for a district."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from db import queries, snapshot, worklist
from db.actor import Actor, system_actor
from db.engine import reading
from db.models import Org
from demo import load_demo

# the demo's incomes end in 2020: early 2021 puts files in every engine queue; today's date in the dated ones
DAYS = (dt.date(2021, 1, 15), dt.date(2026, 12, 2))


def _district_staff(session, name: str) -> Actor:
    org = session.scalar(select(Org).where(Org.name == name))
    return Actor(username="staff1", display_name="干事", role="staff", org_id=org.id, org_path=org.path, org_name=org.name)


def _sorted(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame.sort_values(by).reset_index(drop=True)


@pytest.fixture
def demo(db_engine):
    load_demo(db_engine, households=200, seed=11)
    return db_engine


@pytest.mark.parametrize("today", DAYS)
def test_the_database_read_and_the_shared_snapshot_give_the_same_queues_and_home_figures(demo, today):
    with reading(demo) as session:
        whole = snapshot.load(session)
        actors = [system_actor("t"), _district_staff(session, "海港区总工会")]
        direct = {a.org_path: (worklist.worklist(session, a, today), queries.home_figures(session, a, today)) for a in actors}
    queued = 0
    for actor in actors:
        work, home = direct[actor.org_path]
        shared = snapshot.scoped(whole, actor)
        from_shared = worklist.worklist_from(shared, actor, today)
        assert from_shared.counts == work.counts and from_shared.near_exit_month == work.near_exit_month
        pd.testing.assert_frame_equal(_sorted(from_shared.queues, ["household_id", "queue"]), _sorted(work.queues, ["household_id", "queue"]))
        pd.testing.assert_frame_equal(_sorted(from_shared.files, ["household_id"]), _sorted(work.files, ["household_id"]))
        assert queries.home_figures_from(shared, actor, today) == home
        queued += sum(work.counts.values())
        assert sum(home["counts"].values()) == len(shared.files) > 0
    assert queued > 0
    city, district = (direct[a.org_path][0] for a in actors)
    assert set(district.files["household_id"]) < set(city.files["household_id"])  # the district sees only its own
    if today == DAYS[0]:  # the engine's queues have files (not only the dated ones)
        assert city.counts["near_exit"] + city.counts["exit_unhelped"] + city.counts["income_not_recent"] > 0


def test_home_figures_name_the_districts_of_the_scope_with_no_line_this_month(demo):
    from db.models import DibaoLine, Place

    with reading(demo) as session:
        haigang = _district_staff(session, "海港区总工会")
        code = session.scalar(select(Place.code).where(Place.name == "海港区"))
        first = min(session.scalars(select(DibaoLine.effective_from).where(DibaoLine.place_code == code)))
        whole = snapshot.load(session)
    before = first - dt.timedelta(days=40)
    assert "海港区" in queries.home_figures_from(snapshot.scoped(whole, haigang), haigang, before)["missing"]
    assert queries.home_figures_from(snapshot.scoped(whole, haigang), haigang, first)["missing"] == []
    city = queries.home_figures_from(whole, system_actor("t"), before)
    assert "海港区" in city["missing"] and city["demo"] is True

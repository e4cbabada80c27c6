"""One snapshot per server process (ui/snapshot.py): a save by one user reaches another user's next run, on SQLite and
PostgreSQL, and two unions' users never see each other's files through it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from db import proposals
from db.engine import reading, transaction
from db.models import Household, Place
from db.users import actor_for
from demo import load_demo
from tests.screens.conftest import app_as, assert_ok, make_user

AS_OF = dt.date(2018, 12, 31)


@pytest.fixture
def shared_db(app_any_db):
    load_demo(app_any_db, households=400, seed=11)
    return app_any_db


def _proposals(username: str):
    at = app_as(username).run()
    at.switch_page("screens/proposals.py").run()
    at.date_input(key="pp_as_of").set_value(AS_OF).run()
    assert_ok(at)
    return at


def _exit_list(at) -> list[str]:
    return list(at.dataframe[0].value["档案编号"]) if at.dataframe else []


def test_a_confirmation_by_one_user_leaves_the_list_another_user_sees_on_the_next_run(shared_db):
    make_user(shared_db, "hga", "staff", "海港区总工会")
    make_user(shared_db, "hgb", "staff", "海港区总工会")
    b = _proposals("hgb")
    before = _exit_list(b)
    assert len(before) >= 2, before

    with transaction(shared_db) as session:  # user A confirms the first file of the list, in another session
        a = actor_for(session, "hga")
        first = session.scalar(select(Household.id).where(Household.file_no == before[0]))
        proposals.confirm(session, a, [first], kind="exit", as_of=AS_OF, effective_on=dt.date(2019, 1, 15))

    b.run()  # B's next run: the shared snapshot has taken A's save, the list is not stale
    assert_ok(b)
    after = _exit_list(b)
    assert before[0] not in after
    assert after == before[1:]


def test_two_unions_never_see_each_others_files_through_the_shared_snapshot(shared_db):
    make_user(shared_db, "hgstaff", "staff", "海港区总工会")
    make_user(shared_db, "shgstaff", "staff", "山海关区总工会")
    hg = set(_exit_list(_proposals("hgstaff")))
    shg = set(_exit_list(_proposals("shgstaff")))  # the same process: the snapshot is shared, the views are not
    assert hg and shg
    assert not hg & shg
    with reading(shared_db) as session:
        places = dict(session.execute(select(Household.file_no, Place.name).join(Place, Place.code == Household.place_code)
                                      .where(Household.file_no.in_(list(hg | shg)))).all())
    assert {places[f] for f in hg} == {"海港区"}
    assert {places[f] for f in shg} == {"山海关区"}

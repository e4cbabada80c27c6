"""资金台账 from the shared snapshot: the database-read path and the snapshot path give the same figures, and both
equal the payment rows summed by the database itself (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import extract, func, select

from db import ledger, snapshot
from db.actor import Actor
from db.engine import reading
from db.models import AidPayment, Household, Org, Place
from demo import load_demo

TODAY = dt.date(2019, 6, 30)  # the demo's payments span years before and after it: some are still to come


def _actor(session, org_name: str, role: str) -> Actor:
    org = session.scalar(select(Org).where(Org.name == org_name))
    return Actor(username=f"{role}1", display_name=f"{org_name}{role}", role=role, org_id=org.id, org_path=org.path,
                 org_name=org.name)


@pytest.fixture
def demo(db_engine):
    load_demo(db_engine, households=200, seed=21)
    return db_engine


def _views(summary: pd.DataFrame) -> list[ledger.View]:
    years = sorted(summary["year"].unique())
    place = sorted(summary["区县"].unique())[0]
    return [ledger.View(), ledger.View(planned=True), ledger.View(year=int(years[-1]), planned=True),
            ledger.View(year=int(years[0])), ledger.View(place=place), ledger.View(funds=("donation", "fiscal")),
            ledger.View(year=int(years[len(years) // 2]), place=place, funds=("union",), planned=True)]


def _by_database(session, actor: Actor) -> pd.DataFrame:
    """The old way: the database sums the fen by year, district, fund and due, in the actor's subtree."""
    year = extract("year", AidPayment.paid_on)
    due = AidPayment.paid_on <= TODAY
    stmt = (select(year, Place.name, AidPayment.fund_source, due, func.sum(AidPayment.amount_fen), func.count())
            .join(Household, Household.id == AidPayment.household_id).join(Place, Place.code == Household.place_code)
            .join(Org, Org.id == Household.org_id).where(Org.path.startswith(actor.org_path))
            .group_by(year, Place.name, AidPayment.fund_source, due))
    frame = pd.DataFrame(session.execute(stmt).all(), columns=["year", "区县", "fund_source", "due", "amount_fen", "payments"])
    return frame.astype({"year": "int64", "due": "bool", "amount_fen": "int64", "payments": "int64"})


@pytest.mark.parametrize("org_name", ["秦皇岛市总工会", "海港区总工会"])
def test_the_database_path_and_the_snapshot_path_give_the_same_ledger(demo, org_name):
    with reading(demo) as session:
        viewer, staff = _actor(session, org_name, "viewer"), _actor(session, org_name, "staff")
        whole = snapshot.load(session)
        read = ledger.summary(session, viewer, TODAY)
        views = _views(read)
        counts = [ledger.households(session, viewer, v, TODAY) for v in views]
        rows = [ledger.detail(session, staff, v, TODAY) for v in views]
        by_database = _by_database(session, viewer)
    scoped = snapshot.scoped(whole, viewer)
    assert len(read) > 20 and read["due"].any() and not read["due"].all()  # the demo has paid and planned payments
    pd.testing.assert_frame_equal(read, ledger.summary_from(scoped, viewer, TODAY))
    assert counts == [ledger.households_from(scoped, viewer, v, TODAY) for v in views]
    for view, mine in zip(views, rows):
        with reading(demo) as session:
            from_snapshot = ledger.with_notes(session, ledger.detail_from(snapshot.scoped(whole, staff), staff, view, TODAY))
        pd.testing.assert_frame_equal(mine, from_snapshot)
        chosen = ledger.chosen(read, view)
        # the rows are the totals' rows: as many and the same fen, from as many households
        assert len(mine) == int(chosen["payments"].sum()) and int(mine["amount_fen"].sum()) == int(chosen["amount_fen"].sum())
        assert (mine["paid_on"].diff(-1).dropna() >= dt.timedelta(0)).all()  # newest first
    # and every sum is the database's own exact sum
    ours = read.groupby(["year", "区县", "fund_source", "due"], as_index=False)[["amount_fen", "payments"]].sum()
    key = ["year", "区县", "fund_source", "due"]
    pd.testing.assert_frame_equal(ours.sort_values(key).reset_index(drop=True),
                                  by_database.sort_values(key).reset_index(drop=True), check_dtype=False)
    if org_name != "秦皇岛市总工会":
        assert set(read["区县"]) == {"海港区"} and len(scoped.files) < len(whole.files)


def test_the_newest_rows_of_a_view_are_the_first_rows_of_all_of_them(demo):
    with reading(demo) as session:
        staff = _actor(session, "秦皇岛市总工会", "staff")
        whole = snapshot.load(session)
    view = ledger.View(planned=True)
    every = ledger.detail_from(whole, staff, view, TODAY)
    first = ledger.detail_from(whole, staff, view, TODAY, limit=50)
    assert len(every) > 50
    pd.testing.assert_frame_equal(first, every.head(50))
    assert ledger.detail_from(whole, staff, ledger.View(year=1990), TODAY, limit=50).empty

"""The dashboard from the shared snapshot (db.dashboard.load_from) equals the dashboard read from the database for one
scope (db.dashboard.load), for the city and for a district, on SQLite and PostgreSQL; its fund sums are the rows paid."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import func, select

from core import codes
from db import dashboard, snapshot
from db.actor import system_actor
from db.engine import reading
from db.models import AidPayment, Household, Org
from demo import load_demo
from tests.db.support import actor_of

TODAY = dt.date(2026, 12, 2)


@pytest.fixture
def demo(db_engine):
    load_demo(db_engine, households=200, seed=11)
    return db_engine


def _actors(session):
    return {"city": system_actor("test"), "district": actor_of(session, "海港区总工会", role="viewer")}


def _same_data(got: dashboard.DashboardData, expected: dashboard.DashboardData) -> None:
    for name in ("files", "changes", "measures", "payments"):
        pd.testing.assert_frame_equal(getattr(got, name).reset_index(drop=True), getattr(expected, name).reset_index(drop=True),
                                      check_dtype=False, obj=name)
    assert (got.baseline, got.shares) == (expected.baseline, expected.shares)
    for array in ("household", "start", "status", "reason", "end"):
        assert pd.Series(getattr(got.history, array)).equals(pd.Series(getattr(expected.history, array))), array


def _same_tables(got: dict, expected: dict) -> None:
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(got[key], value, check_dtype=False, obj=key)
        elif isinstance(value, pd.Series):
            pd.testing.assert_series_equal(got[key], value, obj=key)
        else:
            assert got[key] == value, key


@pytest.mark.parametrize("who", ["city", "district"])
def test_the_shared_snapshot_gives_the_figures_the_database_gives(demo, who):
    with reading(demo) as session:
        actor = _actors(session)[who]
        direct = dashboard.load(session, actor, TODAY)
        shared = dashboard.load_from(snapshot.scoped(snapshot.load(session), actor), actor, TODAY)
        summary = dashboard.targets_summary(session, actor, TODAY)
        shared_summary = dashboard.targets_summary_from(snapshot.scoped(snapshot.load(session), actor), actor, TODAY)
    _same_data(shared, direct)
    assert len(direct.files) > 20 and len(direct.changes) > len(direct.files)
    if who == "district":
        assert set(direct.files["place_name"]) == {"海港区"}
    for filters in [(None, 2019, None, None), ("海港区", 2020, None, "3"), (None, 2018, "dibao", None)]:
        _same_tables(dashboard.tables(shared, TODAY, *filters), dashboard.tables(direct, TODAY, *filters))
    assert summary["row"] == shared_summary["row"] and summary["apart"] == shared_summary["apart"]
    city = dashboard.tables(direct, TODAY, None, summary["year"], None, None)["city"]
    assert city[city["年份"] == summary["year"]].iloc[0].to_dict() == summary["row"]  # 首页 says what the dashboard says


@pytest.mark.parametrize("as_of", [TODAY, dt.date(2019, 6, 30)])
def test_the_fund_sums_are_the_payments_made_by_the_day_in_that_year(demo, as_of):
    with reading(demo) as session:
        actor = actor_of(session, "海港区总工会", role="viewer")
        data = dashboard.load(session, actor, as_of)
        district = select(Org.id).where(Org.path.startswith(actor.org_path))
        paid = dict(session.execute(
            select(AidPayment.fund_source, func.sum(AidPayment.amount_fen))
            .join(Household, Household.id == AidPayment.household_id)
            .where(Household.org_id.in_(district), AidPayment.paid_on <= as_of,  # not those planned after the day
                   AidPayment.paid_on >= dt.date(2019, 1, 1), AidPayment.paid_on <= dt.date(2019, 12, 31))
            .group_by(AidPayment.fund_source)).all())
    shown = dashboard.tables(data, as_of, None, 2019, None, None)["payments"].set_index("资金来源")["金额(元)"]
    assert paid and shown.to_dict() == {codes.FUND_SOURCE[f]: int(fen) / 100 for f, fen in paid.items()}

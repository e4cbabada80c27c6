"""The shared snapshot (db/snapshot.py): a refresh after a save equals a whole reload, and a scope sees only its own files."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from db import snapshot
from db.actor import Actor, system_actor
from db.engine import reading, transaction
from db.incomes import IncomeRow, save_month
from db.models import Household, Org
from demo import load_demo

TODAY = dt.date(2026, 12, 2)


def _same(a: snapshot.Snapshot, b: snapshot.Snapshot) -> None:
    assert a.version == b.version
    for name in snapshot.PARTS:
        left, right = a.parts[name].reset_index(drop=True), b.parts[name].reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right, check_dtype=False, obj=name)


def _district_staff(session, name: str) -> Actor:
    org = session.scalar(select(Org).where(Org.name == name))
    return Actor(username="staff1", display_name="海港区干事", role="staff", org_id=org.id, org_path=org.path, org_name=org.name)


@pytest.fixture
def demo(db_engine):
    load_demo(db_engine, households=60, seed=3)
    return db_engine


def test_a_save_by_one_user_reaches_the_snapshot_another_reads_and_only_its_parts_move(demo):
    with reading(demo) as session:
        before = snapshot.load(session)
        staff = _district_staff(session, "海港区总工会")
        district = select(Org.id).where(Org.path.startswith(staff.org_path))
        household = session.scalar(select(Household).where(Household.status == "active", Household.org_id.in_(district))
                                   .order_by(Household.id).limit(1))
    month = dt.date(TODAY.year, TODAY.month - 1, 1)
    with transaction(demo) as session:
        save_month(session, staff, month, [IncomeRow(household.id, "12345.67", 2)], today=TODAY)

    with reading(demo) as session:
        assert not snapshot.is_current(session, before)  # a page's run asks this first, without the lock
        after = snapshot.refresh(session, before)
        whole = snapshot.load(session)
        assert snapshot.refresh(session, after) is after  # nothing new: the same object
        assert snapshot.is_current(session, after)
    _same(after, whole)
    assert after.version > before.version
    mine = after.incomes[after.incomes["household_id"] == household.id]
    assert (mine["income_fen"] == 1234567).any()  # the new month is there, at its place in the file's months
    assert mine["month_index"].is_monotonic_increasing
    # what a figure of payments depends on did not move: its cache is kept
    assert after.stamp("payments") == before.stamp("payments")
    assert after.stamp("incomes") != before.stamp("incomes")


def test_a_change_to_the_reference_tables_refreshes_them(demo):
    from db import params

    with reading(demo) as session:
        before = snapshot.load(session)
        rows = params.parameter_rows(session).to_dict("records")
    rows.append({"参数": "exit_run_months", "生效日期": dt.date(2027, 1, 1), "取值": "12", "说明": "试行"})
    with transaction(demo) as session:
        params.save_parameters(session, system_actor("test"), rows, today=TODAY)
    with reading(demo) as session:
        after = snapshot.refresh(session, before)
        whole = snapshot.load(session)
    _same(after, whole)
    assert (dt.date(2027, 1, 1), "12") in [(d, v) for d, v in after.reference.parameter_history("exit_run_months")]
    assert after.stamp("incomes")[0] == before.stamp("incomes")[0]  # the part itself did not move


def test_two_scopes_never_see_each_others_files_through_the_shared_snapshot(demo):
    with reading(demo) as session:
        whole = snapshot.load(session)
        haigang = _district_staff(session, "海港区总工会")
        shanhai = _district_staff(session, "山海关区总工会")
        direct = snapshot.read(session, haigang)
    mine = snapshot.scoped(whole, haigang)
    _same(mine, direct)  # the same rows the database gives that scope
    theirs = snapshot.scoped(whole, shanhai)
    assert len(mine.files) and len(theirs.files)
    assert mine.files["org_path"].str.startswith(haigang.org_path).all()
    ids = set(mine.files["household_id"])
    for name in snapshot.PARTS:
        assert not set(theirs.parts[name]["household_id"]) & ids, name
        assert set(mine.parts[name]["household_id"]) <= ids, name


def test_another_database_at_the_same_address_is_read_whole(demo):
    from tests.conftest import empty_database

    with reading(demo) as session:
        before = snapshot.load(session)
    empty_database(demo)
    load_demo(demo, households=10, seed=4)
    with reading(demo) as session:
        assert not snapshot.is_current(session, before)
        after = snapshot.refresh(session, before)
        whole = snapshot.load(session)
    _same(after, whole)
    assert len(after.files) == 10


def test_an_export_or_a_file_opened_costs_no_reload(demo):
    from db import audit, exporter

    with reading(demo) as session:
        before = snapshot.load(session)
        household = session.scalar(select(Household).order_by(Household.id).limit(1))
    with transaction(demo) as session:
        exporter.record_export(session, system_actor("test"), "档案台账", 10)
        audit.file_opened(session, system_actor("test"), household.id, household.file_no)
    with transaction(demo) as session:  # then a real save, to one file
        staff = _district_staff(session, "海港区总工会")
        mine = session.scalar(select(Household).where(Household.status == "active", Household.org_id.in_(
            select(Org.id).where(Org.path.startswith(staff.org_path)))).order_by(Household.id).limit(1))
        save_month(session, staff, dt.date(2026, 11, 1), [IncomeRow(mine.id, "100.00", 1)], today=TODAY)
    calls = []
    real = snapshot.load
    snapshot.load = lambda session: calls.append(1) or real(session)
    try:
        with reading(demo) as session:
            after = snapshot.refresh(session, before)
    finally:
        snapshot.load = real
    assert calls == []  # the delta, not a whole reload
    with reading(demo) as session:
        _same(after, snapshot.load(session))

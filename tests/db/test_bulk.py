"""Bulk inserts (COPY on PostgreSQL, executemany on SQLite) write what an ORM insert would, and a row the store
refuses is reported as any other write's conflict."""

import datetime as dt

import pytest
from sqlalchemy import select

from db import bulk
from db.engine import reading, transaction
from db.errors import Conflict
from db.models import IncomeMonth, Member
from tests.db.support import add_file


def test_rows_get_the_columns_defaults_and_their_own_values(db_engine):
    with transaction(db_engine) as s:
        hid = add_file(s, 3).id
        bulk.insert_rows(s, IncomeMonth.__table__, [{"household_id": hid, "month": dt.date(2026, m, 1), "income_fen": 100 * m,
                                                     "persons": 2} for m in (1, 2)])
        bulk.insert_rows(s, Member.__table__, [{"household_id": hid, "name": "配偶", "relation": "配偶", "id_number": None}])
    with reading(db_engine) as s:
        months = s.execute(select(IncomeMonth.month, IncomeMonth.income_fen, IncomeMonth.transfer_fen, IncomeMonth.special_spending_fen,
                                  IncomeMonth.version).order_by(IncomeMonth.month)).all()
        assert months == [(dt.date(2026, 1, 1), 100, 0, 0, 1), (dt.date(2026, 2, 1), 200, 0, 0, 1)]
        member = s.scalar(select(Member))
        assert (member.name, member.monthly_income_fen, member.able_to_work, member.version) == ("配偶", 0, False, 1)


def test_a_row_the_store_refuses_is_a_conflict_and_nothing_is_kept(db_engine):
    with transaction(db_engine) as s:
        hid = add_file(s, 4).id
    row = {"household_id": hid, "month": dt.date(2026, 1, 1), "income_fen": 100, "persons": 2}
    with pytest.raises(Conflict):
        with transaction(db_engine) as s:
            bulk.insert_rows(s, IncomeMonth.__table__, [row, row])  # one household, one month, twice
    with reading(db_engine) as s:
        assert s.scalars(select(IncomeMonth)).all() == []


def test_a_key_that_is_no_column_is_refused():
    with pytest.raises(ValueError):
        bulk.insert_rows(None, IncomeMonth.__table__, [{"household_id": 1, "monht": dt.date(2026, 1, 1)}])

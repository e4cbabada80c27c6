"""Bulk inserts (COPY on PostgreSQL, executemany on SQLite) write what an ORM insert would, and a row the store
refuses is reported as any other write's conflict."""

import datetime as dt

import pytest
from sqlalchemy import select

from db import bulk
from db.engine import reading, transaction
from db.errors import Conflict, ValidationError
from db.models import Household, IncomeMonth, Member
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


def _file(n: int, org_id: int, **over) -> dict:
    return {"file_no": f"BULK-{n:03d}", "org_id": org_id, "place_code": "130302", "name": f"户主{n}",
            "id_number": f"13030219800101{n:03d}X"} | over


def test_new_rows_get_their_ids_in_order_and_later_rows_get_later_ids(db_engine):
    with transaction(db_engine) as s:
        first = add_file(s, 5)
        org_id, first_id = first.org_id, first.id
        ids = bulk.insert_new(s, Household.__table__, [_file(n, org_id) for n in range(1, 4)])
    assert len(ids) == 3 and ids == sorted(ids) and ids[0] > first_id
    with reading(db_engine) as s:
        rows = s.execute(select(Household.id, Household.file_no, Household.status, Household.version, Household.hard_to_exit)
                         .where(Household.id.in_(ids)).order_by(Household.id)).all()
        assert rows == [(i, f"BULK-{n:03d}", "applying", 1, False) for i, n in zip(ids, range(1, 4))]
    with transaction(db_engine) as s:  # the store's own numbering goes on after them (PostgreSQL: the sequence moved)
        assert add_file(s, 6).id > ids[-1]


@pytest.mark.parametrize("table, row, column, words", [
    (Member.__table__, {"name": "张" * 65, "relation": "配偶"}, "name", "不能超过 64 个字"),
    (Household.__table__, {"address": "文化路" * 100}, "address", "不能超过 255 个字"),
    (Household.__table__, {"employer": "某公司\x07"}, "employer", "控制字符"),
])
def test_text_a_column_cannot_hold_is_refused_under_it_before_anything_is_written(db_engine, table, row, column, words):
    with transaction(db_engine) as s:
        household = add_file(s, 7)
        base = {"household_id": household.id} if table is Member.__table__ else _file(9, household.org_id)
    with pytest.raises(ValidationError) as caught:
        with transaction(db_engine) as s:
            if table is Member.__table__:
                bulk.insert_rows(s, table, [base | row])
            else:
                bulk.insert_new(s, table, [_file(8, base["org_id"]), base | row])
    assert words in caught.value.errors[column]
    with reading(db_engine) as s:
        assert s.scalars(select(Member)).all() == []
        assert s.scalars(select(Household.file_no)).all() == [household.file_no]

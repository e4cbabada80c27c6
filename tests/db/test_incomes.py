"""A district's month of incomes in one grid: all rows or none, versions respected, scope kept."""

import datetime as dt

import pytest
from sqlalchemy import select

from db import incomes
from db.engine import reading, transaction
from db.errors import ValidationError
from db.models import AuditLog, Household, IncomeMonth
from tests.db.test_households import TODAY, create, pid, staff

MONTH = dt.date(2026, 10, 1)


def _two_files(engine):
    first, _ = create(engine)
    second, _ = create(engine, id_number=pid("13030219800101101"), members=[])
    return first, second


def test_the_grid_lists_open_files_of_the_scope_with_persons_prefilled(db_engine):
    first, second = _two_files(db_engine)
    with reading(db_engine) as s:
        frame = incomes.grid(s, staff(s), MONTH)
        assert list(frame["household_id"]) == [first, second]
        assert list(frame["家庭人口"]) == [3, 1]  # head + members until a month says otherwise
        assert frame["家庭月收入(元)"].isna().all()
        assert incomes.grid(s, staff(s, "昌黎县总工会"), MONTH).empty


def test_a_whole_month_is_saved_and_then_corrected(db_engine):
    first, second = _two_files(db_engine)
    with transaction(db_engine) as s:
        counts = incomes.save_month(s, staff(s), MONTH, [
            incomes.IncomeRow(first, "2,100.50", 3, transfer="300"),
            incomes.IncomeRow(second, "", 1),  # not entered this time
        ], today=TODAY)
    assert counts == {"新增": 1, "更正": 0, "未变": 0}
    with reading(db_engine) as s:
        record = s.scalar(select(IncomeMonth).where(IncomeMonth.household_id == first))
        assert (record.income_fen, record.persons, record.transfer_fen, record.month) == (210050, 3, 30000, MONTH)
    with transaction(db_engine) as s:
        counts = incomes.save_month(s, staff(s), MONTH, [incomes.IncomeRow(first, "2200", 3, transfer="300", version=record.version)], today=TODAY)
    assert counts["更正"] == 1
    with reading(db_engine) as s:
        row = s.scalar(select(AuditLog).where(AuditLog.entity == "income_month", AuditLog.action == "update"))
        assert (row.field, row.old_value, row.new_value) == ("income_fen", "210050", "220000")


@pytest.mark.parametrize(
    "row,message",
    [
        (dict(income="-1", persons=3), "不能为负数"),
        (dict(income="100", persons=0), "1–30 的整数"),
        (dict(income="100", persons="2.5"), "1–30 的整数"),
        (dict(income="100", persons=3, transfer="200"), "转移性收入不能大于家庭月收入"),
        (dict(income="1.234", persons=3), "两位小数"),
        (dict(income="1e308", persons=3), "不能超过 1 亿元"),      # used to raise decimal.InvalidOperation past the check
        (dict(income="1e20", persons=3), "不能超过 1 亿元"),       # used to overflow the column
        (dict(income="100", persons="inf"), "1–30 的整数"),        # used to raise OverflowError
        (dict(income="100", persons=3, transfer="1e9999"), "不能超过 1 亿元"),
    ],
)
def test_one_bad_row_writes_nothing_and_names_the_file(db_engine, row, message):
    first, second = _two_files(db_engine)
    with transaction(db_engine) as s:
        file_no = s.get(Household, second).file_no
        with pytest.raises(ValidationError) as err:
            incomes.save_month(s, staff(s), MONTH, [incomes.IncomeRow(first, "1000", 3), incomes.IncomeRow(second, **row)], today=TODAY)
    assert message in err.value.errors[file_no]
    with reading(db_engine) as s:
        assert s.scalar(select(IncomeMonth.id)) is None


def test_a_value_corrected_by_someone_else_is_not_overwritten(db_engine):
    first, _ = _two_files(db_engine)
    with transaction(db_engine) as s:
        incomes.save_month(s, staff(s), MONTH, [incomes.IncomeRow(first, "1000", 3)], today=TODAY)
    with reading(db_engine) as s:
        loaded = s.scalar(select(IncomeMonth.version))
    with transaction(db_engine) as s:
        incomes.save_month(s, staff(s), MONTH, [incomes.IncomeRow(first, "1100", 3, version=loaded)], today=TODAY)
    with transaction(db_engine) as s:
        with pytest.raises(ValidationError, match="已被他人更正为 1100.00 元"):
            incomes.save_month(s, staff(s), MONTH, [incomes.IncomeRow(first, "1200", 3, version=loaded)], today=TODAY)
        with pytest.raises(ValidationError, match="已由他人录入"):
            incomes.save_month(s, staff(s), MONTH, [incomes.IncomeRow(first, "1200", 3, version=None)], today=TODAY)
        with pytest.raises(ValidationError, match="不能清空"):
            incomes.save_month(s, staff(s), MONTH, [incomes.IncomeRow(first, "", 3, version=loaded + 1)], today=TODAY)


def test_other_districts_files_and_future_months_are_refused(db_engine):
    first, _ = _two_files(db_engine)
    with transaction(db_engine) as s:
        with pytest.raises(ValidationError) as err:
            incomes.save_month(s, staff(s, "昌黎县总工会"), MONTH, [incomes.IncomeRow(first, "1000", 3)], today=TODAY)
        assert "不在您的管辖范围内" in err.value.errors[str(first)]
        with pytest.raises(ValidationError, match="未来月份"):
            incomes.save_month(s, staff(s), dt.date(2026, 12, 1), [incomes.IncomeRow(first, "1000", 3)], today=TODAY)

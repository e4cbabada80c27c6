"""The import applies the 月收入 screen's own rule (core.incomes): no income for a closed file, none for 1900-01,
on SQLite and PostgreSQL, and a refused workbook writes nothing."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.workbook import write_xlsx
from db import importer, incomes
from db.engine import reading, transaction
from db.errors import ValidationError
from db.models import Household, IncomeMonth
from tests.db.support import actor_of, add_file
from tests.db.test_import import TODAY, run


def _file(engine, status: str) -> str:
    with transaction(engine) as s:
        return add_file(s, 7, status=status).file_no


def _income_rows(engine) -> int:
    with reading(engine) as s:
        return s.scalar(select(func.count()).select_from(IncomeMonth))


def _workbook(file_no: str, month: str) -> bytes:
    return write_xlsx({"月收入": [{"file_no": file_no, "month": month, "income": "1800", "persons": 3}]}, template=True)


@pytest.mark.parametrize("status", ["exited", "relieved", "withdrawn"])
def test_an_income_for_a_closed_file_is_refused_by_the_import_as_by_the_screen(db_engine, status):
    file_no = _file(db_engine, status)
    with transaction(db_engine) as s:
        household = s.scalar(select(Household).where(Household.file_no == file_no))
        with pytest.raises(ValidationError) as screen:
            incomes.save_month(s, actor_of(s, "海港区总工会"), dt.date(2026, 10, 1),
                               [incomes.IncomeRow(household.id, "1800", 3)], today=TODAY)
    with pytest.raises(importer.ImportRefused) as imported:
        run(db_engine, _workbook(file_no, "2026-10"))
    [problem] = imported.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("月收入", 3, "档案编号")
    assert screen.value.errors[file_no] in problem.message == f"档案 {file_no}档案已关闭，不能再录入收入"
    assert _income_rows(db_engine) == 0


@pytest.mark.parametrize("month", ["1900-01", "2009-12"])
def test_a_month_before_the_records_began_is_refused_by_the_import_as_by_the_screen(db_engine, month):
    file_no = _file(db_engine, "active")
    day = dt.date.fromisoformat(month + "-01")
    with pytest.raises(ValidationError) as screen:
        incomes.check_month(day, TODAY)
    with pytest.raises(importer.ImportRefused) as imported:
        run(db_engine, _workbook(file_no, month))
    [problem] = imported.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("月收入", 3, "月份")
    assert problem.message == f"{month}：{screen.value.errors['month']}" == f"{month}：月份不能早于 2010年01月"
    assert _income_rows(db_engine) == 0


def test_an_open_file_and_a_month_in_range_still_import(db_engine):
    file_no = _file(db_engine, "active")
    assert run(db_engine, _workbook(file_no, "2010-01")).counts["月收入"]["created"] == 1
    assert _income_rows(db_engine) == 1


def test_a_closed_file_s_months_read_back_unchanged_but_cannot_be_corrected_by_import(db_engine):
    file_no = _file(db_engine, "active")
    run(db_engine, _workbook(file_no, "2026-09"))
    with transaction(db_engine) as s:
        s.scalar(select(Household).where(Household.file_no == file_no)).status = "exited"
    assert run(db_engine, _workbook(file_no, "2026-09")).counts["月收入"]["unchanged"] == 1  # as an export holds it
    changed = write_xlsx({"月收入": [{"file_no": file_no, "month": "2026-09", "income": "1900", "persons": 3}]}, template=True)
    with pytest.raises(importer.ImportRefused) as refused:
        run(db_engine, changed)
    assert [p.message for p in refused.value.problems] == [f"档案 {file_no}档案已关闭，不能再录入收入"]

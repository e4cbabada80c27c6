"""Random workbooks through the real import (the child-process reader, the checks, the writer) on SQLite and
PostgreSQL: random cells, huge cells, wrong types, formulas, CSV in mixed encodings. Each is either refused with a
message at a cell, the store unchanged, or imported as written — never an error past the checks."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.incomes import EARLIEST_MONTH
from core.workbook import HOUSEHOLDS, INCOMES, write_csv
from db import importer
from db.engine import session_factory, transaction
from db.models import AuditLog, Household, HouseholdCause, ImportBatch, IncomeMonth, Member, ProcessStep
from tests.db.support import actor_of, add_file
from tests.db.test_import import TODAY, pid

SETTINGS = settings(max_examples=20, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
TABLES = (Household, Member, HouseholdCause, IncomeMonth, ProcessStep, ImportBatch, AuditLog)

# what openpyxl cannot store in a cell (the control characters); a CSV may hold anything
XLSX_TEXT = st.characters(blacklist_categories=("Cs",), blacklist_characters=[chr(c) for c in range(32) if c not in (9, 10, 13)])
ANY_TEXT = st.characters(blacklist_categories=("Cs",))
FORMULAS = st.sampled_from(["=1+1", "=SUM(A1:A9)", "=1/0", '=HYPERLINK("http://example.com","x")', "+1800", "-1", "@A1",
                            "=A2&B2", "'=1+1"])


def cells(text=XLSX_TEXT):
    """Any cell a spreadsheet may hold: empty, text (short or 30,000 characters), numbers of every size, dates,
    booleans, formulas."""
    return st.one_of(
        st.none(), st.text(text, max_size=40), st.text(text, min_size=1, max_size=8).map(lambda s: (s * 30_000)[:30_000]),
        st.integers(-(2 ** 63), 2 ** 63), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
        st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)), st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1)),
        FORMULAS, st.just(" "), st.just("1e9999"), st.just("1e308"), st.just("-0"), st.just("１８００"),
    )


def income_rows(text=XLSX_TEXT):
    """Rows of the 月收入 sheet: each cell a valid value or any cell at all. The valid rows are known exactly."""
    month = st.integers(2020, 2026).flatmap(lambda y: st.integers(1, 10 if y == 2026 else 12).map(lambda m: f"{y}-{m:02d}"))
    valid = st.fixed_dictionaries({"month": month, "income": st.decimals(0, 99_999, places=2).map(str),
                                   "persons": st.integers(1, 30), "transfer": st.none()})
    random = st.fixed_dictionaries({"month": st.one_of(month, cells(text)), "income": st.one_of(st.just("1800.50"), cells(text)),
                                    "persons": st.one_of(st.just(3), cells(text)), "transfer": st.one_of(st.none(), cells(text))})
    return st.lists(st.one_of(valid.map(lambda r: (True, r)), random.map(lambda r: (False, r))), min_size=1, max_size=6)


def xlsx(sheet, rows: list[dict]) -> bytes:
    """The workbook a person or a program could save: cells of any type, text starting with = stored as a formula."""
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = sheet.name
    ws.append([c.header for c in sheet.columns])
    for row in rows:
        ws.append([row.get(c.key) for c in sheet.columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def open_file(db_engine):
    with transaction(db_engine) as s:
        return db_engine, add_file(s, 11, status="active").file_no


def attempt(engine, data: bytes, filename: str):
    """Import into a transaction that is rolled back afterwards (each example starts from the same store): the report,
    or the refusal, and the table counts before and after, and the file's months as stored."""
    with session_factory(engine)() as s, s.begin():
        count = lambda: {m.__tablename__: s.scalar(select(func.count()).select_from(m)) for m in TABLES}  # noqa: E731
        before = count()
        try:
            outcome = importer.run(s, actor_of(s, "海港区总工会"), data, filename, today=TODAY)
        except importer.ImportRefused as refused:
            outcome = refused
        after = count()
        stored = {(m, fen, persons) for m, fen, persons in s.execute(select(IncomeMonth.month, IncomeMonth.income_fen, IncomeMonth.persons))}
        s.rollback()
    return outcome, before, after, stored


def check_outcome(outcome, before, after, stored, rows):
    if isinstance(outcome, importer.ImportRefused):
        assert outcome.problems and all(p.message and p.sheet for p in outcome.problems)
        assert after == before  # refused: nothing written, not even the batch
        return
    created = outcome.counts["月收入"]["created"]
    assert created + outcome.counts["月收入"].get("updated", 0) + outcome.counts["月收入"].get("unchanged", 0) == len(rows)
    assert after["income_month"] == before["income_month"] + created and after["import_batch"] == before["import_batch"] + 1
    assert all(EARLIEST_MONTH <= month <= TODAY for month, _, _ in stored)  # the income screen's rule (core.incomes)
    assert all(0 <= fen and 1 <= persons <= 30 for _, fen, persons in stored)
    for exact, row in rows:
        if exact:  # a row typed right is stored exactly as typed
            month = dt.date.fromisoformat(row["month"] + "-01")
            assert (month, int(Decimal(row["income"]) * 100), row["persons"]) in stored


@SETTINGS
@given(rows=income_rows())
def test_random_income_cells_in_a_workbook_are_refused_at_a_cell_or_imported_as_typed(open_file, rows):
    engine, file_no = open_file
    data = xlsx(INCOMES, [{"file_no": file_no} | r for _, r in rows])
    outcome, before, after, stored = attempt(engine, data, "收入.xlsx")
    check_outcome(outcome, before, after, stored, rows)


ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"])


@SETTINGS
@given(rows=income_rows(ANY_TEXT), encodings=st.lists(ENCODINGS, min_size=1, max_size=3))
def test_random_income_cells_in_a_csv_of_mixed_encodings_are_refused_or_imported_as_typed(open_file, rows, encodings):
    engine, file_no = open_file
    text = write_csv([c.header for c in INCOMES.columns],
                     [[({"file_no": file_no} | r).get(c.key) for c in INCOMES.columns] for _, r in rows]).decode("utf-8-sig")
    lines = text.splitlines(keepends=True)
    # each line in one of the encodings (a file pasted together from several sources)
    data = b"".join(line.encode(encodings[i % len(encodings)], errors="replace") for i, line in enumerate(lines))
    outcome, before, after, stored = attempt(engine, data, "月收入.csv")
    check_outcome(outcome, before, after, stored, rows)  # a file read in the wrong encoding loses its headers: refused


HEAD = {"name": "张三", "id_number": pid(5), "place": "海港区", "main_cause": "下岗失业"}


@SETTINGS
@given(values=st.fixed_dictionaries({key: cells() for key in ("name", "id_number", "place", "main_cause", "mobile", "address",
                                                             "persons", "floor_area", "hard_to_exit", "bank_account")}),
       keep=st.sets(st.sampled_from(["name", "id_number", "place", "main_cause"]), max_size=4),
       refused_at=st.none())
# a cell over its field's limit (core.typed.TEXT_FIELDS): refused under its own column, with the limit, nothing written
@example(values=HEAD | {"address": "海港区文化路" * 50}, keep=set(), refused_at=("家庭住址", "不能超过 255 个字（现为 300 个字）"))
@example(values=HEAD | {"employer": ("秦皇岛市某机械制造有限公司" * 2500)[:30000]}, keep=set(),
         refused_at=("工作单位", "不能超过 128 个字（现为 30,000 个字）"))
def test_random_cells_in_the_household_sheet_are_refused_at_a_cell_or_imported(db_engine, values, keep, refused_at):
    row = values | {k: HEAD[k] for k in keep}
    outcome, before, after, _ = attempt(db_engine, xlsx(HOUSEHOLDS, [row]), "档案.xlsx")
    if refused_at is not None:
        assert isinstance(outcome, importer.ImportRefused) and after == before
        assert [(p.sheet, p.row, p.column) for p in outcome.problems] == [("家庭档案", 2, refused_at[0])]
        assert refused_at[1] in outcome.problems[0].message
    if isinstance(outcome, importer.ImportRefused):
        assert outcome.problems and all(p.message for p in outcome.problems) and after == before
    elif "家庭档案" not in outcome.counts:  # a row blank to the reader (empty, spaces, formulas without a saved value)
        assert after == before
    else:
        assert outcome.counts["家庭档案"]["created"] == 1 and after["household"] == before["household"] + 1

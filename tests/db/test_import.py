"""Importing workbooks on SQLite and PostgreSQL: every error found before anything is written, all or nothing,
scope, batches that undo exactly, CSV in UTF-8 and GB18030."""

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from core.identity import id_check_char
from core.workbook import write_xlsx
from db import importer
from db.engine import reading, transaction
from db.errors import Conflict, OutOfScope
from db.models import AidPayment, AuditLog, DibaoLine, Household, HouseholdCause, ImportBatch, IncomeMonth, Measure, Member, Visit
from tests.db.support import actor_of, add_file

TODAY = dt.date(2026, 11, 29)


def pid(n: int, year: int = 1975) -> str:
    first17 = f"130302{year}0{n % 9 + 1}1{n % 9 + 1}{n:03d}"[:17]
    return first17 + id_check_char(first17)


def family(n: int, **over) -> dict:
    row = {"file_no": f"HG-{n:04d}", "name": f"户主{n}", "id_number": pid(n), "place": "海港区", "filed_on": "2025-03-01",
           "main_cause": "下岗失业", "other_causes": "子女上学；患重特大疾病", "mobile": "13900000000", "hard_to_exit": "否"}
    row.update(over)
    return row


def book(households=(), members=(), incomes=(), **more) -> bytes:
    sheets = {"家庭档案": list(households)}
    if members:
        sheets["家庭成员"] = list(members)
    if incomes:
        sheets["月收入"] = list(incomes)
    sheets.update(more)
    return write_xlsx(sheets, template=True)


def months(file_no: str, n: int = 3) -> list[dict]:
    return [{"file_no": file_no, "month": f"2026-{m:02d}", "income": "1800.50", "persons": 3, "transfer": "300"} for m in range(1, n + 1)]


def snapshot(engine) -> dict:
    with reading(engine) as s:
        return {model.__tablename__: s.scalar(select(func.count()).select_from(model))
                for model in (Household, Member, HouseholdCause, IncomeMonth, Visit, DibaoLine)}


def run(engine, data, actor_org="海港区总工会", name="档案.xlsx", **kw):
    with transaction(engine) as s:
        return importer.run(s, actor_of(s, actor_org), data, name, today=TODAY, **kw)


def test_twenty_households_with_members_and_incomes_import_as_one_batch(db_engine):
    families = [family(n) for n in range(1, 21)]
    members = [{"file_no": "HG-0001", "name": "配偶", "relation": "配偶", "id_number": pid(1, 1978), "monthly_income": "800"}]
    report = run(db_engine, book(families, members, months("HG-0001") + months("HG-0002")))
    assert report.counts["家庭档案"]["created"] == 20 and report.counts["月收入"]["created"] == 6
    with reading(db_engine) as s:
        h = s.scalar(select(Household).where(Household.file_no == "HG-0001"))
        assert (h.status, h.place_code, h.org.name, h.name, h.mobile) == ("active", "130302", "海港区总工会", "户主1", "13900000000")
        assert sorted((c.cause, c.is_main) for c in h.causes) == [("3", True), ("6", False), ("9", False)]
        assert [m.monthly_income_fen for m in h.members] == [80000]
        assert s.scalar(select(func.sum(IncomeMonth.income_fen))) == 6 * 180050
        batch = s.get(ImportBatch, report.batch_id)
        assert batch.filename == "档案.xlsx" and json.loads(batch.counts)["家庭档案"]["created"] == 20
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "import")) == 1


@pytest.mark.parametrize("households, members, incomes, where", [
    ([family(1, id_number="130302197501011110")], [], [], ("家庭档案", 3, "户主身份证号", "校验")),
    ([family(1, place="南京市")], [], [], ("家庭档案", 3, "区县", "南京市")),
    ([family(1, main_cause="没钱")], [], [], ("家庭档案", 3, "主要致困原因", "没钱")),
    ([family(1), family(2, id_number=pid(1))], [], [], ("家庭档案", 4, "户主身份证号", "同一人")),
    ([family(1)], [{"file_no": "HG-0001", "name": "户主1", "relation": "配偶", "id_number": pid(1)}], [], ("家庭成员", 3, "身份证号", "同一人")),
    ([family(1)], [], [{"file_no": "HG-9999", "month": "2026-01", "income": "100", "persons": 1}], ("月收入", 3, "档案编号", "不存在")),
    ([family(1)], [], [{"file_no": "HG-0001", "month": "2026/13", "income": "100", "persons": 1}], ("月收入", 3, "月份", "YYYY-MM")),
    ([family(1)], [], [{"file_no": "HG-0001", "month": "2026-01", "income": "-5", "persons": 1}], ("月收入", 3, "家庭月收入(元)", "负数")),
    ([family(1)], [], months("HG-0001", 1) * 2, ("月收入", 4, "月份", "重复")),
])
def test_each_kind_of_error_is_reported_where_excel_shows_it_and_nothing_is_written(db_engine, households, members, incomes, where):
    before = snapshot(db_engine)
    with pytest.raises(importer.ImportRefused) as caught:
        run(db_engine, book(households, members, incomes))
    sheet, row, column, words = where
    assert any(p.sheet == sheet and p.row == row and p.column == column and words in p.message for p in caught.value.problems), \
        [(p.sheet, p.row, p.column, p.message) for p in caught.value.problems]
    assert snapshot(db_engine) == before


def test_a_file_of_another_district_cannot_be_imported_or_touched(db_engine):
    with transaction(db_engine) as s:
        theirs = add_file(s, 5, org_name="山海关区总工会")
        theirs_no, theirs_id = theirs.file_no, theirs.id_number
    with pytest.raises(importer.ImportRefused) as caught:
        run(db_engine, book([family(1, place="山海关区")]))
    assert "不在您的管辖范围" in caught.value.problems[0].message
    with pytest.raises(importer.ImportRefused) as caught:
        run(db_engine, book([family(2, file_no=theirs_no)]))
    assert "不在您的管辖范围" in caught.value.problems[0].message
    with pytest.raises(importer.ImportRefused) as caught:  # the same person filed there: no second open file
        run(db_engine, book([family(3, id_number=theirs_id)]))
    assert "其他工会" in caught.value.problems[0].message
    with pytest.raises(OutOfScope), transaction(db_engine) as s:
        importer.run(s, actor_of(s, role="viewer"), book([family(4)]), "x.xlsx", today=TODAY)


def test_a_row_that_could_match_two_files_is_refused(db_engine):
    run(db_engine, book([family(1), family(2)]))
    with pytest.raises(importer.ImportRefused) as caught:
        run(db_engine, book([family(1, id_number=pid(2))]))
    assert "可能对应两户" in caught.value.problems[0].message


def test_reimporting_updates_what_changed_and_undo_restores_the_exact_state(db_engine):
    first = run(db_engine, book([family(1), family(2)], [], months("HG-0001")))
    before = snapshot(db_engine)
    with reading(db_engine) as s:
        mobile_before = s.scalar(select(Household.mobile).where(Household.file_no == "HG-0001"))
    second = run(db_engine, book([family(1, mobile="13812345678"), family(3)], [],
                                 [{**months("HG-0001")[0], "income": "2000"}] + months("HG-0003", 2)))
    assert second.counts["家庭档案"] == {"created": 1, "updated": 1, "unchanged": 0}
    assert second.counts["月收入"] == {"created": 2, "updated": 1, "unchanged": 0}
    with transaction(db_engine) as s:
        batch = s.get(ImportBatch, second.batch_id)
        importer.undo(s, actor_of(s), second.batch_id, expected_version=batch.version)
    assert snapshot(db_engine) == before
    with reading(db_engine) as s:
        assert s.scalar(select(Household.mobile).where(Household.file_no == "HG-0001")) == mobile_before
        assert s.scalar(select(func.sum(IncomeMonth.income_fen))) == 3 * 180050
        assert s.scalar(select(Household.id).where(Household.file_no == "HG-0003")) is None
    # undoing twice, or undoing a batch whose rows were edited since, changes nothing
    with pytest.raises(Conflict), transaction(db_engine) as s:
        importer.undo(s, actor_of(s), second.batch_id, expected_version=s.get(ImportBatch, second.batch_id).version)
    with transaction(db_engine) as s:
        h = s.scalar(select(Household).where(Household.file_no == "HG-0002"))
        h.address = "改过的地址"
    with pytest.raises(Conflict), transaction(db_engine) as s:
        importer.undo(s, actor_of(s), first.batch_id, expected_version=s.get(ImportBatch, first.batch_id).version)
    assert snapshot(db_engine) == before


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_a_sheet_saved_as_csv_imports_the_same(db_engine, encoding):
    run(db_engine, book([family(1)]))
    text = "档案编号,月份,家庭月收入(元),家庭人口,其中转移性收入(元)\nHG-0001,2026-01,\"1,200.00\",2,0\nHG-0001,2026-02,1300,2,\n"
    report = run(db_engine, text.encode(encoding), name="月收入.csv")
    assert report.counts["月收入"]["created"] == 2
    with reading(db_engine) as s:
        assert s.scalar(select(func.sum(IncomeMonth.income_fen))) == 250000


def test_a_name_that_looks_like_a_formula_is_kept_as_text(db_engine):
    run(db_engine, book([family(1, name="=HYPERLINK(\"x\")")]))
    with reading(db_engine) as s:
        assert s.scalar(select(Household.name)) == "=HYPERLINK(\"x\")"


def _fingerprint(engine) -> dict:
    """Rows and their versions in every table an import writes: any change moves it."""
    with reading(engine) as s:
        return {model.__tablename__: (s.scalar(select(func.count()).select_from(model)), s.scalar(select(func.sum(model.version))))
                for model in (Household, Member, HouseholdCause, IncomeMonth, Visit, DibaoLine, Measure, AidPayment)}


def test_an_export_imports_back_unchanged(db_engine):
    from db import exporter
    from db.actor import system_actor
    from db.demo import load_demo

    load_demo(db_engine, households=150, seed=3)
    city = system_actor("test")
    with reading(db_engine) as s:
        data = exporter.export_workbook(s, city)
    before = _fingerprint(db_engine)
    with transaction(db_engine) as s:
        report = importer.run(s, city, data, "导出.xlsx", today=TODAY)
    changed = {sheet: c for sheet, c in report.counts.items() if c["created"] or c["updated"]}
    assert report.counts and not changed, changed
    assert report.counts["月收入"]["unchanged"] > 1000
    assert _fingerprint(db_engine) == before

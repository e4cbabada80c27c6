"""Importing workbooks on SQLite and PostgreSQL: every error found before anything is written, all or nothing,
scope, batches that undo exactly, CSV in UTF-8 and GB18030."""

import datetime as dt
import re
import json

import pytest
from sqlalchemy import func, select

from core.identity import id_check_char
from core.workbook import write_xlsx
from db import importer
from db.engine import reading, transaction
from db.errors import Conflict, OutOfScope
from db.models import (
    AidPayment, AssistanceRecord, AuditLog, DibaoLine, Household, HouseholdCause, ImportBatch, ImportChange, IncomeMonth, Measure, Member, ProcessStep,
    StatusChange, Visit,
)
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
        # a new file is 申请中 (it goes through the filing steps); the row's 建档日期 was its 申请 date
        assert (h.status, h.filed_on, h.category, h.place_code, h.org.name, h.name, h.mobile) == (
            "applying", None, None, "130302", "海港区总工会", "户主1", "13900000000")
        assert sorted((c.cause, c.is_main) for c in h.causes) == [("3", True), ("6", False), ("9", False)]
        assert [m.monthly_income_fen for m in h.members] == [80000]
        assert s.scalar(select(func.sum(IncomeMonth.income_fen))) == 6 * 180050
        batch = s.get(ImportBatch, report.batch_id)
        assert batch.filename == "档案.xlsx" and json.loads(batch.counts)["家庭档案"]["created"] == 20
        imports = dict(s.execute(select(AuditLog.entity, func.count()).where(AuditLog.action == "import").group_by(AuditLog.entity)).all())
        assert imports == {"import_batch": 1, "household": 2}  # the batch, and the two files that got members or months


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
    ([family(1, persons="1e20")], [], [], ("家庭档案", 3, "家庭人口", "1–30")),
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
                for model in (Household, Member, HouseholdCause, IncomeMonth, Visit, DibaoLine, Measure, AidPayment, AssistanceRecord)}


@pytest.mark.parametrize("who,sheet_rows", [("city", None), ("海港区 staff", None), ("city", 160)])
def test_an_export_imports_back_unchanged(db_engine, who, sheet_rows):
    import io

    from openpyxl import load_workbook

    from db import exporter
    from db.actor import system_actor
    from demo import load_demo

    load_demo(db_engine, households=150, seed=3)
    with reading(db_engine) as s:
        actor = system_actor("test") if who == "city" else actor_of(s)
        buffer = io.BytesIO()
        exporter.write_workbook(s, actor, buffer, **({"sheet_rows": sheet_rows} if sheet_rows else {}))
        data = buffer.getvalue()
    names = load_workbook(io.BytesIO(data), read_only=True).sheetnames
    incomes = [n for n in names if n.startswith("月收入")]
    assert len(incomes) > 2 and all(re.fullmatch(r"月收入20\d\d" + (r"(-\d+)?" if sheet_rows else ""), n) for n in incomes), incomes
    if sheet_rows:  # a year past the (here forced) limit of a sheet goes on in 月收入2019-2 …, the first being -1
        assert any(n.endswith("-1") for n in incomes) and any(n.endswith("-2") for n in incomes)
        assert {"走访记录-1", "走访记录-2", "家庭档案"} <= set(names)  # any sheet of a file's rows goes on in parts
    else:
        assert {"走访记录", "家庭档案"} <= set(names)
    before = _fingerprint(db_engine)
    with transaction(db_engine) as s:
        report = importer.run(s, actor, data, "导出.xlsx", today=TODAY)
    changed = {sheet: c for sheet, c in report.counts.items() if c["created"] or c["updated"]}
    assert report.counts and not changed, changed
    assert report.counts["月收入"]["unchanged"] > 500
    assert report.counts["救助记录"]["unchanged"] > 10  # every 低保/特困 record keeps its own dates
    assert _fingerprint(db_engine) == before
    with reading(db_engine) as s:  # and so the 解困 proposals of the past stay as they were
        assert s.scalar(select(func.count()).select_from(AssistanceRecord).where(AssistanceRecord.import_batch_id.is_not(None))) == 0


def _records(engine):
    with reading(engine) as s:
        return sorted((r.programme, r.from_on, r.to_on, r.source, r.note) for r in s.scalars(select(AssistanceRecord)))


def test_assistance_records_import_with_their_dates_end_on_a_later_import_and_undo(db_engine):
    dibao = {"file_no": "HG-0001", "programme": "低保", "from_on": "2019-04-01", "to_on": "", "source": "民政部门名单比对"}
    medical = {"file_no": "HG-0001", "programme": "医疗救助", "from_on": "2025-05-06", "to_on": "2025-12-31", "source": ""}
    run(db_engine, book([family(1)], 救助记录=[dibao, medical]))
    assert _records(db_engine) == [("dibao", dt.date(2019, 4, 1), None, "roster", None),
                                   ("medical", dt.date(2025, 5, 6), dt.date(2025, 12, 31), "import", None)]
    # the same record (programme and 起始日期) later ended: updated, not added; its source stays when the cell is empty
    report = run(db_engine, book([], 救助记录=[dibao | {"to_on": "2026-06-30", "source": ""}]))
    assert report.counts["救助记录"] == {"created": 0, "updated": 1, "unchanged": 0}
    assert _records(db_engine)[0] == ("dibao", dt.date(2019, 4, 1), dt.date(2026, 6, 30), "roster", None)
    with transaction(db_engine) as s:
        importer.undo(s, actor_of(s), report.batch_id, expected_version=s.get(ImportBatch, report.batch_id).version)
    assert _records(db_engine)[0] == ("dibao", dt.date(2019, 4, 1), None, "roster", None)


@pytest.mark.parametrize("rows, column, message", [
    ([{"programme": "医疗救助", "from_on": "2020-01-01"}, {"programme": "医疗救助", "from_on": "2021-01-01"}], "起始日期",
     "与第 3 行（医疗救助 2020-01-01 至 今）时间重叠"),
    ([{"programme": "低保", "from_on": "2019-05-01"}], "起始日期", "与档案中已有的记录（低保 2019-04-01 至 今）时间重叠"),
    ([{"programme": "低保边缘", "from_on": "2020-01-01"}], "救助项目", "无法识别"),
    ([{"programme": "低保", "from_on": "2021-01-01", "to_on": "2020-01-01"}], "截止日期", "不能早于起始日期"),
    ([{"programme": "低保", "from_on": ""}], "起始日期", "“起始日期”必填"),
])
def test_assistance_rows_that_break_a_rule_are_refused_at_their_cell(db_engine, rows, column, message):
    run(db_engine, book([family(1)], 救助记录=[{"file_no": "HG-0001", "programme": "低保", "from_on": "2019-04-01"}]))
    before = _records(db_engine)
    with pytest.raises(importer.ImportRefused) as refused:
        run(db_engine, book([], 救助记录=[{"file_no": "HG-0001", **row} for row in rows]))
    assert [(p.sheet, p.column) for p in refused.value.problems] == [("救助记录", column)]
    assert message in refused.value.problems[0].message
    assert _records(db_engine) == before


def test_what_an_import_may_not_change_on_a_file_is_refused_at_its_cell(db_engine):
    run(db_engine, book([family(1)]))
    cases = [
        (family(1, main_cause="患重特大疾病", other_causes="子女上学"), "主要致困原因", "不一致"),
        (family(1, place="山海关区"), "区县", "不一致"),
        (family(7, file_no="HG-NEW", id_number=pid(1)), "档案编号", "该户主已有档案 HG-0001"),
        (family(1, status="已脱困"), "状态", "请在档案中办理"),
        (family(2, org="山海关区总工会"), "所属工会", "不在您的管辖范围"),
        (family(3, file_no="QHD-130302-00A001"), "档案编号", "6位数字"),
    ]
    for row, column, words in cases:
        with pytest.raises(importer.ImportRefused) as caught:
            run(db_engine, book([row]))
        assert any(p.column == column and words in p.message for p in caught.value.problems), (column, caught.value.problems)
    with pytest.raises(importer.ImportRefused) as caught:  # the head again as a member of their own file
        run(db_engine, book([], [{"file_no": "HG-0001", "name": "户主1", "relation": "配偶", "id_number": pid(1)}]))
    assert "户主" in caught.value.problems[0].message


def test_new_files_without_a_number_never_take_one_typed_in_the_same_workbook(db_engine):
    report = run(db_engine, book([family(1, file_no=""), family(2, file_no="QHD-130302-000001"), family(3, file_no="")]))
    assert report.counts["家庭档案"]["created"] == 3
    with reading(db_engine) as s:
        numbers = sorted(s.scalars(select(Household.file_no)))
    assert numbers == ["QHD-130302-000001", "QHD-130302-000002", "QHD-130302-000003"]


def test_a_batch_that_creates_a_file_and_removes_its_cause_can_still_be_undone(db_engine):
    before = _fingerprint(db_engine)
    removed = [{"file_no": "HG-0001", "cause": "子女上学", "removed_on": "2026-06-30"}]
    members = [{"file_no": "HG-0001", "name": "小宝", "relation": "子女"}]  # a young child without an ID number
    report = run(db_engine, book([family(1)], members, 致困原因消除=removed))
    assert report.counts["致困原因消除"]["updated"] == 1 and report.counts["家庭成员"]["created"] == 1
    again = run(db_engine, book([family(1)], members, 致困原因消除=removed))  # the same workbook again: nothing moves
    assert {k: c["created"] + c["updated"] for k, c in again.counts.items()} == {"家庭档案": 0, "家庭成员": 0, "致困原因消除": 0}
    assert again.batch_id is None  # nothing to undo, no batch
    with transaction(db_engine) as s:
        importer.undo(s, actor_of(s), report.batch_id, expected_version=s.get(ImportBatch, report.batch_id).version)
    assert _fingerprint(db_engine) == before


def test_a_visit_or_measure_already_there_takes_the_sheets_later_details(db_engine):
    visit = {"file_no": "HG-0001", "visited_on": "2026-10-08", "visitor": "张帮扶", "kind": "入户走访", "notes": "收入稳定"}
    run(db_engine, book([family(1)], 走访记录=[visit]))
    report = run(db_engine, book([], 走访记录=[visit | {"notes": "收入稳定，配偶已就业"}]))
    assert report.counts["走访记录"] == {"created": 0, "updated": 1, "unchanged": 0}
    with reading(db_engine) as s:
        assert s.scalar(select(Visit.notes)) == "收入稳定，配偶已就业"


def test_files_numbered_by_the_union_are_found_by_their_number(db_engine):
    from db import queries

    run(db_engine, book([family(1), family(2), family(3, file_no="")]))
    with reading(db_engine) as s:
        found, total = queries.search_households(s, actor_of(s), queries.FileFilter(text="hg-00"))
    assert total == 2 and set(found["档案编号"]) == {"HG-0001", "HG-0002"}


def test_each_file_s_own_trail_says_what_an_import_did_to_it(db_engine):
    from db import file_view

    run(db_engine, book([family(1)], [], months("HG-0001")))
    run(db_engine, book([], [], [{**months("HG-0001")[0], "income": "2000"}]))
    with reading(db_engine) as s:
        trail = file_view.file_audit(s, actor_of(s), s.scalar(select(Household).where(Household.file_no == "HG-0001")))
    lines = " ".join(trail["新值"].astype(str))
    assert "月收入新增 3" in lines and "月收入更新 1" in lines


def test_undoing_a_batch_removes_the_assistance_records_it_created_with_its_files(db_engine):
    rows = [{"file_no": "HG-0001", "programme": "特困供养", "from_on": "2020-02-01"},
            {"file_no": "HG-0001", "programme": "临时救助", "from_on": "2021-07-01", "to_on": "2021-07-01"}]
    report = run(db_engine, book([family(1)], 救助记录=rows))
    assert report.counts["救助记录"] == {"created": 2, "updated": 0, "unchanged": 0}
    with transaction(db_engine) as s:
        importer.undo(s, actor_of(s), report.batch_id, expected_version=s.get(ImportBatch, report.batch_id).version)
    assert _records(db_engine) == []
    with reading(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(Household)) == 0


def test_a_workbook_with_the_old_single_safety_net_column_filled_is_refused_with_what_to_do(db_engine):
    from core.workbook import HOUSEHOLDS

    def old_book(net: str) -> bytes:  # a workbook of the earlier format, with its 纳入低保 column
        row = {HOUSEHOLDS.column(k).header: v for k, v in family(1).items()} | {"纳入低保": net}
        return write_xlsx({"家庭档案": [row]}, titles={"家庭档案": list(row)})

    with pytest.raises(importer.ImportRefused) as refused:
        run(db_engine, old_book("低保"))
    assert [(p.sheet, p.row, p.column) for p in refused.value.problems] == [("家庭档案", 2, "纳入低保")]
    assert "救助记录" in refused.value.problems[0].message
    assert run(db_engine, old_book("否")).counts["家庭档案"]["created"] == 1  # 否 or empty: nothing is lost, the column is ignored


# --- new files go through the same controls (issue 10 §6) ----------------------------------------------------------


def _line(engine, yuan: int = 700, place: str = "130302", since: dt.date = dt.date(2015, 1, 1)) -> None:
    with transaction(engine) as s:
        s.add(DibaoLine(place_code=place, effective_from=since, amount_fen=yuan * 100))


def _steps(engine, file_no: str) -> list[tuple]:
    with reading(engine) as s:
        hid = s.scalar(select(Household.id).where(Household.file_no == file_no))
        return [(p.step, p.done_on, p.done_by, p.note) for p in s.scalars(select(ProcessStep).where(ProcessStep.household_id == hid))]


def _history(engine, file_no: str) -> list[tuple]:
    with reading(engine) as s:
        hid = s.scalar(select(Household.id).where(Household.file_no == file_no))
        return [(c.from_status, c.to_status, c.effective_on) for c in s.scalars(select(StatusChange).where(StatusChange.household_id == hid))]


def _everything(engine) -> dict:
    """Rows and versions of every table an import writes, the filing steps and status history included."""
    out = _fingerprint(engine)
    with reading(engine) as s:
        for model in (ProcessStep, StatusChange, ImportChange):
            out[model.__tablename__] = s.scalar(select(func.count()).select_from(model))
    return out


def test_a_new_file_imports_as_applying_and_then_goes_through_the_filing_steps(db_engine):
    from db import households as hh

    _line(db_engine)
    new = family(1, filed_on="")
    report = run(db_engine, book([new, family(2)], [], months("HG-0001", 6)))
    with reading(db_engine) as s:
        h = s.scalar(select(Household).where(Household.file_no == "HG-0001"))
        assert (h.status, h.filed_on, h.category, h.historical_import) == ("applying", None, None, False)
        hid, version = h.id, h.version
    [(step, day, by, note)] = _steps(db_engine, "HG-0001")
    assert (step, day) == ("apply", TODAY) and f"导入批次 {report.batch_id}" in note and by == "海港区总工会staff"
    assert _history(db_engine, "HG-0001") == [(None, "applying", TODAY)]
    assert [(s, d) for s, d, _, _ in _steps(db_engine, "HG-0002")] == [("apply", dt.date(2025, 3, 1))]  # its date: the 申请
    with transaction(db_engine) as s:  # the normal steps follow
        hh.record_step(s, actor_of(s), hid, expected_version=version, step="survey", done_on=TODAY, today=TODAY)
    assert [s for s, *_ in _steps(db_engine, "HG-0001")] == ["apply", "survey"]


def test_an_existing_file_from_another_system_keeps_its_date_is_marked_and_gets_its_category_from_its_incomes(db_engine):
    from core.category import MonthFigures, assess
    from db import worklist

    _line(db_engine)
    old = family(1, status="在档", filed_on="2019-05-01", category="低保边缘户")
    report = run(db_engine, book([old, family(2)], [], months("HG-0001", 6)))
    with reading(db_engine) as s:
        h = s.scalar(select(Household).where(Household.file_no == "HG-0001"))
        expected = assess("national_2016", [MonthFigures(dt.date(2026, m, 1), 180050, 3, 70000) for m in range(1, 7)])
        assert expected.category == "dibao"  # 6 months below the line: 低保户 (the policy's own rule)
        assert (h.status, h.filed_on, h.historical_import) == ("active", dt.date(2019, 5, 1), True)
        assert (h.category, h.category_rule_set, h.category_assessed_on) == ("dibao", "national_2016", TODAY)
        assert h.category_explanation.startswith(expected.explanation())
        assert "原系统填写的困难类别：低保边缘户" in h.category_explanation
        work = worklist.worklist(s, actor_of(s), TODAY)
    [(step, day, by, note)] = _steps(db_engine, "HG-0001")
    assert (step, day, by) == ("imported", TODAY, "海港区总工会staff")
    assert f"导入批次 {report.batch_id}" in note and "2019-05-01" in note and "排除情形待补核查" in note
    assert _history(db_engine, "HG-0001") == [(None, "active", dt.date(2019, 5, 1))]
    queue = worklist.queue_table(work, "checks_missing")
    assert list(queue["档案编号"]) == ["HG-0001"]  # the 申请中 file is checked before its 在档 step, not here
    assert queue["待办说明"][0].startswith("导入的历史档案，尚未核查：拥有两套及以上住房、")
    assert work.counts["checks_missing"] == 1
    from core import codes
    from db.models import ExclusionCheck

    with transaction(db_engine) as s:  # the four checks recorded (as 修改档案 saves them): the file leaves the queue
        hid = s.scalar(select(Household.id).where(Household.file_no == "HG-0001"))
        s.add_all([ExclusionCheck(household_id=hid, exclusion=code, applies=False, source="入户调查", checked_on=TODAY)
                   for code in list(codes.EXCLUSION)[:3]])
    with reading(db_engine) as s:
        assert worklist.queue_table(worklist.worklist(s, actor_of(s), TODAY), "checks_missing")["待办说明"][0].endswith(
            "尚未核查：经常使用机动车辆（非工作需要）")
    with transaction(db_engine) as s:
        s.add(ExclusionCheck(household_id=hid, exclusion="vehicle", applies=False, source="车辆登记查询", checked_on=TODAY))
    with reading(db_engine) as s:
        assert worklist.worklist(s, actor_of(s), TODAY).counts["checks_missing"] == 0


def test_undoing_a_batch_of_new_and_historical_files_restores_exactly(db_engine):
    _line(db_engine)
    run(db_engine, book([family(9)]))
    before = _everything(db_engine)
    report = run(db_engine, book([family(1, status="在档", filed_on="2019-05-01"), family(2, filed_on="")], [], months("HG-0001", 6)))
    assert _everything(db_engine) != before
    with transaction(db_engine) as s:
        importer.undo(s, actor_of(s), report.batch_id, expected_version=s.get(ImportBatch, report.batch_id).version)
    after = _everything(db_engine)
    assert {k: v for k, v in after.items() if k != "import_change"} == {k: v for k, v in before.items() if k != "import_change"}


@pytest.mark.parametrize("row, incomes, column, words", [
    (family(1, status="在档", filed_on="2019-05-01"), [], "状态", "须在“月收入”工作表中附上该户的月收入"),
    (family(1, status="在档", filed_on=""), months("HG-0001", 6), "建档日期", "须填写建档日期"),
    (family(1, status="已脱困"), months("HG-0001", 6), "状态", "新建的档案不能直接是“已脱困”"),
    (family(1, status="在档", filed_on="2019-05-01", place="昌黎县"), months("HG-0001", 6), "状态", "没有生效的低保标准"),
])
def test_a_historical_file_needs_its_date_its_incomes_and_a_line(db_engine, row, incomes, column, words):
    _line(db_engine)  # 海港区 only
    before = snapshot(db_engine)
    with pytest.raises(importer.ImportRefused) as caught, transaction(db_engine) as s:
        importer.run(s, actor_of(s, "秦皇岛市总工会", "admin"), book([row], [], incomes), "x.xlsx", today=TODAY)
    assert any(p.sheet == "家庭档案" and p.column == column and words in p.message for p in caught.value.problems), caught.value.problems
    assert snapshot(db_engine) == before


def test_new_households_are_linked_by_the_heads_id_number_and_numbered_by_the_system(db_engine):
    _line(db_engine)
    head = pid(1)
    members = [{"head_id_number": head, "name": "配偶", "relation": "配偶", "id_number": pid(1, 1978)},
               {"head_id_number": head.lower(), "name": "小宝", "relation": "子女"}]  # a lower-case x, as typed
    incomes = [{k: v for k, v in m.items() if k != "file_no"} | {"head_id_number": head} for m in months("-", 6)]
    visits = [{"head_id_number": head, "visited_on": "2026-10-08", "visitor": "张帮扶", "kind": "入户走访", "notes": "了解情况"}]
    measures = [{"head_id_number": head, "track": "就业创业", "cause": "下岗失业", "content": "推荐岗位", "status": "实施中",
                 "start_on": "2026-10-01"}]
    removed = [{"head_id_number": head, "cause": "子女上学", "removed_on": "2026-06-30"}]
    report = run(db_engine, book([family(1, file_no="", status="在档", filed_on="2019-05-01")], members, incomes,
                                 走访记录=visits, 帮扶措施=measures, 致困原因消除=removed))
    assert report.counts["家庭档案"]["created"] == 1 and report.counts["月收入"]["created"] == 6
    with reading(db_engine) as s:
        h = s.scalar(select(Household))
        assert h.file_no == "QHD-130302-000001" and h.category == "dibao"  # the system's number; its incomes counted
        assert sorted(m.name for m in h.members) == ["小宝", "配偶"]
        assert s.scalar(select(func.count()).select_from(IncomeMonth).where(IncomeMonth.household_id == h.id)) == 6
        assert s.scalar(select(func.count()).select_from(Visit).where(Visit.household_id == h.id)) == 1
        assert s.scalar(select(func.count()).select_from(Measure).where(Measure.household_id == h.id)) == 1
        assert {c.cause: c.removed_on for c in h.causes}["9"] == dt.date(2026, 6, 30)
    # an existing file by its head's number alone; a number and a head that are two households
    report = run(db_engine, book([], [], [{"head_id_number": head, "month": "2026-06", "income": "2000", "persons": 3}]))
    assert report.counts["月收入"] == {"created": 0, "updated": 1, "unchanged": 0}
    run(db_engine, book([family(2)]))
    with pytest.raises(importer.ImportRefused) as caught:
        run(db_engine, book([], [], [{"file_no": "HG-0002", "head_id_number": head, "month": "2026-07", "income": "1", "persons": 1}]))
    assert [(p.row, p.column) for p in caught.value.problems] == [(3, "户主身份证号")] and "不是同一户" in caught.value.problems[0].message
    with pytest.raises(importer.ImportRefused) as caught:  # one household, one month: named once by number, once by head
        run(db_engine, book([], [], [{"file_no": "HG-0002", "month": "2026-07", "income": "1", "persons": 1},
                                     {"head_id_number": pid(2), "month": "2026-07", "income": "1", "persons": 1}]))
    assert [(p.row, p.column) for p in caught.value.problems] == [(4, "月份")]
    with pytest.raises(importer.ImportRefused) as caught:
        run(db_engine, book([], [], [{"head_id_number": pid(3), "month": "2026-07", "income": "1", "persons": 1}]))
    assert "没有对应的申请中或在档档案" in caught.value.problems[0].message


def test_rows_naming_a_refused_household_are_reported_once_per_sheet_with_their_count(db_engine):
    bad = family(9, file_no="T09", place="南京市")  # row 10 of the template (header, explanations, 7 good rows before)
    households = [family(n) for n in range(1, 8)] + [bad]
    incomes = [{"file_no": "T09", "month": f"2025-{m:02d}", "income": "100", "persons": 1} for m in range(1, 13)]
    members = [{"head_id_number": pid(9), "name": "配偶", "relation": "配偶"}]
    ghosts = [{"file_no": "HG-9999", "month": f"2026-0{m}", "income": "100", "persons": 1} for m in range(1, 6)]
    with pytest.raises(importer.ImportRefused) as caught:
        run(db_engine, book(households, members, incomes + ghosts))
    found = [(p.sheet, p.row, p.column, p.message) for p in caught.value.problems]
    assert [f[:3] for f in found] == [("家庭档案", 10, "区县"), ("家庭成员", 3, "户主身份证号"), ("月收入", 3, "档案编号"), ("月收入", 15, "档案编号")]
    assert found[1][3].startswith(f"户主身份证号 {pid(9)} 见 家庭档案 第 10 行（该行有误）")
    assert found[2][3] == "档案编号 T09 见 家庭档案 第 10 行（该行有误）：本表第 3–14 行（共 12 行）属于该户，改正该行后再检查"
    assert found[3][3].startswith("档案编号 HG-9999 不存在") and "第 15–19 行（共 5 行）" in found[3][3]


def _minimal(sheet: str) -> dict:
    """A row that imports, with only what its sheet needs (optional columns left out)."""
    return {
        "家庭档案": {"name": "户主1", "id_number": pid(1), "place": "海港区", "main_cause": "下岗失业"},
        "家庭成员": {"file_no": "T-130302-000001", "name": "配偶", "relation": "配偶"},
        "月收入": {"file_no": "T-130302-000001", "month": "2026-01", "income": "100", "persons": 1},
        "致困原因消除": {"file_no": "T-130302-000001", "cause": "下岗失业", "removed_on": "2026-06-30"},
        "低保标准": {"place": "海港区", "effective_from": "2026-01-01", "amount": "700"},
        "帮扶措施": {"file_no": "T-130302-000001", "track": "送温暖", "content": "慰问", "status": "实施中", "start_on": "2026-10-01"},
        "救助记录": {"file_no": "T-130302-000001", "programme": "低保", "from_on": "2026-01-01"},
        "走访记录": {"file_no": "T-130302-000001", "visited_on": "2026-10-08", "visitor": "张帮扶", "kind": "入户走访", "notes": "了解情况"},
    }[sheet]


def test_the_columns_marked_required_in_the_template_are_exactly_those_the_import_requires(db_engine):
    from core.workbook import SHEETS

    with transaction(db_engine) as s:
        add_file(s, 1)
    for name, spec in SHEETS.items():
        full = {c.key: _minimal(name).get(c.key, "") for c in spec.columns}  # every column there, the optional ones empty
        with transaction(db_engine) as s:
            plan, problems = importer.check(s, actor_of(s, "秦皇岛市总工会", "admin"), write_xlsx({name: [full]}, template=True),
                                            "x.xlsx", today=TODAY)
        assert problems == [], (name, problems)
        for key in _minimal(name):
            with transaction(db_engine) as s:
                _, problems = importer.check(s, actor_of(s, "秦皇岛市总工会", "admin"), write_xlsx({name: [full | {key: ""}]}, template=True),
                                             "x.xlsx", today=TODAY)
            column = spec.column(key)
            needed = column.required or key in spec.either
            assert needed == bool(problems), (name, column.header, problems)  # refused exactly when the template marks it
            if column.required:
                assert [(p.column, p.message) for p in problems] == [(column.header, f"“{column.header}”必填")]


def test_the_migration_marks_files_earlier_imports_created_on_file(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine

    from db.engine import make_engine
    from db.migrate import alembic_config, prepare
    from tests.db.support import add_file

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    prepare(engine)
    with transaction(engine) as s:
        batch = ImportBatch(at=dt.datetime(2026, 11, 1), actor="hg01", org_path="/1/", filename="旧.xlsx", counts="{}")
        s.add(batch)
        s.flush()
        add_file(s, 1, import_batch_id=batch.id)                      # created 在档 by an import, before this change
        add_file(s, 2, import_batch_id=batch.id, status="applying")
        add_file(s, 3)                                                # filed here
    url = engine.url.render_as_string(hide_password=False)
    plain = create_engine(url)  # SQLite rebuilds the table to drop the column: foreign keys off for that
    with plain.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")  # the database as it was before this change
        connection.commit()
    plain.dispose()
    prepare(engine)
    with reading(engine) as s:
        marked = dict(s.execute(select(Household.file_no, Household.historical_import)).all())
    assert marked == {"T-130302-000001": True, "T-130302-000002": False, "T-130302-000003": False}
    engine.dispose()


def _warmth(content: str, **over) -> dict:
    row = {"file_no": "HG-0001", "track": "送温暖", "content": content, "status": "已完成", "start_on": "2026-11-01",
           "end_on": "2026-11-01", "amount": "500", "fund_source": "工会经费", "first_pay_on": "2026-11-01"}
    return row | over


def _payments(engine) -> list[tuple]:
    with reading(engine) as s:
        return s.execute(select(AidPayment.paid_on, AidPayment.amount_fen, AidPayment.import_batch_id)
                         .order_by(AidPayment.id)).all()


def test_a_payment_the_file_already_has_is_refused_at_its_cell_as_the_payment_form_refuses_it(db_engine):
    from db import measures as measures_service

    run(db_engine, book([family(1)]))
    with transaction(db_engine) as s:
        hid = s.scalar(select(Household.id).where(Household.file_no == "HG-0001"))
        measures_service.add_payment(s, actor_of(s), hid, {"amount": "500", "fund_source": "union", "paid_on": dt.date(2026, 11, 1)},
                                     today=TODAY)
    before, payments = _everything(db_engine), _payments(db_engine)
    with pytest.raises(importer.ImportRefused) as caught:
        run(db_engine, book([], 帮扶措施=[_warmth("中秋慰问")]))
    (problem,) = caught.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("帮扶措施", 3, "发放日期")
    assert "2026-11-01 已登记过一笔相同金额、相同资金来源的发放" in problem.message
    assert _everything(db_engine) == before and _payments(db_engine) == payments
    # another amount is another payment
    run(db_engine, book([], 帮扶措施=[_warmth("中秋慰问", amount="600")]))
    assert [p[1] for p in _payments(db_engine)] == [50000, 60000]


def test_two_rows_of_one_workbook_paying_the_same_are_refused_and_nothing_is_written(db_engine):
    before = _everything(db_engine)
    with pytest.raises(importer.ImportRefused) as caught:
        run(db_engine, book([family(1)], 帮扶措施=[_warmth("中秋慰问"), _warmth("春节慰问")]))
    (problem,) = caught.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("帮扶措施", 4, "发放日期")
    assert "与本表第 3 行是同一笔发放" in problem.message
    assert _everything(db_engine) == before and _payments(db_engine) == []
    # the same measure on two rows is one measure, not a twin payment
    report = run(db_engine, book([family(1)], 帮扶措施=[_warmth("中秋慰问"), _warmth("中秋慰问", responsible="张三")]))
    assert report.counts["帮扶措施"] == {"created": 1, "updated": 1, "unchanged": 0} and len(_payments(db_engine)) == 1
    with reading(db_engine) as s:
        assert s.scalar(select(Measure.responsible)) == "张三"  # the later row's details


def test_an_import_of_new_files_and_its_undo_leave_the_audit_chain_whole(db_engine):
    from db.audit import verify_chain

    _line(db_engine)
    report = run(db_engine, book([family(n) for n in range(1, 6)] + [family(6, file_no="", status="在档", filed_on="2019-05-01")],
                                 [], months("HG-0001") + [m | {"file_no": "", "head_id_number": pid(6)} for m in months("-")]))
    with reading(db_engine) as s:
        checked, broken = verify_chain(s)
        assert broken is None and checked == s.scalar(select(func.count()).select_from(AuditLog))
        created = s.scalars(select(AuditLog.entity_id).where(AuditLog.action == "create", AuditLog.entity == "household")).all()
        ids = s.scalars(select(Household.id).order_by(Household.id)).all()
        assert sorted(int(i) for i in created) == ids and len(ids) == 6  # each new file's creation is in its own trail
        batch = s.get(ImportBatch, report.batch_id)
    with transaction(db_engine) as s:
        importer.undo(s, actor_of(s), batch.id, expected_version=batch.version)
    with reading(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(Household)) == 0
        checked, broken = verify_chain(s)
        assert broken is None and checked == s.scalar(select(func.count()).select_from(AuditLog))


def test_a_workbook_with_incomes_split_by_year_imports_and_each_problem_names_its_own_sheet(db_engine):
    split = {"月收入2025": [dict(m, month=m["month"].replace("2026", "2025")) for m in months("HG-0001", 2)],
             "月收入2026-1": months("HG-0001", 2), "月收入2026-2": months("HG-0002", 1)}
    # HG-0001 2026-01 again on row 3 of 月收入2026-2 too: the same row number as the first, on another sheet
    wrong = {**split, "月收入2026-2": [months("HG-0001", 1)[0]] + months("HG-0002", 1) + [{**months("HG-0009", 1)[0]}]}
    with transaction(db_engine) as s:
        _, problems = importer.check(s, actor_of(s), book([family(1), family(2)], **wrong), "档案.xlsx", today=TODAY)
    # the same month of one file on two sheets, and a file that exists nowhere: on 月收入2026-2, with its own rows
    assert [(p.sheet, p.row) for p in problems] == [("月收入2026-2", 3), ("月收入2026-2", 5)]
    assert "与工作表“月收入2026-1”第 3 行重复" in problems[0].message and "HG-0009" in problems[1].message
    report = run(db_engine, book([family(1), family(2)], **split))
    assert report.counts["月收入"]["created"] == 5  # every 月收入 sheet, read as one table

"""Excel out: the workbook (values as a person types them), scope and roles, formula-proof cells, the ledgers, the CLI."""

from __future__ import annotations

import datetime as dt
import io
import os
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core import codes
from core.workbook import SHEETS, YES_NO, read_file
from db import exporter
from db.actor import system_actor
from demo import load_demo
from db.engine import reading, transaction
from db.errors import OutOfScope
from db.models import (AidPayment, DibaoLine, Household, HouseholdCause, IncomeMonth, Measure, Member, Org, Pairing, StatusChange,
                       Visit)
from tests.db.support import actor_of, add_file
from tests.db.test_manage import run

TODAY = dt.date(2026, 6, 30)


def _book(data: bytes):
    return load_workbook(io.BytesIO(data))


def _template_headers(sheet: str) -> list[str]:
    return [c.header + (" *" if c.required else "") for c in SHEETS[sheet].columns]


def _one_full_file(session) -> Household:
    """A 海港区 file with something on every sheet: a member, a removed cause, incomes, a measure, a visit, a line."""
    h = add_file(session, 1, causes=("3", "9"), category="dibao", key_group="migrant_worker", hard_to_exit=True,
                 assistance=[("dibao", dt.date(2025, 12, 1)), ("temporary", dt.date(2026, 1, 10), dt.date(2026, 3, 31))],
                 floor_area_dm2=6550, mobile="13812345678",
                 ethnicity="11", single_parent=True)
    session.scalar(select(HouseholdCause).where(HouseholdCause.household_id == h.id, HouseholdCause.cause == "9")).removed_on = dt.date(2026, 3, 1)
    session.add(Member(household_id=h.id, name="王小明", relation="child", id_number="130302201001010014", health="chronic",
                       monthly_income_fen=123450, identity="student"))
    session.add(DibaoLine(place_code="130302", effective_from=dt.date(2025, 1, 1), amount_fen=64000))
    session.add(Measure(household_id=h.id, track="employment", cause="3", content="推荐上岗", status="in_progress",
                        start_on=dt.date(2026, 2, 1), responsible="李帮", amount_fen=50000, fund_source="union",
                        pay_every="once", first_pay_on=dt.date(2026, 2, 10), pay_count=1))
    session.add(Visit(household_id=h.id, visited_on=dt.date(2026, 4, 2), visitor="李帮", kind="home", notes="入户核实收入"))
    session.add(IncomeMonth(household_id=h.id, month=dt.date(2026, 3, 1), income_fen=180005, persons=2, transfer_fen=30000))
    session.flush()
    return h


def test_the_workbook_has_every_sheet_with_the_template_headers_and_values_as_typed(db_engine):
    with transaction(db_engine) as s:
        _one_full_file(s)
        staff = actor_of(s)
        data = exporter.export_workbook(s, staff)

    book = _book(data)
    # 月收入 is a sheet per year (a province's months pass one sheet's limit), read back as one table
    assert book.sheetnames == ["月收入2026" if name == "月收入" else name for name in SHEETS]
    for name in book.sheetnames:
        assert [c.value for c in book[name][1]] == _template_headers(name.removesuffix("2026")), name

    sheets, problems = read_file(data, "export.xlsx")  # what the import reads: nothing refused, nothing lost
    assert problems == []
    rows = {name: [values for _, values in sheet.rows] for name, sheet in sheets.items()}
    head = rows["家庭档案"][0]
    assert {k: head[k] for k in ("file_no", "name", "place", "org", "filed_on", "status", "persons", "category", "main_cause",
                                 "other_causes", "key_group", "hard_to_exit", "floor_area", "ethnicity",
                                 "single_parent", "zero_employment", "mobile")} == {
        "file_no": "T-130302-000001", "name": "户主1", "place": "海港区", "org": "海港区总工会", "filed_on": "2026-01-05",
        "status": "在档", "persons": 2, "category": "低保户", "main_cause": "下岗失业", "other_causes": "子女上学",
        "key_group": "城市困难农民工", "hard_to_exit": "是", "floor_area": "65.5", "ethnicity": "满族",
        "single_parent": "是", "zero_employment": "否", "mobile": "13812345678"}
    assert re.fullmatch(r"\d{17}[\dX]", head["id_number"])  # the full number: staff may see files
    assert rows["家庭成员"] == [{"file_no": "T-130302-000001", "head_id_number": None, "name": "王小明", "relation": "子女", "id_number": "130302201001010014",
                              "health": "患慢性病", "monthly_income": "1234.50", "identity": "学生"}]
    assert rows["月收入"] == [{"file_no": "T-130302-000001", "head_id_number": None, "month": "2026-03", "income": "1800.05", "persons": 2, "transfer": "300.00"}]
    assert rows["致困原因消除"] == [{"file_no": "T-130302-000001", "head_id_number": None, "cause": "子女上学", "removed_on": "2026-03-01"}]
    assert rows["低保标准"] == []  # the city's lines: in an administrator's export only (the import takes them from admins)
    with reading(db_engine) as s:
        admin_rows = exporter.workbook_rows(s, actor_of(s, "秦皇岛市总工会", role="admin"))
    assert admin_rows["低保标准"] == [{"place": "海港区", "effective_from": "2025-01-01", "amount": "640.00"}]
    assert rows["帮扶措施"] == [{"file_no": "T-130302-000001", "head_id_number": None, "track": "就业创业", "programme": None, "cause": "下岗失业",
                              "content": "推荐上岗", "status": "实施中", "start_on": "2026-02-01", "end_on": None, "responsible": "李帮",
                              "amount": "500.00", "fund_source": "工会经费", "first_pay_on": "2026-02-10"}]
    assert rows["走访记录"] == [{"file_no": "T-130302-000001", "head_id_number": None, "visited_on": "2026-04-02", "visitor": "李帮", "kind": "入户走访",
                              "notes": "入户核实收入"}]
    # 纳入政府救助体系: every record with its own dates (an open one has no 截止日期)
    assert rows["救助记录"] == [
        {"file_no": "T-130302-000001", "head_id_number": None, "programme": "低保", "from_on": "2025-12-01", "to_on": None, "source": "手工录入", "note": None},
        {"file_no": "T-130302-000001", "head_id_number": None, "programme": "临时救助", "from_on": "2026-01-10", "to_on": "2026-03-31", "source": "手工录入",
         "note": None}]


def test_demo_files_export_as_labels_yuan_and_dates_a_person_would_type(db_engine):
    load_demo(db_engine, households=40, seed=11)
    with reading(db_engine) as s:
        sheets = exporter.workbook_rows(s, system_actor("test"))
        assert len(sheets["家庭档案"]) == len(s.scalars(select(Household.id)).all())
        assert len(sheets["家庭成员"]) == len(s.scalars(select(Member.id)).all())
    money = {"monthly_income", "income", "transfer", "amount"}
    dates = {"filed_on", "removed_on", "effective_from", "start_on", "end_on", "first_pay_on", "visited_on", "from_on", "to_on"}
    for name, rows in sheets.items():
        assert rows, name
        for column in SHEETS[name].columns:
            values = {row.get(column.key, "") for row in rows} - {""}  # 户主身份证号 of other sheets: not exported (the number is there)
            if column.choices is YES_NO:
                assert values <= {"是", "否"}, column.header
            elif column.choices:
                assert values <= set(column.choices.values()), column.header  # labels, never codes
            elif column.key in money:
                assert all(re.fullmatch(r"\d+\.\d\d", v) for v in values), column.header
            elif column.key in dates:
                assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", v) for v in values), column.header
    assert all(re.fullmatch(r"\d{4}-\d\d", row["month"]) for row in sheets["月收入"])
    labels = set(codes.CAUSE.values())
    assert all(set(row["other_causes"].split("；")) <= labels for row in sheets["家庭档案"] if row["other_causes"])


def test_a_district_user_exports_only_the_files_of_their_union_tree(db_engine):
    load_demo(db_engine, households=60, seed=7)
    with reading(db_engine) as s:
        harbour = actor_of(s, "海港区总工会")
        subtree = set(s.scalars(select(Household.file_no).join(Org, Org.id == Household.org_id)
                                .where(Org.path.startswith(harbour.org_path))))
        everyone = set(s.scalars(select(Household.file_no)))
        sheets = exporter.workbook_rows(s, harbour)
        ledgers = {title: ledger(s, harbour, TODAY)[1] for title, ledger in exporter.LEDGERS.items()}
    assert subtree and subtree < everyone
    assert {row["file_no"] for row in sheets["家庭档案"]} == subtree
    assert {row["place"] for row in sheets["家庭档案"]} == {"海港区"}
    for name in ("家庭成员", "月收入", "致困原因消除", "帮扶措施", "走访记录", "救助记录"):
        assert sheets[name] and {row["file_no"] for row in sheets[name]} <= subtree, name
    assert {row["档案编号"] for row in ledgers[exporter.FILES_LEDGER]} == subtree
    assert {row["档案编号"] for row in ledgers[exporter.MEASURES_LEDGER]} <= subtree
    assert {row["档案编号"] for row in ledgers[exporter.PAYMENTS_LEDGER]} <= subtree
    assert {row["范围"] for row in ledgers[exporter.PROGRESS_TABLE]} == {"海港区总工会", "海港区"}  # the scope is the union, not the city


@pytest.mark.parametrize("text", ["=1+1", "@SUM(A1)", "+86 1", "-2+3"])
def test_formula_looking_text_stays_text_in_xlsx_and_is_prefixed_in_csv(db_engine, text):
    with transaction(db_engine) as s:
        h = add_file(s, 2)
        h.name = text
        s.add(Visit(household_id=h.id, visited_on=dt.date(2026, 2, 1), visitor="李帮", kind="home", notes=text))
        s.flush()
        staff = actor_of(s)
        workbook = exporter.export_workbook(s, staff)
        sheet_csv = exporter.workbook_sheet_csv(s, staff, "走访记录").decode("utf-8-sig")
        table = exporter.files_ledger(s, staff)
        ledger_book = _book(exporter.ledger_xlsx(exporter.FILES_LEDGER, table))
        ledger_csv = exporter.ledger_csv(table)

    book = _book(workbook)
    for cell in (book["家庭档案"]["B2"], book["走访记录"]["F2"], ledger_book[exporter.FILES_LEDGER]["B2"]):
        assert (cell.value, cell.data_type) == (text, "s")  # text, never a formula Excel would run
    assert ledger_csv.startswith("\ufeff".encode())  # UTF-8 with BOM: Excel in China opens it as UTF-8
    assert f",'{text}," in ledger_csv.decode("utf-8-sig") and f"'{text}" in sheet_csv


def test_viewers_and_analysts_get_the_progress_table_but_no_rows_of_files(db_engine):
    with transaction(db_engine) as s:
        add_file(s, 3, filed_on=dt.date(2017, 6, 1))
        for role in ("viewer", "analyst"):
            actor = actor_of(s, role=role)
            for refused in (exporter.workbook_rows, exporter.export_workbook, exporter.files_ledger, exporter.measures_ledger,
                            exporter.payments_ledger):
                with pytest.raises(OutOfScope, match="不能导出档案明细"):
                    refused(s, actor)
            headers, rows = exporter.progress_table(s, actor, TODAY)
            assert "身份证号" not in headers and {r["范围"] for r in rows} == {"海港区总工会", "海港区"}
            assert _book(exporter.ledger_xlsx(exporter.PROGRESS_TABLE, (headers, rows))).sheetnames == [exporter.PROGRESS_TABLE]


def _exit(session, h: Household, to_status: str, on: dt.date) -> None:
    h.status = to_status
    session.add(StatusChange(household_id=h.id, from_status="active", to_status=to_status, effective_on=on, recorded_by="test"))


def test_the_progress_table_counts_each_district_against_the_cumulative_targets(db_engine):
    # the default targets: 50 % of the 2017-12-31 cohort out by the end of 2018, 90 % by 2019, 100 % by 2020
    with transaction(db_engine) as s:
        harbour = [add_file(s, n, filed_on=dt.date(2017, 6, 1)) for n in range(10, 14)]
        add_file(s, 14, filed_on=dt.date(2018, 3, 1))  # filed after the baseline (新增): not in the cohort
        add_file(s, 15, org_name="山海关区总工会", filed_on=dt.date(2017, 6, 1))
        _exit(s, harbour[0], "exited", dt.date(2018, 5, 1))
        _exit(s, harbour[1], "relieved", dt.date(2018, 11, 30))
        _exit(s, harbour[2], "exited", dt.date(2019, 7, 1))
        s.flush()
        headers, rows = exporter.progress_table(s, system_actor("test"), TODAY)
    got = {(r["范围"], r["年份"]): (r["基数"], r["累计目标户数"], r["累计完成户数"], r["完成率%"], r["差距户数"]) for r in rows}
    assert got[("海港区", 2018)] == (4, 2, 2, 100.0, 0)
    assert got[("海港区", 2019)] == (4, 4, 3, 75.0, 1)
    assert got[("山海关区", 2019)] == (1, 1, 0, 0.0, 1)
    assert got[("全市", 2020)] == (5, 5, 3, 60.0, 2)
    assert headers[:3] == ["范围", "年份", "基数"]


def test_the_progress_table_takes_the_withdrawn_out_of_the_base_keeps_the_reopened_and_shows_new_files(db_engine):
    def change(h, to_status, on, reason=None):
        h.status = to_status
        s.add(StatusChange(household_id=h.id, from_status=None, to_status=to_status, effective_on=on, reason=reason, recorded_by="test"))

    with transaction(db_engine) as s:
        out, withdrawn, reopened = (add_file(s, n, filed_on=dt.date(2017, 6, 1)) for n in (20, 21, 22))
        new = add_file(s, 23, filed_on=dt.date(2018, 3, 1))
        change(out, "exited", dt.date(2018, 5, 1))
        change(withdrawn, "withdrawn", dt.date(2018, 9, 1), "misidentified")  # 识别不准: leaves the base that day
        change(reopened, "exited", dt.date(2018, 6, 1))
        change(reopened, "active", dt.date(2019, 2, 1), "reopened")           # 返困: in the base, not out
        change(new, "exited", dt.date(2019, 9, 1))
        s.flush()
        headers, rows = exporter.progress_table(s, system_actor("test"), TODAY)
    got = {(r["范围"], r["年份"]): r for r in rows}
    keys = ("基数", "已退出户数", "返困户数", "累计目标户数", "累计完成户数", "差距户数", "当年新增户数", "当年解困脱困户数",
            "年末新增在册户数", "年末已解困脱困户数", "年末解困脱困占比%")
    assert [got[("海港区", 2018)][k] for k in keys] == [2, 1, 0, 1, 2, 0, 1, 0, 1, 0, 0.0]
    assert [got[("海港区", 2019)][k] for k in keys] == [2, 1, 1, 2, 1, 1, 0, 1, 1, 1, 100.0]
    assert [got[("全市", 2020)][k] for k in keys] == [2, 1, 1, 2, 1, 1, 0, 0, 1, 1, 100.0]
    assert isinstance(got[("海港区", 2019)]["已退出户数"], int)  # counts are whole numbers in the sheet


def test_the_progress_table_shows_the_figures_of_the_dashboard(sqlite_engine, monkeypatch):
    import streamlit as st

    from tests.screens.conftest import COOKIE_KEY, app_as, make_user

    monkeypatch.setenv("JIEKUN_DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("JIEKUN_COOKIE_KEY", COOKIE_KEY)
    st.cache_data.clear()
    st.cache_resource.clear()
    load_demo(sqlite_engine, households=200, seed=5)
    make_user(sqlite_engine, "viewer1", "viewer")
    at = app_as("viewer1").run()
    at.switch_page("screens/dashboard.py").run()
    shown = at.dataframe[0].value  # 各区县分年度目标与完成
    st.cache_data.clear()
    st.cache_resource.clear()

    with reading(sqlite_engine) as s:
        viewer = actor_of(s, "秦皇岛市总工会", role="viewer")
        table = exporter.progress_table(s, viewer)
    book = _book(exporter.ledger_xlsx(exporter.PROGRESS_TABLE, table))
    cells = [[c.value for c in row] for row in book[exporter.PROGRESS_TABLE].iter_rows()]
    assert cells[0] == list(shown.columns)
    expected = [[None if v != v else v for v in row] for row in shown.itertuples(index=False)]  # NaN: an empty cell
    assert cells[1:] == expected and len(expected) > 3


def test_the_ledgers_hold_one_row_per_file_measure_and_payment_made(db_engine):
    with transaction(db_engine) as s:
        h = _one_full_file(s)
        s.add(Pairing(household_id=h.id, helper_name="李帮", helper_unit="海港区总工会", start_on=dt.date(2026, 1, 10)))
        measure = s.scalar(select(Measure))
        s.add(AidPayment(household_id=h.id, measure_id=measure.id, track="employment", amount_fen=50000, fund_source="union",
                         paid_on=dt.date(2026, 2, 10)))
        s.add(AidPayment(household_id=h.id, track="warmth", amount_fen=80050, fund_source="donation", paid_on=dt.date(2026, 1, 20),
                         note="春节慰问金"))
        s.add(AidPayment(household_id=h.id, track="warmth", amount_fen=30000, fund_source="union", paid_on=dt.date(2026, 12, 1)))
        s.flush()
        staff = actor_of(s)
        files = exporter.files_ledger(s, staff, TODAY)[1]
        measures = exporter.measures_ledger(s, staff, TODAY)[1]
        headers, payments = exporter.payments_ledger(s, staff, TODAY)
        book = _book(exporter.ledger_xlsx(exporter.PAYMENTS_LEDGER, (headers, payments)))

    assert files == [{"档案编号": "T-130302-000001", "户主姓名": "户主1", "身份证号": h.id_number, "区县": "海港区",
                      "所属工会": "海港区总工会", "困难类别": "低保户", "主要致困原因": "下岗失业", "状态": "在档",
                      "建档日期": dt.date(2026, 1, 5), "帮扶责任人": "李帮", "最近走访日期": dt.date(2026, 4, 2)}]
    assert [(m["措施类别"], m["状态"], str(m["每次金额(元)"]), str(m["已发放(元)"])) for m in measures] == [("就业创业", "实施中", "500.00", "500.00")]
    # the payment dated after today is still planned, not paid
    assert [(p["发放日期"], p["资金来源"], str(p["金额(元)"]), p["备注"]) for p in payments] == [
        (dt.date(2026, 1, 20), "社会捐赠", "800.50", "春节慰问金"), (dt.date(2026, 2, 10), "工会经费", "500.00", "")]
    amounts = [row[headers.index("金额(元)")].value for row in book[exporter.PAYMENTS_LEDGER].iter_rows(min_row=2)]
    assert amounts == [800.5, 500]  # numbers Excel can add up


def test_the_command_line_writes_the_export_and_refuses_bad_input(tmp_path):
    db = tmp_path / "export.db"
    assert run(db, "init").returncode == 0
    assert run(db, "demo", "--households", "30", "--seed", "3").returncode == 0
    out = tmp_path / "all.xlsx"
    done = run(db, "export", "--out", str(out), "--as-system")
    assert done.returncode == 0, done.stderr
    names = _book(out.read_bytes()).sheetnames
    assert names[:2] == ["家庭档案", "家庭成员"] and names[-5:] == list(SHEETS)[3:]
    assert names[2:-5] and all(re.fullmatch(r"月收入20\d\d", n) for n in names[2:-5])  # a sheet per year
    assert "系统（导出 --as-system）" in done.stdout and "正在导出“月收入20" in done.stdout
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".part"] == []  # written beside, renamed when complete
    # a file that cannot be written: a Chinese message, exit 2, no traceback and nothing left behind
    missing = run(db, "export", "--out", str(tmp_path / "no-such-dir" / "all.xlsx"), "--as-system")
    assert missing.returncode == 2 and "无法写入文件" in missing.stderr and "Traceback" not in missing.stderr
    (tmp_path / "locked").mkdir(mode=0o500)
    if os.geteuid() != 0:  # root writes anywhere
        locked = run(db, "export", "--out", str(tmp_path / "locked" / "all.xlsx"), "--as-system")
        assert locked.returncode == 2 and "无法写入文件" in locked.stderr
    full = run(db, "export", "--out", "/dev/full", "--as-system")  # the disk full, as /dev/full makes it
    assert full.returncode == 2 and "Traceback" not in full.stderr, full.stderr
    table = tmp_path / "progress.csv"
    done = run(db, "export", "--what", "进度表", "--csv", "--out", str(table), "--as-system")
    assert done.returncode == 0, done.stderr
    assert table.read_text(encoding="utf-8-sig").startswith("范围,年份,基数,")

    bad = run(db, "export", "--what", "台账", "--out", str(tmp_path / "x.xlsx"), "--as-system")
    assert bad.returncode == 2 and "--what 应为" in bad.stderr and not (tmp_path / "x.xlsx").exists()
    assert run(db, "create-user", "boss", "--name", "王管理", "--role", "admin", "--password-stdin", stdin="admin-pass-1\n").returncode == 0
    assert run(db, "create-user", "look", "--name", "看板", "--role", "viewer", "--password-stdin", stdin="viewer-pass-1\n").returncode == 0
    refused = run(db, "export", "--what", "档案台账", "--user", "look", "--out", str(tmp_path / "files.xlsx"))
    assert refused.returncode == 2 and "不能导出档案明细" in refused.stderr
    unknown = run(db, "export", "--user", "nobody", "--out", str(tmp_path / "y.xlsx"))
    assert unknown.returncode == 2 and "找不到用户" in unknown.stderr


def test_a_sheet_that_cannot_be_split_past_a_sheets_limit_is_refused_in_chinese(db_engine):
    from core.workbook import WorkbookTooLarge

    load_demo(db_engine, households=30, seed=2)
    with reading(db_engine) as s:
        with pytest.raises(WorkbookTooLarge, match="“家庭档案”超过 10 行，超出一个 Excel 工作表的容量：请按区县分别导出"):
            exporter.write_workbook(s, system_actor("test"), io.BytesIO(), sheet_rows=10)  # the limit forced down to 10
        # the CSV of one sheet has no limit: every year's months in one file
        csv = exporter.workbook_sheet_csv(s, system_actor("test"), "月收入").decode("utf-8-sig").splitlines()
        assert len(csv) - 1 == s.scalar(select(func.count()).select_from(IncomeMonth)) and csv[0].startswith("档案编号,")

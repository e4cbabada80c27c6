"""Excel导入导出 under AppTest: a workbook with a mistyped ID is refused with the cell named, fixed, imported, undone."""

from sqlalchemy import func, select

from core.workbook import write_xlsx
from db.engine import reading
from db.models import Household
from tests.db.test_import import family, pid
from tests.screens.conftest import app_as, assert_ok, make_user
from tests.screens.ticks import tick, ticked

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _texts(at) -> str:
    kinds = ("markdown", "caption", "error", "warning", "success", "info")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def test_a_mistyped_id_is_named_then_the_fixed_workbook_imports_and_can_be_undone(app_db):
    make_user(app_db, "hgstaff", "staff", "海港区总工会")
    families = [family(n) for n in range(1, 21)]
    wrong = [dict(f) for f in families]
    wrong[6]["id_number"] = wrong[6]["id_number"][:-1] + ("0" if wrong[6]["id_number"][-1] != "0" else "1")

    at = app_as("hgstaff").run()
    at.switch_page("screens/excel.py").run()
    assert_ok(at)
    at.file_uploader(key="ex_file_0").set_value(("困难户.xlsx", write_xlsx({"家庭档案": wrong}, template=True), XLSX)).run()
    assert_ok(at)
    assert "没有导入任何数据" in _texts(at)
    problems = at.dataframe[0].value
    assert list(problems.iloc[0][["工作表", "行", "列"]]) == ["家庭档案", 9, "户主身份证号"]  # row 9: header, explanations, 7th family
    with reading(app_db) as s:
        assert s.scalar(select(func.count()).select_from(Household)) == 0

    at.file_uploader(key="ex_file_0").set_value(("困难户.xlsx", write_xlsx({"家庭档案": families}, template=True), XLSX)).run()
    assert "检查通过：共 20 行数据" in _texts(at)
    at.button(key="ex_go").click().run()
    assert_ok(at)
    assert "导入完成" in _texts(at) and "家庭档案：新增 20" in _texts(at)
    with reading(app_db) as s:
        assert s.scalar(select(func.count()).select_from(Household).where(Household.id_number == pid(7))) == 1

    batches = at.dataframe[0].value
    assert batches.iloc[0]["文件"] == "困难户.xlsx" and batches.iloc[0]["状态"] == "有效"
    tick(at, "ex_batches", [0])
    assert "撤销批次 1（困难户.xlsx，" in _texts(at)  # the batch the button will undo, named above it
    at.button(key="ex_undo").click().run()
    assert_ok(at)
    assert "已撤销批次" in _texts(at)
    assert ticked(at, "ex_batches") == []  # the undone batch is no longer selected
    with reading(app_db) as s:
        assert s.scalar(select(func.count()).select_from(Household)) == 0


def test_an_xls_workbook_saved_by_a_spreadsheet_program_is_accepted_on_the_page(app_db):
    from pathlib import Path

    make_user(app_db, "cityadmin", "admin")
    data = (Path(__file__).resolve().parents[1] / "fixtures" / "spreadsheet-sample.xls").read_bytes()  # saved by LibreOffice
    at = app_as("cityadmin").run()
    at.switch_page("screens/excel.py").run()
    at.file_uploader(key="ex_file_0").set_value(("老系统导出.xls", data, "application/vnd.ms-excel")).run()
    assert_ok(at)
    assert "检查通过：共 3 行数据" in _texts(at)
    at.button(key="ex_go").click().run()
    assert_ok(at)
    assert "家庭档案：新增 2" in _texts(at) and "低保标准：新增 1" in _texts(at)
    with reading(app_db) as s:
        assert sorted(s.scalars(select(Household.name))) == ["样例户一", "样例户二"]


def test_a_file_from_another_system_imports_marked_and_waits_in_the_checks_queue(app_db):
    from tests.db.test_import import months

    make_user(app_db, "cityadmin", "admin")
    data = write_xlsx({"家庭档案": [family(1, status="在档", filed_on="2019-05-01"), family(2, filed_on="")],
                       "月收入": months("HG-0001", 6),
                       "低保标准": [{"place": "海港区", "effective_from": "2015-01-01", "amount": "700"}]}, template=True)
    at = app_as("cityadmin").run()
    at.switch_page("screens/excel.py").run()
    at.file_uploader(key="ex_file_0").set_value(("老系统.xlsx", data, XLSX)).run()
    at.button(key="ex_go").click().run()
    assert_ok(at)
    assert "家庭档案：新增 2" in _texts(at)

    home = app_as("cityadmin").run()  # the home page lists the new queue with its count
    assert_ok(home)
    assert "**待补核查：1 户**" in [link.label for link in home.get("page_link")]
    assert "申请中（尚未在档）：1 户" in _texts(home)
    page = app_as("cityadmin").run()
    page.switch_page("screens/household.py")
    page.query_params["file"] = "HG-0001"
    page.run()
    assert_ok(page)
    text = _texts(page)
    assert "**导入的历史档案**" in text and "建档日期 2019-05-01" in text and "困难类别：**低保户**" in text
    assert "本档案是导入的历史档案，未经本系统的建档步骤" in text and "四项都核查后才能在档" not in text


def test_the_workbook_export_is_made_into_a_file_then_offered_and_audited(app_db):
    import os

    from core.workbook import read_file
    from db.models import AuditLog, Org
    from demo import load_demo

    load_demo(app_db, households=30, seed=5)
    make_user(app_db, "hgstaff", "staff", "海港区总工会")
    at = app_as("hgstaff").run()
    at.switch_page("screens/excel.py").run()
    assert not [b for b in at.get("download_button") if "下载档案数据工作簿" in str(b.proto.label)]  # nothing made yet
    at.button(key="ex_workbook_make").click().run()
    assert_ok(at)
    path, rows = at.session_state["ex_workbook"]
    try:
        assert [b for b in at.get("download_button") if f"下载档案数据工作簿（{rows:,} 行" in str(b.proto.label)]
        sheets, problems = read_file(open(path, "rb").read(), "档案数据.xlsx")  # streamed to a file: the import reads it back
        assert problems == [] and sheets["月收入"].rows
        with reading(app_db) as s:
            path_of = s.scalar(select(Org.path).where(Org.name == "海港区总工会"))
            harbour = s.scalar(select(func.count()).select_from(Household).join(Org, Org.id == Household.org_id)
                               .where(Org.path.startswith(path_of)))
            assert len(sheets["家庭档案"].rows) == harbour
            assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "export", AuditLog.actor == "hgstaff")) == 1
        assert os.stat(path).st_mode & 0o077 == 0  # the files of a district, readable by the server's user only
    finally:
        os.unlink(path)

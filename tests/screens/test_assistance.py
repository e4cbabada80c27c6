"""纳入政府救助体系 on 一户一档 under AppTest: a record added (a missing date refused at its field), then ended."""

import datetime as dt

from sqlalchemy import select

from db.engine import reading, transaction
from db.models import AssistanceRecord, AuditLog
from tests.db.support import add_file
from tests.screens.conftest import app_as, assert_ok, make_user

TODAY = dt.date.today()


def _texts(at) -> str:
    kinds = ("markdown", "caption", "error", "warning", "success", "info")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def test_adding_and_ending_an_assistance_record_on_the_file_page(app_db):
    make_user(app_db, "hgstaff", "staff", "海港区总工会")
    with transaction(app_db) as s:
        household = add_file(s, 1, filed_on=TODAY - dt.timedelta(days=400))
        hid, file_no = household.id, household.file_no
    at = app_as("hgstaff").run()
    at.switch_page("screens/household.py")
    at.query_params["file"] = file_no
    at.run()
    assert_ok(at)
    assert "还没有救助记录。" in _texts(at)

    at.selectbox(key="ar_programme").set_value("dibao")
    at.button(key="FormSubmitter:ar_add-新增救助记录").click().run()  # no 起始日期: refused at the field
    assert_ok(at)
    assert any("请填写起始日期" in e.value for e in at.error)
    with reading(app_db) as s:
        assert s.scalars(select(AssistanceRecord)).all() == []

    since = TODAY - dt.timedelta(days=90)
    at.date_input(key="ar_from").set_value(since)
    at.selectbox(key="ar_source").set_value("survey")
    at.text_input(key="ar_note").input("民政局批复")
    at.button(key="FormSubmitter:ar_add-新增救助记录").click().run()
    assert_ok(at)
    assert f"已新增救助记录：低保，{since:%Y-%m-%d} 起。" in _texts(at)
    with reading(app_db) as s:
        record = s.scalar(select(AssistanceRecord))
        assert (record.household_id, record.programme, record.from_on, record.to_on, record.source, record.note) == (
            hid, "dibao", since, None, "survey", "民政局批复")
    facts = at.dataframe[0].value
    assert facts.set_index("项目").at["纳入政府救助", "内容"] == f"低保（{since:%Y-%m-%d}起）"

    ended = TODAY - dt.timedelta(days=10)
    at.date_input(key=f"ar_end_on_{record.id}").set_value(ended)
    at.text_input(key=f"ar_end_reason_{record.id}").input("收入超过低保标准，民政停发")
    at.button(key=f"FormSubmitter:ar_end_{record.id}-登记截止").click().run()
    assert_ok(at)
    assert "截止。" in _texts(at)
    with reading(app_db) as s:
        record = s.get(AssistanceRecord, record.id)
        assert (record.to_on, record.version) == (ended, 2)
        assert s.scalar(select(AuditLog.reason).where(AuditLog.entity == "assistance_record", AuditLog.field == "to_on")) == \
            "收入超过低保标准，民政停发"

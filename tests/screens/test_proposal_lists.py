"""可脱困/可解困名单 under AppTest: the lists apart (收入已达标、未记录帮扶, 缺近期收入) show exactly the engine's files."""

import datetime as dt

from sqlalchemy import delete, select, update

from demo import load_demo
from db.engine import reading, transaction
from db.evaluation import evaluate_files
from db.models import Household, IncomeMonth, Measure
from db.actor import system_actor
from tests.screens.conftest import app_as, assert_ok, make_user


def test_the_lists_apart_are_the_engines_files(app_db):
    load_demo(app_db, households=300, seed=11)
    as_of = dt.date(2020, 10, 31)
    with transaction(app_db) as s:
        ids = sorted(s.scalars(select(Household.id).where(Household.status == "active")))
        s.execute(update(Measure).where(Measure.household_id.in_(ids[::3])).values(status="planned", end_on=None))
        s.execute(delete(IncomeMonth).where(IncomeMonth.household_id.in_(ids[1::4]), IncomeMonth.month >= dt.date(2020, 9, 1),
                                            IncomeMonth.month <= dt.date(2020, 10, 1)))
    make_user(app_db, "boss", "admin")
    with reading(app_db) as s:
        result = evaluate_files(s, system_actor("test"), as_of)
    open_now = result["current_status"] == "active"
    unhelped = sorted(result[result["unhelped"] & open_now]["file_no"])
    lacking = sorted(result[result["missing_recent"] & open_now]["file_no"])
    assert unhelped and lacking

    at = app_as("boss").run()
    at.switch_page("screens/proposals.py").run()
    at.date_input(key="pp_as_of").set_value(as_of).run()
    assert_ok(at)
    labels = [t.label for t in at.tabs]
    assert labels[3] == f"收入已达标、未记录帮扶（{len(unhelped)}）" and labels[4] == f"缺近期收入（{len(lacking)}）"
    assert sorted(at.tabs[3].dataframe[0].value["档案编号"]) == unhelped
    shown = at.tabs[4].dataframe[0].value
    assert sorted(shown["档案编号"]) == lacking
    assert all("2020年09月至2020年10月没有收入记录" in text for text in shown["缺少的收入"])
    exit_files = set(at.tabs[0].dataframe[0].value["档案编号"]) if at.tabs[0].dataframe else set()
    assert not exit_files & set(unhelped + lacking)  # neither list is proposed for 脱困

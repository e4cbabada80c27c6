"""可脱困名单 under AppTest: a staff user confirms five exits at once and the figures change at once."""

import datetime as dt

from sqlalchemy import select

from db.demo import load_demo
from db.engine import reading
from db.models import Household
from tests.screens.conftest import app_as, assert_ok, make_user


def _texts(at) -> str:
    kinds = ("title", "markdown", "caption", "error", "warning", "success", "info")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def test_confirm_five_exits_from_the_list(app_db):
    load_demo(app_db, households=900, seed=11)
    make_user(app_db, "hgstaff", "staff", "海港区总工会")
    at = app_as("hgstaff").run()
    at.switch_page("screens/home.py").run()
    exited_before = int(next(m for m in at.metric if m.label == "已脱困").value.replace(",", ""))

    at.switch_page("screens/proposals.py").run()
    at.date_input(key="pp_as_of").set_value(dt.date(2018, 12, 31)).run()
    assert_ok(at)
    assert at.tabs[0].label.startswith("可脱困（")
    files = list(at.dataframe[0].value["档案编号"])
    assert len(files) >= 5, files
    at.session_state["pp_table_exit"] = {"selection": {"rows": [0, 1, 2, 3, 4], "columns": [], "cells": []}}
    at.run()
    assert "已勾选 **5** 户" in _texts(at)
    at.button(key="FormSubmitter:pp_confirm_exit-确认脱困").click().run()
    assert_ok(at)
    assert "已确认脱困 5 户" in _texts(at)
    with reading(app_db) as s:
        statuses = dict(s.execute(select(Household.file_no, Household.status).where(Household.file_no.in_(files[:5]))).all())
    assert set(statuses.values()) == {"exited"}

    at.switch_page("screens/home.py").run()
    exited_after = int(next(m for m in at.metric if m.label == "已脱困").value.replace(",", ""))
    assert exited_after == exited_before + 5

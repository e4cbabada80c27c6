"""The printable file: everything typed is escaped, so a name can never become markup in the printout."""

import datetime as dt

import pandas as pd

from db.models import Household, Org
from ui import file_sheet


def test_the_sheet_escapes_typed_text_and_shows_the_sections():
    household = Household(file_no="QHD-130302-000001", name="<script>alert(1)</script>", status="active",
                          category="dibao", category_explanation="认定规则：…\n结论：低保户", birth_date=dt.date(1970, 1, 1),
                          hard_to_exit=False, single_parent=False, zero_employment=False, address="幸福里 3号 <b>")
    household.org = Org(name="海港区总工会", kind="district", place_code="130302", path="/1/2/")
    empty = {k: pd.DataFrame() for k in ("pairings", "measures", "payments", "visits")}
    empty |= {"assistance": pd.DataFrame([{"救助项目": "低保", "起始日期": "2019-03-01", "截止日期": "", "来源": "民政部门名单比对"}]),
              "assistance_now": "低保（2019-03-01起）"}
    html = file_sheet.render(household, place_name="海港区", members=pd.DataFrame([{"姓名": "李<i>"}]), causes=pd.DataFrame(),
                             incomes=pd.DataFrame(), support=empty, history=pd.DataFrame(), printed_by="业务员", id_number="11010519491231002X")
    assert "<script>" not in html and "&lt;script&gt;" in html and "李&lt;i&gt;" in html
    for section in ("户主基本情况", "家庭成员", "致困原因", "困难类别认定", "纳入政府救助体系", "结对帮扶（一帮一）", "状态变更记录"):
        assert f"<h2>{section}</h2>" in html
    assert "结论：低保户" in html and "11010519491231002X" in html
    assert "<td>低保（2019-03-01起）</td>" in html and "<td>民政部门名单比对</td>" in html

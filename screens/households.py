"""档案列表: find a household file in the user's scope (ID numbers masked) and open it."""

import math

import streamlit as st

from core.codes import CATEGORY, CAUSE, HOUSEHOLD_STATUS, KEY_GROUP
from core import workbook
from db import exporter, queries
from ui import selection, store
from ui.session import require_role

actor = require_role("admin", "staff")

top_left, top_right = st.columns([4, 1], vertical_alignment="bottom")
top_left.title("档案列表")
if top_right.button("新建档案", icon=":material/add:", type="primary", width="stretch"):
    st.switch_page("screens/household_form.py")

with store.reading() as session:
    places = dict(queries.places_in_scope(session, actor))
    unions = dict(queries.orgs_in_scope(session, actor))


def _any(options: dict, label: str, key: str, column):
    return column.selectbox(label, [None, *options], format_func=lambda c: "全部" if c is None else options[c], placeholder="请选择", key=key)


c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
text = c1.text_input("搜索", placeholder="户主姓名（或姓名开头）、档案编号（或开头）、完整身份证号（含家庭成员）", key="hh_text")
place = _any(places, "区县", "hh_place", c2)
union = _any(unions, "所属工会", "hh_org", c3)
status = _any(HOUSEHOLD_STATUS, "状态", "hh_status", c4)
c5, c6, c7, c8 = st.columns(4)
category = _any(CATEGORY, "困难类别", "hh_category", c5)
cause = _any(CAUSE, "致困原因（主要或次要）", "hh_cause", c6)
key_group = _any(KEY_GROUP, "五类重点群体", "hh_key_group", c7)
sort = c8.selectbox("排序", list(queries.SORTS), format_func=lambda k: queries.SORTS[k][0], placeholder="请选择", key="hh_sort")

filters = queries.FileFilter(text=text, place_code=place, org_id=union, status=status, category=category, cause=cause, key_group=key_group)
# a new search starts on page 1
if st.session_state.get("hh_last_filters") != (filters, sort):
    st.session_state["hh_last_filters"] = (filters, sort)
    st.session_state["hh_page"] = 1
page = st.session_state.get("hh_page", 1)

with store.reading() as session:
    frame, total = queries.search_households(session, actor, filters, sort=sort, page=page)

if not total:
    st.info("没有符合条件的档案。可以放宽筛选条件，或点击“新建档案”。")
    st.stop()

pages = max(1, math.ceil(total / queries.PAGE_SIZE))
left, right = st.columns([3, 1], vertical_alignment="center")
left.caption(f"共 {total:,} 户，第 {page} / {pages} 页。选中一行即可打开档案。")


def _whole_list() -> bytes:
    """Every file of the current search (not only this page), as the list shows it (ID numbers masked)."""
    with store.transaction() as session:  # personal data taken out: written to the audit log
        everything, _ = queries.search_households(session, actor, filters, sort=sort, page=1, page_size=max(total, 1))
        exporter.record_export(session, actor, "档案列表", len(everything))
    return workbook.write_xlsx({"档案列表": everything.fillna("").to_dict("records")}, titles={"档案列表": list(everything.columns)})


right.download_button("导出当前列表（Excel）", _whole_list, file_name="档案列表.xlsx", on_click="ignore", icon=":material/download:",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", width="stretch")
# the selection is bound to the file number (the rows of this search and page), never to a row position
picked = selection.select_rows(frame.fillna(""), key="hh_table", id_column="档案编号", hidden=[], multi=False,
                               height=min(38 + 35 * len(frame), 720))
if picked.ids:
    st.switch_page("screens/household.py", query_params={"file": picked.ids[0]})
if pages > 1:
    st.selectbox("页码", list(range(1, pages + 1)), format_func=lambda p: f"第 {p} 页（共 {pages} 页）", placeholder="请选择", key="hh_page")

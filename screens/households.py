"""档案列表: find a household file in the user's scope (ID numbers masked)."""

import math

import streamlit as st

from core.codes import HOUSEHOLD_STATUS
from db import queries
from ui import store
from ui.session import require_role

actor = require_role("admin", "staff")
st.title("档案列表")

with store.reading() as session:
    places = queries.places_in_scope(session, actor)

c1, c2, c3 = st.columns([3, 2, 2])
text = c1.text_input("搜索", placeholder="姓名、档案编号或完整身份证号", key="hh_text")
place = c2.selectbox("区县", [None] + [code for code, _ in places], format_func=lambda c: "全部" if c is None else dict(places)[c], key="hh_place")
status = c3.selectbox("状态", [None, *HOUSEHOLD_STATUS], format_func=lambda c: "全部" if c is None else HOUSEHOLD_STATUS[c], key="hh_status")

page = st.session_state.get("hh_page", 1)
with store.reading() as session:
    frame, total = queries.search_households(session, actor, text=text, place_code=place, status=status, page=page)
pages = max(1, math.ceil(total / queries.PAGE_SIZE))
if page > pages:
    st.session_state["hh_page"] = page = 1
    with store.reading() as session:
        frame, total = queries.search_households(session, actor, text=text, place_code=place, status=status, page=1)

st.caption(f"共 {total:,} 户")
if total:
    st.dataframe(frame, hide_index=True, width="stretch")
    st.number_input(f"页码（共 {pages} 页）", min_value=1, max_value=pages, step=1, key="hh_page")
else:
    st.info("没有符合条件的档案。")

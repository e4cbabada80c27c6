"""操作日志: the append-only audit trail (administrators only)."""

import math

import streamlit as st

from db import queries
from ui import store
from ui.session import require_role

actor = require_role("admin")
st.title("操作日志")

c1, c2, c3 = st.columns(3)
entity = c1.selectbox("对象", [None, *queries.ENTITY_LABELS], format_func=lambda e: "全部" if e is None else queries.ENTITY_LABELS[e], placeholder="请选择", key="audit_entity")
who = c2.text_input("操作人", key="audit_who")
since = c3.date_input("起始日期", value=None, key="audit_since", format="YYYY-MM-DD")
if st.session_state.get("audit_last") != (entity, who, since):  # a new filter starts on page 1
    st.session_state["audit_last"] = (entity, who, since)
    st.session_state["audit_page"] = 1
page = st.session_state.get("audit_page", 1)

with store.reading() as session:
    frame, total = queries.audit_page(session, actor, entity=entity, who=who, since=since, page=page)
pages = max(1, math.ceil(total / 100))
st.caption(f"共 {total:,} 条" + (f"，第 {page} / {pages} 页" if pages > 1 else ""))
st.dataframe(frame, hide_index=True, width="stretch", height=min(38 + 35 * len(frame), 720))
if pages > 1:
    st.selectbox("页码", list(range(1, pages + 1)), format_func=lambda p: f"第 {p} 页（共 {pages} 页）", placeholder="请选择", key="audit_page")

"""结对帮扶: each helper's and each unit's caseload, and moving a departing helper's files in one action."""

import datetime as dt

import streamlit as st

from db import audit
from db import pairings as pairing_service
from ui import selection, store
from ui.forms import field_error, form_notice, submit
from ui.helper_form import helper_inputs, helper_values
from ui.session import require_role
from ui.markdown import escape_markdown

actor = require_role("admin", "staff")
today = dt.date.today()
FORM = "pr_move"

st.title("结对帮扶")
st.caption("一帮一：每户一名帮扶责任人和一个结对单位。这里看每位责任人、每个单位负责多少户，责任人离开时把他的档案一次移交。")

@st.cache_data(ttl=3600, show_spinner=False, max_entries=100)
def _caseload(actor, data_version: int, today: dt.date):
    with store.reading() as session:
        return pairing_service.caseload(session, actor, today)


with store.reading() as session:
    version = audit.data_version(session)
helpers = _caseload(actor, version, today)
units = pairing_service.unit_caseload(helpers)

tab_people, tab_units = st.tabs([f"按责任人（{len(helpers)}）", f"按结对单位（{len(units)}）"])
with tab_units:
    st.dataframe(units, hide_index=True, width="stretch")
with tab_people:
    if helpers.empty:
        st.info("您的管辖范围内还没有结对记录。在档案的“结对与走访”页或工作台“没有帮扶责任人”中指定。")
        st.stop()
    st.dataframe(helpers, hide_index=True, width="stretch", height=min(38 + 35 * len(helpers), 420))

st.subheader("移交责任人的档案")
# labels without the count: a label that changed when the caseload does would lose the user's choice
labels = {(r.帮扶责任人, r.结对单位): f"{r.帮扶责任人}（{r.结对单位}）" for r in helpers.itertuples()}
chosen = st.selectbox("原责任人", [None, *labels], format_func=lambda k: "请选择" if k is None else labels[k], key="pr_from",
                      placeholder="请选择")
form_notice(FORM)
if chosen is None:
    st.stop()

with store.reading() as session:
    files = pairing_service.helper_files(session, actor, *chosen)
seen = dict(zip(files["pairing_id"].astype(int), files["version"].astype(int)))
unit_key = f"pr_unit_{list(labels).index(chosen)}"
st.dataframe(files.drop(columns=["pairing_id", "version", "household_id"]), hide_index=True, width="stretch",
             height=min(38 + 35 * len(files), 360))


def _move() -> str:
    s = st.session_state
    raw = helper_values("pr_", unit_key)
    with store.transaction() as session:
        moved, measures = pairing_service.reassign_helper(session, actor, chosen[0], chosen[1], raw, pairing_versions=seen,
                                                          move_measures=s.pr_measures, today=today,
                                                          reason=(s.pr_reason or "").strip() or None)
    st.session_state["pr_from"] = None
    return f"已将 {chosen[0]} 的 {moved} 户移交给 {s.pr_name}" + (f"，并改了 {measures} 项未完成措施的责任人。" if measures else "。")


with st.form(FORM):
    active = int((files["状态"] == "在档").sum())
    st.markdown(f"把 **{escape_markdown(chosen[0])}** 的全部 **{len(files)}** 户（其中在档 {active} 户；已脱困、已解困的仍在回访和常态化帮扶中，一并移交）移交给：")
    helper_inputs(FORM, "pr_", today=today, name_label="新责任人 *", unit=chosen[1], unit_key=unit_key)  # each helper's own default
    st.checkbox("同时把这些档案中由其负责、尚未完成的措施改由新责任人负责", value=True, key="pr_measures")
    st.text_input("移交原因", key="pr_reason", placeholder="如：原责任人退休")
    field_error(FORM, "helper")
    selection.show_files(files, lead=f"将移交的 **{len(files)}** 户")  # the files the button changes, right above it
    st.form_submit_button(f"移交全部 {len(files)} 户", type="primary", on_click=submit, args=(FORM, _move))

"""低保标准与参数: the 低保 lines per district over time (administrators add new ones) and the dated
policy parameters."""

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from db import params, queries
from ui import store
from ui.forms import field_error, form_notice, submit
from ui.session import require_role

actor = require_role()
st.title("低保标准与参数")

if actor.role == "admin":
    with store.reading() as session:
        districts = dict(queries.places_in_scope(session, actor))
    FORM = "dibao_new"

    def _add():
        s = st.session_state
        with store.transaction() as session:
            line = params.add_dibao_line(session, actor, place_code=s.dl_place, effective_from=s.dl_from, amount=s.dl_amount, note=s.dl_note)
        return f"已录入：{districts[line.place_code]} 自 {line.effective_from:%Y-%m-%d} 起 {line.amount_fen / 100:.2f} 元/人·月。"

    with st.expander("录入新的低保标准（正式标准，以民政部门公布为准）", expanded=False):
        form_notice(FORM)
        with st.form(FORM):
            c1, c2, c3 = st.columns(3)
            c1.selectbox("区县", list(districts), format_func=districts.get, key="dl_place")
            with c1:
                field_error(FORM, "place_code")
            c2.date_input("生效日期", value=dt.date.today().replace(day=1), key="dl_from", format="YYYY-MM-DD")
            with c2:
                field_error(FORM, "effective_from")
            c3.text_input("标准（元/人·月）", key="dl_amount")
            with c3:
                field_error(FORM, "amount")
            st.text_input("依据（文件名称或文号）", key="dl_note")
            st.form_submit_button("录入", type="primary", on_click=submit, args=(FORM, _add), kwargs={"clear": ("dl_amount", "dl_note")})

with store.reading() as session:
    lines = queries.dibao_lines(session)
    params = queries.parameters_table(session)

st.subheader("低保标准（元/人·月）")
if lines.empty:
    st.warning("尚未录入任何低保标准。没有生效标准的月份无法判断脱困，请管理员录入各区县标准。")
else:
    if lines["is_demo"].any():
        st.warning("以下标准含**示例数据（虚构，非官方标准）**，仅供试用。", icon=":material/science:")
    shown = lines.assign(
        标准=lines["amount_fen"] / 100,
        区县=lines["place_name"],
        生效日期=lines["effective_from"],
        失效日期=lines["effective_to"].map(lambda d: "至今" if d is None or d != d else f"{d:%Y-%m-%d}"),
        来源=lines["is_demo"].map({True: "示例数据（虚构）", False: "正式"}),
    )
    # each district's last line is still in force: carry it on to today so the step reaches the present
    latest = shown.sort_values("生效日期").groupby("区县", as_index=False).last()
    carried = latest.assign(生效日期=max(dt.date.today(), latest["生效日期"].max()))
    chart = (
        alt.Chart(pd.concat([shown, carried], ignore_index=True))
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("生效日期:T", title="生效日期", axis=alt.Axis(format="%Y-%m", labelAngle=0)),
            y=alt.Y("标准:Q", title="元/人·月", scale=alt.Scale(zero=False)),
            color=alt.Color("区县:N", title="区县"),
            tooltip=["区县", alt.Tooltip("生效日期:T", format="%Y-%m-%d"), alt.Tooltip("标准:Q", format=".2f"), "来源"],
        )
        .properties(height=320)
    )
    st.altair_chart(chart, width="stretch")
    st.dataframe(
        shown[["区县", "生效日期", "失效日期", "标准", "来源"]],
        hide_index=True,
        width="stretch",
        column_config={"标准": st.column_config.NumberColumn("标准（元）", format="%.2f")},
    )

st.subheader("政策参数")
st.dataframe(params, hide_index=True, width="stretch")

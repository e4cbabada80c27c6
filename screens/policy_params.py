"""低保标准与参数: the 低保 lines per district over time and the dated policy parameters (read here;
editing comes with the parameters grid of the status-engine work)."""

import altair as alt
import streamlit as st

from db import queries
from ui import store
from ui.session import require_role

require_role()
st.title("低保标准与参数")

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
        失效日期=lines["effective_to"],
        来源=lines["is_demo"].map({True: "示例数据（虚构）", False: "正式"}),
    )
    chart = (
        alt.Chart(shown)
        .mark_line(interpolate="step-after", point=True)
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

"""低保标准与参数: the 低保 lines per district and the dated policy parameters over time; administrators
edit both as grids (saved all or nothing, overlaps refused, past exits that a change could affect listed)."""

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from core.codes import RULE_SET
from core.parameters import SPEC_BY_KEY
from db import params, queries
from db.errors import ServiceError, ValidationError
from ui import store
from ui.calendar_panel import calendar_form, show_calendar
from ui.affected import show_outcome
from ui.session import require_role

actor = require_role()
st.title("低保标准与参数")

with store.reading() as session:
    lines = queries.dibao_lines(session)
    params_table = queries.parameters_table(session)
    params_raw = params.parameter_rows(session)

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
st.dataframe(params_table, hide_index=True, width="stretch")
numeric = params_raw[params_raw["参数"].isin([k for k, spec in SPEC_BY_KEY.items() if spec.kind == "int"])]
if not numeric.empty:
    steps = numeric.assign(参数名=numeric["参数"].map(lambda k: SPEC_BY_KEY[k].label), 取值数=numeric["取值"].astype(int),
                           生效日期=pd.to_datetime(numeric["生效日期"]))
    carried = steps.sort_values("生效日期").groupby("参数名", as_index=False).last().assign(生效日期=pd.Timestamp(dt.date.today()))
    st.altair_chart(
        alt.Chart(pd.concat([steps, carried])).mark_line(interpolate="step-after").encode(
            x=alt.X("生效日期:T", title=None, axis=alt.Axis(format="%Y", labelAngle=0)), y=alt.Y("取值数:Q", title="取值"),
            color=alt.Color("参数名:N", title=None), tooltip=["参数名:N", alt.Tooltip("生效日期:T", format="%Y-%m-%d"), "取值数:Q"],
        ).properties(height=180),
        width="stretch",
    )

show_calendar()

if actor.role != "admin":
    st.stop()

st.divider()
st.subheader("修改（管理员）")
st.caption("在表格中修改、添加或删除行，然后保存；整表一起保存，有一处错误则都不保存。同一区县（或参数）同一生效日期只能有一行。"
           "修改过去的数值不会改动已确认的脱困、解困，但会列出可能受影响的档案，供复核。")
show_outcome(st.session_state.pop("pp_grid_outcome", None), "此修改")


def _grid_editor(kind: str, loader, saver, column_config: dict) -> None:
    loaded_key = f"pp_{kind}_loaded"
    if loaded_key not in st.session_state:
        with store.reading() as session:
            st.session_state[loaded_key] = loader(session)
    frame = st.session_state[loaded_key]
    if st.button("刷新", key=f"pp_{kind}_refresh", icon=":material/refresh:"):
        st.session_state.pop(loaded_key, None)
        st.session_state.pop(f"pp_{kind}_grid", None)
        st.rerun()
    with st.form(f"pp_{kind}_form"):
        edited = st.data_editor(frame, key=f"pp_{kind}_grid", num_rows="dynamic", hide_index=True, width="stretch",
                                column_config={"id": None, "version": None, **column_config})
        submitted = st.form_submit_button("保存", type="primary", icon=":material/save:")
    if submitted:
        try:
            with store.transaction() as session:
                counts, affected = saver(session, actor, edited.to_dict("records"))
        except ValidationError as exc:
            st.session_state["pp_grid_outcome"] = ("error", "未保存：" + "；".join(exc.errors.values()), [])
            st.rerun()
        except ServiceError as exc:
            st.session_state["pp_grid_outcome"] = ("error", str(exc), [])
            st.rerun()
        st.session_state.pop(loaded_key, None)
        st.session_state.pop(f"pp_{kind}_grid", None)
        st.session_state["pp_grid_outcome"] = ("ok", "已保存：" + "，".join(f"{k} {v} 行" for k, v in counts.items()), affected)
        st.rerun()


def _labelled(loader, saver, column: str, labels: dict[str, str], values: dict[str, str] | None = None):
    """The grid shows names where the store keeps codes (districts, parameters, the rule set's code in 取值) and gives the
    service codes back; a name typed that matches none is passed on as typed, for the service to refuse with its message."""
    codes_of = {label: code for code, label in labels.items()}
    value_codes = {label: code for code, label in (values or {}).items()}

    def load(session):
        frame = loader(session)
        shown = frame.assign(**{column: frame[column].map(lambda c: labels.get(c, c))})
        if values:
            shown["取值"] = shown["取值"].map(lambda v: values.get(v, v))
        return shown

    def save(session, actor, rows):
        back = [{**row, column: codes_of.get(row.get(column), row.get(column))} for row in rows]
        if values:
            back = [{**row, "取值": value_codes.get(row.get("取值"), row.get("取值"))} for row in back]
        return saver(session, actor, back)

    return load, save


tab_lines, tab_params, tab_calendar = st.tabs(["低保标准", "政策参数", "法定节假日"])
with tab_lines:
    with store.reading() as session:
        districts = dict(queries.places_in_scope(session, actor))
    load_lines, save_lines = _labelled(params.line_rows, params.save_lines, "区县", districts)
    _grid_editor("lines", load_lines, save_lines, {
        "区县": st.column_config.SelectboxColumn("区县", options=list(districts.values()), required=True),
        "生效日期": st.column_config.DateColumn("生效日期", format="YYYY-MM-DD", required=True),
        "标准(元)": st.column_config.NumberColumn("标准（元/人·月）", min_value=0.01, format="%.2f", required=True),
        "依据": st.column_config.TextColumn("依据（文件名称或文号）", default=""),
        "示例数据": st.column_config.CheckboxColumn("示例数据", disabled=True),
    })
with tab_params:
    labels = {key: spec.label for key, spec in SPEC_BY_KEY.items()}
    load_params, save_params = _labelled(params.parameter_rows, params.save_parameters, "参数", labels, RULE_SET)
    _grid_editor("params", load_params, save_params, {
        "参数": st.column_config.SelectboxColumn("参数", options=list(labels.values()), required=True),
        "生效日期": st.column_config.DateColumn("生效日期", format="YYYY-MM-DD", required=True),
        "取值": st.column_config.TextColumn("取值", required=True),
        "说明": st.column_config.TextColumn("说明", default=""),
    })
    st.caption("取值的单位：" + "；".join(f"{spec.label}（{spec.unit}）" for spec in SPEC_BY_KEY.values() if spec.unit)
               + "。年度目标写作 {\"2018\": 50, \"2019\": 40, \"2020\": 10}（年份：百分比，合计 100）；认定规则写作 "
               + " 或 ".join(f"“{name}”" for name in RULE_SET.values()) + "。")
with tab_calendar:
    calendar_form(actor)

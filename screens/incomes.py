"""月收入录入: a whole district's (or union's) month of household incomes in one grid, saved all or nothing."""

import datetime as dt

import pandas as pd
import streamlit as st

from db import incomes, queries
from db.errors import ServiceError, ValidationError
from ui import store
from ui.session import require_role
from ui.markdown import escape_markdown

actor = require_role("admin", "staff")
today = dt.date.today()
st.title("月收入录入")
st.caption("选择月份和范围，在表格中填写每户的家庭月收入和人口，一次保存。空着的行表示本月暂不录入；"
           "只要有一行有误，整批都不保存，并逐行说明原因。")

with store.reading() as session:
    places = dict(queries.places_in_scope(session, actor))
    unions = dict(queries.orgs_in_scope(session, actor))

last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
c1, c2, c3, c4 = st.columns([1, 1, 2, 2])
year = c1.selectbox("年", list(range(today.year, 2009, -1)), index=0 if last_month.year == today.year else 1, placeholder="请选择", key="inc_year")
month_no = c2.selectbox("月", list(range(1, 13)), index=last_month.month - 1, placeholder="请选择", key="inc_month")
place = c3.selectbox("区县", [None, *places], format_func=lambda c: "全部" if c is None else places[c], placeholder="请选择", key="inc_place")
union = c4.selectbox("所属工会", [None, *unions], format_func=lambda c: "全部" if c is None else unions[c], placeholder="请选择", key="inc_org")
month = dt.date(year, month_no, 1)

# The grid as it was loaded is kept: its rows' file ids and versions travel with the user's edits, so a
# value corrected by someone else meanwhile is reported, never overwritten, and no edit lands on another file.
grid_key = f"inc_grid_{month:%Y%m}_{place}_{union}"
loaded_key = f"{grid_key}_loaded"
if loaded_key not in st.session_state:
    with store.reading() as session:
        st.session_state[loaded_key] = incomes.grid(session, actor, month, place_code=place, org_id=union)
frame = st.session_state[loaded_key]
if st.button("刷新（载入他人最新录入的数据）", key="inc_refresh", icon=":material/refresh:"):
    st.session_state.pop(loaded_key, None)
    st.session_state.pop(grid_key, None)
    st.rerun()

if frame.empty:
    st.info("该范围内没有申请中或在档的档案。")
    st.stop()

entered = frame["家庭月收入(元)"].notna().sum()
st.markdown(f"**{month:%Y年%m月}** · {len(frame):,} 户，已录入 {entered:,} 户")

problems = st.session_state.pop("inc_problems", None)
if problems:
    st.error(f"未保存：{len(problems)} 户的数据有误，请修改后再保存。", icon=":material/error:")
    st.dataframe(pd.DataFrame(list(problems.items()), columns=["档案编号", "问题"]), hide_index=True, width="stretch")
done = st.session_state.pop("inc_done", None)
if done:
    st.success(escape_markdown(done))

money = {"format": "%.2f", "min_value": 0.0}
with st.form("income_grid"):
    edited = st.data_editor(
        frame, key=grid_key, hide_index=True, width="stretch", num_rows="fixed", height=min(40 + 35 * len(frame), 640),
        disabled=["档案编号", "户主"],
        column_config={
            "household_id": None, "version": None,
            "家庭人口": st.column_config.NumberColumn("家庭人口", min_value=1, max_value=30, step=1),
            "家庭月收入(元)": st.column_config.NumberColumn("家庭月收入(元)", **money),
            "其中转移性收入(元)": st.column_config.NumberColumn("其中转移性收入(元)", **money),
            "因病因学因残支出(元)": st.column_config.NumberColumn("因病因学因残支出(元)", **money),
            "灾害意外支出(元)": st.column_config.NumberColumn("灾害意外支出(元)", **money),
        },
    )
    submitted = st.form_submit_button("保存本月收入", type="primary", icon=":material/save:")

if submitted:
    rows = [
        incomes.IncomeRow(
            household_id=int(r["household_id"]), income=r["家庭月收入(元)"], persons=r["家庭人口"], transfer=r["其中转移性收入(元)"],
            special=r["因病因学因残支出(元)"], accident=r["灾害意外支出(元)"],
            version=None if pd.isna(r["version"]) else int(r["version"]),
        )
        for r in edited.to_dict("records")
    ]
    try:
        with store.transaction() as session:
            counts = incomes.save_month(session, actor, month, rows, today=today)
    except ValidationError as exc:
        st.session_state["inc_problems"] = exc.errors
        st.rerun()
    except ServiceError as exc:
        st.error(escape_markdown(exc))
        st.stop()
    st.session_state.pop(grid_key, None)  # show what is stored now
    st.session_state.pop(loaded_key, None)
    st.session_state["inc_done"] = f"已保存 {month:%Y年%m月}：" + "，".join(f"{k} {v} 户" for k, v in counts.items())
    st.rerun()

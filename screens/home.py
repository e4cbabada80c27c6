"""首页: who is logged in, their scope, and what needs attention there."""

import datetime as dt

import streamlit as st

from core.codes import HOUSEHOLD_STATUS, ROLE
from db import audit, queries
from ui import store
from ui.session import require_role

actor = require_role()
today = dt.date.today()

st.title("困难职工解困脱困工作平台")
st.caption(f"{actor.display_name} · {ROLE[actor.role]} · 管辖范围：{'全市' if actor.sees_everything else actor.org_name} · {today:%Y年%m月%d日}")

@st.cache_data(ttl=3600, show_spinner=False, max_entries=500)
def _figures(actor, data_version: int, today) -> dict:
    # keyed on the data version every write moves (kept in the database), so never stale after an edit
    with store.reading() as session:
        return queries.home_figures(session, actor, today)


with store.reading() as session:
    version = audit.data_version(session)
figures = _figures(actor, version, today)
counts, items, latest, missing, demo = (figures[k] for k in ("counts", "attention", "latest", "missing", "demo"))

if demo:
    st.warning("当前低保标准为**示例数据（虚构，非官方标准）**。正式使用前，请管理员在“低保标准与参数”中录入本地真实标准。", icon=":material/science:")
if missing:
    st.error(f"以下区县 {today:%Y年%m月} 没有生效的低保标准，相关档案无法判断是否脱困：{'、'.join(missing)}。请管理员录入。")

cols = st.columns(len(HOUSEHOLD_STATUS))
for col, (code, name) in zip(cols, HOUSEHOLD_STATUS.items(), strict=True):
    col.metric(name, f"{counts[code]:,}")

st.subheader("待办事项")
if latest:
    st.caption(f"本范围内最近一次录入收入的月份：{latest:%Y年%m月}")
    if demo and (today - latest).days > 120:
        st.caption(f"示例数据只到 {latest:%Y年%m月}，以今天（{today:%Y年%m月%d日}）计算，走访和收入类待办会显示为几乎全部逾期。")
for what, n, hint in items:
    with st.container(border=True):
        left, right = st.columns([4, 1])
        left.markdown(f"**{what}**  \n{hint}")
        right.metric(what, f"{n:,} 户", label_visibility="collapsed")

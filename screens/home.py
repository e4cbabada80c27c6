"""首页: who is logged in, their scope, and what needs attention there."""

import datetime as dt

import pandas as pd
import streamlit as st

from core.codes import HOUSEHOLD_STATUS, ROLE, WORK_QUEUE
from db import dashboard, queries
from ui import cached, snapshot
from ui.progress_text import progress_caption
from ui.session import require_role
from ui.markdown import escape_markdown

actor = require_role()
today = dt.date.today()

st.title("困难职工解困脱困工作平台")
st.caption(f"{escape_markdown(actor.display_name)} · {ROLE[actor.role]} · 管辖范围：{'全市' if actor.sees_everything else escape_markdown(actor.org_name)} · {today:%Y年%m月%d日}")

def _figures(actor, today) -> dict:
    # from the server's shared snapshot, current with the database (its data version); recomputed for the scope only
    # when files, incomes or the reference tables changed
    return snapshot.derived("home_figures", actor, queries.HOME_PARTS, queries.home_figures_from, today)


figures = _figures(actor, today)
counts, latest, missing, demo = (figures[k] for k in ("counts", "latest", "missing", "demo"))

if demo:
    st.warning("当前低保标准为**示例数据（虚构，非官方标准）**。正式使用前，请管理员在“低保标准与参数”中录入本地真实标准。", icon=":material/science:")
if missing:
    st.error(f"以下区县 {today:%Y年%m月} 没有生效的低保标准，相关档案无法判断是否脱困：{escape_markdown('、'.join(missing))}。请管理员录入。")

cols = st.columns(len(HOUSEHOLD_STATUS))
for col, (code, name) in zip(cols, HOUSEHOLD_STATUS.items(), strict=True):
    col.metric(name, f"{counts[code]:,}")


def _targets(actor, today) -> dict:
    # from the shared snapshot, once per scope and save of files or statuses (ui.snapshot): the dashboard's figures
    return snapshot.derived("home_targets", actor, ("files", "changes"), dashboard.targets_summary_from, today)


targets = _targets(actor, today)
row = targets["row"]
rate = "—" if pd.isna(row["完成率%"]) else f"{row['完成率%']:.1f}%"
done = "—" if pd.isna(row["累计完成户数"]) else f"{int(row['累计完成户数']):,}"
st.markdown(f"**{targets['year']}年目标完成率：{rate}**（基数 {int(row['基数']):,} 户，累计目标 {int(row['累计目标%'])}% 即 "
            f"{int(row['累计目标户数']):,} 户，已完成 {done} 户）")
st.caption(progress_caption(targets["apart"]))

st.subheader("待办事项")
if latest:
    st.caption(f"本范围内最近一次录入收入的月份：{latest:%Y年%m月}")
    if demo and (today - latest).days > 120:
        st.caption(f"示例数据只到 {latest:%Y年%m月}，以今天（{today:%Y年%m月%d日}）计算，走访和收入类待办会显示为几乎全部逾期。")
HINTS = {
    "no_helper": "一帮一：每户都应有责任人和结对单位", "no_plan": "一户一计划：每户都应有正在办理或计划中的措施",
    "uncovered_cause": "每项未消除的致困原因都应有对应的措施", "visit_overdue": "按参数规定的间隔定期走访",
    "income_missing": "脱困需连续月份的收入记录，缺月会中断计算", "near_exit": "再有一两个月超线，或只差核实消除致困原因，即可提出脱困",
    "exit_unhelped": "收入和致困原因已达到脱困条件，但没有已实施的帮扶措施（经精准帮扶后才能脱困）",
    "income_not_recent": "近期没有收入记录，无法判断是否脱困或解困",
    "followup_due": "脱困、解困后的回访期内至少回访一次", "untouched": "一年来没有任何录入或更新，请核实",
    "never_helped": "在档但从未实施过措施、也没有资金发放",
    "checks_missing": "导入的历史档案：排除情形尚未核查，或按导入的收入未能认定困难类别",
}
may_open = actor.role in ("admin", "staff")
queue_counts = cached.worklist(actor, today).counts
left, right = st.columns(2)
for index, (queue, label) in enumerate(WORK_QUEUE.items()):
    text = f"**{label}：{queue_counts[queue]:,} 户**"
    with (left if index % 2 == 0 else right).container(border=True):
        if may_open:
            st.page_link("screens/worklist.py", label=text, query_params={"queue": queue}, icon=":material/arrow_forward:")
        else:
            st.markdown(text)
        st.caption(HINTS[queue])
with (left if len(WORK_QUEUE) % 2 == 0 else right).container(border=True):
    st.markdown(f"**申请中（尚未在档）：{counts['applying']:,} 户**")
    st.caption("完成入户调查、公示和审核后在档")

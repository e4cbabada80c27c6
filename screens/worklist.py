"""工作台: what needs doing in the user's scope, queue by queue, with the files and quick actions."""

import datetime as dt

import streamlit as st

from core import codes, workbook
from db import audit, queries
from db import pairings as pairing_service
from db import visits as visit_service
from db import worklist as worklist_service
from ui import cached, store
from ui.forms import field_error, form_notice, submit
from ui.helper_form import helper_inputs, helper_values
from ui.session import require_role

actor = require_role("admin", "staff")
today = dt.date.today()

st.title("工作台")
st.caption(f"{actor.display_name} · 管辖范围：{'全市' if actor.sees_everything else actor.org_name} · {today:%Y年%m月%d日}。"
           "选中一行可打开档案；可多选后直接指定责任人或登记走访。")


with store.reading() as session:
    version = audit.data_version(session)
    demo = queries.demo_lines_in_use(session)
work = cached.worklist(actor, version, today)

if demo:
    st.info("当前使用示例数据（只到 2020 年底）：以今天计算，走访和收入类待办几乎全部逾期；“即将脱困”按最近一个有收入记录的月份判断。",
            icon=":material/science:")

wanted = st.query_params.get("queue")  # a link from the home page opens its queue
if wanted is not None:
    if wanted in codes.WORK_QUEUE:
        st.session_state["wl_queue"] = wanted
    del st.query_params["queue"]
# the counts go in the captions: a label that changed with them would no longer match the choice kept for the user
queue = st.radio("待办类别", list(codes.WORK_QUEUE), horizontal=True, key="wl_queue", format_func=codes.WORK_QUEUE.get,
                 captions=[f"{work.counts[q]:,} 户" for q in codes.WORK_QUEUE])
if queue == "near_exit" and work.near_exit_month:
    st.caption(f"按 {work.near_exit_month:%Y年%m月} 及以前的收入判断：连续超线 4–5 个月的，再有一两个月即可脱困；已满规定月数但仍有"
               "未消除致困原因的，核实后在“修改档案”中标记消除日期，即会出现在“可脱困/可解困名单”中。")

table = worklist_service.queue_table(work, queue)
if table.empty:
    st.success(f"“{codes.WORK_QUEUE[queue]}”没有待办。", icon=":material/check_circle:")
    st.stop()

places = sorted(table["区县"].unique())
c1, c2 = st.columns([1, 3])
place = c1.selectbox("区县", [None, *places], format_func=lambda p: "全部" if p is None else p, placeholder="请选择", key="wl_place")
if place:
    table = table[table["区县"] == place].reset_index(drop=True)
shown = table.drop(columns=["household_id"])
c2.download_button("下载本类待办（CSV）", workbook.write_csv(list(shown.columns), shown.values.tolist()),
                   file_name=f"工作台-{codes.WORK_QUEUE[queue]}-{today:%Y%m%d}.csv", mime="text/csv", icon=":material/download:")

# the grid remembers ticks by row position: a new key whenever its rows may change (a filter, anyone's save)
# so that a tick never lands on another household
table_key = f"wl_table_{queue}_{place or ''}_{version}"
actions = st.container()  # above the table: what the ticks allow is seen without scrolling
event = st.dataframe(table.drop(columns=["household_id"]), hide_index=True, width="stretch", height=min(38 + 35 * len(table), 520),
                     on_select="rerun", selection_mode="multi-row", key=table_key,
                     column_config={"待办说明": st.column_config.TextColumn(width="large")})
picked = table.iloc[event.selection.rows] if event.selection.rows else table.iloc[0:0]
ids = [int(i) for i in picked["household_id"]]
chosen_files = "、".join(f"{r.档案编号} {r.户主姓名}" for r in picked.head(10).itertuples()) + ("等" if len(picked) > 10 else "")

with actions:
    if len(ids) == 1:
        if st.button(f"打开档案 {picked.iloc[0]['档案编号']}", icon=":material/open_in_new:", type="primary", key="wl_open"):
            st.switch_page("screens/household.py", query_params={"file": picked.iloc[0]["档案编号"]})
    elif not ids:
        st.caption("勾选左侧方框选中档案：选一户可打开档案，选多户可批量处理。")

    if queue == "income_missing":
        st.page_link("screens/incomes.py", label="到“月收入录入”按区县整月录入", icon=":material/payments:")


    if queue == "no_helper" and ids:
        FORM = "wl_helper"

        def _assign() -> str:
            s = st.session_state
            raw = helper_values("wl_h_")
            with store.transaction() as session:
                moved = pairing_service.assign_helper(session, actor, ids, raw, expected={i: None for i in ids}, today=today)
            return f"已为 {moved} 户指定帮扶责任人 {s.wl_h_name}。"

        form_notice(FORM)
        with st.form(FORM):
            st.markdown(f"**为选中的 {len(ids)} 户指定帮扶责任人**：{chosen_files}")
            helper_inputs(FORM, "wl_h_", today=today)
            field_error(FORM, "household_ids")
            st.form_submit_button("保存", type="primary", on_click=submit, args=(FORM, _assign))
    elif queue == "no_helper":
        form_notice("wl_helper")

    if queue in ("visit_overdue", "followup_due") and ids:
        FORM = "wl_visit"
        visitor_key = "wl_v_visitor_" + "_".join(map(str, ids[:50]))  # the default follows the files ticked

        def _visit() -> str:
            s = st.session_state
            raw = {"visited_on": s.wl_v_on, "visitor": s[visitor_key], "kind": s.wl_v_kind, "notes": s.wl_v_notes, "needs": s.wl_v_needs}
            with store.transaction() as session:
                n = visit_service.record_visits(session, actor, ids, raw, today=today)
            return f"已为 {n} 户登记 {s.wl_v_on:%Y-%m-%d} 的走访。"

        form_notice(FORM)
        with st.form(FORM):
            st.markdown(f"**为选中的 {len(ids)} 户登记走访**" + ("（回访）" if queue == "followup_due" else "") + f"：{chosen_files}")
            c1, c2, c3 = st.columns(3)
            c1.date_input("走访日期 *", value=today, key="wl_v_on", format="YYYY-MM-DD")
            with c1:
                field_error(FORM, "visited_on")
            helper = picked.iloc[0]["帮扶责任人"] if picked["帮扶责任人"].nunique() == 1 else ""
            c2.text_input("走访人 *", value=helper or actor.display_name, key=visitor_key)
            with c2:
                field_error(FORM, "visitor")
            kinds = list(codes.VISIT_KIND)
            c3.selectbox("方式 *", kinds, format_func=codes.VISIT_KIND.get, placeholder="请选择", key="wl_v_kind", index=kinds.index("phone" if queue == "followup_due" else "home"))
            st.text_area("情况记录 *", key="wl_v_notes", height=68)
            field_error(FORM, "notes")
            st.text_input("发现的需求", key="wl_v_needs")
            field_error(FORM, "household_ids")
            st.form_submit_button("登记走访", type="primary", on_click=submit, args=(FORM, _visit), kwargs={"clear": ("wl_v_notes", "wl_v_needs")})
    elif queue in ("visit_overdue", "followup_due"):
        form_notice("wl_visit")

    if queue in ("no_plan", "uncovered_cause", "never_helped", "near_exit", "untouched") and ids:
        st.caption("打开档案后，在“帮扶计划”页新增措施、登记发放，或在“结对与走访”页登记走访。")
    if queue == "checks_missing":
        st.caption("打开档案后，在“修改档案”中补填四项排除情形的核查结果和来源；困难类别未能认定的，核实月收入后“按最新数据重新认定”。")

"""工作台: what needs doing in the user's scope, queue by queue, with the files and quick actions."""

import datetime as dt

import streamlit as st

from core import codes, workbook
from db import audit, queries
from db import pairings as pairing_service
from db import visits as visit_service
from ui import cached, selection, snapshot, store
from ui.forms import field_error, form_notice, submit
from ui.helper_form import helper_inputs, helper_values
from ui.session import require_role
from ui.markdown import escape_markdown

actor = require_role("admin", "staff")
today = dt.date.today()

st.title("工作台")
st.caption(f"{escape_markdown(actor.display_name)} · 管辖范围：{'全市' if actor.sees_everything else escape_markdown(actor.org_name)} · {today:%Y年%m月%d日}。"
           "选中一行可打开档案；可多选后直接指定责任人或登记走访。")


work = cached.worklist(actor, today)  # the server's shared snapshot, current with the database
demo = queries.demo_lines_in_use(snapshot.for_actor(actor).reference)

if demo:
    st.info("当前使用示例数据（只到 2020 年底）：以今天计算，走访和收入类待办几乎全部逾期，“缺近期收入”几乎包括所有档案；"
            "按示例数据的月份判断请使用“可脱困/可解困名单”并选择评估日期。", icon=":material/science:")

wanted = st.query_params.get("queue")  # a link from the home page opens its queue
if wanted is not None:
    if wanted in codes.WORK_QUEUE:
        st.session_state["wl_queue"] = wanted
    del st.query_params["queue"]
# the counts go in the captions: a label that changed with them would no longer match the choice kept for the user
queue = st.radio("待办类别", list(codes.WORK_QUEUE), horizontal=True, key="wl_queue", format_func=codes.WORK_QUEUE.get,
                 captions=[f"{work.counts[q]:,} 户" for q in codes.WORK_QUEUE])
if queue in ("near_exit", "exit_unhelped", "income_not_recent") and work.near_exit_month:
    st.caption(f"评估月份 {work.near_exit_month:%Y年%m月}，每户按自己的收入记录判断（该月尚未录入的，可按参数顺延到此前月份）。" + {
        "near_exit": "连续超线 4–5 个月的，再有一两个月即可脱困；已满规定月数但仍有未消除致困原因的，核实后在“修改档案”中标记消除日期，"
                     "即会出现在“可脱困/可解困名单”中。",
        "exit_unhelped": "脱困须经精准帮扶：请在“帮扶计划”中补录已实施的措施，或核实后办理退出。",
        "income_not_recent": "没有可判断月份的收入记录：录入后才能判断是否脱困或解困。"}[queue])

table = cached.queue_table(actor, today, queue)
if table.empty:
    st.success(f"“{codes.WORK_QUEUE[queue]}”没有待办。", icon=":material/check_circle:")
    st.stop()

places = sorted(table["区县"].unique())
c1, c2 = st.columns([1, 3])
place = c1.selectbox("区县", [None, *places], format_func=lambda p: "全部" if p is None else p, placeholder="请选择", key="wl_place")
if place:
    table = table[table["区县"] == place].reset_index(drop=True)
shown = table.drop(columns=["household_id"])


def _queue_csv(queue_name: str = codes.WORK_QUEUE[queue]) -> bytes:
    """Built when clicked; a list of names is personal data, so the download is written to the audit log."""
    with store.reading() as session:
        audit.personal_data_downloaded(session, actor, f"工作台待办（{queue_name}）", rows=len(shown))
    return workbook.write_csv(list(shown.columns), shown.values.tolist())


c2.download_button("下载本类待办（CSV）", _queue_csv, on_click="ignore",
                   file_name=f"工作台-{codes.WORK_QUEUE[queue]}-{today:%Y%m%d}.csv", mime="text/csv", icon=":material/download:")

actions = st.container()  # above the table: what the ticks allow is seen without scrolling
# ticks are bound to the files (ids in order, in this queue and filter), never to row positions: see ui.selection
TABLE = "wl_table"
chosen = selection.select_rows(table, key=TABLE, id_column="household_id", context=(queue, place or ""),
                               height=min(38 + 35 * len(table), 520),
                               column_config={"待办说明": st.column_config.TextColumn(width="large")})
picked = chosen.rows
ids = [int(i) for i in chosen.ids]

with actions:
    if len(ids) == 1:
        if st.button(f"打开档案 {escape_markdown(picked.iloc[0]['档案编号'])}", icon=":material/open_in_new:", type="primary", key="wl_open"):
            st.switch_page("screens/household.py", query_params={"file": picked.iloc[0]["档案编号"]})
    elif not ids:
        if chosen.dropped:
            st.warning(selection.DROPPED, icon=":material/refresh:")
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
            selection.clear(TABLE)
            return f"已为 {moved} 户指定帮扶责任人 {s.wl_h_name}。"

        form_notice(FORM)
        with st.form(FORM):
            st.markdown(f"**为选中的 {len(ids)} 户指定帮扶责任人**")
            helper_inputs(FORM, "wl_h_", today=today)
            field_error(FORM, "household_ids")
            selection.show_chosen(chosen, action="指定帮扶责任人")
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
                n = visit_service.record_visits(session, actor, ids, raw, today=today, statuses=pairing_service.PAIRABLE)
            selection.clear(TABLE)
            return f"已为 {n} 户登记 {s.wl_v_on:%Y-%m-%d} 的走访。"

        form_notice(FORM)
        with st.form(FORM):
            st.markdown(f"**为选中的 {len(ids)} 户登记走访**" + ("（回访）" if queue == "followup_due" else ""))
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
            selection.show_chosen(chosen, action="登记走访")
            st.form_submit_button("登记走访", type="primary", on_click=submit, args=(FORM, _visit), kwargs={"clear": ("wl_v_notes", "wl_v_needs")})
    elif queue in ("visit_overdue", "followup_due"):
        form_notice("wl_visit")

    if queue in ("no_plan", "uncovered_cause", "never_helped", "near_exit", "exit_unhelped", "untouched") and ids:
        st.caption("打开档案后，在“帮扶计划”页新增措施、登记发放，或在“结对与走访”页登记走访。")
    if queue == "checks_missing":
        st.caption("打开档案后，在“修改档案”中补填四项排除情形的核查结果和来源；困难类别未能认定的，核实月收入后“按最新数据重新认定”。")

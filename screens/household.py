"""一户一档: everything about one household on one screen, with the actions on it and a printable sheet."""

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from core import codes
from db import audit, queries
from db import file_access, file_view
from db import households as hh_service
from db import incomes as income_service
from db.errors import NotFound
from db.models import Place
from ui import assistance_panel, file_sheet, plan_panel, store, visit_panel
from ui.forms import field_error, form_notice, submit
from ui.session import require_role
from ui.markdown import escape_markdown

actor = require_role("admin", "staff")
today = dt.date.today()

file_no = st.query_params.get("file")
if not file_no:
    st.title("一户一档")
    typed = st.text_input("档案编号", placeholder="例如 QHD-130302-000123", key="hv_lookup")
    st.caption("也可以在“档案列表”中搜索并选中一行打开。")
    if typed.strip():
        st.query_params["file"] = typed.strip().upper()
        st.rerun()
    st.stop()

with store.reading() as session:
    try:
        household = file_access.load_children(file_access.get_household(session, actor, file_no=file_no))
    except NotFound as exc:
        st.error(f"{exc}：{escape_markdown(file_no)}")
        st.stop()
    place_name = session.get(Place, household.place_code).name
    steps = hh_service.steps_of(session, actor, household.id)
    history = hh_service.status_history(session, actor, household.id)
    recorders = queries.user_names(session, {c.recorded_by for c in history})
    incomes = income_service.history(session, actor, household)
    support = file_view.support_records(session, actor, household.id)
    trail = file_view.file_audit(session, actor, household)
    exclusions = hh_service.exclusions_of(session, actor, household.id)
    audit.file_opened(session, actor, household.id, household.file_no)  # who read this file (once a day)

hid, version = household.id, household.version
notice = st.session_state.pop("hv_notice", None)
if notice:
    st.success(escape_markdown(notice))
for status_form in ("hv_step", "hv_close", "hv_reopen"):  # their outcome changes which form is shown, so report it up here
    form_notice(status_form)

title, actions = st.columns([3, 2], vertical_alignment="bottom")
title.title(escape_markdown(household.name))
status_text = codes.HOUSEHOLD_STATUS[household.status]
category_text = codes.label(codes.CATEGORY, household.category) or "未认定"
title.caption(f"档案编号 **{escape_markdown(household.file_no)}** · {place_name} · {escape_markdown(household.org.name)} · 状态：**{status_text}** · 困难类别：**{category_text}**"
              + (f" · 建档日期 {household.filed_on:%Y-%m-%d}" if household.filed_on else "")
              + (" · **导入的历史档案**" if household.historical_import else ""))
b1, b2 = actions.columns(2)
if household.status in ("applying", "active") and b1.button("修改档案", icon=":material/edit:", width="stretch"):
    st.switch_page("screens/household_form.py", query_params={"file": household.file_no})

members = pd.DataFrame([
    {"姓名": m.name, "关系": codes.label(codes.RELATION, m.relation), "身份证号": m.id_number or "", "性别": codes.label(codes.SEX, m.sex),
     "出生日期": m.birth_date, "健康状况": codes.label(codes.HEALTH, m.health), "月收入(元)": m.monthly_income_fen / 100,
     "身份": codes.label(codes.MEMBER_IDENTITY, m.identity), "有劳动能力": "是" if m.able_to_work else "否", "单位或学校": m.school_or_employer or ""}
    for m in household.members
], columns=["姓名", "关系", "身份证号", "性别", "出生日期", "健康状况", "月收入(元)", "身份", "有劳动能力", "单位或学校"])
causes = pd.DataFrame([
    {"致困原因": codes.CAUSE[c.cause], "主次": "主要" if c.is_main else "次要", "状态": f"{c.removed_on:%Y-%m-%d} 已消除" if c.removed_on else "未消除"}
    for c in sorted(household.causes, key=lambda c: not c.is_main)
], columns=["致困原因", "主次", "状态"])
history_frame = pd.DataFrame([
    {"日期": c.effective_on, "原状态": codes.label(codes.HOUSEHOLD_STATUS, c.from_status), "新状态": codes.HOUSEHOLD_STATUS[c.to_status],
     "原因": codes.label(codes.STATUS_REASON, c.reason), "说明": c.note or "", "登记人": queries.actor_label(c.recorded_by, recorders)}
    for c in history
], columns=["日期", "原状态", "新状态", "原因", "说明", "登记人"])


def _printable() -> str:
    """Built when clicked; the download (full ID and bank card numbers) is written to the audit log."""
    with store.reading() as session:
        audit.personal_data_downloaded(session, actor, f"打印版档案 {household.file_no}", household_id=hid)
    return file_sheet.render(household, place_name=place_name, members=members, causes=causes,
                             incomes=incomes.drop(columns=["version"]), support=support, history=history_frame,
                             printed_by=actor.display_name, id_number=household.id_number)


b2.download_button(
    "打印版", icon=":material/print:", width="stretch", file_name=f"{household.file_no}.html", mime="text/html",
    data=_printable, on_click="ignore", help="下载可打印的档案（HTML），用浏览器打开后打印，放入纸质档案",
)

tab_facts, tab_members, tab_income, tab_plan, tab_visits, tab_process, tab_trail = st.tabs(
    ["概况", f"家庭成员（{len(members)}）", "收入", "帮扶计划", "结对与走访", "办理与状态", "操作记录"])

with tab_facts:
    left, right = st.columns([3, 2])
    with left:
        facts = file_sheet.head_facts(household, household.id_number, support["assistance_now"])
        st.dataframe(pd.DataFrame(facts, columns=["项目", "内容"]), hide_index=True, width="stretch", height=min(38 * len(facts), 560))
    with right:
        st.markdown("**致困原因**")
        st.dataframe(causes, hide_index=True, width="stretch")
        st.markdown(f"**困难类别：{category_text}**")
        if household.category_explanation:
            st.code(household.category_explanation, language=None, wrap_lines=True)
        else:
            st.caption("尚未认定。录入月收入后可认定。")
        FORM = "hv_assess"
        form_notice(FORM)
        if household.status in ("applying", "active"):
            def _reassess():
                with store.transaction() as session:
                    result = hh_service.reassess(session, actor, hid, expected_version=version, on=today)
                return f"已按今天的数据重新认定：{result.label}。"
            st.button("按最新数据重新认定", key="hv_reassess", on_click=submit, args=(FORM, _reassess),
                      help="用截至今天的月收入和低保标准重新计算困难类别，结果和理由记入档案")
        st.markdown("**排除情形核查**")
        if exclusions:
            st.dataframe(pd.DataFrame([{"情形": codes.EXCLUSION[e.exclusion], "结果": "存在" if e.applies else "不存在", "来源": e.source,
                                        "核查日期": e.checked_on} for e in exclusions], columns=["情形", "结果", "来源", "核查日期"]),
                         hide_index=True, width="stretch")
        missing = [text for code, text in codes.EXCLUSION.items() if code not in {e.exclusion for e in exclusions}]
        if missing and household.status == "applying":
            st.caption("尚未核查：" + "、".join(missing) + "（在“修改档案”中填写核查来源；四项都核查后才能在档）")
        elif missing:  # 在档 without them: a file from another system (导入的历史档案), listed in 工作台 → 待补核查
            st.warning("尚未核查：" + "、".join(missing) + "。" + ("本档案是导入的历史档案，未经本系统的建档步骤：" if household.historical_import else "")
                       + "请在“修改档案”中补填核查结果和来源（工作台“待补核查”）。", icon=":material/fact_check:")
    assistance_panel.render(actor, household, today)

with tab_members:
    st.dataframe(members, hide_index=True, width="stretch",
                 column_config={"月收入(元)": st.column_config.NumberColumn("月收入(元)", format="%.2f")})

with tab_income:
    if incomes.empty:
        st.info("还没有收入记录。")
    else:
        chart_data = incomes.assign(月份=pd.to_datetime(incomes["月份"]))
        per_capita = alt.Chart(chart_data).mark_line(point=True).encode(
            x=alt.X("月份:T", title="月份", axis=alt.Axis(format="%Y-%m", labelAngle=0, tickCount="month")),  # one tick a month at most
            y=alt.Y("人均收入:Q", title="元/人·月"),
            tooltip=[alt.Tooltip("月份:T", format="%Y-%m"), alt.Tooltip("人均收入:Q", format=".2f"), alt.Tooltip("低保标准:Q", format=".2f"), "是否超过低保标准"],
        )
        line = alt.Chart(chart_data).mark_line(interpolate="step-after", color="#c0392b", strokeDash=[6, 3]).encode(x="月份:T", y="低保标准:Q")
        st.altair_chart((per_capita + line).properties(height=280), width="stretch")
        st.caption("实线：家庭人均月收入；红色虚线：当月低保标准。")
        st.dataframe(incomes.drop(columns=["version"]).iloc[::-1], hide_index=True, width="stretch", height=300)
    if household.status in ("applying", "active"):
        FORM = "hv_income"
        st.markdown("**录入或更正一个月的收入**")
        form_notice(FORM)
        versions = dict(zip(incomes["月份"], incomes["version"])) if not incomes.empty else {}

        def _save_income():
            s = st.session_state
            month = dt.date(int(s.hv_in_year), int(s.hv_in_month), 1)
            row = income_service.IncomeRow(hid, s.hv_in_income, s.hv_in_persons, s.hv_in_transfer, s.hv_in_special, s.hv_in_accident,
                                           version=versions.get(month))
            with store.transaction() as session:
                counts = income_service.save_month(session, actor, month, [row], today=today)
            return f"{month:%Y年%m月}：" + "，".join(f"{k} {v}" for k, v in counts.items() if v)

        with st.form(FORM):
            c1, c2, c3, c4 = st.columns(4)
            last_month = today.replace(day=1) - dt.timedelta(days=1)
            c1.selectbox("年", list(range(today.year, 2009, -1)), index=today.year - last_month.year, placeholder="请选择", key="hv_in_year")
            c2.selectbox("月", list(range(1, 13)), index=last_month.month - 1, placeholder="请选择", key="hv_in_month")
            c3.text_input("家庭月收入(元) *", key="hv_in_income")
            c4.number_input("家庭人口 *", min_value=1, max_value=30, value=1 + len(household.members), key="hv_in_persons")
            c5, c6, c7 = st.columns(3)
            c5.text_input("其中转移性收入(元)", key="hv_in_transfer")
            c6.text_input("因病因学因残支出(元)", key="hv_in_special")
            c7.text_input("灾害意外支出(元)", key="hv_in_accident")
            field_error(FORM, "month")
            field_error(FORM, household.file_no)
            st.form_submit_button("保存该月收入", on_click=submit, args=(FORM, _save_income))

with tab_plan:
    plan_panel.render(actor, household, today)

with tab_visits:
    visit_panel.render(actor, household, today)

with tab_process:
    st.markdown("**建档步骤**（申请 → 入户调查 → 公示 → 审核 → 在档）")
    st.dataframe(pd.DataFrame([{"步骤": codes.PROCESS_STEP[s.step], "日期": s.done_on, "办理人": s.done_by, "说明": s.note or ""} for s in steps],
                              columns=["步骤", "日期", "办理人", "说明"]), hide_index=True, width="stretch")
    if household.status == "applying":
        done = {s.step for s in steps}
        next_step = next(s for s in hh_service.STEP_ORDER if s not in done)
        FORM = "hv_step"

        def _record_step(step=next_step):
            s = st.session_state
            with store.transaction() as session:
                hh_service.record_step(session, actor, hid, expected_version=version, step=step, done_on=s.hv_step_on,
                                       note=s.hv_step_note or None, today=today)
            return f"已办理“{codes.PROCESS_STEP[step]}”。" + ("档案已在档。" if step == "filed" else "")

        with st.form(FORM):
            st.markdown(f"下一步：**{codes.PROCESS_STEP[next_step]}**")
            st.date_input("办理日期", value=today, max_value=today, key="hv_step_on", format="YYYY-MM-DD")
            field_error(FORM, "done_on")
            st.text_input("说明", key="hv_step_note")
            field_error(FORM, "step")
            st.form_submit_button(f"办理：{codes.PROCESS_STEP[next_step]}", type="primary", on_click=submit, args=(FORM, _record_step))

    st.markdown("**状态变更记录**")
    st.dataframe(history_frame, hide_index=True, width="stretch")

    if household.status == "active":
        FORM = "hv_close"

        def _close():
            s = st.session_state
            with store.transaction() as session:
                hh_service.close_household(session, actor, hid, expected_version=version, to_status=s.hv_close_to,
                                           reason=s.hv_close_reason, effective_on=s.hv_close_on, note=s.hv_close_note or None, today=today)
            return f"档案已关闭：{codes.HOUSEHOLD_STATUS[s.hv_close_to]}。"

        with st.form(FORM):
            st.markdown("**关闭档案**（脱困 / 解困 / 退出）")
            c1, c2, c3 = st.columns(3)
            c1.selectbox("关闭为", hh_service.CLOSE_TO, format_func=codes.HOUSEHOLD_STATUS.get, placeholder="请选择", key="hv_close_to")
            field_error(FORM, "to_status")
            c2.selectbox("退出原因（仅退出时）", [None, *codes.WITHDRAW_REASON], format_func=lambda c: "—" if c is None else codes.WITHDRAW_REASON[c], placeholder="请选择", key="hv_close_reason")
            with c2:
                field_error(FORM, "reason")
            c3.date_input("日期", value=today, max_value=today, key="hv_close_on", format="YYYY-MM-DD")
            with c3:
                field_error(FORM, "effective_on")
            st.text_input("说明", key="hv_close_note", placeholder="如：连续6个月人均收入超过低保标准，致困原因已消除")
            field_error(FORM, "note")
            st.form_submit_button("确认关闭", type="primary", on_click=submit, args=(FORM, _close))
    elif household.status in hh_service.CLOSE_TO:
        FORM = "hv_reopen"

        def _reopen():
            s = st.session_state
            with store.transaction() as session:
                hh_service.reopen_household(session, actor, hid, expected_version=version, effective_on=s.hv_reopen_on,
                                            note=s.hv_reopen_note, today=today)
            return "档案已返困，重新在档。"

        with st.form(FORM):
            st.markdown("**返困**（重新在档）")
            st.date_input("返困日期", value=today, max_value=today, key="hv_reopen_on", format="YYYY-MM-DD")
            field_error(FORM, "effective_on")
            st.text_input("返困原因 *", key="hv_reopen_note")
            field_error(FORM, "note")
            st.form_submit_button("确认返困", type="primary", on_click=submit, args=(FORM, _reopen))

with tab_trail:
    st.dataframe(trail, hide_index=True, width="stretch", height=420)

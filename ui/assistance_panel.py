"""纳入政府救助体系 on 一户一档: the file's assistance records per programme, with forms to add, end and correct one."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from core import codes
from db import assistance as assistance_service
from db.actor import Actor
from db.models import Household
from ui import store
from ui.forms import field_error, form_notice, has_errors, submit

FORM_ADD = "ar_add"
FORM_END = "ar_end"
FORM_FIX = "ar_fix"
EARLIEST = dt.date(1990, 1, 1)


def render(actor: Actor, household: Household, today: dt.date) -> None:
    hid = household.id
    with store.reading() as session:
        records = assistance_service.records_frame(session, actor, hid, today)

    st.markdown("**纳入政府救助体系**（低保、特困供养、临时救助、医疗救助、受灾人员救助、教育救助、住房救助、就业救助）")
    st.caption("每个项目一条记录，写明起止日期和来源。某月内有任一记录在执行（起始日期不晚于月末、截止日期为空或不早于月初），"
               "即视为该月已纳入政府救助体系（认定解困用）。")
    if records.empty:
        st.caption("还没有救助记录。")
    else:
        st.dataframe(records.drop(columns=["id", "version"]), hide_index=True, width="stretch")

    for form in (FORM_ADD, FORM_END, FORM_FIX):
        form_notice(form)

    def _add() -> str:
        s = st.session_state
        raw = {"programme": s.ar_programme, "from_on": s.ar_from, "to_on": s.ar_to, "source": s.ar_source, "note": s.ar_note}
        with store.transaction() as session:
            assistance_service.add_record(session, actor, hid, raw, today=today)
        return f"已新增救助记录：{codes.ASSISTANCE_PROGRAMME[s.ar_programme]}，{s.ar_from:%Y-%m-%d} 起。"

    with st.expander("新增救助记录", expanded=has_errors(FORM_ADD)):
        with st.form(FORM_ADD):
            c1, c2, c3, c4 = st.columns(4)
            c1.selectbox("救助项目 *", list(codes.ASSISTANCE_PROGRAMME), format_func=codes.ASSISTANCE_PROGRAMME.get, index=None,
                         placeholder="请选择", key="ar_programme")
            with c1:
                field_error(FORM_ADD, "programme")
            c2.date_input("起始日期（纳入日期）*", value=None, min_value=EARLIEST, max_value=today, format="YYYY-MM-DD", key="ar_from")
            with c2:
                field_error(FORM_ADD, "from_on")
            c3.date_input("截止日期", value=None, min_value=EARLIEST, format="YYYY-MM-DD", key="ar_to", help="仍在享受的留空")
            with c3:
                field_error(FORM_ADD, "to_on")
            c4.selectbox("来源 *", list(codes.ASSISTANCE_SOURCE), format_func=codes.ASSISTANCE_SOURCE.get,
                         index=list(codes.ASSISTANCE_SOURCE).index("manual"), key="ar_source")
            with c4:
                field_error(FORM_ADD, "source")
            st.text_input("说明", key="ar_note", placeholder="如：民政局2026年3月批复")
            st.form_submit_button("新增救助记录", type="primary", on_click=submit, args=(FORM_ADD, _add), kwargs={"clear": ("ar_note",)})

    if records.empty:
        return
    labels = {int(r["id"]): f"{r['救助项目']}：{r['起始日期']} 至 {r['截止日期'] or '今'}（{r['来源']}）" for _, r in records.iterrows()}
    versions = {int(r["id"]): int(r["version"]) for _, r in records.iterrows()}
    with st.expander("结束或更正一条记录", expanded=has_errors(FORM_END) or has_errors(FORM_FIX)):
        chosen = st.selectbox("选择记录", list(labels), format_func=labels.get, key="ar_chosen")
        if chosen not in versions:
            return
        seen = versions[chosen]  # the version the person saw: a record changed meanwhile is refused
        by_id = records.set_index("id")

        def typed(name: str):
            return st.session_state[f"{name}_{chosen}"]  # the widgets are keyed on the record they edit

        def _end() -> str:
            with store.transaction() as session:
                assistance_service.end_record(session, actor, chosen, typed("ar_end_on"), expected_version=seen,
                                              reason=(typed("ar_end_reason") or "").strip() or None, today=today)
            return f"已登记截止：{labels[chosen]} → {typed('ar_end_on'):%Y-%m-%d} 截止。"

        def _fix() -> str:
            raw = {"programme": typed("ar_fix_programme"), "from_on": typed("ar_fix_from"), "to_on": typed("ar_fix_to"),
                   "source": typed("ar_fix_source"), "note": typed("ar_fix_note")}
            with store.transaction() as session:
                changed = assistance_service.correct_record(session, actor, chosen, raw, expected_version=seen,
                                                            reason=typed("ar_fix_reason"), today=today)
            return "已更正救助记录。" if changed else "没有修改。"

        if not by_id.at[chosen, "截止日期"]:
            with st.form(f"{FORM_END}_{chosen}"):
                st.markdown("停止享受该项目：登记截止日期（最后享受的一天）")
                c1, c2 = st.columns([1, 2])
                c1.date_input("截止日期 *", value=today, min_value=EARLIEST, max_value=today, format="YYYY-MM-DD",
                              key=f"ar_end_on_{chosen}")
                with c1:
                    field_error(FORM_END, "to_on")
                c2.text_input("原因", key=f"ar_end_reason_{chosen}", placeholder="如：家庭收入超过低保标准，民政停发")
                st.form_submit_button("登记截止", on_click=submit, args=(FORM_END, _end))
        record = by_id.loc[chosen]
        with st.form(f"{FORM_FIX}_{chosen}"):
            st.markdown("录入有误时更正（须填写原因，原值保留在操作记录中）")
            c1, c2, c3, c4 = st.columns(4)
            programme = codes.code_for(codes.ASSISTANCE_PROGRAMME, record["救助项目"])
            c1.selectbox("救助项目 *", list(codes.ASSISTANCE_PROGRAMME), format_func=codes.ASSISTANCE_PROGRAMME.get,
                         index=list(codes.ASSISTANCE_PROGRAMME).index(programme), key=f"ar_fix_programme_{chosen}")
            with c1:
                field_error(FORM_FIX, "programme")
            c2.date_input("起始日期 *", value=dt.date.fromisoformat(record["起始日期"]), min_value=EARLIEST, max_value=today,
                          format="YYYY-MM-DD", key=f"ar_fix_from_{chosen}")
            with c2:
                field_error(FORM_FIX, "from_on")
            c3.date_input("截止日期", value=dt.date.fromisoformat(record["截止日期"]) if record["截止日期"] else None,
                          min_value=EARLIEST, format="YYYY-MM-DD", key=f"ar_fix_to_{chosen}")
            with c3:
                field_error(FORM_FIX, "to_on")
            source = codes.code_for(codes.ASSISTANCE_SOURCE, record["来源"])
            c4.selectbox("来源 *", list(codes.ASSISTANCE_SOURCE), format_func=codes.ASSISTANCE_SOURCE.get,
                         index=list(codes.ASSISTANCE_SOURCE).index(source), key=f"ar_fix_source_{chosen}")
            st.text_input("说明", value=record["说明"], key=f"ar_fix_note_{chosen}")
            st.text_input("更正原因 *", key=f"ar_fix_reason_{chosen}", placeholder="如：民政名单核对，纳入日期应为3月1日")
            field_error(FORM_FIX, "reason")
            st.form_submit_button("保存更正", on_click=submit, args=(FORM_FIX, _fix))

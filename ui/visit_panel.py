"""The 结对与走访 tab of 一户一档: the responsible person (一帮一) with history, and the visits."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from core import codes
from db import pairings as pairing_service
from db import visits as visit_service
from db.actor import Actor
from db.models import Household
from ui import store
from ui.forms import field_error, form_notice, has_errors, submit
from ui.helper_form import helper_inputs, helper_values
from ui.markdown import escape_markdown

FORM_HELPER = "pv_helper"
FORM_VISIT = "pv_visit"


def render(actor: Actor, household: Household, today: dt.date) -> None:
    hid = household.id
    with store.reading() as session:
        current = pairing_service.current_pairing(session, actor, hid)
        history = pairing_service.pairing_history(session, actor, hid)
        visits = visit_service.visits_frame(session, actor, hid)
        due = visit_service.next_visit(session, actor, household, today)
    seen = current.version if current else None

    st.markdown("**结对帮扶（一帮一）**")
    if current:
        phone = f"，{current.helper_phone}" if current.helper_phone else ""
        st.markdown(f"当前责任人：**{escape_markdown(current.helper_name)}**（{escape_markdown(current.helper_unit + phone)}），自 {current.start_on:%Y-%m-%d} 起")
    else:
        st.warning("该户还没有帮扶责任人和结对单位。", icon=":material/person_off:")
    if household.status in pairing_service.PAIRABLE:
        def _assign() -> str:
            s = st.session_state
            raw = helper_values("pv_")
            with store.transaction() as session:
                moved = pairing_service.assign_helper(session, actor, [hid], raw, expected={hid: seen}, today=today,
                                                      reason=(s.pv_reason or "").strip() or None)
            return f"帮扶责任人已改为 {s.pv_name}。" if moved else "与当前结对相同，没有修改。"

        form_notice(FORM_HELPER)
        with st.expander("更换帮扶责任人" if current else "指定帮扶责任人", expanded=current is None or has_errors(FORM_HELPER)):
            with st.form(FORM_HELPER):
                helper_inputs(FORM_HELPER, "pv_", today=today, unit=current.helper_unit if current else "")
                st.text_input("更换原因", key="pv_reason", placeholder="如：原责任人工作调动")
                st.form_submit_button("保存结对", type="primary", on_click=submit, args=(FORM_HELPER, _assign))
    if not history.empty:
        st.dataframe(history, hide_index=True, width="stretch")

    st.markdown("**走访记录**")
    if due:
        st.markdown(due)
    if household.status == "active":
        _interval_form(actor, household)

    def _visit() -> str:
        s = st.session_state
        raw = {"visited_on": s.pv_visit_on, "visitor": s[f"pv_visitor_{current.id if current else 0}"], "kind": s.pv_kind,
               "notes": s.pv_notes, "needs": s.pv_needs}
        with store.transaction() as session:
            visit_service.record_visits(session, actor, [hid], raw, today=today)
        return f"已登记 {s.pv_visit_on:%Y-%m-%d} 的走访。"

    form_notice(FORM_VISIT)
    with st.form(FORM_VISIT):
        c1, c2, c3 = st.columns(3)
        c1.date_input("走访日期 *", value=today, key="pv_visit_on", format="YYYY-MM-DD")
        with c1:
            field_error(FORM_VISIT, "visited_on")
        visitor_key = f"pv_visitor_{current.id if current else 0}"  # follows a change of helper
        c2.text_input("走访人 *", value=current.helper_name if current else actor.display_name, key=visitor_key)
        with c2:
            field_error(FORM_VISIT, "visitor")
        c3.selectbox("方式 *", list(codes.VISIT_KIND), format_func=codes.VISIT_KIND.get, placeholder="请选择", key="pv_kind")
        st.text_area("情况记录 *", key="pv_notes", height=68, placeholder="家庭收入、就业、健康、子女上学等近况")
        field_error(FORM_VISIT, "notes")
        st.text_input("发现的需求", key="pv_needs", placeholder="如：希望参加技能培训")
        st.form_submit_button("登记走访", type="primary", on_click=submit, args=(FORM_VISIT, _visit),
                              kwargs={"clear": ("pv_notes", "pv_needs")})
    if visits.empty:
        st.caption("还没有走访记录。")
    else:
        st.dataframe(visits, hide_index=True, width="stretch", height=min(38 + 35 * len(visits), 320))


def _interval_form(actor: Actor, household: Household) -> None:
    """This file's own visit interval (e.g. monthly for a dialysis patient); empty: the parameter's."""
    hid, version = household.id, household.version
    FORM = "pv_interval"

    def _save() -> str:
        months = st.session_state.pv_interval
        with store.transaction() as session:
            changed = visit_service.set_visit_interval(session, actor, hid, months or None, expected_version=version)
        if not changed:
            return "没有修改。"
        return f"本户走访间隔已设为每 {months} 个月。" if months else "本户走访间隔已改为按政策参数。"

    form_notice(FORM)
    with st.expander("本户走访间隔", expanded=has_errors(FORM)):
        with st.form(FORM):
            st.number_input("每几个月至少走访一次（0 = 按政策参数“走访间隔”）", min_value=0, max_value=visit_service.MAX_INTERVAL,
                            value=household.visit_interval_months or 0, key="pv_interval",
                            help="如尿毒症透析、重病等需要经常关注的家庭，可设为每月走访")
            field_error(FORM, "visit_interval")
            st.form_submit_button("保存走访间隔", on_click=submit, args=(FORM, _save))

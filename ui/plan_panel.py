"""The 帮扶计划 tab of 一户一档: suggested tracks, the measures (add / change), and the money paid.

Forms follow ui.forms: callbacks call the db services, errors show under their fields and the
typing stays. Editing widgets are keyed by the measure (or payment) chosen, so choosing another
row loads its values.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from core import codes
from core.money import fen_to_yuan
from db import measures as measure_service
from db.actor import Actor
from db.models import Household
from db.pairings import current_pairing
from ui import selection, store
from ui.forms import field_error, form_notice, form_notices, submit

FORM_MEASURE = "pm_measure"
FORM_PAY = "pm_payment"
FORM_FIX = "pm_fix"
NONE = "—"


def _pick(options: dict, *, none: bool) -> tuple[list, callable]:
    keys = ([None] if none else []) + list(options)
    return keys, (lambda c: NONE if c is None else options[c])


def _selectable(frame, rows, key: str, money: str, *, editable: bool, height: int | str = "auto"):
    """A table of measures or payments; the row the user selected (when the file may be changed), or None.
    The selection is bound to the row's id (and every row's version: a saved row starts the table afresh)."""
    chosen = selection.select_rows(frame, key=key, id_column="id", context=[(r.id, r.version) for r in rows], multi=False,
                                   selectable=editable, height=height,
                                   column_config={money: st.column_config.NumberColumn(format="%,.2f")})
    if not chosen.ids:
        return None
    wanted = int(chosen.ids[0])
    return next(r for r in rows if r.id == wanted)


def render(actor: Actor, household: Household, today: dt.date) -> None:
    with store.reading() as session:
        plan = measure_service.plan_of(session, actor, household, today)
        helper = current_pairing(session, actor, household.id)
    editable = household.status in measure_service.OPEN_FILE
    form_notices(FORM_MEASURE)  # a saved measure's form may be gone (its row is no longer selected)
    if editable:  # a closed file's plan is a record, not a to-do
        _suggestions(plan)
    st.markdown("**帮扶措施（一户一计划）**")
    measures = measure_service.measures_frame(plan.measures, plan.payments, today)
    chosen = None
    if measures.empty:
        st.info("还没有帮扶措施。可参考上面的建议类别新增。")
    else:
        chosen = _selectable(measures, plan.measures, "pm_table", "已发放(元)", editable=editable)
        if chosen is not None:
            st.caption("已选中一项措施，下方表单可修改它；取消选中即可新增。")
    if editable:
        _measure_form(actor, household, chosen, helper.helper_name if helper else "", today)
    _payments(actor, household, plan, today, editable)


def _suggestions(plan: measure_service.PlanView) -> None:
    st.markdown("**建议的帮扶类别**（系统按致困原因、劳动能力、参保和低保情况提出，由您决定）")
    if not plan.suggestions:
        st.caption("暂无建议：档案中没有未消除的致困原因或需要关注的情况。")
    missing = set(plan.coverage.tracks_without_measure)
    for s in plan.suggestions:
        mark = ":orange[:material/warning: 尚无在办措施]" if s.track in missing else ":green[:material/check_circle: 已有在办措施]"
        st.markdown(f"- **{s.label}**（{mark}）：{'；'.join(s.reasons)}。可考虑：{s.examples}")
    if plan.coverage.uncovered_causes:
        parts = []
        for cause in plan.coverage.uncovered_causes:
            text = codes.CAUSE[cause]
            if cause in plan.coverage.finished_only:
                text += "（已有措施均已完成；如该原因已消除，请在“修改档案”中标记消除日期）"
            parts.append(text)
        st.warning("以下致困原因没有“计划”或“实施中”的措施：" + "；".join(parts), icon=":material/report:")


def _measure_form(actor: Actor, household: Household, measure, helper_name: str, today: dt.date) -> None:
    mid = measure.id if measure else "new"
    k = lambda name: f"pm_{name}_{mid}"  # noqa: E731 — one key per field and measure
    form = f"{FORM_MEASURE}_{mid}"  # its messages belong to this measure's form only
    causes = {c.cause: codes.CAUSE[c.cause] + ("（已消除）" if c.removed_on else "") for c in household.causes}
    hid = household.id

    def _raw() -> dict:
        s = st.session_state
        return {"track": s[k("track")], "programme": s[k("programme")], "cause": s[k("cause")], "content": s[k("content")],
                "status": s[k("status")], "start_on": s[k("start_on")], "end_on": s[k("end_on")], "responsible": s[k("responsible")],
                "amount": s[k("amount")], "fund_source": s[k("fund")], "pay_every": s[k("every")], "first_pay_on": s[k("first")],
                "pay_count": s[k("count")]}

    def _save() -> str:
        with store.transaction() as session:
            if measure is None:
                _, paid = measure_service.add_measure(session, actor, hid, _raw(), today=today)
                return "已新增措施" + (f"，并按发放计划生成 {paid} 笔发放记录。" if paid else "。")
            changed, removed, added = measure_service.update_measure(session, actor, measure.id, _raw(),
                                                                     expected_version=measure.version, today=today)
        if not changed:
            return "没有修改任何内容。"
        extra = f"今后的发放已按新计划重排（删除 {removed} 笔、生成 {added} 笔）。" if removed or added else ""
        return f"已保存措施的修改。{extra}"

    with st.form(form):
        st.markdown("**修改所选措施**" if measure else "**新增帮扶措施**")
        c1, c2, c3 = st.columns(3)
        keys, fmt = _pick(codes.TRACK, none=False)
        c1.selectbox("措施类别 *", keys, format_func=fmt, placeholder="请选择", key=k("track"), index=keys.index(measure.track) if measure else 0)
        with c1:
            field_error(form, "track")
        keys, fmt = _pick(codes.PROGRAMME, none=True)
        c2.selectbox("帮扶项目", keys, format_func=fmt, placeholder="请选择", key=k("programme"), index=keys.index(measure.programme) if measure else 0)
        with c2:
            field_error(form, "programme")
        keys, fmt = _pick(causes, none=True)
        c3.selectbox("针对的致困原因 *", keys, format_func=fmt, placeholder="请选择", key=k("cause"),
                     index=keys.index(measure.cause) if measure and measure.cause in keys else (1 if len(keys) > 1 else 0))
        with c3:
            field_error(form, "cause")
        st.text_area("帮扶内容 *", value=measure.content if measure else "", key=k("content"), height=68,
                     placeholder="做什么、怎么做，如：推荐到某企业从事保洁工作")
        field_error(form, "content")
        c1, c2, c3, c4 = st.columns(4)
        keys, fmt = _pick(codes.MEASURE_STATUS, none=False)
        c1.selectbox("状态 *", keys, format_func=fmt, placeholder="请选择", key=k("status"), index=keys.index(measure.status) if measure else 0)
        with c1:
            field_error(form, "status")
        c2.date_input("开始日期 *", value=measure.start_on if measure else today, key=k("start_on"), format="YYYY-MM-DD",
                      min_value=dt.date(2000, 1, 1), max_value=dt.date(today.year + 5, 12, 31))
        with c2:
            field_error(form, "start_on")
        c3.date_input("结束日期", value=measure.end_on if measure else None, key=k("end_on"), format="YYYY-MM-DD",
                      min_value=dt.date(2000, 1, 1), max_value=dt.date(today.year + 10, 12, 31))
        with c3:
            field_error(form, "end_on")
        c4.text_input("责任人", value=(measure.responsible or "") if measure else helper_name, key=k("responsible"))
        with c4:
            field_error(form, "responsible")
        st.markdown("资金（不涉及资金的措施留空）：周期性发放（如爱心卡每月补助、透析每年救助）填一次，系统生成每一笔发放记录")
        c1, c2, c3, c4, c5 = st.columns(5)
        c1.text_input("每次金额(元)", value=(f"{measure.amount_fen / 100:.2f}" if measure and measure.amount_fen else ""), key=k("amount"))
        with c1:
            field_error(form, "amount")
        keys, fmt = _pick(codes.FUND_SOURCE, none=True)
        c2.selectbox("资金来源", keys, format_func=fmt, placeholder="请选择", key=k("fund"), index=keys.index(measure.fund_source) if measure else 0)
        with c2:
            field_error(form, "fund_source")
        keys, fmt = _pick(codes.PAY_EVERY, none=False)
        c3.selectbox("发放方式", keys, format_func=fmt, placeholder="请选择", key=k("every"),
                     index=keys.index(measure.pay_every) if measure and measure.pay_every else 0)
        with c3:
            field_error(form, "pay_every")
        c4.date_input("（首次）发放日期", value=measure.first_pay_on if measure else None, key=k("first"), format="YYYY-MM-DD",
                      min_value=dt.date(2000, 1, 1), max_value=dt.date(today.year + 5, 12, 31))
        with c4:
            field_error(form, "first_pay_on")
        c5.number_input("发放次数", min_value=1, max_value=120, value=(measure.pay_count or 1) if measure else 1, key=k("count"),
                        help="一次性发放填 1；每月发放一年填 12")
        with c5:
            field_error(form, "pay_count")
        field_error(form, "household")
        if measure and measure.pay_every:
            st.caption("修改金额或发放计划只影响今天以后的发放（今后各笔按新计划重新生成，单独更正过的也一样）；"
                       "已发放的记录请在下方“资金发放”中逐笔更正。")
        st.form_submit_button("保存修改" if measure else "新增措施", type="primary", on_click=submit, args=(form, _save),
                              kwargs={"clear": () if measure else (k("content"), k("amount"))})


def _payments(actor: Actor, household: Household, plan: measure_service.PlanView, today: dt.date, editable: bool) -> None:
    st.markdown("**资金发放**")
    form_notices(FORM_FIX)
    c1, c2 = st.columns(2)
    c1.metric("已发放合计(元)", fen_to_yuan(plan.paid_fen))
    c2.metric("计划待发放(元)", fen_to_yuan(plan.planned_fen))
    if editable:
        st.caption("按发放计划生成的记录，到发放日期即计为“已发放”；没有实际发放的，请选中该笔删除并写明原因。")
    frame = measure_service.payments_frame(plan.payments, plan.measures, today)
    chosen = None
    if frame.empty:
        st.caption("还没有发放记录。")
    else:
        chosen = _selectable(frame, plan.payments, "pm_pay_table", "金额(元)", editable=editable, height=min(38 + 35 * len(frame), 320))
    if not editable:
        return
    hid = household.id
    if chosen is not None:
        _fix_payment(actor, chosen, today)
        return
    measure_options = {m.id: f"{codes.TRACK[m.track]}：{m.content[:30]}" for m in plan.measures}

    def _add() -> str:
        s = st.session_state
        raw = {"amount": s.pm_pay_amount, "fund_source": s.pm_pay_fund, "paid_on": s.pm_pay_on, "note": s.pm_pay_note}
        with store.transaction() as session:
            payment = measure_service.add_payment(session, actor, hid, raw, measure_id=s.pm_pay_measure, today=today,
                                                  confirm_twin=s.pm_pay_twin)
            text = f"已登记 {payment.paid_on:%Y-%m-%d} 发放 {fen_to_yuan(payment.amount_fen)} 元。"
        st.session_state.pm_pay_twin = False  # a confirmation holds for one payment only
        return text

    form_notice(FORM_PAY)
    with st.form(FORM_PAY):
        st.markdown("**登记一笔发放**（如送温暖慰问金；选中上表一行可更正或删除该笔）")
        c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
        keys = [None, *measure_options]
        c1.selectbox("所属措施", keys, format_func=lambda m: "无（送温暖等单独发放）" if m is None else measure_options[m], placeholder="请选择", key="pm_pay_measure")
        with c1:
            field_error(FORM_PAY, "measure")
        c2.text_input("金额(元) *", key="pm_pay_amount")
        with c2:
            field_error(FORM_PAY, "amount")
        keys, fmt = _pick(codes.FUND_SOURCE, none=True)
        c3.selectbox("资金来源 *", keys, format_func=fmt, placeholder="请选择", key="pm_pay_fund")
        with c3:
            field_error(FORM_PAY, "fund_source")
        c4.date_input("发放日期 *", value=today, key="pm_pay_on", format="YYYY-MM-DD", min_value=dt.date(2000, 1, 1))
        with c4:
            field_error(FORM_PAY, "paid_on")
        st.text_input("说明", key="pm_pay_note", placeholder="如：2027年春节送温暖慰问金")
        st.checkbox("确认是另一笔发放（同一天已有相同金额的发放时勾选）", key="pm_pay_twin")
        field_error(FORM_PAY, "note")
        field_error(FORM_PAY, "household")
        st.form_submit_button("登记发放", on_click=submit, args=(FORM_PAY, _add), kwargs={"clear": ("pm_pay_amount", "pm_pay_note")})


def _fix_payment(actor: Actor, payment, today: dt.date) -> None:
    pid, version = payment.id, payment.version
    k = lambda name: f"pm_fix_{name}_{pid}"  # noqa: E731

    def _raw() -> dict:
        s = st.session_state
        return {"amount": s[k("amount")], "fund_source": s[k("fund")], "paid_on": s[k("on")], "note": s[k("note")]}

    def _update() -> str:
        with store.transaction() as session:
            changed = measure_service.update_payment(session, actor, pid, _raw(), expected_version=version, today=today)
        return "已更正该笔发放。" if changed else "没有修改任何内容。"

    def _delete() -> str:
        with store.transaction() as session:
            measure_service.delete_payment(session, actor, pid, expected_version=version, reason=st.session_state[k("reason")])
        st.toast("已删除该笔发放", icon=":material/delete:")  # the form it came from is gone after the rerun
        return "已删除该笔发放（操作日志中保留了原记录和原因）。"

    with st.form(f"{FORM_FIX}_{pid}"):
        st.markdown(f"**更正或删除所选发放**（{payment.paid_on:%Y-%m-%d}，{fen_to_yuan(payment.amount_fen)} 元）")
        c1, c2, c3 = st.columns(3)
        c1.text_input("金额(元) *", value=f"{payment.amount_fen / 100:.2f}", key=k("amount"))
        with c1:
            field_error(f"{FORM_FIX}_{pid}", "amount")
        keys, fmt = _pick(codes.FUND_SOURCE, none=False)
        c2.selectbox("资金来源 *", keys, format_func=fmt, index=keys.index(payment.fund_source), placeholder="请选择", key=k("fund"))
        c3.date_input("发放日期 *", value=payment.paid_on, key=k("on"), format="YYYY-MM-DD", min_value=dt.date(2000, 1, 1))
        with c3:
            field_error(f"{FORM_FIX}_{pid}", "paid_on")
        st.text_input("说明", value=payment.note or "", key=k("note"))
        st.text_input("删除原因（仅删除时填写）", key=k("reason"), placeholder="如：录入错误、未实际发放")
        field_error(f"{FORM_FIX}_{pid}", "reason")
        b1, b2 = st.columns(2)
        b1.form_submit_button("保存更正", type="primary", on_click=submit, args=(f"{FORM_FIX}_{pid}", _update))
        b2.form_submit_button("删除该笔", on_click=submit, args=(f"{FORM_FIX}_{pid}", _delete))

"""可脱困/可解困名单: the files that meet a rule, with the evidence; confirm one or several at once."""

import datetime as dt

import pandas as pd
import streamlit as st

from core import codes
from core.status_engine import lacking_text, month_label
from db import evaluation, proposals
from db.errors import ServiceError, ValidationError
from ui import long_table, selection, snapshot, store
from ui.markdown import escape_markdown
from ui.session import require_role

actor = require_role("admin", "staff")
today = dt.date.today()
st.title("可脱困/可解困名单")

last_complete = today.replace(day=1) - dt.timedelta(days=1)
c1, c2 = st.columns([1, 3])
as_of = c1.date_input("评估截至", value=last_complete, max_value=today, format="YYYY-MM-DD", key="pp_as_of",
                      help="判断该日期所在月份；某户该月尚未录入收入的，按参数“收入录入允许滞后”顺延到此前月份")
c2.caption("每户按自己的收入记录判断：评估月份（尚未录入的，可顺延到允许滞后的月份）。"
           "脱困：经精准帮扶（有实施中或已完成的措施），致困原因全部消除，且家庭收入连续达到规定月数**超过**当月当地低保标准×家庭人口"
           "（按分精确比较，缺月即中断）。"
           "解困：难以脱困、判断月份已纳入政府救助体系（低保、特困供养、临时救助等任一救助记录在执行）、有常态化帮扶措施，且判断月份家庭收入（含转移性收入）**达到**低保标准×家庭人口。"
           "措施按评估日当时的状态判断。系统只提出建议，须由工作人员确认。")


def _table(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "档案编号": rows["file_no"], "户主": rows["name"], "区县": rows["place_name"],
        "连续超线月数": rows["run_months"],
        "判断月份": rows["judged_month"].map(lambda m: month_label(int(m)) if m >= 0 else ""),
        "人均收入(元)": rows["per_capita_fen"] / 100, "低保标准(元)": rows["line_fen"] / 100,
        "依据": rows.apply(evaluation.evidence, axis=1) if len(rows) else pd.Series(dtype=str),
    })


def _lists(snap, actor, as_of) -> dict:
    """The engine's answer and the five lists as shown, built once per data version and scope (shared by reference:
    never modified). Files closed since the evaluation month are not proposed again."""
    # the engine's answer per file: after a save, only the files written are evaluated again
    result = snapshot.derived("proposals_result", actor, evaluation.PARTS, evaluation.evaluate_snapshot, as_of,
                              by_file=True)
    open_now = result["current_status"] == "active"
    lists = {}
    for kind in ("exit", "relief"):
        rows = result[(result["suggestion"] == kind) & open_now].sort_values("file_no").reset_index(drop=True)
        lists[kind] = (rows, _table(rows).assign(household_id=rows["household_id"]))
    for column in ("near_exit", "unhelped"):
        lists[column] = _table(result[result[column] & open_now].sort_values("file_no"))
    missing = result[result["missing_recent"] & open_now].sort_values("file_no")
    lists["missing_recent"] = pd.DataFrame({  # evidence() of these rows, for 70,000 files at once
        "档案编号": missing["file_no"], "户主": missing["name"], "区县": missing["place_name"],
        "缺少的收入": [lacking_text(int(m), int(lag)) for m, lag in zip(missing["lacking_month"], missing["income_lag_months"],
                                                                       strict=True)]})
    return {"result": result, "lists": lists}


try:
    # from the server's shared snapshot, current with the database; recomputed only when incomes, statuses, measures or
    # parameters changed (ui.snapshot)
    got = snapshot.derived("proposals", actor, evaluation.PARTS, _lists, as_of)
except LookupError as exc:
    st.error(escape_markdown(exc))
    st.stop()
result, lists = got["result"], got["lists"]

done = st.session_state.pop("pp_done", None)
if done:
    st.success(escape_markdown(done))
problems = result[result["problem"] != ""]
if len(problems):
    st.error(f"{len(problems)} 户有月份没有生效的低保标准，无法判断，例如：{problems['problem'].iloc[0]}。请管理员录入低保标准。")


tabs = st.tabs([f"可脱困（{len(lists['exit'][0])}）", f"可解困（{len(lists['relief'][0])}）",
                f"即将脱困（{len(lists['near_exit'])}）", f"{evaluation.UNHELPED}（{len(lists['unhelped'])}）",
                f"{evaluation.MISSING_RECENT}（{len(lists['missing_recent'])}）"])
for tab, kind in zip(tabs[:2], ("exit", "relief"), strict=True):
    with tab:
        rows, table = lists[kind]
        if rows.empty:
            st.info("目前没有符合条件的档案。")
            continue
        # ticks are bound to the files (ids in order, for this month), never to row positions: see ui.selection
        chosen = selection.select_rows(table, key=f"pp_table_{kind}",
                                       id_column="household_id", context=(kind, as_of), height=min(38 + 35 * len(rows), 520))
        label = evaluation.SUGGESTION[kind][1:]
        errors = st.session_state.pop(f"pp_errors_{kind}", {})
        with st.form(f"pp_confirm_{kind}"):
            st.caption(f"确认后档案关闭为“已{label}”，记入状态变更和操作日志；每户在确认时重新核对是否仍符合条件。")
            f1, f2, f3 = st.columns(3)
            effective_on = f1.date_input("确认日期", value=today, max_value=today, format="YYYY-MM-DD", key=f"pp_on_{kind}")
            publicised = f2.checkbox("已公示", key=f"pp_pub_{kind}", help="勾选后须填写公示开始日期；确认日期须在公示期满之后")
            publicity_from = f3.date_input("公示开始日期", value=None, max_value=today, format="YYYY-MM-DD", key=f"pp_pub_from_{kind}")
            note = st.text_input("说明（可选）", key=f"pp_note_{kind}")
            for message in errors.values():
                st.error(escape_markdown(message), icon=":material/error:")
            selection.show_chosen(chosen, action=f"确认{label}", name="户主")
            submitted = st.form_submit_button(f"确认{label}", type="primary")
        if submitted:
            try:
                with store.transaction() as session:
                    if chosen.dropped:  # the list changed under the ticks: never confirm what was not seen
                        raise ValidationError({"household_ids": selection.DROPPED + "本次没有关闭任何档案。"})
                    if publicised and publicity_from is None:
                        raise ValidationError({"publicity_from": "勾选“已公示”时，请填写公示开始日期"})
                    n = proposals.confirm(session, actor, [int(h) for h in chosen.ids], kind=kind, as_of=as_of,
                                           effective_on=effective_on, note=note, publicity_from=publicity_from if publicised else None,
                                           today=today)
            except ValidationError as exc:
                st.session_state[f"pp_errors_{kind}"] = exc.errors
                st.rerun()
            except ServiceError as exc:
                st.session_state[f"pp_errors_{kind}"] = {"": str(exc)}
                st.rerun()
            st.session_state["pp_done"] = f"已确认{label} {n} 户。"
            selection.clear(f"pp_table_{kind}")
            st.rerun()

def _listed(tab, table: pd.DataFrame, key: str, empty: str, caption: str) -> None:
    """A list that is shown, not confirmed: the files in scope that fit (a page at a time), or a line saying there are none."""
    with tab:
        if table.empty:
            st.info(empty)
            return
        st.caption(caption)
        long_table.show(table, key=f"pp_page_{key}", file_name=f"{key}_{as_of:%Y%m}.csv")


_listed(tabs[2], lists["near_exit"], "即将脱困", "没有即将脱困的档案。",
        f"已连续 4–5 个月超过低保标准（脱困需 {int(result['exit_run_months'].iloc[0]) if len(result) else '—'} 个月），"
        "请关注收入录入和致困原因消除。")
# not proposed, listed apart for staff: the help to record (or the file to withdraw), the income to enter
_listed(tabs[3], lists["unhelped"], "收入已达标未记录帮扶", "没有收入已达标但未记录帮扶措施的档案。",
        "收入和致困原因已达到脱困条件，但评估日没有实施中或已完成的帮扶措施：脱困须经精准帮扶，这些档案不提出脱困。"
        "请在档案的“帮扶计划”中补录已实施的措施，或核实后办理退出。")
_listed(tabs[4], lists["missing_recent"], "缺近期收入", "每户都有可判断月份的收入记录。",
        "这些档案在可判断的月份没有收入记录，不提出任何建议（也不按更早的收入判断）。请先录入收入。")

st.caption(f"评估月份：{as_of:%Y年%m月} · 脱困所需连续月数：{int(result['exit_run_months'].iloc[0]) if len(result) else '—'} · "
           f"收入录入允许滞后：{int(result['income_lag_months'].iloc[0]) if len(result) else '—'} 个月 · "
           f"共评估 {len(result):,} 户（{codes.HOUSEHOLD_STATUS['active']} {int((result['status'] == 'active').sum()):,} 户）")

"""可脱困/可解困名单: the files that meet a rule, with the evidence; confirm one or several at once."""

import datetime as dt

import pandas as pd
import streamlit as st

from core import codes
from core.status_engine import month_label
from db import evaluation, proposals
from db.errors import ServiceError, ValidationError
from ui import selection, snapshot, store
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


try:
    # from the server's shared snapshot, current with the database; recomputed only when incomes, statuses, measures or
    # parameters changed (ui.snapshot)
    result = snapshot.derived("proposals", actor, evaluation.PARTS, evaluation.evaluate_snapshot, as_of)
except LookupError as exc:
    st.error(escape_markdown(exc))
    st.stop()

done = st.session_state.pop("pp_done", None)
if done:
    st.success(escape_markdown(done))
problems = result[result["problem"] != ""]
if len(problems):
    st.error(f"{len(problems)} 户有月份没有生效的低保标准，无法判断，例如：{problems['problem'].iloc[0]}。请管理员录入低保标准。")


def _table(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "档案编号": rows["file_no"], "户主": rows["name"], "区县": rows["place_name"],
        "连续超线月数": rows["run_months"],
        "判断月份": rows["judged_month"].map(lambda m: month_label(int(m)) if m >= 0 else ""),
        "人均收入(元)": rows["per_capita_fen"] / 100, "低保标准(元)": rows["line_fen"] / 100,
        "依据": rows.apply(evaluation.evidence, axis=1),
    })


open_files = result["current_status"] == "active"
tabs = st.tabs([f"可脱困（{((result['suggestion'] == 'exit') & open_files).sum()}）",
                f"可解困（{((result['suggestion'] == 'relief') & open_files).sum()}）",
                f"即将脱困（{(result['near_exit'] & open_files).sum()}）",
                f"{evaluation.UNHELPED}（{(result['unhelped'] & open_files).sum()}）",
                f"{evaluation.MISSING_RECENT}（{(result['missing_recent'] & open_files).sum()}）"])
open_now = result["current_status"] == "active"  # files closed since the evaluation month are not proposed again
for tab, kind in zip(tabs[:2], ("exit", "relief"), strict=True):
    with tab:
        rows = result[(result["suggestion"] == kind) & open_now].sort_values("file_no").reset_index(drop=True)
        if rows.empty:
            st.info("目前没有符合条件的档案。")
            continue
        # ticks are bound to the files (ids in order, for this month), never to row positions: see ui.selection
        chosen = selection.select_rows(_table(rows).assign(household_id=rows["household_id"]), key=f"pp_table_{kind}",
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

def _listed(tab, rows: pd.DataFrame, empty: str, caption: str, table) -> None:
    """A list that is shown, not confirmed: the files in scope that fit, or a line saying there are none."""
    with tab:
        rows = rows.sort_values("file_no")
        if rows.empty:
            st.info(empty)
            return
        st.caption(caption)
        st.dataframe(table(rows), hide_index=True, width="stretch")


_listed(tabs[2], result[result["near_exit"] & open_now], "没有即将脱困的档案。",
        f"已连续 4–5 个月超过低保标准（脱困需 {int(result['exit_run_months'].iloc[0]) if len(result) else '—'} 个月），"
        "请关注收入录入和致困原因消除。", _table)
# not proposed, listed apart for staff: the help to record (or the file to withdraw), the income to enter
_listed(tabs[3], result[result["unhelped"] & open_now], "没有收入已达标但未记录帮扶措施的档案。",
        "收入和致困原因已达到脱困条件，但评估日没有实施中或已完成的帮扶措施：脱困须经精准帮扶，这些档案不提出脱困。"
        "请在档案的“帮扶计划”中补录已实施的措施，或核实后办理退出。", _table)
_listed(tabs[4], result[result["missing_recent"] & open_now], "每户都有可判断月份的收入记录。",
        "这些档案在可判断的月份没有收入记录，不提出任何建议（也不按更早的收入判断）。请先录入收入。",
        lambda rows: pd.DataFrame({"档案编号": rows["file_no"], "户主": rows["name"], "区县": rows["place_name"],
                                   "缺少的收入": rows.apply(evaluation.evidence, axis=1)}))

st.caption(f"评估月份：{as_of:%Y年%m月} · 脱困所需连续月数：{int(result['exit_run_months'].iloc[0]) if len(result) else '—'} · "
           f"收入录入允许滞后：{int(result['income_lag_months'].iloc[0]) if len(result) else '—'} 个月 · "
           f"共评估 {len(result):,} 户（{codes.HOUSEHOLD_STATUS['active']} {int((result['status'] == 'active').sum()):,} 户）")

"""法定节假日与调休 on the 低保标准与参数 page: the years the app knows, and (administrators) a form to enter a year
that chinese-calendar does not know yet. The rule and the checks are in core.workdays; the write in db.workdays."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.workdays import PACKAGE_YEARS
from db.actor import Actor
from db.errors import ServiceError, ValidationError
from db.workdays import calendar_years, save_calendar_year
from ui import store
from ui.markdown import escape_markdown

NEW_YEAR = "新增一年"


def show_calendar() -> None:
    """Everyone: which years are known, and how a 公示 is counted."""
    with store.reading() as session:
        years = calendar_years(session)
    st.subheader("法定节假日与调休")
    st.caption(f"公示期按国务院公布的工作日计算：法定节假日不计，调休上班的周六、周日计入；公示当天不计，审核（或脱困、解困确认）"
               f"最早可在第 N 个工作日当天办理。{PACKAGE_YEARS[0]}–{PACKAGE_YEARS[-1]} 年已随程序内置，"
               "之后的年份由管理员按国务院办公厅通知录入；公示期进入未录入的年份时，系统会提示先录入，不会按周一至周五推算。")
    if years:
        st.dataframe(pd.DataFrame([{"年份": y["year"], "放假日期": y["holidays"], "调休上班日期": y["workdays"] or "—",
                                    "依据": y["source"]} for y in years]), hide_index=True, width="stretch")
    else:
        st.caption(f"尚未录入 {PACKAGE_YEARS[-1]} 年以后的年份。")


def _field_error(errors: dict[str, str], field: str) -> None:
    if field in errors:
        st.error(escape_markdown(errors[field]))


def calendar_form(actor: Actor) -> None:
    """Administrators: enter a year, or correct one entered before (on the version loaded)."""
    with store.reading() as session:
        years = {y["year"]: y for y in calendar_years(session)}
    outcome = st.session_state.pop("pp_cal_outcome", None)
    if outcome:
        st.success(escape_markdown(outcome))
    errors: dict[str, str] = st.session_state.get("pp_cal_errors", {})
    choice = st.selectbox("年份", [NEW_YEAR, *years], key="pp_cal_choice",
                          format_func=lambda y: y if y == NEW_YEAR else f"修改 {y} 年")
    loaded = years.get(choice)
    suffix = "new" if loaded is None else f"{loaded['year']}_{loaded['version']}"  # a reloaded year gets fresh fields
    with st.form(f"pp_cal_form_{suffix}"):
        year = st.text_input("年份 *", value="" if loaded is None else str(loaded["year"]), disabled=loaded is not None,
                             key=f"pp_cal_year_{suffix}", placeholder=str(PACKAGE_YEARS[-1] + 1))
        _field_error(errors, "year")
        holidays = st.text_area("放假日期 *", value="" if loaded is None else loaded["holidays"], key=f"pp_cal_holidays_{suffix}",
                                placeholder=f"{PACKAGE_YEARS[-1] + 1}-01-01, {PACKAGE_YEARS[-1] + 1}-02-06~{PACKAGE_YEARS[-1] + 1}-02-12",
                                help="YYYY-MM-DD，连续几天写成 起~止，用逗号或换行分开；含放假期间的周六、周日")
        _field_error(errors, "holidays")
        workdays = st.text_area("调休上班日期（周六、周日）", value="" if loaded is None else loaded["workdays"],
                                key=f"pp_cal_workdays_{suffix}")
        _field_error(errors, "workdays")
        source = st.text_input("依据（通知名称或文号）", value="" if loaded is None else loaded["source"], key=f"pp_cal_source_{suffix}")
        _field_error(errors, "source")
        submitted = st.form_submit_button("保存", type="primary", icon=":material/save:")
    if not submitted:
        return
    try:
        with store.transaction() as session:
            saved = save_calendar_year(session, actor, year=loaded["year"] if loaded else year, holidays=holidays,
                                       workdays=workdays, source=source, expected_version=loaded["version"] if loaded else None)
            saved_year = saved.year
    except ValidationError as exc:
        st.session_state["pp_cal_errors"] = exc.errors
        st.rerun()
    except ServiceError as exc:
        st.session_state["pp_cal_errors"] = {"year": str(exc)}
        st.rerun()
    st.session_state.pop("pp_cal_errors", None)
    for key in [k for k in st.session_state if str(k).startswith("pp_cal_") and str(k).endswith(f"_{suffix}")]:
        del st.session_state[key]
    st.session_state["pp_cal_outcome"] = f"已保存 {saved_year} 年的法定节假日和调休安排"
    st.rerun()

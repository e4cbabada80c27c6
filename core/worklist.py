"""工作台: which files need what, from one row of facts per file (pure; the store gathers the facts).

The queues (codes.WORK_QUEUE) and when a file is in one:
- no_helper        在档, no current pairing (一帮一);
- no_plan          在档, no measure 计划 or 实施中;
- uncovered_cause  在档, an open cause that no 计划/实施中 measure addresses;
- visit_overdue    在档, the last visit (or, with none, the filing date) is more than the visit interval ago;
- income_missing   在档 before last month began, and no income recorded for last month;
- near_exit        在档, 4 or 5 of the 6 months (exit_run_months − 2 … − 1) above the line, or the whole run there but a
                   cause still open (the status engine's near_exit: only removing the cause is missing);
- followup_due     closed as 脱困/解困 within the follow-up period, and no visit since it closed;
- untouched        在档, nothing recorded for a year (file, income, measure, payment, visit, pairing);
- never_helped     在档, no measure ever carried out (实施中/已完成) and no payment ever made.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from core import codes
from core.plan import add_months

FACT_COLUMNS = ("household_id", "status", "filed_on", "closed_on", "has_helper", "open_measures", "uncovered_causes",
                "last_visit", "visited_since_close", "has_last_month_income", "run_months", "open_causes", "near_exit", "last_activity",
                "helped")


def _date(value) -> dt.date | None:
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def work_queues(files: pd.DataFrame, today: dt.date, *, visit_interval_months: int, followup_months: int,
                exit_run_months: int) -> pd.DataFrame:
    """One row per (file, queue) it is in: household_id, queue, detail (plain Chinese, what is due)."""
    last_month = add_months(today.replace(day=1), -1)
    year_ago = add_months(today, -12)
    visit_due_before = add_months(today, -visit_interval_months)
    rows: list[tuple[int, str, str]] = []
    for f in files.itertuples(index=False):
        hid = int(f.household_id)
        if f.status in ("exited", "relieved"):
            closed_on = _date(f.closed_on)
            if closed_on is None:
                continue
            until = add_months(closed_on, followup_months)
            if closed_on <= today <= until and not f.visited_since_close:
                rows.append((hid, "followup_due", f"{closed_on:%Y-%m-%d} {codes.HOUSEHOLD_STATUS[f.status]}，"
                                                  f"回访期至 {until:%Y-%m-%d}，尚未回访"))
            continue
        if f.status != "active":
            continue
        filed_on = _date(f.filed_on)
        if not f.has_helper:
            rows.append((hid, "no_helper", "没有当前的帮扶责任人和结对单位"))
        if not f.open_measures:
            rows.append((hid, "no_plan", "没有“计划”或“实施中”的帮扶措施"))
        if f.uncovered_causes:
            rows.append((hid, "uncovered_cause", f"{int(f.uncovered_causes)} 项未消除的致困原因没有在办的措施"))
        last_visit = _date(f.last_visit)
        since = last_visit or filed_on
        if since is not None:
            if since < visit_due_before:
                due = add_months(since, visit_interval_months)
                what = f"最近走访 {last_visit:%Y-%m-%d}" if last_visit else f"{filed_on:%Y-%m-%d} 建档后未走访"
                rows.append((hid, "visit_overdue", f"{what}，应于 {due:%Y-%m-%d} 前走访"))
        if not f.has_last_month_income and (filed_on is None or filed_on < last_month):
            rows.append((hid, "income_missing", f"没有 {last_month:%Y年%m月} 的收入记录"))
        if f.near_exit:
            run = int(f.run_months)
            detail = (f"已连续 {run} 个月人均收入超过低保标准（需 {exit_run_months} 个月）" if run < exit_run_months else
                      f"已连续 {run} 个月超过低保标准，但还有 {int(f.open_causes)} 项致困原因未消除（核实消除后即可提出脱困）")
            rows.append((hid, "near_exit", detail))
        last_activity = _date(f.last_activity)
        if last_activity is not None and last_activity < year_ago:
            rows.append((hid, "untouched", f"最近一次记录于 {last_activity:%Y-%m-%d}"))
        if not f.helped:
            rows.append((hid, "never_helped", "没有实施过的帮扶措施，也没有资金发放记录"))
    return pd.DataFrame(rows, columns=["household_id", "queue", "detail"])


def queue_counts(queues: pd.DataFrame) -> dict[str, int]:
    counts = queues["queue"].value_counts()
    return {code: int(counts.get(code, 0)) for code in codes.WORK_QUEUE}

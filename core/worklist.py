"""工作台: which files need what, from one row of facts per file (pure; the store gathers the facts).

The queues (codes.WORK_QUEUE) and when a file is in one:
- no_helper        在档, no current pairing (一帮一);
- no_plan          在档, no measure 计划 or 实施中 on one of the four tracks (送温暖 is no plan);
- uncovered_cause  在档, an open cause that no 计划/实施中 measure addresses;
- visit_overdue    在档, the last visit (or, with none, the filing date) plus the file's visit interval is before today;
- income_missing   在档 since last month began at the latest, and no income recorded for last month;
- near_exit        在档, 4 or 5 of the 6 months (exit_run_months − 2 … − 1) above the line, or the whole run there but a
                   cause still open (the status engine's near_exit: only removing the cause is missing);
- exit_unhelped    在档, meets 脱困's income and cause rule but no measure was carried out (经精准帮扶后 is missing): record
                   the help, or withdraw the file;
- income_not_recent 在档, no income record in the months the status engine may judge (缺近期收入): it cannot be judged;
- (the three above are the status engine's answer as of the end of last month, each file on its own months)
- followup_due     closed as 脱困/解困 within the follow-up period, and no visit since it closed;
- untouched        在档, nothing recorded for a year (file, income, measure, payment, visit, pairing);
- never_helped     在档, no measure ever carried out (实施中/已完成) and no payment ever made;
- checks_missing   a file brought in 在档 from another system (导入的历史档案) with an exclusion (codes.EXCLUSION) not
                   yet checked, or whose imported incomes gave no category (待补核查); a file filed here had both
                   before its 在档 step.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core import codes
from core.plan import add_months
from core.status_engine import lacking_text


def _dates(column: pd.Series) -> pd.Series:
    """A column of dates (None/NaT allowed) as datetime64, for vectorised comparisons."""
    return pd.to_datetime(column, errors="coerce")


def _months_later(days: pd.Series, months: pd.Series) -> pd.Series:
    """Each date moved by its own number of months (anchor day kept, clamped to the month's end: core.plan.add_months,
    on whole columns)."""
    values = _dates(days).to_numpy().astype("datetime64[D]")
    start = values.astype("datetime64[M]")
    target = start + np.asarray(months, dtype=np.int64).astype("timedelta64[M]")
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    offset = np.where(np.isnat(values), 0, (values - start.astype("datetime64[D]")).astype(np.int64))
    moved = target.astype("datetime64[D]") + np.minimum(offset, length - 1).astype("timedelta64[D]")
    return pd.Series(moved.astype("datetime64[s]"), index=days.index)


def _day_text(days: pd.Series) -> np.ndarray:
    """Dates as 2026-12-02 (NaT as "NaT"; callers only pick rows that have one)."""
    return np.datetime_as_string(_dates(days).to_numpy().astype("datetime64[D]"), unit="D").astype(object)


def _number_text(numbers: pd.Series) -> np.ndarray:
    return numbers.astype(np.int64).astype(str).to_numpy(dtype=object)


def visit_due(last_visit: pd.Series, filed_on: pd.Series, interval: pd.Series | None, default_months: int) -> tuple[pd.Series, pd.Series]:
    """When each file is next due a visit: its last visit (or, with none, its filing date) plus its own
    interval (empty: `default_months`). A visit is late from the day after. Returns (due dates, intervals)."""
    months = (interval if interval is not None else pd.Series(None, index=last_visit.index)).fillna(default_months).astype("int64")
    since = _dates(last_visit).fillna(_dates(filed_on))
    return _months_later(since, months), months


def work_queues(files: pd.DataFrame, today: dt.date, *, visit_interval_months: int, followup_months: int,
                exit_run_months: int) -> pd.DataFrame:
    """One row per (file, queue) it is in: household_id, queue, detail (plain Chinese, what is due).

    `files` holds one row of facts per file (see db.worklist.facts); a file's own visit interval
    (`visit_interval`, empty for the parameter's) wins over `visit_interval_months`.
    """
    now = pd.Timestamp(today)
    last_month = pd.Timestamp(add_months(today.replace(day=1), -1))
    year_ago = pd.Timestamp(add_months(today, -12))
    active = files["status"] == "active"
    filed_on, last_visit = _dates(files["filed_on"]), _dates(files["last_visit"])
    hid = files["household_id"].astype("int64")
    parts: list[pd.DataFrame] = []

    def add(queue: str, mask: pd.Series, detail) -> None:
        if mask.any():
            chosen = files.index[mask]
            text = detail(chosen) if callable(detail) else [detail] * len(chosen)
            parts.append(pd.DataFrame({"household_id": hid[chosen].to_numpy(), "queue": queue, "detail": list(text)}))

    add("no_helper", active & ~files["has_helper"].astype(bool), "没有当前的帮扶责任人和结对单位")
    add("no_plan", active & (files["open_measures"] == 0), "没有“计划”或“实施中”的四个一批措施")
    add("uncovered_cause", active & (files["uncovered_causes"] > 0),
        lambda i: _number_text(files.loc[i, "uncovered_causes"]) + " 项未消除的致困原因没有在办的措施")

    due, interval = visit_due(files["last_visit"], files["filed_on"], files.get("visit_interval"), visit_interval_months)
    overdue = active & due.notna() & (due < now)
    add("visit_overdue", overdue, lambda i: np.where(last_visit[i].notna(), "最近走访 " + _day_text(last_visit[i]),
                                                     _day_text(filed_on[i]) + " 建档后未走访")
        + "，应于 " + _day_text(due[i]) + " 前走访（每 " + _number_text(interval[i]) + " 个月）")

    on_file_all_month = filed_on.isna() | (filed_on <= last_month)
    add("income_missing", active & ~files["has_last_month_income"].astype(bool) & on_file_all_month,
        f"没有 {last_month:%Y年%m月} 的收入记录")

    def near_detail(i):
        return [f"已连续 {r} 个月人均收入超过低保标准（需 {exit_run_months} 个月）" if r < exit_run_months else
                f"已连续 {r} 个月以上超过低保标准，但还有 {c} 项致困原因未消除（核实消除后即可提出脱困）"
                for r, c in zip(files.loc[i, "run_months"].astype(int), files.loc[i, "open_causes"].astype(int))]
    add("near_exit", active & files["near_exit"].astype(bool), near_detail)
    add("exit_unhelped", active & files["unhelped"].astype(bool), lambda i: [
        f"已连续 {r} 个月超过低保标准、致困原因已全部消除，但没有已实施的帮扶措施：请补录帮扶措施，或核实后退出"
        for r in files.loc[i, "run_months"].astype(int)])

    def lacking(i):  # one text per (month, lag): most files lack the same months
        pairs = list(zip(files.loc[i, "lacking_month"].astype(int), files.loc[i, "income_lag_months"].astype(int)))
        texts = {pair: lacking_text(*pair) for pair in set(pairs)}
        return [texts[pair] for pair in pairs]
    add("income_not_recent", active & files["missing_recent"].astype(bool), lacking)

    closed_on = _dates(files["closed_on"])
    until = _months_later(closed_on, pd.Series(followup_months, index=files.index))
    followup = (files["status"].isin(("exited", "relieved")) & closed_on.notna() & (closed_on <= now) & (now <= until)
                & ~files["visited_since_close"].astype(bool))
    add("followup_due", followup, lambda i: _day_text(closed_on[i]) + " "
        + files.loc[i, "status"].map(codes.HOUSEHOLD_STATUS).to_numpy(object) + "，回访期至 " + _day_text(until[i]) + "，尚未回访")

    last_activity = _dates(files["last_activity"])
    add("untouched", active & last_activity.notna() & (last_activity < year_ago),
        lambda i: "最近一次记录于 " + _day_text(last_activity[i]))
    add("never_helped", active & ~files["helped"].astype(bool), "没有实施过的帮扶措施，也没有资金发放记录")

    history = files["historical_import"].astype(bool)
    unchecked = files["unchecked_exclusions"].fillna("")
    no_category = history & files["category"].isna()
    add("checks_missing", active & history & ((unchecked != "") | no_category), lambda i: [
        "导入的历史档案，" + "；".join(([f"尚未核查：{u}"] if u else []) + (["按导入的收入未能认定困难类别（见档案的认定理由）"] if n else []))
        for u, n in zip(unchecked[i], no_category[i])])

    if not parts:
        return pd.DataFrame({"household_id": pd.Series(dtype="int64"), "queue": pd.Series(dtype="str"),
                             "detail": pd.Series(dtype="str")})
    return pd.concat(parts, ignore_index=True)

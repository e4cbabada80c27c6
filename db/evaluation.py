"""Feeds the status engine from the store, within the actor's scope, and shapes its answer for people.

`evaluate_files(session, actor, as_of)` gives one row per file on record at `as_of` (its status that
day rebuilt from the status history), with the engine's proposal for the files 在档 that day, each judged
on its own latest month within `income_lag_months`, its measures as they stood on `as_of` (their status history).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from core import codes
from core.assistance import records_for_months
from core.measure_history import measure_flags
from core.parameters import parse_value, value_on
from core.status_engine import (Inputs, Multiple, evaluate, lacking_text, month_index, month_label,
                                status_as_of)
from db import snapshot
from db.actor import Actor
from db.scope import without_personal_data

SUGGESTION = {"exit": "可脱困", "relief": "可解困"}
UNHELPED = "收入已达标、未记录帮扶"  # meets the income and cause rule, no measure carried out: not proposed
MISSING_RECENT = "缺近期收入"


# the parts of the snapshot the engine reads
PARTS = ("files", "changes", "measures", "measure_changes", "incomes", "causes", "assistance")


def load_inputs(session: Session, actor: Actor, as_of: dt.date, *, months_back: int | None = None,
                income_lag_months: int = 0) -> tuple[Inputs, pd.DataFrame]:
    """`inputs_from` on the actor's files read in this session."""
    return inputs_from(snapshot.read(session, actor, parts=PARTS), actor, as_of, months_back=months_back,
                       income_lag_months=income_lag_months)


def inputs_from(snap: snapshot.Snapshot, actor: Actor, as_of: dt.date, *, months_back: int | None = None,
                income_lag_months: int = 0) -> tuple[Inputs, pd.DataFrame]:
    """The engine's tables for the files of `snap` (one scope), and the files themselves (id, file_no, place, status as of).

    With `months_back`, only that many months of incomes up to each file's judged month are read (the window
    reaches `income_lag_months` further back): runs are then counted up to that length (enough to tell
    即将脱困 from a complete run, and much faster)."""
    files = snap.files[["household_id", "file_no", "name", "place_code", "hard_to_exit", "status"]].rename(
        columns={"status": "current_status"})
    files = files.assign(status=files["household_id"].map(status_as_of(snap.changes, as_of)))
    files = files[files["status"].notna()].reset_index(drop=True)
    day = pd.Timestamp(as_of)
    measures = snap.measures[(snap.measures["start_on"] <= day).to_numpy()]
    flags = measure_flags(measures, snap.measure_changes, as_of)  # all of the history: a later change is no "no history"
    for column in ("has_measure_carried_out", "has_active_measure"):
        files[column] = files["household_id"].isin(flags.index[flags[column].to_numpy(bool)])

    last_month = month_index(as_of.replace(day=1))
    month = snap.incomes["month_index"].to_numpy()
    window = month <= last_month
    if months_back is not None:
        window &= month >= last_month - months_back - income_lag_months + 1
    window &= np.isin(snap.incomes["household_id"].to_numpy(), files["household_id"].to_numpy())
    incomes = snap.incomes[window].reset_index(drop=True)
    # 纳入政府救助体系: any assistance record in force in the month each file is judged on (its latest month within
    # the lag; a file with none gets no proposal, so its as-of month stands in)
    recent = incomes[incomes["month_index"] >= last_month - income_lag_months]
    latest = recent.groupby("household_id")["month_index"].max()
    judged_index = files["household_id"].map(latest).fillna(last_month).to_numpy(np.int64)
    judged = pd.Series((judged_index - 1970 * 12).astype("datetime64[M]").astype("datetime64[ns]"),
                       index=files["household_id"].to_numpy())
    records = snap.assistance
    covered = records[records_for_months(records, judged).to_numpy()]
    files["in_safety_net"] = files["household_id"].isin(covered["household_id"])
    # the programmes in force, in the order they began, for the evidence line
    labels = covered.sort_values("from_on", kind="stable").assign(
        label=lambda f: f["programme"].map(codes.ASSISTANCE_PROGRAMME).fillna(f["programme"]))
    named = labels.drop_duplicates(["household_id", "label"]).groupby("household_id", sort=False)["label"].agg("、".join)
    files["assistance_in_force"] = files["household_id"].map(named).astype(object).fillna("")
    names = snap.reference.place_names
    inputs = Inputs(incomes=incomes, households=files[["household_id", "place_code", "hard_to_exit", "in_safety_net",
                                                       "has_measure_carried_out", "has_active_measure"]],
                    causes=snap.causes[["household_id", "removed_on"]],
                    lines=snap.reference.lines[["place_code", "effective_from", "amount_fen"]], place_names=names)
    files["place_name"] = files["place_code"].map(names)
    return inputs, without_personal_data(files, actor, ("file_no", "name"))


def evaluate_files(session: Session, actor: Actor, as_of: dt.date, *, months_back: int | None = None) -> pd.DataFrame:
    """One row per file on record at `as_of`, with the engine's proposal where the file was 在档 that day.

    `status` is the file's status on `as_of` (rebuilt from its history); `current_status` is today's.
    """
    return evaluate_snapshot(snapshot.read(session, actor, parts=PARTS), actor, as_of, months_back=months_back)


def evaluate_snapshot(snap: snapshot.Snapshot, actor: Actor, as_of: dt.date, *, months_back: int | None = None) -> pd.DataFrame:
    """`evaluate_files` on a snapshot of the actor's scope (the pages' shared one, or one just read)."""
    history = snap.reference.parameter_history
    months = int(value_on(history("exit_run_months"), "exit_run_months", as_of))
    lag = int(value_on(history("income_lag_months"), "income_lag_months", as_of))
    inputs, files = inputs_from(snap, actor, as_of, months_back=months_back, income_lag_months=lag)
    multiples = {key: dated_multiple(history(key), key, inputs.incomes) for key in ("exit_multiple", "relief_multiple")}
    result = evaluate(inputs, as_of, months, income_lag_months=lag, exit_multiple=multiples["exit_multiple"],
                      relief_multiple=multiples["relief_multiple"]).merge(files, on="household_id")
    active = result["status"] == "active"
    result["suggestion"] = result["suggestion"].where(active, "")
    for column in ("near_exit", "unhelped", "missing_recent"):  # lists of files 在档 that day only
        result[column] = result[column] & active
    result["exit_run_months"] = months
    result["income_lag_months"] = lag
    for key in ("exit_multiple", "relief_multiple"):  # the multiple of the judged month, for the evidence line
        result[key] = [multiples[key].on(int(m)) if m >= 0 else 1 for m in result["judged_month"]]
    return result


def dated_multiple(rows: list[tuple[dt.date, str]], key: str, incomes: pd.DataFrame) -> Multiple:
    """A dated multiple parameter over the months the incomes span (each month: the value on its first day)."""
    if incomes.empty:
        return Multiple.constant(1)
    if "month_index" in incomes:
        first, last = int(incomes["month_index"].min()), int(incomes["month_index"].max())
    else:
        months = pd.to_datetime(incomes["month"])
        first, last = (month_index(months.min().date()), month_index(months.max().date()))
    return Multiple.from_rows(rows, lambda text: parse_value(key, text), first, last)


def _times(row: pd.Series, key: str) -> str:
    """"×1.2 倍" when a dated multiple other than 1 was in force in the judged month; nothing for the rule's own 1."""
    value = row.get(key, 1)
    return "" if value == 1 else f"×{float(value):g} 倍"


def _lacking(row: pd.Series) -> str:
    return lacking_text(int(row["lacking_month"]), int(row["income_lag_months"]))


def evidence(row: pd.Series) -> str:
    """Why a file is on a list (a proposal, 即将脱困, 收入已达标、未记录帮扶, 缺近期收入), in one line a person can check."""
    if row["missing_recent"]:
        return _lacking(row)
    judged = month_label(int(row["judged_month"]))
    if row["suggestion"] == "exit" or row["unhelped"]:
        start = month_label(int(row["run_start"]))
        text = (f"自 {start} 起至 {judged} 连续 {row['run_months']} 个月家庭收入超过当月低保标准{_times(row, 'exit_multiple')}×人口（{judged}：人均 "
                f"{row['per_capita_fen'] / 100:.2f} 元，标准 {row['line_fen'] / 100:.2f} 元）；致困原因已全部消除")
        return text + ("；有已实施的帮扶措施" if row["suggestion"] == "exit" else "；但没有已实施（实施中或已完成）的帮扶措施，"
                       "请补录帮扶措施，或核实后退出")
    if row["suggestion"] == "relief":
        return (f"难以脱困，已纳入{row['assistance_in_force'] or '政府救助'}，有常态化帮扶措施；"
                f"{judged} 人均收入（含转移性收入）{row['per_capita_fen'] / 100:.2f} 元，"
                f"达到低保标准 {row['line_fen'] / 100:.2f} 元{_times(row, 'relief_multiple')}")
    if row["near_exit"]:
        if row["run_months"] >= row["exit_run_months"]:
            return f"至 {judged} 已连续 {row['run_months']} 个月超过低保标准，但还有 {row['open_causes']} 项致困原因未消除"
        return f"至 {judged} 已连续 {row['run_months']} 个月超过低保标准（需 {row['exit_run_months']} 个月）"
    return ""


def report(result: pd.DataFrame) -> pd.DataFrame:
    """The `manage.py evaluate` table, with the issue's Chinese columns."""
    def pending(row) -> str:
        if row["missing_recent"]:
            return f"{MISSING_RECENT}：{_lacking(row)}"
        return UNHELPED if row["unhelped"] else "即将脱困" if row["near_exit"] else ""

    return pd.DataFrame({
        "档案编号": result["file_no"],
        "区县": result["place_name"],
        "状态": result["status"].map(codes.HOUSEHOLD_STATUS),
        "建议": result["suggestion"].map(SUGGESTION).fillna(""),
        "判断月份": result["judged_month"].map(lambda m: month_label(int(m)) if m >= 0 else ""),
        "连续超线月数": result["run_months"],
        "判断月人均收入": result["per_capita_fen"].map(lambda f: "" if f < 0 else f"{f / 100:.2f}"),
        "当月低保标准": result["line_fen"].map(lambda f: "" if f <= 0 else f"{f / 100:.2f}"),
        "未消除致困原因数": result["open_causes"],
        "已实施帮扶措施": result["has_measure_carried_out"].map({True: "是", False: "否"}),
        "待处理": result.apply(pending, axis=1) if len(result) else pd.Series(dtype=str),
        "问题": result["problem"],
    }).sort_values("档案编号").reset_index(drop=True)

"""core.worklist.work_queues, vectorised, against the per-row code it replaced (kept here as the oracle) on random facts:
the same files in the same queues with the same texts, whether the facts hold date objects or datetime64."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core import codes
from core.plan import add_months
from core.status_engine import lacking_text
from core.worklist import visit_due, work_queues

# --- the oracle: core/worklist.py as it was before it was vectorised (one Python step per row) ----------------------


def _dates(column: pd.Series) -> pd.Series:
    """A column of dates (None/NaT allowed) as datetime64, for vectorised comparisons."""
    return pd.to_datetime(column, errors="coerce")


def _reference_months_later(days: pd.Series, months: pd.Series) -> pd.Series:
    """Each date moved by its own number of months (anchor day kept, clamped to the month's end)."""
    out = [add_months(d.date(), int(m)) if not pd.isna(d) else None for d, m in zip(days, months)]
    return _dates(pd.Series(out, index=days.index, dtype="object"))


def reference_visit_due(last_visit: pd.Series, filed_on: pd.Series, interval: pd.Series | None, default_months: int) -> tuple[pd.Series, pd.Series]:
    """When each file is next due a visit: its last visit (or, with none, its filing date) plus its own
    interval (empty: `default_months`). A visit is late from the day after. Returns (due dates, intervals)."""
    months = (interval if interval is not None else pd.Series(None, index=last_visit.index)).fillna(default_months).astype("int64")
    since = _dates(last_visit).fillna(_dates(filed_on))
    return _reference_months_later(since, months), months


def reference_work_queues(files: pd.DataFrame, today: dt.date, *, visit_interval_months: int, followup_months: int,
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
        lambda i: [f"{n} 项未消除的致困原因没有在办的措施" for n in files.loc[i, "uncovered_causes"]])

    due, interval = reference_visit_due(files["last_visit"], files["filed_on"], files.get("visit_interval"), visit_interval_months)
    overdue = active & due.notna() & (due < now)
    add("visit_overdue", overdue, lambda i: [
        (f"最近走访 {v:%Y-%m-%d}" if not pd.isna(v) else f"{f:%Y-%m-%d} 建档后未走访") + f"，应于 {d:%Y-%m-%d} 前走访（每 {m} 个月）"
        for v, f, d, m in zip(last_visit[i], filed_on[i], due[i], interval[i])])

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
    add("income_not_recent", active & files["missing_recent"].astype(bool), lambda i: [
        lacking_text(int(m), int(lag)) for m, lag in zip(files.loc[i, "lacking_month"], files.loc[i, "income_lag_months"])])

    closed_on = _dates(files["closed_on"])
    until = _reference_months_later(closed_on, pd.Series(followup_months, index=files.index))
    followup = (files["status"].isin(("exited", "relieved")) & closed_on.notna() & (closed_on <= now) & (now <= until)
                & ~files["visited_since_close"].astype(bool))
    add("followup_due", followup, lambda i: [
        f"{c:%Y-%m-%d} {codes.HOUSEHOLD_STATUS[st]}，回访期至 {u:%Y-%m-%d}，尚未回访"
        for c, st, u in zip(closed_on[i], files.loc[i, "status"], until[i])])

    last_activity = _dates(files["last_activity"])
    add("untouched", active & last_activity.notna() & (last_activity < year_ago),
        lambda i: [f"最近一次记录于 {d:%Y-%m-%d}" for d in last_activity[i]])
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


# --- random facts -----------------------------------------------------------------------------------------------------

TODAYS = [dt.date(2026, 12, 2), dt.date(2024, 3, 31), dt.date(2021, 1, 31), dt.date(2024, 2, 29)]


def _day(rng, today: dt.date, empty: float) -> dt.date | None:
    """A day up to three years before (or a little after) today, often a month's end, sometimes none."""
    if rng.random() < empty:
        return None
    if rng.random() < 0.4:  # the 28th–31st, where moving by months must clamp
        month = add_months(today.replace(day=1), -int(rng.integers(-2, 37)))
        last = (add_months(month, 1) - dt.timedelta(days=1)).day
        return month.replace(day=int(rng.integers(28, last + 1)))
    return today - dt.timedelta(days=int(rng.integers(-60, 1100)))


def random_facts(seed: int, today: dt.date, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = list(codes.EXCLUSION.values())

    def pick(values, p=None):
        return [values[i] for i in rng.choice(len(values), size=n, p=p)]

    return pd.DataFrame({
        "household_id": np.arange(1, n + 1) * 7,
        "status": pick(["active", "exited", "relieved", "applying"], [0.6, 0.15, 0.15, 0.1]),
        "has_helper": rng.random(n) < 0.5,
        "open_measures": rng.integers(0, 3, n),
        "uncovered_causes": rng.integers(0, 4, n),
        "filed_on": [_day(rng, today, 0.05) for _ in range(n)],
        "last_visit": [_day(rng, today, 0.4) for _ in range(n)],
        "visit_interval": pd.array(pick([None, 1, 2, 3, 6, 12, 13]), dtype="Int64"),
        "has_last_month_income": rng.random(n) < 0.5,
        "near_exit": rng.random(n) < 0.3, "unhelped": rng.random(n) < 0.2, "missing_recent": rng.random(n) < 0.3,
        "run_months": rng.integers(0, 9, n), "open_causes": rng.integers(0, 3, n),
        "lacking_month": rng.integers(24200, 24320, n), "income_lag_months": rng.integers(0, 3, n),
        "closed_on": [_day(rng, today, 0.5) for _ in range(n)],
        "visited_since_close": rng.random(n) < 0.3,
        "last_activity": [_day(rng, today, 0.1) for _ in range(n)],
        "helped": rng.random(n) < 0.5,
        "historical_import": rng.random(n) < 0.4,
        "category": pick([None, "1", "2"]),
        "unchecked_exclusions": ["、".join(l for l in labels if rng.random() < 0.3) for _ in range(n)],
    })


def _as_datetime64(facts: pd.DataFrame) -> pd.DataFrame:
    """The facts as the snapshot gives them (db.worklist.facts_from): datetime64 with NaT, not date objects."""
    out = facts.copy()
    for column in ("filed_on", "last_visit", "closed_on", "last_activity"):
        out[column] = pd.to_datetime(out[column]).astype("datetime64[us]")
    return out


@pytest.mark.parametrize("today", TODAYS)
@pytest.mark.parametrize("seed", range(6))
def test_the_vectorised_queues_equal_the_per_row_ones_on_random_facts(seed, today):
    facts = random_facts(seed, today)
    params = dict(visit_interval_months=int(seed % 3 + 1) * 2, followup_months=int(seed % 2) * 6 + 6, exit_run_months=6)
    expected = reference_work_queues(facts, today, **params)
    assert set(expected["queue"]) >= {"visit_overdue", "followup_due", "untouched", "income_not_recent"}  # the dated ones
    for given in (facts, _as_datetime64(facts)):
        got = work_queues(given, today, **params)
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False)


def test_a_visit_due_date_is_clamped_to_the_months_end_as_add_months_does():
    last = pd.Series([dt.date(2024, 1, 31), dt.date(2023, 12, 31), None, dt.date(2024, 2, 29)], dtype=object)
    filed = pd.Series([None, None, dt.date(2023, 8, 30), None], dtype=object)
    due, months = visit_due(last, filed, pd.Series([1, 2, 6, 12]), default_months=3)
    assert [d.date() for d in due] == [dt.date(2024, 2, 29), dt.date(2024, 2, 29), dt.date(2024, 2, 29), dt.date(2025, 2, 28)]
    assert list(months) == [1, 2, 6, 12]

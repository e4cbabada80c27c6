"""纳入政府救助体系: a household's government assistance, one dated record per programme.

A record says the household was in a programme (低保, 特困供养, 临时救助, 医疗救助, 受灾人员救助, 教育救助,
住房救助, 就业救助 — `codes.ASSISTANCE_PROGRAMME`) from a date, until a date or still (to empty), and where
that is known from (`codes.ASSISTANCE_SOURCE`).

The rule (DOMAIN.md "解困"): a household is in the system in a month when any of its records is in
force in that month — it began on or before the month's last day and had not ended before the
month's first day. A record from the 20th counts for its whole first month, one ending on the 3rd
for its whole last month. `in_force` is that rule for one record, `households_in_force` for a table.

Pure: values in, values out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from core import codes
from core.typed import INVALID, as_code, as_date, echo, field_text

FIELD_LABELS = {"programme": "救助项目", "from_on": "起始日期", "to_on": "截止日期", "source": "来源", "note": "说明"}


class AssistanceErrors(ValueError):
    """A record as typed that breaks a rule: field → Chinese message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("；".join(errors.values()))


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the month `month` falls in."""
    first = month.replace(day=1)
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def in_force(from_on: dt.date, to_on: dt.date | None, month: dt.date) -> bool:
    """Whether a record from `from_on` to `to_on` (None: still in force) is in force in the month of `month`."""
    first, last = month_bounds(month)
    return from_on <= last and (to_on is None or to_on >= first)


def _on(records: pd.DataFrame, first, last) -> pd.Series:
    """The rule on a table: began by the month's last day, not ended before its first (`first`/`last`: per row or one)."""
    ends = pd.to_datetime(records["to_on"])
    return (pd.to_datetime(records["from_on"]) <= last) & (ends.isna() | (ends >= first))


def records_in_force(records: pd.DataFrame, month: dt.date) -> pd.Series:
    """For each record (columns from_on, to_on; to_on empty when open): in force in the month of `month`?"""
    first, last = month_bounds(month)
    return _on(records, pd.Timestamp(first), pd.Timestamp(last))


def households_in_force(records: pd.DataFrame, month: dt.date) -> set[int]:
    """The households (records' `household_id`) with any record in force in the month of `month`."""
    if records.empty:
        return set()
    return set(records.loc[records_in_force(records, month), "household_id"].astype(int))


def records_for_months(records: pd.DataFrame, months: pd.Series) -> pd.Series:
    """For each record: in force in the month its household is judged on (`months`: household_id → a date in that
    month; records of households not in `months` are not) — `in_force`, for a whole table at once."""
    if records.empty or months.empty:
        return pd.Series(False, index=records.index, dtype=bool)
    judged = records["household_id"].map(pd.to_datetime(pd.Series(months))).to_numpy("datetime64[ns]").astype("datetime64[M]")
    first, last = judged.astype("datetime64[D]"), (judged + 1).astype("datetime64[D]") - 1
    start = pd.to_datetime(records["from_on"]).to_numpy("datetime64[D]")
    end = pd.to_datetime(records["to_on"]).to_numpy("datetime64[D]")
    on = ~np.isnat(judged) & (start <= last) & (np.isnat(end) | (end >= first))
    return pd.Series(on, index=records.index, dtype=bool)


def in_force_per_household(records: pd.DataFrame, months: pd.Series) -> pd.Series:
    """For each household of `months` (household_id → the month it is judged on, a date in that month): any record
    in force in that month? For an engine that judges each file on its own month (income_lag_months)."""
    covered = set(records.loc[records_for_months(records, months), "household_id"]) if len(records) else set()
    return pd.Series(months.index.isin(list(covered)), index=months.index, dtype=bool)


def check_record(raw: dict[str, Any], *, today: dt.date) -> dict[str, Any]:
    """A record as typed (codes or labels, dates or text) → clean values, or AssistanceErrors by field."""
    errors: dict[str, str] = {}
    programme = as_code(raw.get("programme"), codes.ASSISTANCE_PROGRAMME)
    if programme is None:
        errors["programme"] = "请选择救助项目"
    elif programme == INVALID:
        errors["programme"] = f"救助项目“{echo(raw.get('programme'))}”无法识别，应为：" + "、".join(codes.ASSISTANCE_PROGRAMME.values())
    source = as_code(raw.get("source"), codes.ASSISTANCE_SOURCE)
    if source is None:
        errors["source"] = "请选择来源"
    elif source == INVALID:
        errors["source"] = f"来源“{echo(raw.get('source'))}”无法识别，应为：" + "、".join(codes.ASSISTANCE_SOURCE.values())
    from_on = as_date(raw.get("from_on"))
    if from_on is None:
        errors["from_on"] = "请填写起始日期（纳入日期）"
    elif from_on == INVALID:
        errors["from_on"] = "起始日期应为 YYYY-MM-DD"
    elif from_on > today:
        errors["from_on"] = f"起始日期 {from_on:%Y-%m-%d} 晚于今天，请核对"
    to_on = as_date(raw.get("to_on"))
    if to_on == INVALID:
        errors["to_on"] = "截止日期应为 YYYY-MM-DD，仍在享受的请留空"
    elif isinstance(to_on, dt.date) and isinstance(from_on, dt.date) and to_on < from_on:
        errors["to_on"] = f"截止日期不能早于起始日期 {from_on:%Y-%m-%d}"
    note = field_text(raw.get("note"), "assistance_record.note", errors, "note") or None
    if errors:
        raise AssistanceErrors(errors)
    return {"programme": programme, "from_on": from_on, "to_on": to_on, "source": source, "note": note}


def overlapping(record: dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Another record of the same programme whose period meets this one's (one household cannot be in one
    programme twice at once), or None."""
    far = dt.date.max
    for other in others:
        if other["programme"] != record["programme"]:
            continue
        if record["from_on"] <= (other["to_on"] or far) and other["from_on"] <= (record["to_on"] or far):
            return other
    return None


def period_text(from_on: dt.date, to_on: dt.date | None) -> str:
    return f"{from_on:%Y-%m-%d} 至 " + (f"{to_on:%Y-%m-%d}" if to_on else "今")

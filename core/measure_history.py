"""A measure's status on a past day (措施状态), from its status history — never from today's status.

DOMAIN.md, "When a household is out": measures "on D" are judged by their dates and status history as of D.
- 脱困 (经精准帮扶后) needs a measure *carried out* on D: its status on D is 实施中 or 已完成, and it started on or
  before D (`start_on <= D`).
- 解困 needs a measure *going on* on D (常态化帮扶): 实施中 on D, or 已完成 with an end on or after D.

The history is a list of changes (measure_id, to_status, effective_on, id); the status on D is the last change
dated on or before D (ties on one day in the order recorded). A measure with no recorded change at all (written by
an import or the demo, which write rows in bulk), or whose status is no longer the last one recorded (changed by an
import), is read with the history its own row implies: `implied_history`, the same rule the migration used to
backfill the measures that existed before the history did.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

CARRIED_OUT = ("in_progress", "done")


def implied_history(status: str, start_on: dt.date, end_on: dt.date | None) -> list[tuple[str | None, str, dt.date]]:
    """The changes (from, to, effective on) a measure's own row implies: 实施中 from its start, 已完成 from its end."""
    if status == "done":
        return [(None, "in_progress", start_on), ("in_progress", "done", end_on or start_on)]
    return [(None, status, start_on)]


def change_effective_on(from_status: str | None, to_status: str, start_on: dt.date, end_on: dt.date | None,
                        today: dt.date) -> dt.date:
    """The day a status change recorded `today` takes effect: 实施中 from the measure's start (a 已完成 measure taken up
    again: from today), 已完成 on its end; back to 计划 from today. Never after today."""
    if to_status == "in_progress":
        return today if from_status == "done" else min(start_on, today)
    if to_status == "done":
        return min(end_on, today) if end_on else today
    return today


def date_corrections(status: str, old_start: dt.date, new_start: dt.date, old_end: dt.date | None, new_end: dt.date | None,
                     today: dt.date) -> list[tuple[str | None, str, dt.date]]:
    """Changes to append when a measure's dates are corrected and its status is not, so that the history agrees with
    the dates: a measure carried out that started earlier is 实施中 from its new start; a 已完成 one that ended earlier
    is 已完成 from its new end. (A later start needs nothing: a measure counts only from its start anyway.)"""
    out: list[tuple[str | None, str, dt.date]] = []
    if status in CARRIED_OUT and new_start < old_start:
        out.append((None, "in_progress", min(new_start, today)))
    if status == "done" and new_end is not None and (old_end is None or new_end < old_end):
        out.append(("in_progress", "done", min(new_end, today)))
    return out


def measure_flags(measures: pd.DataFrame, changes: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Per household: has_measure_carried_out (脱困) and has_active_measure (解困) on `as_of`.

    measures: measure_id, household_id, status (today's), start_on, end_on
    changes:  measure_id, to_status, effective_on, id — the recorded history (may be empty)
    Returns a frame indexed by household_id (households with no measure are absent: both False).
    """
    day = pd.Timestamp(as_of)
    history = resolved_history(measures, changes)
    history = history[pd.to_datetime(history["effective_on"]) <= day]
    status_on = (history.assign(effective_on=pd.to_datetime(history["effective_on"]))
                 .sort_values(["measure_id", "effective_on", "id"]).drop_duplicates("measure_id", keep="last")
                 .set_index("measure_id")["to_status"])
    status = measures["measure_id"].map(status_on)
    started = pd.to_datetime(measures["start_on"]) <= day
    end = pd.to_datetime(measures["end_on"])
    carried = status.isin(CARRIED_OUT) & started
    active = started & ((status == "in_progress") | ((status == "done") & end.notna() & (end >= day)))
    flags = pd.DataFrame({"household_id": measures["household_id"].to_numpy(), "has_measure_carried_out": carried.to_numpy(),
                          "has_active_measure": active.to_numpy()})
    return flags.groupby("household_id").any()


def resolved_history(measures: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """The status history each measure is read with: its recorded changes, or (no history, or a row changed elsewhere)
    the history its row implies. Columns measure_id, to_status, effective_on, id (implied rows: negative ids)."""
    recorded = changes[["measure_id", "to_status", "effective_on", "id"]]
    # a row that no longer matches the last change recorded for it was changed elsewhere (an import): read it as
    # its row implies, like a measure with no history at all
    last = recorded.sort_values("id").drop_duplicates("measure_id", keep="last").set_index("measure_id")["to_status"]
    matches = measures["measure_id"].map(last) == measures["status"]
    recorded = recorded[recorded["measure_id"].isin(measures["measure_id"][matches])]
    without = measures[~matches]
    done = without["status"] == "done"
    # implied_history, for a whole table at once: 实施中 (or 计划) from the start; 已完成 from the end
    implied = pd.concat([
        pd.DataFrame({"measure_id": without["measure_id"], "to_status": without["status"].where(~done, "in_progress"),
                      "effective_on": without["start_on"], "id": -2}),
        pd.DataFrame({"measure_id": without["measure_id"][done], "to_status": "done",
                      "effective_on": without["end_on"][done].where(without["end_on"][done].notna(), without["start_on"][done]),
                      "id": -1}),
    ], ignore_index=True)
    return pd.concat([recorded, implied], ignore_index=True) if len(implied) else recorded.copy()

"""工作台: gathers one row of facts per file in the actor's scope, and lets core.worklist sort them into queues.

The facts come from a snapshot of the scope (db/snapshot.py): the pages pass the server's shared one
(`worklist_from`, through ui.snapshot.derived), a service or a test reads one in its own session (`worklist`);
both compute the same way, on the snapshot's datetime64 and month-index columns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from core import codes
from core.parameters import value_on
from core.plan import FOUR_TRACKS, add_months
from core.status_engine import month_index
from core.worklist import work_queues
from db import evaluation, snapshot
from db.actor import Actor
from db.scope import without_personal_data

# the parts of the snapshot the facts read (the engine's, and the payments, pairings, visits and checks)
PARTS = (*evaluation.PARTS, "payments", "pairings", "visits", "exclusions")
CLOSED = ("exited", "relieved")  # 脱困, 解困: followed up for followup_months


@dataclass(frozen=True)
class Worklist:
    files: pd.DataFrame        # household_id, file_no, name, place_name, org_name, status, helper
    queues: pd.DataFrame       # household_id, queue, detail
    counts: dict[str, int]
    near_exit_month: dt.date | None  # the month judged for 即将脱困 / 收入已达标、未记录帮扶 / 缺近期收入 (files may lag it)


def _parameter(snap: snapshot.Snapshot, key: str, day: dt.date) -> int:
    return int(value_on(snap.reference.parameter_history(key), key, day))


def _per_file(hid: pd.Series, values: pd.Series) -> pd.Series:
    """`values` (indexed by household_id, unique) lined up with `hid`, missing where a file has none (the dtype kept,
    even when `values` is empty)."""
    return pd.Series(values.reindex(hid.to_numpy()).to_numpy(), index=hid.index)


def _per_file_max(frame: pd.DataFrame, column: str) -> pd.Series:
    """The largest value of an integer `column` per file, indexed by household_id (the part is sorted by it)."""
    ids = frame["household_id"].to_numpy()
    if not len(ids):
        return pd.Series([], dtype=np.int64, index=pd.Index([], dtype=np.int64))
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    return pd.Series(np.maximum.reduceat(frame[column].to_numpy(np.int64), starts), index=ids[starts])


def _pairs_in(left: pd.DataFrame, right: pd.DataFrame) -> np.ndarray:
    """Which (household_id, cause) rows of `left` also occur in `right` (a measure with no cause matches none)."""
    codes_, _ = pd.factorize(pd.concat([left["cause"], right["cause"]], ignore_index=True))
    width = int(codes_.max()) + 2 if len(codes_) else 1

    def keys(frame, part):
        return frame["household_id"].to_numpy(np.int64) * width + part + 1  # a missing cause is code -1: key part 0

    return np.isin(keys(left, codes_[:len(left)]), keys(right, codes_[len(left):]))


def _month_start(index: pd.Series) -> pd.Series:
    """Month indices (core.status_engine.month_index) as the first day of each month, datetime64."""
    return pd.Series((index.to_numpy(np.int64) - 1970 * 12).astype("datetime64[M]").astype("datetime64[us]"), index=index.index)


def _latest(values: pd.Series, at: pd.Series) -> pd.Series:
    """The elementwise later of two datetime64 columns, NaT where both are."""
    return values.where(values.notna() & ~(values < at), at)


def _unchecked(hid: pd.Series, checks: pd.DataFrame) -> np.ndarray:
    """Per file, the exclusions (codes.EXCLUSION) with no check recorded, their labels joined by 、 in the list's order."""
    mask = np.zeros(len(hid), dtype=np.int64)
    for bit, code in enumerate(codes.EXCLUSION):
        done = checks.loc[checks["exclusion"] == code, "household_id"].to_numpy()
        mask |= np.where(np.isin(hid.to_numpy(), done), 0, 1 << bit)
    labels = list(codes.EXCLUSION.values())
    texts = np.array(["、".join(label for bit, label in enumerate(labels) if m >> bit & 1) for m in range(1 << len(labels))],
                     dtype=object)
    return texts[mask]


ENGINE_COLUMNS = ["household_id", "run_months", "open_causes", "lacking_month", "income_lag_months", "near_exit", "unhelped",
                  "missing_recent"]


def engine_facts(snap: snapshot.Snapshot, actor: Actor, today: dt.date) -> pd.DataFrame:
    """即将脱困, 收入已达标、未记录帮扶, 缺近期收入: the status engine as of the end of last month, each file judged on its own
    latest month within income_lag_months (never on the latest month anyone in the scope entered). It reads only
    `evaluation.PARTS`, so the pages keep it when a visit, a pairing or a payment is saved."""
    as_of = today.replace(day=1) - dt.timedelta(days=1)
    if snap.files.empty:
        return pd.DataFrame({column: pd.Series(dtype=np.int64) for column in ENGINE_COLUMNS})
    months = _parameter(snap, "exit_run_months", as_of)
    return evaluation.evaluate_snapshot(snap, actor, as_of, months_back=months)[ENGINE_COLUMNS]


def facts(session: Session, actor: Actor, today: dt.date) -> tuple[pd.DataFrame, dt.date | None]:
    """`facts_from` on the actor's files read in this session."""
    return facts_from(snapshot.read(session, actor, parts=PARTS), actor, today)


def facts_from(snap: snapshot.Snapshot, actor: Actor, today: dt.date, engine: pd.DataFrame | None = None
               ) -> tuple[pd.DataFrame, dt.date | None]:
    """The facts core.worklist reads, for 在档 files and files closed (脱困/解困) within the follow-up period.
    `engine`: `engine_facts` of the same snapshot and day, if already computed."""
    day = pd.Timestamp(today)
    closed_since = pd.Timestamp(add_months(today, -_parameter(snap, "followup_months", today)))
    changes = snap.changes
    last_close = changes[changes["to_status"].isin(CLOSED).to_numpy()].groupby("household_id")["effective_on"].max()
    files = snap.files
    closed_on = _per_file(files["household_id"], last_close)
    wanted = (files["status"] == "active") | (files["status"].isin(CLOSED) & (closed_on >= closed_since))
    keep = wanted.to_numpy()
    out = files.loc[keep, ["household_id", "file_no", "name", "place_name", "org_name", "status", "filed_on", "updated_at",
                           "visit_interval", "category", "historical_import"]].reset_index(drop=True)
    out.insert(7, "closed_on", closed_on[keep].to_numpy())
    hid = out["household_id"]

    helpers = snap.pairings.drop_duplicates("household_id", keep="last").set_index("household_id")
    measures = snap.measures
    open_measures = measures[measures["status"].isin(codes.OPEN_MEASURE_STATUSES).to_numpy()]
    planned = open_measures[open_measures["track"].isin(FOUR_TRACKS).to_numpy()]  # 送温暖 alone is no plan
    causes = snap.causes.loc[snap.causes["removed_on"].isna().to_numpy(), ["household_id", "cause"]]
    uncovered = causes[~_pairs_in(causes, open_measures)].groupby("household_id").size()
    visits = snap.visits.set_index("household_id")["last_visit"]
    incomes = snap.incomes
    last_month = add_months(today.replace(day=1), -1)
    with_income = incomes.loc[(incomes["month_index"] == month_index(last_month)).to_numpy(), "household_id"]
    latest_income = _month_start(_per_file_max(incomes, "month_index"))
    payments = snap.payments
    paid = payments[(payments["paid_on"] <= day).to_numpy()].groupby("household_id")["paid_on"].max()

    out["helper"] = _per_file(hid, helpers["helper"]).fillna("").astype(str)
    out["has_helper"] = out["helper"] != ""
    out["open_measures"] = _per_file(hid, planned.groupby("household_id").size()).fillna(0).astype(int)
    out["uncovered_causes"] = _per_file(hid, uncovered).fillna(0).astype(int)
    out["last_visit"] = _per_file(hid, visits).astype("datetime64[us]")
    out["visited_since_close"] = (out["last_visit"] >= out["closed_on"]).fillna(False).astype(bool)
    out["has_last_month_income"] = hid.isin(with_income)
    out["unchecked_exclusions"] = _unchecked(hid, snap.exclusions)
    carried = measures.loc[measures["status"].isin(("in_progress", "done")).to_numpy(), "household_id"]
    out["helped"] = hid.isin(carried) | hid.isin(paid.index)

    # the last thing recorded on the file: its own save, an income month, a visit, a payment, a measure, a pairing
    measure_days = pd.DataFrame({"household_id": np.concatenate([measures["household_id"].to_numpy()] * 2),
                                 "day": np.concatenate([measures["start_on"].to_numpy(), measures["end_on"].to_numpy()])})
    measure_last = measure_days[(measure_days["day"] <= day).to_numpy()].groupby("household_id")["day"].max()
    last_activity = out["updated_at"].dt.normalize()
    for candidate in (_per_file(hid, latest_income), out["last_visit"], _per_file(hid, paid), _per_file(hid, measure_last),
                      _per_file(hid, helpers["paired_on"])):
        last_activity = _latest(last_activity, candidate.astype("datetime64[us]"))
    out["last_activity"] = last_activity

    if engine is None:
        engine = engine_facts(snap, actor, today)
    result = engine.set_index("household_id")
    for column, fill in (("run_months", 0), ("open_causes", 0), ("lacking_month", -1), ("income_lag_months", 0)):
        out[column] = _per_file(hid, result[column]).fillna(fill).astype(int)
    for column in ("near_exit", "unhelped", "missing_recent"):
        out[column] = _per_file(hid, result[column]).fillna(False).astype(bool) & (out["status"] == "active")
    return without_personal_data(out, actor, ("file_no", "name", "helper")), last_month


def worklist(session: Session, actor: Actor, today: dt.date) -> Worklist:
    """`worklist_from` on the actor's files read in this session."""
    return worklist_from(snapshot.read(session, actor, parts=PARTS), actor, today)


def worklist_from(snap: snapshot.Snapshot, actor: Actor, today: dt.date, engine: pd.DataFrame | None = None) -> Worklist:
    """The work queues of the scope of `snap` (the pages' shared snapshot, or one just read); `engine` as for facts_from."""
    files, judged = facts_from(snap, actor, today, engine)
    queues = work_queues(
        files, today,
        visit_interval_months=_parameter(snap, "visit_interval_months", today),
        followup_months=_parameter(snap, "followup_months", today),
        exit_run_months=_parameter(snap, "exit_run_months", today),
    )
    counts = {code: int((queues["queue"] == code).sum()) for code in codes.WORK_QUEUE}
    shown = files[["household_id", "file_no", "name", "place_name", "org_name", "status", "helper"]]
    return Worklist(shown, queues, counts, judged)


def queue_table(work: Worklist, queue: str) -> pd.DataFrame:
    """The files of one queue with what is due, as the page shows them (Chinese headings)."""
    rows = work.queues[work.queues["queue"] == queue].merge(work.files, on="household_id")
    return pd.DataFrame({
        "household_id": rows["household_id"], "档案编号": rows["file_no"], "户主姓名": rows["name"], "区县": rows["place_name"],
        "所属工会": rows["org_name"], "状态": rows["status"].map(codes.HOUSEHOLD_STATUS), "帮扶责任人": rows["helper"],
        "待办说明": rows["detail"],
    }).sort_values("档案编号").reset_index(drop=True)

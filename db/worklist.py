"""工作台: gathers one row of facts per file in the actor's scope, and lets core.worklist sort them into queues."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import codes
from core.plan import FOUR_TRACKS, add_months
from core.worklist import work_queues
from db.actor import Actor
from db.evaluation import evaluate_files
from db.frames import plain
from db.models import (
    AidPayment, ExclusionCheck, Household, HouseholdCause, IncomeMonth, Measure, Org, Pairing, Place, StatusChange, Visit,
)
from db.queries import parameter_on
from db.scope import org_filter, without_personal_data


@dataclass(frozen=True)
class Worklist:
    files: pd.DataFrame        # household_id, file_no, name, place_name, org_name, status, helper
    queues: pd.DataFrame       # household_id, queue, detail
    counts: dict[str, int]
    near_exit_month: dt.date | None  # the month judged for 即将脱困 / 收入已达标、未记录帮扶 / 缺近期收入 (files may lag it)


def _frame(session: Session, stmt, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(plain(session.execute(stmt)), columns=columns)


def facts(session: Session, actor: Actor, today: dt.date) -> tuple[pd.DataFrame, dt.date | None]:
    """The facts core.worklist reads, for 在档 files and files closed (脱困/解困) within the follow-up period."""
    followup = int(parameter_on(session, "followup_months", today))
    closed_since = add_months(today, -followup)
    last_close = (select(StatusChange.household_id, func.max(StatusChange.effective_on).label("closed_on"))
                  .where(StatusChange.to_status.in_(("exited", "relieved"))).group_by(StatusChange.household_id).subquery())
    wanted = ((Household.status == "active")
              | (Household.status.in_(("exited", "relieved")) & (last_close.c.closed_on >= closed_since)))
    files = _frame(session, org_filter(
        select(Household.id, Household.file_no, Household.name, Place.name, Org.name, Household.status, Household.filed_on,
               last_close.c.closed_on, Household.updated_at, Household.visit_interval_months, Household.category,
               Household.historical_import)
        .join(Place, Place.code == Household.place_code).join(Org, Org.id == Household.org_id)
        .outerjoin(last_close, last_close.c.household_id == Household.id).where(wanted), actor),
        ["household_id", "file_no", "name", "place_name", "org_name", "status", "filed_on", "closed_on", "updated_at",
         "visit_interval", "category", "historical_import"])
    ids = files["household_id"].tolist()
    # every fact below is read for these files only (not for every file ever closed)
    in_files = org_filter(select(Household.id).outerjoin(last_close, last_close.c.household_id == Household.id).where(wanted), actor)

    helpers = _frame(session, select(Pairing.household_id, Pairing.helper_name, Pairing.start_on)
                     .where(Pairing.end_on.is_(None), Pairing.household_id.in_(in_files)), ["household_id", "helper", "paired_on"])
    helpers = helpers.drop_duplicates("household_id", keep="last").set_index("household_id")
    measures = _frame(session, select(Measure.household_id, Measure.track, Measure.cause, Measure.status, Measure.start_on,
                                      Measure.end_on).where(Measure.household_id.in_(in_files)),
                      ["household_id", "track", "cause", "status", "start_on", "end_on"])
    open_measures = measures[measures["status"].isin(codes.OPEN_MEASURE_STATUSES)]
    planned = open_measures[open_measures["track"].isin(FOUR_TRACKS)]  # 送温暖 alone is no plan
    causes = _frame(session, select(HouseholdCause.household_id, HouseholdCause.cause)
                    .where(HouseholdCause.removed_on.is_(None), HouseholdCause.household_id.in_(in_files)), ["household_id", "cause"])
    covered = causes.merge(open_measures[["household_id", "cause"]].drop_duplicates(), how="left", indicator=True)
    uncovered = covered[covered["_merge"] == "left_only"].groupby("household_id").size()
    visits = _frame(session, select(Visit.household_id, func.max(Visit.visited_on)).where(Visit.household_id.in_(in_files))
                    .group_by(Visit.household_id), ["household_id", "last_visit"]).set_index("household_id")["last_visit"]
    last_month = add_months(today.replace(day=1), -1)
    with_income = set(session.scalars(select(IncomeMonth.household_id).where(IncomeMonth.month == last_month,
                                                                             IncomeMonth.household_id.in_(in_files))))
    latest_income = _frame(session, select(IncomeMonth.household_id, func.max(IncomeMonth.month))
                           .where(IncomeMonth.household_id.in_(in_files)).group_by(IncomeMonth.household_id),
                           ["household_id", "month"]).set_index("household_id")["month"]
    checked = _frame(session, select(ExclusionCheck.household_id, ExclusionCheck.exclusion)
                     .where(ExclusionCheck.household_id.in_(in_files)), ["household_id", "exclusion"])
    checked = checked.groupby("household_id")["exclusion"].agg(set).to_dict()
    paid = _frame(session, select(AidPayment.household_id, func.max(AidPayment.paid_on))
                  .where(AidPayment.paid_on <= today, AidPayment.household_id.in_(in_files)).group_by(AidPayment.household_id),
                  ["household_id", "paid_on"]).set_index("household_id")["paid_on"]

    out = files.copy()
    hid = out["household_id"]
    names = helpers["helper"].to_dict()
    out["helper"] = [names.get(i, "") for i in hid]
    out["has_helper"] = out["helper"] != ""
    out["open_measures"] = hid.map(planned.groupby("household_id").size()).fillna(0).astype(int)
    out["uncovered_causes"] = hid.map(uncovered).fillna(0).astype(int)
    out["last_visit"] = hid.map(visits)
    out["visited_since_close"] = [bool(v is not None and not pd.isna(v) and c is not None and not pd.isna(c) and v >= c)
                                  for v, c in zip(out["last_visit"], out["closed_on"])]
    out["has_last_month_income"] = hid.isin(with_income)
    out["unchecked_exclusions"] = ["、".join(label for code, label in codes.EXCLUSION.items() if code not in checked.get(i, set()))
                                   for i in hid]
    carried = measures[measures["status"].isin(("in_progress", "done"))]["household_id"]
    out["helped"] = hid.isin(set(carried)) | hid.isin(set(paid.index))

    # the last thing recorded on the file: its own save, an income month, a visit, a payment, a measure, a pairing
    measure_days = pd.concat([measures["start_on"], measures["end_on"]]).to_frame("day").assign(
        household_id=pd.concat([measures["household_id"], measures["household_id"]]))
    measure_days = measure_days[measure_days["day"].notna()]
    measure_last = measure_days[measure_days["day"] <= today].groupby("household_id")["day"].max()
    candidates = [out["updated_at"].map(lambda t: t.date() if not pd.isna(t) else None), hid.map(latest_income), out["last_visit"],
                  hid.map(paid), hid.map(measure_last), hid.map(helpers["paired_on"])]
    out["last_activity"] = [max((d for d in row if d is not None and not pd.isna(d)), default=None) for row in zip(*candidates)]

    # 即将脱困, 收入已达标、未记录帮扶, 缺近期收入: the status engine as of the end of last month, each file judged on
    # its own latest month within income_lag_months (never on the latest month anyone in the scope entered)
    judged = last_month
    as_of = today.replace(day=1) - dt.timedelta(days=1)
    out["run_months"], out["open_causes"], out["lacking_month"], out["income_lag_months"] = 0, 0, -1, 0
    out["near_exit"] = out["unhelped"] = out["missing_recent"] = False
    if ids:
        months = int(parameter_on(session, "exit_run_months", as_of))
        result = evaluate_files(session, actor, as_of, months_back=months).set_index("household_id")
        for column, fill in (("run_months", 0), ("open_causes", 0), ("lacking_month", -1), ("income_lag_months", 0)):
            out[column] = hid.map(result[column]).fillna(fill).astype(int)
        for column in ("near_exit", "unhelped", "missing_recent"):
            out[column] = hid.map(result[column]).fillna(False).astype(bool) & (out["status"] == "active")
    return without_personal_data(out, actor, ("file_no", "name", "helper")), judged


def worklist(session: Session, actor: Actor, today: dt.date) -> Worklist:
    files, judged = facts(session, actor, today)
    queues = work_queues(
        files, today,
        visit_interval_months=int(parameter_on(session, "visit_interval_months", today)),
        followup_months=int(parameter_on(session, "followup_months", today)),
        exit_run_months=int(parameter_on(session, "exit_run_months", today)),
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

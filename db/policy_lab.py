"""政策模拟 from the store: the files in the actor's scope as core.policy_lab reads them, and the baseline tables.

Who: administrators and analysts (政策分析) build scenarios; staff may open one by its link, over the files of their
scope; viewers (看板) not. Analysts get figures only: the tables are loaded without names and file numbers, and a
comparison handed to them has no list of households (`for_actor`) — checked here, not only on the screen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.policy_lab import Comparison, LabData
from core.scenario import DatedTables
from db.actor import Actor
from db.errors import OutOfScope
from db.frames import plain
from db.models import (AidPayment, AssistanceRecord, DibaoLine, Household, HouseholdCause, IncomeMonth, Measure,
                       MeasureStatusChange, Place, PolicyParameter, StatusChange)
from db.scope import org_filter

LAB_ROLES = ("admin", "analyst", "staff")
AUTHOR_ROLES = ("admin", "analyst")


def require_lab(actor: Actor) -> None:
    if actor.role not in LAB_ROLES:
        raise OutOfScope("您的角色不能使用政策模拟")


def _frame(session: Session, stmt, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(plain(session.execute(stmt)), columns=columns)


def baseline_tables(session: Session) -> DatedTables:
    """The real 低保 lines and dated parameters: what every scenario is laid over."""
    lines = _frame(session, select(DibaoLine.place_code, DibaoLine.effective_from, DibaoLine.amount_fen)
                   .order_by(DibaoLine.place_code, DibaoLine.effective_from), ["place_code", "effective_from", "amount_fen"])
    params: dict[str, list[tuple[dt.date, str]]] = {}
    for key, start, value in session.execute(select(PolicyParameter.key, PolicyParameter.effective_from, PolicyParameter.value)
                                             .order_by(PolicyParameter.key, PolicyParameter.effective_from)):
        params.setdefault(key, []).append((start, value))
    return DatedTables(lines=lines, params=params)


def load(session: Session, actor: Actor, today: dt.date) -> LabData:
    """Every table the lab reads, for the files in the actor's scope, in one pass (once per data version)."""
    require_lab(actor)
    main_cause = (select(HouseholdCause.cause).where(HouseholdCause.household_id == Household.id, HouseholdCause.is_main)
                  .limit(1).scalar_subquery())
    personal = [Household.file_no, Household.name] if actor.sees_personal_data else []
    households = _frame(session, org_filter(
        select(Household.id, *personal, Household.place_code, Place.name, Household.hard_to_exit, Household.casualty,
               Household.category, main_cause).join(Place, Place.code == Household.place_code).order_by(Household.id), actor),
        ["household_id", *(["file_no", "name"] if personal else []), "place_code", "place_name", "hard_to_exit", "casualty",
         "category", "main_cause"])
    ids = select(Household.id).where(Household.id.in_(org_filter(select(Household.id), actor)))
    incomes = _frame(session, select(IncomeMonth.household_id, IncomeMonth.month, IncomeMonth.income_fen, IncomeMonth.persons,
                                     IncomeMonth.special_spending_fen, IncomeMonth.accident_spending_fen)
                     .where(IncomeMonth.household_id.in_(ids)).order_by(IncomeMonth.household_id, IncomeMonth.month),
                     ["household_id", "month", "income_fen", "persons", "special_spending_fen", "accident_spending_fen"])
    months = pd.to_datetime(incomes["month"])
    incomes.insert(1, "month_index", (months.dt.year * 12 + months.dt.month - 1).astype("int64"))
    incomes = incomes.drop(columns="month")
    return LabData(
        households=households, incomes=incomes,
        causes=_frame(session, select(HouseholdCause.household_id, HouseholdCause.removed_on)
                      .where(HouseholdCause.household_id.in_(ids)), ["household_id", "removed_on"]),
        measures=_frame(session, select(Measure.id, Measure.household_id, Measure.status, Measure.start_on, Measure.end_on,
                                        Measure.track).where(Measure.household_id.in_(ids)),
                        ["measure_id", "household_id", "status", "start_on", "end_on", "track"]),
        measure_history=_frame(session, select(MeasureStatusChange.measure_id, MeasureStatusChange.to_status,
                                               MeasureStatusChange.effective_on, MeasureStatusChange.id)
                               .where(MeasureStatusChange.household_id.in_(ids)), ["measure_id", "to_status", "effective_on", "id"]),
        assistance=_frame(session, select(AssistanceRecord.household_id, AssistanceRecord.from_on, AssistanceRecord.to_on)
                          .where(AssistanceRecord.household_id.in_(ids)), ["household_id", "from_on", "to_on"]),
        changes=_frame(session, select(StatusChange.id, StatusChange.household_id, StatusChange.effective_on,
                                       StatusChange.to_status, StatusChange.reason).where(StatusChange.household_id.in_(ids)),
                       ["id", "household_id", "effective_on", "to_status", "reason"]),
        payments=_frame(session, select(AidPayment.household_id, AidPayment.paid_on, AidPayment.amount_fen)
                        .where(AidPayment.household_id.in_(ids), AidPayment.paid_on <= today),
                        ["household_id", "paid_on", "amount_fen"]),
        place_names=dict(session.execute(select(Place.code, Place.name)).all()),
        today=today,
    )


def for_actor(comparison: Comparison, actor: Actor) -> Comparison:
    """What this actor may see of a comparison: analysts get the counts and groups, never the list of households."""
    require_lab(actor)
    if actor.sees_personal_data:
        return comparison
    return replace(comparison, outcomes=pd.DataFrame(columns=["区县", "分组", "基线结果", "基线月份", "方案结果", "方案月份"]))


def default_as_of(today: dt.date) -> dt.date:
    """The last day of the month before today's: the latest month whose incomes can be complete."""
    return today.replace(day=1) - dt.timedelta(days=1)


def month_end(year: int, month: int) -> dt.date:
    """The last day of a month (the comparison is as of a month's end)."""
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)

"""What the progress dashboard (进度看板) reads, within the actor's scope, in one call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.actor import Actor
from db.frames import plain
from db.models import AidPayment, Household, HouseholdCause, Measure, Place, StatusChange
from db.queries import parameter_on
from db.scope import org_filter, without_personal_data


@dataclass(frozen=True)
class DashboardData:
    files: pd.DataFrame      # household_id, file_no, place_name, status, category, main_cause, key_group, filed_on
    changes: pd.DataFrame    # id, household_id, effective_on, to_status, reason
    measures: pd.DataFrame   # household_id, track
    payments: pd.DataFrame   # household_id, paid_on, amount_fen, fund_source
    baseline: dt.date
    shares: dict[int, int]


def load(session: Session, actor: Actor, as_of: dt.date) -> DashboardData:
    main_cause = (select(HouseholdCause.cause).where(HouseholdCause.household_id == Household.id, HouseholdCause.is_main)
                  .limit(1).scalar_subquery())
    files = pd.DataFrame(
        plain(session.execute(org_filter(
            select(Household.id, Household.file_no, Place.name, Household.status, Household.category, main_cause,
                   Household.key_group, Household.filed_on).join(Place, Place.code == Household.place_code), actor))),
        columns=["household_id", "file_no", "place_name", "status", "category", "main_cause", "key_group", "filed_on"],
    )
    files = without_personal_data(files, actor, ("file_no",))
    ids = org_filter(select(Household.id), actor)
    changes = pd.DataFrame(
        plain(session.execute(select(StatusChange.id, StatusChange.household_id, StatusChange.effective_on, StatusChange.to_status,
                               StatusChange.reason).where(StatusChange.household_id.in_(ids)))),
        columns=["id", "household_id", "effective_on", "to_status", "reason"],
    )
    measures = pd.DataFrame(plain(session.execute(select(Measure.household_id, Measure.track).where(Measure.household_id.in_(ids)))),
                            columns=["household_id", "track"])
    payments = pd.DataFrame(
        plain(session.execute(select(AidPayment.household_id, AidPayment.paid_on, AidPayment.amount_fen, AidPayment.fund_source)
                        .where(AidPayment.household_id.in_(ids), AidPayment.paid_on <= as_of))),  # not those still planned
        columns=["household_id", "paid_on", "amount_fen", "fund_source"],
    )
    return DashboardData(files, changes, measures, payments,
                         baseline=parameter_on(session, "baseline_date", as_of), shares=parameter_on(session, "target_shares", as_of))


def targets_summary(session: Session, actor: Actor, today: dt.date) -> dict:
    """The home page's line on the targets: this year's (or the nearest target year's) figures for the whole scope, and
    the files beside the base — the same core.progress figures as the dashboard and the 解困脱困进度表."""
    from core import progress

    data = load(session, actor, today)
    years = sorted(data.shares)
    year = min(max(today.year, years[0]), years[-1])
    city = progress.by_year(data.files, data.changes, data.baseline, data.shares, group=None, as_of=today)
    row = city[city["年份"] == year].iloc[0].to_dict()
    return {"year": year, "row": row, "baseline": data.baseline, "apart": progress.apart(data.changes, data.baseline, today)}

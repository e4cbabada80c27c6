"""资金台账: the payment rows in the actor's scope, with the district, union and year of each."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import distinct, extract, select
from sqlalchemy.orm import Session

from core import codes
from db.actor import Actor
from db.models import AidPayment, Household, Org, Place
from db.scope import org_filter

COLUMNS = ["payment_id", "household_id", "file_no", "name", "place_name", "org_name", "paid_on", "amount_fen", "fund_source",
           "track", "programme", "note"]


def payments(session: Session, actor: Actor, *, start: dt.date | None = None, end: dt.date | None = None) -> pd.DataFrame:
    """Payment rows dated from `start` to `end` (inclusive), with Chinese labels for the code columns."""
    stmt = (select(AidPayment.id, AidPayment.household_id, Household.file_no, Household.name, Place.name, Org.name,
                   AidPayment.paid_on, AidPayment.amount_fen, AidPayment.fund_source, AidPayment.track, AidPayment.programme,
                   AidPayment.note)
            .join(Household, Household.id == AidPayment.household_id).join(Place, Place.code == Household.place_code)
            .join(Org, Org.id == Household.org_id).order_by(AidPayment.paid_on, AidPayment.id))
    if start is not None:
        stmt = stmt.where(AidPayment.paid_on >= start)
    if end is not None:
        stmt = stmt.where(AidPayment.paid_on <= end)
    frame = pd.DataFrame(session.execute(org_filter(stmt, actor)).all(), columns=COLUMNS)
    frame["amount_fen"] = frame["amount_fen"].astype("int64")
    frame["year"] = frame["paid_on"].map(lambda d: d.year).astype("int64") if not frame.empty else pd.Series(dtype="int64")
    frame["资金来源"] = frame["fund_source"].map(codes.FUND_SOURCE)
    frame["措施类别"] = frame["track"].map(codes.TRACK)
    frame["项目"] = frame["programme"].map(codes.PROGRAMME).fillna("（无具体项目）")
    frame["区县"] = frame["place_name"]
    frame["年度"] = frame["year"].map(lambda y: f"{y}年")
    return frame


def years(session: Session, actor: Actor) -> list[int]:
    """The years with payments in scope, newest first."""
    stmt = org_filter(select(distinct(extract("year", AidPayment.paid_on))).join(Household, Household.id == AidPayment.household_id), actor)
    return sorted((int(y) for y in session.scalars(stmt) if y is not None), reverse=True)

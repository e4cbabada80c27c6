"""资金台账: payment totals in the actor's scope, summed by the database (exact integer fen), and the rows behind them.

`summary` groups every payment by year, district, fund, track, programme and whether it is already
due (dated on or before today); its rows are few however many payments there are. The rows
themselves (`detail`) and the number of households (`households`) are read for one chosen view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import case, distinct, extract, func, select
from sqlalchemy.orm import Session

from core import codes
from db.actor import Actor
from db.frames import plain
from db.models import AidPayment, Household, Org, Place
from db.scope import org_filter, require_personal_data


@dataclass(frozen=True)
class View:
    """Which payments a ledger view shows."""

    year: int | None = None          # None: every year
    place: str | None = None         # district name; None: every district in scope
    funds: tuple[str, ...] = ()      # fund codes; empty: every fund
    planned: bool = False            # include payments dated after today


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    frame["资金来源"] = frame["fund_source"].map(codes.FUND_SOURCE)
    frame["措施类别"] = frame["track"].map(codes.TRACK)
    frame["项目"] = frame["programme"].map(codes.PROGRAMME).fillna("（无具体项目）")
    return frame


def summary(session: Session, actor: Actor, today: dt.date) -> pd.DataFrame:
    """Sums of amount_fen (and counts of payments) by year, 区县, fund, track, programme and due."""
    year = extract("year", AidPayment.paid_on)
    due = case((AidPayment.paid_on <= today, 1), else_=0)
    stmt = (select(year, Place.name, AidPayment.fund_source, AidPayment.track, AidPayment.programme, due,
                   func.sum(AidPayment.amount_fen), func.count())
            .join(Household, Household.id == AidPayment.household_id).join(Place, Place.code == Household.place_code)
            .group_by(year, Place.name, AidPayment.fund_source, AidPayment.track, AidPayment.programme, due))
    frame = pd.DataFrame(plain(session.execute(org_filter(stmt, actor))),
                         columns=["year", "区县", "fund_source", "track", "programme", "due", "amount_fen", "payments"])
    frame = frame.astype({"year": "int64", "due": "bool", "amount_fen": "int64", "payments": "int64"})
    frame["年度"] = frame["year"].map(lambda y: f"{y}年")
    return _labelled(frame)


def chosen(frame: pd.DataFrame, view: View) -> pd.DataFrame:
    """The summary rows a view covers."""
    mask = pd.Series(True, index=frame.index)
    if not view.planned:
        mask &= frame["due"]
    if view.year is not None:
        mask &= frame["year"] == view.year
    if view.place:
        mask &= frame["区县"] == view.place
    if view.funds:
        mask &= frame["fund_source"].isin(view.funds)
    return frame[mask]


def _where(stmt, view: View, today: dt.date):
    if not view.planned:
        stmt = stmt.where(AidPayment.paid_on <= today)
    if view.year is not None:
        stmt = stmt.where(AidPayment.paid_on >= dt.date(view.year, 1, 1), AidPayment.paid_on <= dt.date(view.year, 12, 31))
    if view.place:
        stmt = stmt.where(Place.name == view.place)
    if view.funds:
        stmt = stmt.where(AidPayment.fund_source.in_(view.funds))
    return stmt


def households(session: Session, actor: Actor, view: View, today: dt.date) -> int:
    """How many households received the payments of a view."""
    stmt = (select(func.count(distinct(AidPayment.household_id))).join(Household, Household.id == AidPayment.household_id)
            .join(Place, Place.code == Household.place_code))
    return session.scalar(_where(org_filter(stmt, actor), view, today)) or 0


def detail(session: Session, actor: Actor, view: View, today: dt.date) -> pd.DataFrame:
    """The payment rows of a view, newest first, with the file they went to (staff and administrators only)."""
    require_personal_data(actor, "发放明细")
    stmt = (select(AidPayment.paid_on, Household.file_no, Household.name, Place.name, Org.name, AidPayment.amount_fen,
                   AidPayment.fund_source, AidPayment.track, AidPayment.programme, AidPayment.note)
            .join(Household, Household.id == AidPayment.household_id).join(Place, Place.code == Household.place_code)
            .join(Org, Org.id == Household.org_id).order_by(AidPayment.paid_on.desc(), AidPayment.id.desc()))
    frame = pd.DataFrame(plain(session.execute(_where(org_filter(stmt, actor), view, today))),
                         columns=["paid_on", "档案编号", "户主姓名", "区县", "所属工会", "amount_fen", "fund_source", "track",
                                  "programme", "note"])
    return _labelled(frame)

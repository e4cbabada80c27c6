"""What the progress dashboard (进度看板) and 首页's target line compute, within the actor's scope.

`load_from(snap, actor, as_of)` shapes a scoped snapshot (db/snapshot.py) into `DashboardData`; `tables(data, ...)`
computes every figure the page shows for one choice of filters; `targets_summary_from` is 首页's line. The services
`load(session, …)` and `targets_summary(session, …)` run the same functions on the scope read in the session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from core import codes, progress
from core.parameters import value_on
from db import snapshot
from db.actor import Actor
from db.scope import without_personal_data

# the parts of the snapshot the dashboard reads
PARTS = ("files", "changes", "measures", "payments")
# a file's attributes the page filters on: payments are summed per combination of them
FILTERS = ("place_name", "category", "main_cause")


@dataclass(frozen=True)
class DashboardData:
    files: pd.DataFrame      # household_id, file_no, place_name, status, category, main_cause, key_group, filed_on
    changes: pd.DataFrame    # id, household_id, effective_on, to_status, reason
    measures: pd.DataFrame   # household_id, track
    payments: pd.DataFrame   # place_name, category, main_cause, year, fund_source, amount_fen: the sums paid by as_of
    baseline: dt.date
    shares: dict[int, int]
    history: progress.History  # the status history sorted once (core.progress)


def _payment_sums(files: pd.DataFrame, payments: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The fen paid (paid_on ≤ as_of: not those still planned) per year, fund and the filters' attributes."""
    paid = payments[(payments["paid_on"] <= pd.Timestamp(as_of)).to_numpy()]
    # files of one combination of the filters' attributes form a kind; a payment takes its file's kind
    kinds = files.groupby(list(FILTERS), dropna=False, sort=False).ngroup().to_numpy()
    kind = kinds[pd.Index(files["household_id"]).get_indexer(paid["household_id"])]
    fund, funds = pd.factorize(paid["fund_source"], use_na_sentinel=False)
    year = paid["paid_on"].dt.year.to_numpy(np.int64)
    first = int(year.min()) if len(year) else 0
    years, n_funds = (int(year.max()) - first + 1 if len(year) else 1), max(len(funds), 1)
    sums = pd.Series(paid["amount_fen"].to_numpy(np.int64)).groupby((kind * years + year - first) * n_funds + fund).sum()
    key = sums.index.to_numpy()
    example = np.zeros(kinds.max() + 1 if len(kinds) else 0, np.int64)
    example[kinds] = np.arange(len(kinds))  # some file of each kind (any one: they share the attributes)
    of_kind = example[key // n_funds // years]
    return pd.DataFrame({name: files[name].to_numpy(object)[of_kind] for name in FILTERS}
                        | {"year": key // n_funds % years + first, "fund_source": np.asarray(funds, object)[key % n_funds],
                           "amount_fen": sums.to_numpy()})


def load_from(snap: snapshot.Snapshot, actor: Actor, as_of: dt.date) -> DashboardData:
    """The dashboard's data from a snapshot of the actor's scope."""
    files = snap.files[["household_id", "file_no", "place_name", "status", "category", "main_cause", "key_group", "filed_on"]]
    changes = snap.changes[["id", "household_id", "effective_on", "to_status", "reason"]]
    history = snap.reference.parameter_history
    return DashboardData(without_personal_data(files, actor, ("file_no",)), changes,
                         snap.measures[["household_id", "track"]], _payment_sums(files, snap.payments, as_of),
                         baseline=value_on(history("baseline_date"), "baseline_date", as_of),
                         shares=value_on(history("target_shares"), "target_shares", as_of),
                         history=progress.History(changes))


def load(session: Session, actor: Actor, as_of: dt.date) -> DashboardData:
    """`load_from` on the actor's scope read in this session."""
    return load_from(snapshot.read(session, actor, parts=PARTS), actor, as_of)


def options_from(snap: snapshot.Snapshot, actor: Actor, as_of: dt.date) -> dict:
    """What the filters offer: the districts of the scope's files and the target years."""
    history = snap.reference.parameter_history
    return {"places": sorted(snap.files["place_name"].dropna().unique()),
            "years": sorted(value_on(history("target_shares"), "target_shares", as_of))}


def tables(data: DashboardData, today: dt.date, place: str | None, year: int, category: str | None,
           cause: str | None) -> dict:
    """Every figure of the page for one choice of filters (district, year, category, main cause)."""
    files, payments = data.files, data.payments
    for column, chosen in zip(FILTERS, (place, category, cause), strict=True):
        if chosen:
            files = files[files[column] == chosen]
            payments = payments[payments[column] == chosen]
    ids = files["household_id"].to_numpy()
    filtered = len(files) < len(data.files)
    history = data.history.of(ids) if filtered else data.history
    changes = data.changes[np.isin(data.changes["household_id"].to_numpy(), ids)] if filtered else data.changes
    exits = changes[changes["to_status"].isin(progress.OUT) & (changes["effective_on"].dt.year == year)]
    payments = payments[payments["year"] == year]
    measures = data.measures[np.isin(data.measures["household_id"].to_numpy(), ids)] if filtered else data.measures
    until = min(today, dt.date(max(data.shares), 12, 31))
    return {
        "baseline": data.baseline, "shares": data.shares,
        "counts": files["status"].value_counts().reindex(list(codes.HOUSEHOLD_STATUS), fill_value=0),
        "city": progress.by_year(files, history, data.baseline, data.shares, group=None, as_of=today),
        "districts": progress.report(files, history, data.baseline, data.shares, group="place_name", as_of=today),
        "monthly": progress.monthly_share(history, data.baseline, until),
        "target": progress.target_steps(data.shares, data.baseline),
        "apart": progress.apart(history, data.baseline, today),
        "withdrawn": progress.withdrawn_reasons(history, data.baseline, today),
        "new": progress.new_by_year(history, data.baseline, data.shares, as_of=today),
        "by_cause": files["main_cause"].map(codes.CAUSE).value_counts().rename_axis("主要致困原因").reset_index(name="户数"),
        "by_category": files["category"].map(codes.CATEGORY).fillna("未认定").value_counts().rename_axis("困难类别").reset_index(name="户数"),
        "by_track": measures["track"].map(codes.TRACK).value_counts().rename_axis("措施类别").reset_index(name="措施数"),
        "exits": exits.assign(月份=exits["effective_on"].dt.month, 类别=exits["to_status"].map(codes.HOUSEHOLD_STATUS))
                      .groupby(["月份", "类别"]).size().reset_index(name="户数"),
        "payments": payments.assign(资金来源=payments["fund_source"].map(codes.FUND_SOURCE))
                            .groupby("资金来源")["amount_fen"].sum().div(100).rename("金额(元)").reset_index(),
    }


def targets_summary_from(snap: snapshot.Snapshot, actor: Actor, today: dt.date) -> dict:
    """The home page's line on the targets: this year's (or the nearest target year's) figures for the whole scope, and
    the files beside the base — the same core.progress figures as the dashboard and the 解困脱困进度表."""
    history = snap.reference.parameter_history
    baseline = value_on(history("baseline_date"), "baseline_date", today)
    shares = value_on(history("target_shares"), "target_shares", today)
    changes = progress.History(snap.changes)
    years = sorted(shares)
    year = min(max(today.year, years[0]), years[-1])
    city = progress.by_year(snap.files[["household_id"]], changes, baseline, shares, group=None, as_of=today)
    row = city[city["年份"] == year].iloc[0].to_dict()
    return {"year": year, "row": row, "baseline": baseline, "apart": progress.apart(changes, baseline, today)}


def targets_summary(session: Session, actor: Actor, today: dt.date) -> dict:
    """`targets_summary_from` on the actor's scope read in this session."""
    return targets_summary_from(snapshot.read(session, actor, parts=("files", "changes")), actor, today)

"""资金台账: payment totals in the actor's scope (exact integer fen), and the rows behind them.

Everything is computed from the shared snapshot's payments part (db/snapshot.py: every payment row, planned ones
included), joined to the files for the district (区县 = the name of the file's place). `book_from` aggregates a
scope once: `summary` sums every payment by year, district, fund, track, programme and whether it is already due
(dated on or before today) — few rows however many payments there are — and `reach` keeps one row per household
and year, district, fund and due, so the number of households of any view (`households_in`) is a filter over a
pre-aggregated table, not a read. The rows themselves (`detail_from`) are picked from the payments part for one
chosen view, newest first. The public `summary`, `households` and `detail` read the same shape straight from the
database (`snapshot.read`) and call the same functions: one rule, one place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import codes
from db import snapshot
from db.actor import Actor
from db.models import AidPayment
from db.scope import require_personal_data

# the parts of the snapshot the ledger reads (the files come with every snapshot)
PARTS = ("files", "payments")  # a file moved to another district moves its payments there
_CHUNK = 500  # payment ids per IN list


@dataclass(frozen=True)
class View:
    """Which payments a ledger view shows."""

    year: int | None = None          # None: every year
    place: str | None = None         # district name; None: every district in scope
    funds: tuple[str, ...] = ()      # fund codes; empty: every fund
    planned: bool = False            # include payments dated after today


@dataclass(frozen=True)
class Book:
    """A scope's ledger, aggregated once; every click of the page filters these (shared: never modify them)."""

    summary: pd.DataFrame   # year, 区县, fund_source, track, programme, due, amount_fen, payments and the labels
    reach: pd.DataFrame     # household_id, year, 区县, fund_source, due: one row per household and key


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    frame["资金来源"] = frame["fund_source"].map(codes.FUND_SOURCE)
    frame["措施类别"] = frame["track"].map(codes.TRACK)
    frame["项目"] = frame["programme"].map(codes.PROGRAMME).fillna("（无具体项目）")
    return frame


def _file_rows(snap: snapshot.Snapshot) -> tuple[np.ndarray, np.ndarray]:
    """For each payment, the row of its file in `snap.files` (both sorted by household_id), and whether it has one."""
    ids = snap.files["household_id"].to_numpy()
    paid_to = snap.payments["household_id"].to_numpy()
    if len(ids) == 0:
        return np.zeros(len(paid_to), np.int64), np.zeros(len(paid_to), bool)
    at = np.minimum(np.searchsorted(ids, paid_to), len(ids) - 1)
    return at, ids[at] == paid_to


def _coded(values) -> tuple[np.ndarray, np.ndarray]:
    """Each value as a small integer (0: missing) and the values by code (code 0: None)."""
    codes_, uniques = pd.factorize(values)
    return codes_.astype(np.int64) + 1, np.concatenate([np.array([None], dtype=object), np.asarray(uniques, dtype=object)])


def _combined(columns: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    """Several small integer columns as one int64 key (mixed radix), so one group-by on integers does the work."""
    key = np.zeros(len(columns[0]), np.int64)
    for column, size in zip(columns, sizes):
        key = key * size + column
    return key


def _split(key: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    """`_combined` undone."""
    columns = []
    for size in reversed(sizes):
        key, column = np.divmod(key, size)
        columns.append(column)
    return columns[::-1]


def book_from(snap: snapshot.Snapshot, actor: Actor, today: dt.date) -> Book:
    """The scope's ledger (the snapshot already holds only the actor's scope), grouped on integer keys."""
    payments = snap.payments
    at, known = _file_rows(snap)
    file_place, places = _coded(snap.files["place_name"])
    place = file_place[at] if len(file_place) else np.zeros(len(at), np.int64)
    kept = known & (place > 0)  # a payment of a file with no known district is in no district's total (as the SQL join did)
    years = payments["paid_on"].dt.year.to_numpy(np.int64)[kept]
    first_year = int(years.min()) if len(years) else 0
    fund, funds = _coded(payments["fund_source"])
    track, tracks = _coded(payments["track"])
    programme, programmes = _coded(payments["programme"])
    due = (payments["paid_on"] <= pd.Timestamp(today)).to_numpy().astype(np.int64)[kept]
    fund, place = fund[kept], place[kept]
    year = years - first_year
    sizes = [int(year.max()) + 1 if len(year) else 1, len(places), len(funds), len(tracks), len(programmes), 2]
    key = _combined([year, place, fund, track[kept], programme[kept], due], sizes)
    grouped = pd.Series(payments["amount_fen"].to_numpy(np.int64)[kept]).groupby(key, sort=True).agg(["sum", "size"])
    g_year, g_place, g_fund, g_track, g_programme, g_due = _split(grouped.index.to_numpy(np.int64), sizes)
    summary = pd.DataFrame({
        "year": g_year + first_year, "区县": places.take(g_place), "fund_source": funds.take(g_fund),
        "track": tracks.take(g_track), "programme": programmes.take(g_programme), "due": g_due.astype(bool),
        "amount_fen": grouped["sum"].to_numpy(np.int64), "payments": grouped["size"].to_numpy(np.int64),
    })
    summary["年度"] = summary["year"].map(lambda y: f"{y}年")

    # households: one row per household, year, fund and due (the district is the household's)
    reach_sizes = [sizes[0], len(funds), 2]
    households_ = payments["household_id"].to_numpy(np.int64)[kept]
    seen = pd.unique(households_ * int(np.prod(reach_sizes)) + _combined([year, fund, due], reach_sizes))
    r_household, r_rest = np.divmod(seen, int(np.prod(reach_sizes)))
    r_year, r_fund, r_due = _split(r_rest, reach_sizes)
    r_place = file_place[np.searchsorted(snap.files["household_id"].to_numpy(), r_household)] if len(seen) else r_household
    reach = pd.DataFrame({
        "household_id": r_household, "year": r_year + first_year,
        "区县": pd.Categorical.from_codes(r_place - 1, categories=pd.Index(places[1:], dtype=object)),
        "fund_source": pd.Categorical.from_codes(r_fund - 1, categories=pd.Index(funds[1:], dtype=object)),
        "due": r_due.astype(bool),
    })
    return Book(_labelled(summary), reach)


def _mask(frame: pd.DataFrame, view: View) -> np.ndarray:
    mask = np.ones(len(frame), bool)
    if not view.planned:
        mask &= frame["due"].to_numpy(bool)
    if view.year is not None:
        mask &= frame["year"].to_numpy() == view.year
    if view.place:
        mask &= (frame["区县"] == view.place).to_numpy(bool)
    if view.funds:
        mask &= frame["fund_source"].isin(view.funds).to_numpy(bool)
    return mask


def chosen(frame: pd.DataFrame, view: View) -> pd.DataFrame:
    """The summary rows a view covers."""
    return frame[_mask(frame, view)]


def households_in(book: Book, view: View) -> int:
    """How many households received the payments of a view."""
    return len(pd.unique(book.reach["household_id"].to_numpy()[_mask(book.reach, view)]))


def summary_from(snap: snapshot.Snapshot, actor: Actor, today: dt.date) -> pd.DataFrame:
    return book_from(snap, actor, today).summary


def households_from(snap: snapshot.Snapshot, actor: Actor, view: View, today: dt.date) -> int:
    return households_in(book_from(snap, actor, today), view)


def _payment_mask(snap: snapshot.Snapshot, at: np.ndarray, known: np.ndarray, view: View, today: dt.date) -> np.ndarray:
    """The payments of a view, straight on the payments part (the same conditions as `_mask` on the book)."""
    payments = snap.payments
    paid_on = payments["paid_on"]
    mask = known.copy()
    if not view.planned:
        mask &= (paid_on <= pd.Timestamp(today)).to_numpy()
    if view.year is not None:
        mask &= ((paid_on >= pd.Timestamp(view.year, 1, 1)) & (paid_on < pd.Timestamp(view.year + 1, 1, 1))).to_numpy()
    if view.place:
        in_place = (snap.files["place_name"] == view.place).to_numpy(bool)
        mask &= in_place[at] if len(in_place) else False
    if view.funds:
        mask &= payments["fund_source"].isin(view.funds).to_numpy(bool)
    return mask


def _newest_first(snap: snapshot.Snapshot, rows: np.ndarray, limit: int | None) -> np.ndarray:
    """`rows` ordered by payment date then id, newest first; only the first `limit` when given."""
    days = snap.payments["paid_on"].to_numpy().astype("datetime64[D]").astype(np.int64)[rows]
    ids = snap.payments["id"].to_numpy()[rows]
    if limit is not None and len(rows) > limit:  # the newest `limit` days' worth only, then an exact sort of those
        cut = np.partition(days, len(days) - limit)[len(days) - limit]
        near = days >= cut
        rows, days, ids = rows[near], days[near], ids[near]
    return rows[np.lexsort((-ids, -days))][:limit]


def detail_from(snap: snapshot.Snapshot, actor: Actor, view: View, today: dt.date, limit: int | None = None) -> pd.DataFrame:
    """The payment rows of a view, newest first (the first `limit` of them when given), with the file they went to and
    the payment's id (`with_notes` puts its note there)."""
    require_personal_data(actor, "发放明细")
    at, known = _file_rows(snap)
    picked = _newest_first(snap, np.flatnonzero(_payment_mask(snap, at, known, view, today)), limit)
    payments = snap.payments.iloc[picked]
    files = snap.files.iloc[at[picked]]
    frame = pd.DataFrame({
        "paid_on": payments["paid_on"].dt.date.to_numpy(dtype=object), "档案编号": files["file_no"].to_numpy(),
        "户主姓名": files["name"].to_numpy(), "区县": files["place_name"].to_numpy(), "所属工会": files["org_name"].to_numpy(),
        "amount_fen": payments["amount_fen"].to_numpy(np.int64), "fund_source": payments["fund_source"].to_numpy(),
        "track": payments["track"].to_numpy(), "programme": payments["programme"].to_numpy(), "id": payments["id"].to_numpy(),
    })
    return _labelled(frame)


def with_notes(session: Session, rows: pd.DataFrame) -> pd.DataFrame:
    """`detail_from`'s rows with each payment's note (说明) read by id, in the place of the id. The notes stay out of the
    shared snapshot: long text on every payment would make each save's delta several times slower."""
    notes: dict[int, str | None] = {}
    ids = rows["id"].tolist()
    for i in range(0, len(ids), _CHUNK):
        notes.update(session.execute(select(AidPayment.id, AidPayment.note).where(AidPayment.id.in_(ids[i:i + _CHUNK]))).all())
    out = rows.drop(columns="id")
    out.insert(out.columns.get_loc("programme") + 1, "note", [notes.get(i) for i in ids])
    return out


def summary(session: Session, actor: Actor, today: dt.date) -> pd.DataFrame:
    """Sums of amount_fen (and counts of payments) by year, 区县, fund, track, programme and due."""
    return summary_from(snapshot.read(session, actor, parts=PARTS), actor, today)


def households(session: Session, actor: Actor, view: View, today: dt.date) -> int:
    """How many households received the payments of a view."""
    return households_from(snapshot.read(session, actor, parts=PARTS), actor, view, today)


def detail(session: Session, actor: Actor, view: View, today: dt.date) -> pd.DataFrame:
    """The payment rows of a view, newest first, with the file they went to (staff and administrators only)."""
    require_personal_data(actor, "发放明细")  # refused before anything is read
    return with_notes(session, detail_from(snapshot.read(session, actor, parts=PARTS), actor, view, today))

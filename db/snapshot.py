"""The store read once: every table the figures pages need, as engine-ready frames, refreshed by deltas.

A `Snapshot` holds, for every file in the database, the rows the dashboard, 首页/工作台, the proposals list and the
fund ledger compute from — dates as datetime64 (NaT when empty), income months as month indices computed in SQL.
Each part is sorted by household_id. `load(session)` reads it whole; `refresh(session, snap)` brings it up to the
database's data version by re-reading only the files the audit log says were written since (every write is audited,
with the file it belongs to), so one save costs a few small reads, never a whole reload. A write the log cannot
explain (a restore, the demo loader, a change of unions or places) falls back to a whole reload.

Each part carries a stamp — the data version it last changed at — so a cache of figures derived from, say, incomes
and statuses is kept when someone records a payment. `scoped(snap, actor)` filters the parts to the actor's subtree
in memory; the frames are shared and must be treated as read-only.

`read(session, actor)` reads the same parts for one scope straight from the database, for a service that must see
its own transaction (confirming a proposal); both paths give the same frames, so every rule computes on one shape.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sqlalchemy import Integer, String, cast, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.orm import Session

from db.actor import Actor
from db.models import (AidPayment, AssistanceRecord, AuditLog, DataVersion, DibaoLine, ExclusionCheck, Household, HouseholdCause,
                       IncomeMonth, Measure, MeasureStatusChange, Org, Pairing, Place, PolicyParameter, StatusChange, Visit)

# a refresh re-reads at most this share of the files by id (or this many, in a small database); beyond it one whole
# read is quicker
WHOLE_RELOAD_SHARE = 0.05
WHOLE_RELOAD_FILES = 200
_ORIGINS = itertools.count(1)


def _no_huge_pages() -> None:
    """numpy asks the kernel for transparent huge pages for every large array; once a province's snapshot has been read
    and memory is fragmented, each fresh array then waits for the kernel to compact memory — a save's splice of the
    income months took 0.6–1.5 s instead of 0.15 s (bench/pages.py). Off for this process, unless the operator set
    numpy's own switch (NUMPY_MADVISE_HUGEPAGE)."""
    from numpy._core import multiarray

    if "NUMPY_MADVISE_HUGEPAGE" not in os.environ and hasattr(multiarray, "_set_madvise_hugepage"):
        multiarray._set_madvise_hugepage(False)


_no_huge_pages()
LOG_KEPT = 64  # refreshes a snapshot remembers (files_changed_since reaches this far back)
_CHUNK = 500  # ids per IN list


def _day(column):
    """A date or timestamp column as ISO text, so the driver parses nothing (the frame converts all at once)."""
    return cast(column, String)


class _MonthIndex(FunctionElement):
    """year × 12 + month − 1 of a date column, computed by the database (core.status_engine.month_index)."""

    type = Integer()
    inherit_cache = True


@compiles(_MonthIndex)
def _month_index_any(element, compiler, **kw):
    column = compiler.process(list(element.clauses)[0], **kw)
    return (f"CAST(EXTRACT(YEAR FROM {column}) AS INTEGER) * 12 + CAST(EXTRACT(MONTH FROM {column}) AS INTEGER) - 1")


@compiles(_MonthIndex, "sqlite")
def _month_index_sqlite(element, compiler, **kw):  # the stored 'YYYY-MM-DD' text: substr is quicker than strftime
    column = compiler.process(list(element.clauses)[0], **kw)
    return f"CAST(substr({column}, 1, 4) AS INTEGER) * 12 + CAST(substr({column}, 6, 2) AS INTEGER) - 1"


def _month_index(column):
    return _MonthIndex(column)


# part name → (select of its columns, the frame's column names, date columns, order)
def _statements() -> dict[str, tuple]:
    main_cause = (select(HouseholdCause.cause).where(HouseholdCause.household_id == Household.id, HouseholdCause.is_main)
                  .limit(1).scalar_subquery())
    return {
        "files": (select(Household.id, Household.org_id, Household.file_no, Household.name, Household.place_code,
                         Household.hard_to_exit, Household.casualty, Household.status, Household.category, main_cause,
                         Household.key_group,
                         _day(Household.filed_on), _day(Household.updated_at), Household.visit_interval_months,
                         Household.historical_import),
                  ["household_id", "org_id", "file_no", "name", "place_code", "hard_to_exit", "casualty", "status", "category",
                   "main_cause",
                   "key_group", "filed_on", "updated_at", "visit_interval", "historical_import"],
                  ("filed_on", "updated_at"), (Household.id,), Household.id),
        "changes": (select(StatusChange.household_id, StatusChange.id, _day(StatusChange.effective_on), StatusChange.to_status,
                           StatusChange.reason),
                    ["household_id", "id", "effective_on", "to_status", "reason"], ("effective_on",),
                    (StatusChange.household_id, StatusChange.id), StatusChange.household_id),
        "measures": (select(Measure.household_id, Measure.id, Measure.track, Measure.cause, Measure.status,
                            _day(Measure.start_on), _day(Measure.end_on)),
                     ["household_id", "measure_id", "track", "cause", "status", "start_on", "end_on"], ("start_on", "end_on"),
                     (Measure.household_id, Measure.id), Measure.household_id),
        "measure_changes": (select(MeasureStatusChange.household_id, MeasureStatusChange.measure_id, MeasureStatusChange.to_status,
                                   _day(MeasureStatusChange.effective_on), MeasureStatusChange.id),
                            ["household_id", "measure_id", "to_status", "effective_on", "id"], ("effective_on",),
                            (MeasureStatusChange.household_id, MeasureStatusChange.id), MeasureStatusChange.household_id),
        "incomes": (select(IncomeMonth.household_id, _month_index(IncomeMonth.month), IncomeMonth.income_fen, IncomeMonth.persons,
                           IncomeMonth.transfer_fen, IncomeMonth.special_spending_fen, IncomeMonth.accident_spending_fen),
                    ["household_id", "month_index", "income_fen", "persons", "transfer_fen", "special_spending_fen",
                     "accident_spending_fen"], (),
                    (IncomeMonth.household_id, IncomeMonth.month), IncomeMonth.household_id),
        "causes": (select(HouseholdCause.household_id, HouseholdCause.cause, HouseholdCause.is_main, _day(HouseholdCause.removed_on)),
                   ["household_id", "cause", "is_main", "removed_on"], ("removed_on",),
                   (HouseholdCause.household_id, HouseholdCause.id), HouseholdCause.household_id),
        "assistance": (select(AssistanceRecord.household_id, AssistanceRecord.programme, _day(AssistanceRecord.from_on),
                              _day(AssistanceRecord.to_on)),
                       ["household_id", "programme", "from_on", "to_on"], ("from_on", "to_on"),
                       (AssistanceRecord.household_id, AssistanceRecord.id), AssistanceRecord.household_id),
        "payments": (select(AidPayment.household_id, _day(AidPayment.paid_on), AidPayment.amount_fen, AidPayment.fund_source,
                            AidPayment.track, AidPayment.programme, AidPayment.id),
                     ["household_id", "paid_on", "amount_fen", "fund_source", "track", "programme", "id"], ("paid_on",),
                     (AidPayment.household_id, AidPayment.id), AidPayment.household_id),
        "pairings": (select(Pairing.household_id, Pairing.helper_name, _day(Pairing.start_on)).where(Pairing.end_on.is_(None)),
                     ["household_id", "helper", "paired_on"], ("paired_on",), (Pairing.household_id, Pairing.id),
                     Pairing.household_id),
        "visits": (select(Visit.household_id, _day(func.max(Visit.visited_on))).group_by(Visit.household_id),
                   ["household_id", "last_visit"], ("last_visit",), (Visit.household_id,), Visit.household_id),
        "exclusions": (select(ExclusionCheck.household_id, ExclusionCheck.exclusion),
                       ["household_id", "exclusion"], (), (ExclusionCheck.household_id, ExclusionCheck.id),
                       ExclusionCheck.household_id),
    }


PARTS = tuple(_statements())

# which parts a write to a table can change (the audit log's entity); a file's row also feeds the status columns
_ENTITY_PARTS = {
    "household": ("files", "changes"), "status_change": ("files", "changes"), "process_step": ("files", "changes"),
    "member": ("files",), "household_cause": ("causes", "files"), "income_month": ("incomes",),
    "measure": ("measures", "measure_changes", "payments"), "measure_status_change": ("measures", "measure_changes"),
    "aid_payment": ("payments",), "pairing": ("pairings",), "assistance_record": ("assistance",), "visit": ("visits",),
    "exclusion_check": ("exclusions",),
}  # an import's "household" rows summarise every sheet, but its import_batch row (no file) makes a whole reload
# audited acts that write nothing (a file opened, an export, a login)
_READ_ONLY = {"read", "search", "match", "download", "refuse_dup", "export", "login", "login_throttled", "logout", "logout_all"}
# writes with no file that change nothing here
_HARMLESS = {"app_user", "login_session", "login_failure", "policy_scenario", "identity_lock", "audit_log", "export",
             "app_setting"}
# writes with no file that change only the small reference tables
_REFERENCE = {"dibao_line", "policy_parameter", "official_calendar_year"}


@dataclass(frozen=True)
class Reference:
    """The small tables, read whole: 低保 lines, places, unions, dated parameters."""

    lines: pd.DataFrame                      # place_code, effective_from (date), amount_fen, is_demo
    place_names: dict[str, str]
    place_kinds: dict[str, str]
    orgs: pd.DataFrame                       # org_id, path, org_name, place_code
    parameters: dict[str, list[tuple[dt.date, str]]]

    def parameter_history(self, key: str) -> list[tuple[dt.date, str]]:
        return self.parameters.get(key, [])


@dataclass(frozen=True)
class Snapshot:
    version: int                      # the data version it shows
    audit_id: int                     # the last audit row it has applied
    audit_hash: str | None            # and that row's hash (db/audit.py's chain)
    parts: dict[str, pd.DataFrame]
    reference: Reference
    stamps: dict[str, int] = field(default_factory=dict)  # part (or "reference") → version it last changed at
    scope: str = "/"                  # the subtree it holds ('/' for everything)
    # the latest refreshes, oldest first: (from version, to version, part → files re-read); a whole read starts it
    # afresh, and a change to the reference tables is a part named "reference" with no files
    log: tuple[tuple[int, int, dict[str, frozenset[int]]], ...] = ()
    origin: int = 0                   # which whole read this snapshot descends from (refreshes keep it)

    @property
    def mark(self) -> tuple[int, int]:
        """Where this snapshot stands: a figure computed on it can later be brought up to date file by file."""
        return self.origin, self.version

    def __getattr__(self, name: str) -> pd.DataFrame:
        try:
            return self.__dict__["parts"][name]
        except KeyError:
            raise AttributeError(name) from None

    def stamp(self, *parts: str) -> tuple[int, ...]:
        """What a figure computed from `parts` (and the reference tables) depends on: a cache key."""
        return tuple(self.stamps.get(p, self.version) for p in (*parts, "reference"))


_INTEGERS = {"household_id", "org_id", "id", "measure_id", "month_index", "income_fen", "persons", "transfer_fen",
             "special_spending_fen", "accident_spending_fen", "amount_fen"}


_BOOLEANS = {"hard_to_exit", "casualty", "historical_import", "is_main"}


def _rows(session: Session, stmt) -> list[tuple]:
    """The statement's rows as the driver gives them, on the session's own connection (its transaction): no per-value
    conversion by the ORM, which costs several times the read at a province's millions of rows."""
    connection = session.connection()
    compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled), params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _frame(session: Session, stmt, columns: list[str], dates: tuple[str, ...]) -> pd.DataFrame:
    rows = _rows(session, stmt)
    if rows and set(columns) <= _INTEGERS:  # the income months: one block of integers, far quicker than row by row
        block = np.array(rows, dtype=np.int64)
        frame = pd.DataFrame({c: np.ascontiguousarray(block[:, i]) for i, c in enumerate(columns)}, copy=False)
    else:
        frame = pd.DataFrame(rows, columns=columns)
    for column in set(columns) & _BOOLEANS:
        frame[column] = frame[column].astype(bool)
    for column in dates:
        frame[column] = pd.to_datetime(frame[column], format="ISO8601").astype("datetime64[us]")
    if frame.empty:  # typed like a full read, so a splice or a comparison behaves the same
        for column in set(columns) & _INTEGERS:
            frame[column] = frame[column].astype("int64")
    return frame


def _read_part(session: Session, name: str, household_ids=None, in_scope=None) -> pd.DataFrame:
    stmt, columns, dates, order, key = _statements()[name]
    if in_scope is not None:
        stmt = stmt.where(key.in_(in_scope))
    if household_ids is None:
        return _frame(session, stmt.order_by(*order), columns, dates)
    ids = sorted(household_ids)
    pieces = [_frame(session, stmt.where(key.in_(ids[i:i + _CHUNK])).order_by(*order), columns, dates)
              for i in range(0, len(ids), _CHUNK)]
    return pd.concat(pieces, ignore_index=True) if pieces else _frame(session, stmt.where(key.in_([])), columns, dates)


def _with_names(files: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """Each file's union (path and name, for the scope) and district name, from the reference tables."""
    orgs = reference.orgs.set_index("org_id")
    files = files.copy()
    files["org_path"] = files["org_id"].map(orgs["path"])
    files["org_name"] = files["org_id"].map(orgs["org_name"])
    files["place_name"] = files["place_code"].map(reference.place_names)
    return files


def read_reference(session: Session) -> Reference:
    lines = pd.DataFrame(session.execute(select(DibaoLine.place_code, DibaoLine.effective_from, DibaoLine.amount_fen,
                                                DibaoLine.is_demo)).all(),
                         columns=["place_code", "effective_from", "amount_fen", "is_demo"])
    places = session.execute(select(Place.code, Place.name, Place.kind)).all()
    orgs = pd.DataFrame(session.execute(select(Org.id, Org.path, Org.name, Org.place_code)).all(),
                        columns=["org_id", "path", "org_name", "place_code"])
    parameters: dict[str, list] = {}
    for key, effective_from, value in session.execute(
            select(PolicyParameter.key, PolicyParameter.effective_from, PolicyParameter.value)).all():
        parameters.setdefault(key, []).append((effective_from, value))
    return Reference(lines, {c: n for c, n, _ in places}, {c: k for c, _, k in places}, orgs, parameters)


def _versions(session: Session) -> tuple[int, int, str | None]:
    """The data version, the last audit row and its hash. The log is read first: a write committed between the two
    reads is then in the version and in the parts read after, and its audit rows are applied again next time
    (harmless), never missed."""
    last = session.execute(select(AuditLog.id, AuditLog.row_hash).order_by(AuditLog.id.desc()).limit(1)).first()
    return _data_version(session), (last[0] if last else 0), (last[1] if last else None)


def _data_version(session: Session) -> int:
    return session.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 0


def _same_log(session: Session, snap: Snapshot) -> bool:
    """The audit row the snapshot last applied is still there, unchanged: the log was not replaced (a restore, or
    another database at the same address)."""
    if snap.audit_id == 0:  # nothing to compare with: only a database still empty of writes is the same
        return session.scalar(select(func.count()).select_from(AuditLog)) == 0
    return session.scalar(select(AuditLog.row_hash).where(AuditLog.id == snap.audit_id)) == snap.audit_hash


def load(session: Session) -> Snapshot:
    """Every file's parts, read whole."""
    version, audit_id, audit_hash = _versions(session)
    reference = read_reference(session)
    parts = {name: _read_part(session, name) for name in PARTS}
    parts["files"] = _with_names(parts["files"], reference)
    return Snapshot(version, audit_id, audit_hash, parts, reference, {p: version for p in (*PARTS, "reference")},
                    origin=next(_ORIGINS))


def read(session: Session, actor: Actor, parts: tuple[str, ...] = PARTS) -> Snapshot:
    """`parts` of the actor's subtree, read from the database in this session (sees its own uncommitted writes)."""
    from db.scope import org_filter

    version, audit_id, audit_hash = _versions(session)
    reference = read_reference(session)
    in_scope = None if actor.sees_everything else org_filter(select(Household.id), actor)
    parts = {name: _read_part(session, name, in_scope=in_scope) for name in dict.fromkeys(("files", *parts))}
    parts["files"] = _with_names(parts["files"], reference)
    return Snapshot(version, audit_id, audit_hash, parts, reference, {p: version for p in (*PARTS, "reference")},
                    scope="/" if actor.sees_everything else actor.org_path, origin=next(_ORIGINS))


def _splice(old: pd.DataFrame, ids: np.ndarray, fresh: pd.DataFrame) -> pd.DataFrame:
    """`old` with the rows of `ids` replaced by `fresh` (the same files' rows now), in household order.

    Both are sorted by household_id, so each file's rows are one run: every column is rebuilt by one concatenation of
    the runs kept and the runs read, with no row-by-row work and no index lookups."""
    ids = np.unique(ids)
    hid = old["household_id"].to_numpy()
    lo, hi = np.searchsorted(hid, ids, "left"), np.searchsorted(hid, ids, "right")
    new_hid = fresh["household_id"].to_numpy()
    new_lo, new_hi = np.searchsorted(new_hid, ids, "left"), np.searchsorted(new_hid, ids, "right")
    kept = list(zip(np.r_[0, hi], np.r_[lo, len(hid)], strict=True))  # the runs between the files replaced
    columns = {}
    for column in old.columns:
        before, after = old[column], fresh[column]
        if before.dtype != after.dtype:  # an int column meeting a None, say: the type pandas gives both together
            both = pd.concat([before, after], ignore_index=True)
            before, after = both.iloc[:len(before)], both.iloc[len(before):]
        a, b = before.array, after.array
        pieces = [a[kept[0][0]:kept[0][1]]]
        for k in range(len(ids)):
            pieces += [b[new_lo[k]:new_hi[k]], a[kept[k + 1][0]:kept[k + 1][1]]]
        # the dtype said: pandas would otherwise infer `str` for an object column of text
        columns[column] = pd.Series(type(a)._concat_same_type(pieces), dtype=before.dtype, copy=False)
    return pd.DataFrame(columns, copy=False)  # one block per column: the next splice copies nothing it keeps


def _changed_since(session: Session, snap: Snapshot) -> tuple[dict[int, set[str]], set[str], int, str | None]:
    """Files written since the snapshot's audit row with the tables written, the file-less tables written, and the
    last row's id and hash."""
    rows = session.execute(select(AuditLog.id, AuditLog.household_id, AuditLog.entity, AuditLog.row_hash, AuditLog.action)
                           .where(AuditLog.id > snap.audit_id).order_by(AuditLog.id)).all()
    files: dict[int, set[str]] = {}
    others: set[str] = set()
    for _, household_id, entity, _, action in rows:
        if action in _READ_ONLY:
            continue
        if household_id is None:
            others.add(entity)
        else:
            files.setdefault(household_id, set()).add(entity)
    last = rows[-1] if rows else (snap.audit_id, None, None, snap.audit_hash)
    return files, others, last[0], last[3]


def is_current(session: Session, snap: Snapshot) -> bool:
    """Whether `snap` is at the database's data version and its log was not replaced: what most page runs ask, two
    small reads that need no lock."""
    return _data_version(session) == snap.version and _same_log(session, snap)


def refresh(session: Session, snap: Snapshot | None) -> Snapshot:
    """`snap` brought up to the database's data version: the files written since re-read, or everything if need be."""
    if snap is None:
        return load(session)
    version, _, _ = _versions(session)
    if not _same_log(session, snap):  # a restore, or another database at the same address
        return load(session)
    if version == snap.version:
        return snap
    files, others, seen, seen_hash = _changed_since(session, snap)
    if not files and not others:  # a write the log does not explain
        return load(session)
    if others - _HARMLESS - _REFERENCE:  # unions, places, a restore, the demo loader: everything may have moved
        return load(session)
    if len(files) > max(WHOLE_RELOAD_SHARE * len(snap.parts["files"]), WHOLE_RELOAD_FILES):
        return load(session)
    stamps = dict(snap.stamps)
    reference = snap.reference
    moved: dict[str, frozenset[int]] = {}
    if others & _REFERENCE:
        reference = read_reference(session)
        stamps["reference"] = version
        moved["reference"] = frozenset()
    parts = dict(snap.parts)
    touched: dict[str, set[int]] = {}
    for household_id, entities in files.items():
        for entity in entities:
            for part in _ENTITY_PARTS.get(entity, PARTS):  # a table not listed: every part of that file
                touched.setdefault(part, set()).add(household_id)
    for part, ids in touched.items():
        fresh = _read_part(session, part, household_ids=ids)
        if part == "files":
            fresh = _with_names(fresh, reference)
        parts[part] = _splice(parts[part], np.fromiter(ids, np.int64), fresh)
        stamps[part] = version
        moved[part] = frozenset(ids)
    log = (*snap.log, (snap.version, version, moved))[-LOG_KEPT:]
    return Snapshot(version, seen, seen_hash, parts, reference, stamps, log=log, origin=snap.origin)


def files_changed_since(snap: Snapshot, mark: tuple[int, int], parts: tuple[str, ...]) -> frozenset[int] | None:
    """The files whose rows in `parts` changed since the snapshot stood at `mark` (an earlier `Snapshot.mark`), or
    None when that cannot be told file by file: a whole read since, the log does not reach back so far, or the
    reference tables (lines, parameters) changed, which may move every file's figures."""
    origin, version = mark
    if origin != snap.origin:
        return None
    if version == snap.version:
        return frozenset()
    since = [entry for entry in snap.log if entry[0] >= version]
    if not since or since[0][0] != version:
        return None
    ids: set[int] = set()
    for _, _, moved in since:
        if "reference" in moved:
            return None
        for part in parts:
            ids |= moved.get(part, frozenset())
    return frozenset(ids)


def per_file(snap: Snapshot, parts: tuple[str, ...], compute, kept: pd.DataFrame | None = None,
             kept_mark: tuple[int, int] | None = None) -> pd.DataFrame:
    """`compute(snap)`, a frame of rows per file that each depend only on that file's rows of `parts` and on the
    reference tables (the status engine's answer), sorted by household_id. Given the value computed on the snapshot
    at `kept_mark`, only the files written since are computed again and their rows replaced."""
    changed = None if kept is None else files_changed_since(snap, kept_mark, parts)
    if changed is None or len(changed) > max(WHOLE_RELOAD_FILES, WHOLE_RELOAD_SHARE * len(snap.parts["files"])):
        return _by_household(compute(snap))
    if not changed:
        return kept
    return replace_files(kept, changed, _by_household(compute(only_files(snap, changed))))


def _by_household(frame: pd.DataFrame) -> pd.DataFrame:
    if frame["household_id"].is_monotonic_increasing:
        return frame
    return frame.sort_values("household_id", kind="stable").reset_index(drop=True)


def replace_files(frame: pd.DataFrame, household_ids, fresh: pd.DataFrame) -> pd.DataFrame:
    """A per-file figure (`frame`, sorted by household_id) with the rows of some files replaced by `fresh` (those
    files' rows computed again, also sorted; a file may have none now)."""
    ids = np.fromiter(household_ids, np.int64)
    if fresh.empty:  # the files left the figure: drop their rows, keeping every column's type
        return frame[~np.isin(frame["household_id"].to_numpy(), ids)].reset_index(drop=True)
    return _splice(frame, ids, fresh[frame.columns])


def only_files(snap: Snapshot, household_ids) -> Snapshot:
    """The snapshot restricted to some files (each part's runs of those ids; the parts are sorted by household_id)."""
    ids = np.unique(np.fromiter(household_ids, np.int64))
    parts = {}
    for name, frame in snap.parts.items():
        hid = frame["household_id"].to_numpy()
        lo, hi = np.searchsorted(hid, ids, "left"), np.searchsorted(hid, ids, "right")
        rows = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True)]) if len(ids) else np.array([], int)
        parts[name] = frame.iloc[rows].reset_index(drop=True)
    return replace(snap, parts=parts)


def scoped(snap: Snapshot, actor: Actor) -> Snapshot:
    """The parts of the actor's subtree (the same frames for a city-wide actor)."""
    if actor.sees_everything or snap.scope == actor.org_path:
        return snap
    files = snap.parts["files"]
    mine = files[files["org_path"].str.startswith(actor.org_path, na=False)].reset_index(drop=True)
    ids = mine["household_id"].to_numpy()
    parts = {"files": mine}
    for name, frame in snap.parts.items():
        if name != "files":
            parts[name] = frame[np.isin(frame["household_id"].to_numpy(), ids)].reset_index(drop=True)
    return replace(snap, parts=parts, scope=actor.org_path)

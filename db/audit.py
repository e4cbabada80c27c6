"""The one write path: scope check, optimistic version check, audit rows, data-version bump.

Every service that changes data calls `create`, `update` or `record` here inside the caller's
transaction, so the change and its audit rows commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func, inspect, select, text, update as sql_update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from db.actor import Actor
from db.errors import STALE_MESSAGE, Conflict
from db.models import AuditLog, DataVersion, now
from db import bulk, textguard  # noqa: F401  (refuses, before any flush, text a column cannot hold)

# Fields never written to the audit log in clear.
SECRET_FIELDS = {"password_hash"}


def text_of(value: Any) -> str | None:
    """A value as the audit log (and an import's undo record) keeps it."""
    return _text(value)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)




def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: Any = None,
    *,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    reason: str | None = None,
    household_id: int | None = None,
) -> None:
    """Add an audit row to the caller's transaction; it is written, chained, when the transaction commits."""
    _pending(session).append(_row(actor, action, entity, entity_id, field=field, old=old, new=new, reason=reason,
                                  household_id=household_id))


def _row(actor: Actor, action: str, entity: str, entity_id: Any = None, *, field: str | None = None, old: Any = None,
         new: Any = None, reason: str | None = None, household_id: int | None = None) -> dict[str, Any]:
    return {"at": now(), "user_id": actor.user_id, "actor": actor.username[:64], "action": action, "entity": entity,
            "entity_id": None if entity_id is None else str(entity_id), "field": field, "old_value": _text(old),
            "new_value": _text(new), "reason": reason, "household_id": household_id}


# --- the chain: every row carries the previous row's hash ---------------------------------------------------------
#
# Rows wait in the session until its transaction commits. Then, after every other change of the transaction has been
# flushed, the writer takes the chain's lock (PostgreSQL: a transaction-scoped advisory lock; SQLite: its one write
# lock), reads the last row's hash and inserts its rows after it. The lock is the last one the transaction takes
# and it ends with the commit, so writers are serialised on the chain without waiting on each other's row locks.

GENESIS = "0" * 64
CHAIN_LOCK = 7_305_110_411  # the advisory lock key of the audit chain
CHAINED = ("chain_seq", "at", "user_id", "actor", "action", "entity", "entity_id", "field", "old_value", "new_value",
           "reason", "household_id")
_PENDING = "audit_pending"
_KEPT = "audit_kept"


def _canonical(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    return value


def chain_digest(prev_hash: str, values: Mapping[str, Any]) -> str:
    """The hash of a row: the previous row's hash and the row's own content, in one canonical JSON text."""
    payload = json.dumps([prev_hash] + [_canonical(values[k]) for k in CHAINED], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _pending(session: Session) -> list[dict[str, Any]]:
    """The rows waiting for this session's current (root) transaction."""
    session.connection()  # begins the session's transaction if it has not begun yet
    root = session.get_transaction()
    while root.parent is not None:
        root = root.parent
    kept = session.info.get(_PENDING)
    if kept is None or kept[0] is not root:
        kept = session.info[_PENDING] = (root, [])
    return kept[1]


def lock_chain(session: Session) -> None:
    """Serialise writers of the chain until this transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    else:  # a write that changes nothing takes SQLite's write lock now, before the last hash is read
        session.execute(text("UPDATE data_version SET version = version WHERE 1 = 0"))


def append(session: Session, rows: list[dict[str, Any]]) -> None:
    """Chain and insert rows at the end of the log, in the caller's transaction (under the chain's lock)."""
    if not rows:
        return
    lock_chain(session)
    last = session.execute(select(AuditLog.chain_seq, AuditLog.row_hash).where(AuditLog.chain_seq.is_not(None))
                           .order_by(AuditLog.chain_seq.desc()).limit(1)).first()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS)
    for row in rows:
        seq += 1
        row["chain_seq"], row["prev_hash"] = seq, prev
        row["row_hash"] = prev = chain_digest(prev, row)
    # no ORM work per row: COPY on PostgreSQL, executemany on SQLite (the rows' text is the system's own record)
    bulk.insert_rows(session, AuditLog.__table__, rows, check_text=False)


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.flush()  # every other change first (and rows added directly): the chain's lock is the transaction's last
    kept = session.info.pop(_PENDING, None)
    if kept is not None and kept[0] is session.get_transaction() and kept[1]:
        append(session, kept[1])


@event.listens_for(Session, "before_flush")
def _chain_added_rows(session: Session, _flush_context, _instances) -> None:
    """An AuditLog added to a session directly (not through `record`) joins the chain like the others."""
    added = sorted((o for o in session.new if isinstance(o, AuditLog)), key=lambda o: (o.at or now(), id(o)))
    for obj in added:
        session.expunge(obj)
        _pending(session).append({"at": obj.at or now(), "user_id": obj.user_id, "actor": obj.actor, "action": obj.action,
                                  "entity": obj.entity, "entity_id": obj.entity_id, "field": obj.field,
                                  "old_value": obj.old_value, "new_value": obj.new_value, "reason": obj.reason,
                                  "household_id": obj.household_id})


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


def keep(session: Session, actor: Actor, action: str, entity: str, entity_id: Any = None, **values: Any) -> None:
    """An audit row that must be written even when the caller's transaction is rolled back (a refusal that told the
    user something): `db.engine.transaction` and `db.engine.reading` write it in a transaction of its own afterwards."""
    session.info.setdefault(_KEPT, []).append(_row(actor, action, entity, entity_id, **values))


def kept_count(session: Session, action: str, actor: Actor) -> int:
    return sum(1 for r in session.info.get(_KEPT, []) if r["action"] == action and r["actor"] == actor.username[:64])


def write_kept(engine, session: Session) -> None:
    rows = session.info.pop(_KEPT, None)
    if not rows:
        return
    with Session(engine, expire_on_commit=False) as own, own.begin():  # not db.engine's factory: engine imports audit
        append(own, rows)


# --- checking the chain -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    audit_id: int
    chain_seq: int | None
    at: dt.datetime | None
    actor: str
    problem: str  # Chinese, what is wrong with this row


def verify_chain(session: Session) -> tuple[int, ChainBreak | None]:
    """(rows checked, the first broken row or None). Walks the log in chain order and recomputes every hash."""
    columns = [AuditLog.id, AuditLog.prev_hash, AuditLog.row_hash] + [getattr(AuditLog, k) for k in CHAINED]
    outside = session.execute(select(AuditLog.id, AuditLog.at, AuditLog.actor).where(AuditLog.chain_seq.is_(None))
                              .order_by(AuditLog.id).limit(1)).first()
    expected_seq, prev, checked = 1, GENESIS, 0
    found: ChainBreak | None = None
    for row in session.execute(select(*columns).where(AuditLog.chain_seq.is_not(None))
                               .order_by(AuditLog.chain_seq).execution_options(yield_per=5000)).mappings():
        def broken(problem: str) -> ChainBreak:
            return ChainBreak(row["id"], row["chain_seq"], row["at"], row["actor"], problem)

        if row["chain_seq"] != expected_seq:
            found = broken(f"之前缺少 {row['chain_seq'] - expected_seq} 条记录（序号 {expected_seq}"
                           + (f"–{row['chain_seq'] - 1}" if row["chain_seq"] - 1 > expected_seq else "") + "），已被删除")
        elif row["prev_hash"] != prev:
            found = broken("记录的上一条校验值与上一条记录不符（上一条记录被修改或删除）")
        elif row["row_hash"] != chain_digest(prev, row):
            found = broken("内容与校验值不符，已被修改")
        if found:
            break
        checked += 1
        expected_seq, prev = expected_seq + 1, row["row_hash"]
    if found is None and outside is not None:
        found = ChainBreak(outside[0], None, outside[1], outside[2], "没有校验值，不是经本系统写入的")
    return checked, found


def bump_data_version(session: Session) -> None:
    """Every write moves the data version, so cached figures in every app instance go stale."""
    session.execute(sql_update(DataVersion).where(DataVersion.id == 1).values(version=DataVersion.version + 1))


def data_version(session: Session) -> int:
    return session.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 0


def household_of(obj) -> int | None:
    """The file a row belongs to: the household itself, or the household_id of a member, measure, visit …"""
    if obj.__tablename__ == "household":
        return obj.id
    return getattr(obj, "household_id", None)


def _columns(obj) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {c.key: getattr(obj, c.key) for c in mapper.column_attrs if c.key not in ("version",)}


def create(session: Session, actor: Actor, obj, *, reason: str | None = None) -> None:
    """Add a new row and audit it with a snapshot of its fields."""
    session.add(obj)
    session.flush()
    snapshot = {k: _text(v) for k, v in _columns(obj).items() if k not in SECRET_FIELDS and v is not None}
    record(session, actor, "create", obj.__tablename__, obj.id, new=json.dumps(snapshot, ensure_ascii=False), reason=reason,
           household_id=household_of(obj))
    bump_data_version(session)


def update(
    session: Session,
    actor: Actor,
    obj,
    changes: dict[str, Any],
    *,
    expected_version: int | None,
    reason: str | None = None,
    labels: dict[str, str] | None = None,
) -> list[str]:
    """Apply `changes` to a loaded row if it is still the version the user saw.

    Returns the names of the fields that really changed (an unchanged form writes nothing).
    Raises Conflict when the row moved on since the user loaded it.
    """
    if expected_version is not None and obj.version != expected_version:
        raise Conflict(
            "该记录已被他人修改（您打开时为第 %d 版，现为第 %d 版），请刷新后重新录入您的修改。" % (expected_version, obj.version)
        )
    changed = []
    for field, value in changes.items():
        old = getattr(obj, field)
        if old == value:
            continue
        setattr(obj, field, value)
        changed.append(field)
        shown_old, shown_new = (("***", "***") if field in SECRET_FIELDS else (old, value))
        record(session, actor, "update", obj.__tablename__, obj.id, field=field, old=shown_old, new=shown_new, reason=reason,
               household_id=household_of(obj))
    if changed:
        try:
            session.flush()  # the UPDATE carries "WHERE version = :old", so a racing save fails here
        except StaleDataError:
            raise Conflict(STALE_MESSAGE) from None
        bump_data_version(session)
    return changed


def delete(session: Session, actor: Actor, obj, *, expected_version: int | None, reason: str | None = None) -> None:
    """Remove a row the user may take back (a planned payment), keeping a snapshot of it in the audit log."""
    if expected_version is not None and obj.version != expected_version:
        raise Conflict(STALE_MESSAGE)
    snapshot = {k: _text(v) for k, v in _columns(obj).items() if k not in SECRET_FIELDS and v is not None}
    record(session, actor, "delete", obj.__tablename__, obj.id, old=json.dumps(snapshot, ensure_ascii=False), reason=reason,
           household_id=household_of(obj))
    session.delete(obj)
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(STALE_MESSAGE) from None
    bump_data_version(session)


# --- reads of personal data ---------------------------------------------------------------------------------------
#
# Opening a file, downloading personal data and looking a person up by their ID number leave a row each. The rows are
# kept (`keep`), so a screen may call these from a read-only session: they are written when it ends.


def _day_start(on: dt.date | None = None) -> dt.datetime:
    return dt.datetime.combine(on or now().date(), dt.time())


def _seen_today(session: Session, actor: Actor, action: str, entity: str, entity_id: str | None, field: str | None = None,
                value: str | None = None) -> bool:
    for row in session.info.get(_KEPT, []):
        if (row["actor"], row["action"], row["entity"], row["entity_id"]) == (actor.username[:64], action, entity, entity_id) \
                and (value is None or row["new_value"] == value):
            return True
    stmt = select(AuditLog.id).where(AuditLog.actor == actor.username[:64], AuditLog.action == action, AuditLog.entity == entity,
                                     AuditLog.at >= _day_start())
    stmt = stmt.where(AuditLog.entity_id.is_(None) if entity_id is None else AuditLog.entity_id == entity_id)
    if field is not None:
        stmt = stmt.where(AuditLog.field == field)
    if value is not None:
        stmt = stmt.where(AuditLog.new_value == value)
    return session.scalar(stmt.limit(1)) is not None


def file_opened(session: Session, actor: Actor, household_id: int, file_no: str) -> bool:
    """Who read which file (一户一档 shows every member's full ID number): one row per user, file and day.
    True when this call wrote the row."""
    if _seen_today(session, actor, "read", "household", str(household_id)):
        return False
    keep(session, actor, "read", "household", household_id, household_id=household_id, reason=f"查看档案 {file_no}")
    return True


def personal_data_downloaded(session: Session, actor: Actor, what: str, *, household_id: int | None = None,
                             rows: int | None = None) -> None:
    """Every download of personal data (a printable file, a list with names or ID numbers)."""
    keep(session, actor, "download", "household", household_id, household_id=household_id,
         new=None if rows is None else f"{rows:,} 行", reason=f"下载{what}")


def id_number_searched(session: Session, actor: Actor, number: str, found: int) -> None:
    """A search by a full ID number: whom the user looked for, once per user, number and day."""
    if _seen_today(session, actor, "search", "household", None, "id_number", number):
        return
    keep(session, actor, "search", "household", None, field="id_number", new=number,
         reason=f"按身份证号查询，找到 {found} 户")


def roster_matched(session: Session, actor: Actor, numbers: int, matched: int) -> None:
    """A 低保 roster matched against the files: a list of ID numbers looked up at once."""
    keep(session, actor, "match", "household", None, new=f"{numbers:,} 个身份证号，对应 {matched:,} 户", reason="低保名单比对")


# --- the duplicate check: one open file per ID number ---------------------------------------------------------------

DUPLICATE_ELSEWHERE = "已在其他工会的档案中，请联系市总工会"
DUPLICATE_LIMIT_MESSAGE = "今日查重次数已达上限，请联系市总工会"
DUPLICATE_DAILY_LIMIT = 20


def duplicate_refusals_today(session: Session, actor: Actor) -> int:
    """How many ID numbers held outside the user's scope the duplicate check has refused for this user today."""
    key = ("audit_refusals", actor.username, _day_start())
    if key not in session.info:  # read once per session: an import asks for every row
        session.info[key] = session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.actor == actor.username[:64], AuditLog.action == "refuse_dup", AuditLog.at >= _day_start())) or 0
    return session.info[key] + kept_count(session, "refuse_dup", actor)


def duplicate_limit_reached(session: Session, actor: Actor) -> bool:
    """Past the day's limit the duplicate check stops answering for numbers new to the user's files."""
    return duplicate_refusals_today(session, actor) >= DUPLICATE_DAILY_LIMIT


def duplicate_refused(session: Session, actor: Actor, number: str, where: str) -> bool:
    """Audit one refusal that tells the user a number is held outside their scope; False once the day's limit is
    reached (the caller then says no more than DUPLICATE_LIMIT_MESSAGE)."""
    if duplicate_refusals_today(session, actor) >= DUPLICATE_DAILY_LIMIT:
        return False
    keep(session, actor, "refuse_dup", "household", None, field="id_number", new=number,
         reason=f"查重：该身份证号已在其他工会的档案中（{where}）")
    return True

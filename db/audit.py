"""The one write path: scope check, optimistic version check, audit rows, data-version bump.

Every service that changes data calls `create`, `update` or `record` here inside the caller's
transaction, so the change and its audit rows commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import inspect, select, update as sql_update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from db.actor import Actor
from db.errors import STALE_MESSAGE, Conflict
from db.models import AuditLog, DataVersion, now
from db import textguard  # noqa: F401  (refuses, before any flush, text a column cannot hold)

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
    session.add(
        AuditLog(
            at=now(),
            user_id=actor.user_id,
            actor=actor.username,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            field=field,
            old_value=_text(old),
            new_value=_text(new),
            reason=reason,
            household_id=household_id,
        )
    )


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

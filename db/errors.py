"""Failures a user can act on; every message is Chinese and says what to do."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of the expected failures of a service call (shown to the user, not logged as a bug)."""


class ValidationError(ServiceError):
    """Input that breaks a rule; `errors` maps a field name to its message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("；".join(errors.values()))


class NotFound(ServiceError):
    pass


class OutOfScope(ServiceError):
    """The record belongs to an organisation outside the user's subtree (or the role may not write)."""


RACE_MESSAGE = "保存失败：有人在同一时刻保存了相同的记录（如同时新建档案或录入同一月份）。您的修改尚未保存，请再保存一次。"
STALE_MESSAGE = "保存失败：该记录刚刚被他人修改并保存。您的修改尚未保存，请刷新后重新录入。"


class Conflict(ServiceError):
    """Someone else saved the record since the user loaded it; `changes` lists what they changed."""

    def __init__(self, message: str, changes: list[tuple[str, str, str]] | None = None):
        self.changes = changes or []
        super().__init__(message)


def violates(exc: Exception, constraint: str, sqlite_columns: str) -> bool:
    """Whether a database error is the breach of this unique rule: PostgreSQL names the constraint, SQLite the columns
    ("UNIQUE constraint failed: table.a, table.b")."""
    text = str(getattr(exc, "orig", exc))
    return constraint in text or f"UNIQUE constraint failed: {sqlite_columns}" in text

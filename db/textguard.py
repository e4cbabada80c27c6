"""The last check before any row reaches the database: every text a flush would write fits its column.

The services check their fields in core (a message under each field); this catches any path that writes text
without such a check (a note, a reason, a name set by a service) so that no text can make PostgreSQL refuse a
write with DataError, or SQLite store it past its declared length. It raises the project's ValidationError,
keyed by the column's attribute name, before anything is written.

The limit of a String column is its declared length in db/models.py; a Text column's is core.typed.TEXT_FIELDS'
(no limit for the columns that hold what the system itself writes: audit snapshots, import undo records).
Only values a flush is about to write are checked: a row loaded with old text can still have its other fields saved.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Table, event, inspect
from sqlalchemy.orm import Session

from core.typed import TEXT_FIELDS, text_problem
from db.errors import ValidationError

# Columns written by the system only, with what the system recorded; their inputs were checked at their own rows.
UNCHECKED = {"audit_log.old_value", "audit_log.new_value", "import_change.before", "import_batch.counts",
             "household.category_explanation", "app_setting.value"}


def column_problem(table: str, key: str, column, value: Any) -> str | None:
    """Why `value` cannot be written to `column` (attribute `key` of `table`), or None when it can."""
    if not isinstance(column.type, String) or not isinstance(value, str):  # Text is a String too
        return None
    name = f"{table}.{key}"
    if name in UNCHECKED:
        return None
    spec = TEXT_FIELDS.get(name)
    length = column.type.length  # None for Text
    limit = length or (spec.limit if spec else len(value))
    multiline = spec.multiline if spec else length is None  # a Text column the table does not know keeps its lines
    return text_problem(value, limit, multiline=multiline, label=spec.label if spec else "")


def problems_of(obj) -> dict[str, str]:
    state = inspect(obj)
    table = getattr(obj, "__tablename__", "")
    errors: dict[str, str] = {}
    for column_attr in state.mapper.column_attrs:
        value = getattr(obj, column_attr.key, None)
        if not isinstance(value, str):
            continue
        if state.persistent and not state.attrs[column_attr.key].history.has_changes():
            continue  # not written by this flush
        problem = column_problem(table, column_attr.key, column_attr.columns[0], value)
        if problem:
            errors[column_attr.key] = problem
    return errors


def refuse_rows(table: Table, rows: list[dict[str, Any]]) -> None:
    """The same check for rows written without objects (db.bulk): ValidationError under the first bad column."""
    text_columns = [c for c in table.columns if isinstance(c.type, String) and f"{table.name}.{c.key}" not in UNCHECKED]
    errors: dict[str, str] = {}
    for row in rows:
        for column in text_columns:
            value = row.get(column.key)
            if isinstance(value, str) and column.key not in errors:
                problem = column_problem(table.name, column.key, column, value)
                if problem:
                    errors[column.key] = problem
    if errors:
        raise ValidationError(errors)


@event.listens_for(Session, "before_flush")
def _refuse_unstorable_text(session: Session, _context, _instances) -> None:
    errors: dict[str, str] = {}
    for obj in list(session.new) + list(session.dirty):
        if hasattr(obj, "__tablename__"):
            for key, message in problems_of(obj).items():
                errors.setdefault(key, message)
    if errors:
        raise ValidationError(errors)

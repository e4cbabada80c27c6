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

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session

from core.typed import TEXT_FIELDS, text_problem
from db.errors import ValidationError

# Columns written by the system only, with what the system recorded; their inputs were checked at their own rows.
UNCHECKED = {"audit_log.old_value", "audit_log.new_value", "import_change.before", "import_batch.counts",
             "household.category_explanation", "app_setting.value"}


def problems_of(obj) -> dict[str, str]:
    state = inspect(obj)
    table = getattr(obj, "__tablename__", "")
    errors: dict[str, str] = {}
    for column_attr in state.mapper.column_attrs:
        column = column_attr.columns[0]
        if not isinstance(column.type, String):  # Text is a String too
            continue
        name = f"{table}.{column_attr.key}"
        if name in UNCHECKED:
            continue
        value = getattr(obj, column_attr.key, None)
        if not isinstance(value, str):
            continue
        if state.persistent and not state.attrs[column_attr.key].history.has_changes():
            continue  # not written by this flush
        spec = TEXT_FIELDS.get(name)
        length = column.type.length  # None for Text
        limit = length or (spec.limit if spec else len(value))
        multiline = spec.multiline if spec else length is None  # a Text column the table does not know keeps its lines
        problem = text_problem(value, limit, multiline=multiline, label=spec.label if spec else "")
        if problem:
            errors[column_attr.key] = problem
    return errors


@event.listens_for(Session, "before_flush")
def _refuse_unstorable_text(session: Session, _context, _instances) -> None:
    errors: dict[str, str] = {}
    for obj in list(session.new) + list(session.dirty):
        if hasattr(obj, "__tablename__"):
            for key, message in problems_of(obj).items():
                errors.setdefault(key, message)
    if errors:
        raise ValidationError(errors)

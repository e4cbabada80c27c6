"""Many new rows of one table in the caller's transaction: COPY on PostgreSQL, batched executemany on SQLite.

The import writes hundreds of thousands of rows (48 months of incomes per household). On PostgreSQL an executemany
still runs one INSERT per row on the server; COPY sends them as one stream, which is what brings an import on
PostgreSQL to SQLite's pace. The rows get the columns' Python-side defaults (version 1, 0 fen, now) exactly as an
ORM insert would; a unique or check rule the store refuses is raised as SQLAlchemy's IntegrityError, as any other
write's would be, so `db.engine.transaction` reports it the same way. Their text passes the same last check a flush
applies (db/textguard.py): a value a column cannot hold is a ValidationError under that column, before anything is
written.

`insert_new` also hands back the new rows' ids (the new files of an import, which the other sheets' rows point to):
on PostgreSQL taken from the table's sequence first and sent with the rows by COPY; on SQLite by multi-row
INSERT ... RETURNING.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db import textguard

BATCH = 5000  # rows per executemany on SQLite


def _default(column) -> Any:
    default = column.default
    if default is None:
        return None
    if default.is_callable:
        return default.arg(None)
    if default.is_scalar:
        return default.arg
    raise ValueError(f"{column} has a default that a bulk insert cannot compute")


def _prepared(table: Table, rows: list[dict[str, Any]], check_text: bool) -> list:
    given = set().union(*rows)
    unknown = given - set(table.columns.keys())
    if unknown:
        raise ValueError(f"{table.name} has no column {sorted(unknown)}")
    if check_text:
        textguard.refuse_rows(table, rows)
    return [c for c in table.columns if c.key in given or (c.default is not None and not c.primary_key)]


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]], *, check_text: bool = True) -> None:
    """Insert `rows` (column key → value) into `table`; a column a row does not give takes its default.
    `check_text=False` only for rows the system composes itself (the audit log's)."""
    if not rows:
        return
    columns = _prepared(table, rows, check_text)
    defaults = {c.key: _default(c) for c in columns}
    session.flush()  # the rows these point to (new files) are in the store first
    if session.get_bind().dialect.name != "postgresql":
        full = [{c.key: row.get(c.key, defaults.get(c.key)) for c in columns} for row in rows]
        for start in range(0, len(full), BATCH):
            session.execute(insert(table), full[start:start + BATCH])
        return
    _copy(session, table, columns, [tuple(row.get(c.key, defaults.get(c.key)) for c in columns) for row in rows])


def insert_new(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert `rows` as `insert_rows` does and return their new ids, in the order of `rows`."""
    if not rows:
        return []
    (key,) = [c.key for c in table.primary_key.columns]
    if any(key in row for row in rows):
        raise ValueError(f"{table.name}: new rows take their {key} from the store")
    columns = _prepared(table, rows, True)
    defaults = {c.key: _default(c) for c in columns}
    session.flush()
    if session.get_bind().dialect.name != "postgresql":
        full = [{c.key: row.get(c.key, defaults.get(c.key)) for c in columns} for row in rows]
        statement = insert(table).returning(table.c[key], sort_by_parameter_order=True)
        ids: list[int] = []
        for start in range(0, len(full), BATCH):
            ids.extend(session.scalars(statement, full[start:start + BATCH]).all())
        return ids
    sequence = session.scalar(select(func.pg_get_serial_sequence(table.name, table.c[key].name)))
    ids = list(session.scalars(text("SELECT nextval(CAST(:sequence AS regclass)) FROM generate_series(1, :n)"),
                               {"sequence": sequence, "n": len(rows)}))
    ids.sort()
    _copy(session, table, [table.c[key], *columns],
          [(new_id, *(row.get(c.key, defaults.get(c.key)) for c in columns)) for new_id, row in zip(ids, rows)])
    return ids


def _copy(session: Session, table: Table, columns: list, values: list[tuple]) -> None:
    import psycopg
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table.name),
                                                          sql.SQL(", ").join(sql.Identifier(c.name) for c in columns))
    connection = session.connection().connection.driver_connection
    try:
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)
    except psycopg.errors.IntegrityError as exc:
        raise IntegrityError(f"COPY {table.name}", None, exc) from None

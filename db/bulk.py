"""Many new rows of one table in the caller's transaction: COPY on PostgreSQL, batched executemany on SQLite.

The import writes hundreds of thousands of rows (48 months of incomes per household). On PostgreSQL an executemany
still runs one INSERT per row on the server; COPY sends them as one stream, which is what brings an import on
PostgreSQL to SQLite's pace. The rows get the columns' Python-side defaults (version 1, 0 fen, now) exactly as an
ORM insert would; a unique or check rule the store refuses is raised as SQLAlchemy's IntegrityError, as any other
write's would be, so `db.engine.transaction` reports it the same way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (column key → value) into `table`; a column a row does not give takes its default."""
    if not rows:
        return
    given = set().union(*rows)
    unknown = given - set(table.columns.keys())
    if unknown:
        raise ValueError(f"{table.name} has no column {sorted(unknown)}")
    columns = [c for c in table.columns if c.key in given or (c.default is not None and not c.primary_key)]
    defaults = {c.key: _default(c) for c in columns}
    session.flush()  # the rows these point to (new files) are in the store first
    if session.get_bind().dialect.name != "postgresql":
        full = [{c.key: row.get(c.key, defaults.get(c.key)) for c in columns} for row in rows]
        for start in range(0, len(full), BATCH):
            session.execute(insert(table), full[start:start + BATCH])
        return
    import psycopg
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table.name),
                                                          sql.SQL(", ").join(sql.Identifier(c.name) for c in columns))
    connection = session.connection().connection.driver_connection
    try:
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(tuple(row.get(c.key, defaults.get(c.key)) for c in columns))
    except psycopg.errors.IntegrityError as exc:
        raise IntegrityError(f"COPY {table.name}", None, exc) from None

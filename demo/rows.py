"""Rows held in memory with primary keys assigned here, and their bulk insert in foreign-key order."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from db.models import (
    AidPayment,
    AssistanceRecord,
    DibaoLine,
    ExclusionCheck,
    Household,
    HouseholdCause,
    IncomeMonth,
    Measure,
    Member,
    Org,
    Pairing,
    ProcessStep,
    StatusChange,
    Visit,
)

INSERT_CHUNK = 5000
FLUSH_ROWS = 60_000  # rows held in memory before they are written (a province-sized load stays small)

# Tables in foreign-key order; each gets ids max(id)+1, max(id)+2, … assigned here.
TABLES = (Org, DibaoLine, Household, AssistanceRecord, Member, HouseholdCause, ExclusionCheck, ProcessStep,
          StatusChange, IncomeMonth, Measure, AidPayment, Pairing, Visit)


def chunks(rows: list[dict], size: int = INSERT_CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


@dataclass
class Pending:
    """Rows waiting to be inserted, per model, with the next free primary key of each table.

    A household's rows are all added before the next household starts, so writing everything
    pending in foreign-key order between two households never leaves a child before its parent."""

    next_id: dict[type, int]
    rows: dict[type, list[dict]] = field(default_factory=lambda: {m: [] for m in TABLES})
    written: dict[type, int] = field(default_factory=lambda: {m: 0 for m in TABLES})

    def size(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def write(self, session: Session) -> None:
        write_rows(session, self.rows)
        for model, rows in self.rows.items():
            self.written[model] += len(rows)
            rows.clear()

    def new_id(self, model: type) -> int:
        value = self.next_id[model]
        self.next_id[model] = value + 1
        return value

    def add(self, model: type, **values) -> int:
        row_id = values.pop("id", None) or self.new_id(model)
        self.rows[model].append({"id": row_id, **values})
        return row_id


def write_rows(session: Session, rows_by_model: dict[type, list[dict]]) -> None:
    """Bulk inserts in foreign-key order, in chunks; the ids are already set.

    SQLite: Core executemany on the table (the ORM's bulk path splits rows into many statements
    whenever optional columns are None, several times slower). PostgreSQL: COPY, since row-by-row
    executemany there took about 25 s for a city's worth of rows."""
    use_copy = session.get_bind().dialect.name == "postgresql"
    for model in TABLES:
        table = model.__table__
        for chunk in chunks(with_column_defaults(table, rows_by_model[model])):
            if use_copy:
                copy_rows(session, table, chunk)
            else:
                session.execute(insert(table), chunk)


def batch_columns(table, rows: list[dict]) -> list[str]:
    """The columns of a batch of rows, which must all have exactly the same keys, all columns of the table.

    Both insert paths take the column list from the first row (COPY names the columns once; Core's
    executemany compiles one statement): a row with a key more or less would shift or drop values
    silently, so it is refused here instead."""
    if not rows:
        return []
    keys = rows[0].keys()
    for index, row in enumerate(rows):
        if row.keys() != keys:
            extra, missing = sorted(row.keys() - keys), sorted(keys - row.keys())
            raise ValueError(f"{table.name}: row {index} does not have the columns of the first row "
                             f"(extra {extra}, missing {missing})")
    unknown = sorted(set(keys) - set(table.columns.keys()))
    if unknown:
        raise ValueError(f"{table.name}: no such columns {unknown}")
    return list(keys)


def with_column_defaults(table, rows: list[dict]) -> list[dict]:
    """Fill the columns' Python-side scalar defaults (the `version` counter), which COPY would not.

    Checks first that all rows have the same keys (`batch_columns`), so that the defaults, decided on
    the first row, fit every row."""
    columns = batch_columns(table, rows)
    defaults = {c.key: c.default.arg for c in table.columns
                if c.default is not None and c.default.is_scalar and rows and c.key not in columns}
    return [{**defaults, **row} for row in rows] if defaults else rows


def copy_rows(session: Session, table, rows: list[dict]) -> None:
    """PostgreSQL COPY … FROM STDIN on the session's own connection, inside its transaction."""
    columns = batch_columns(table, rows)
    if not columns:
        return
    raw = session.connection().connection.dbapi_connection  # the psycopg connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def advance_sequences(session: Session, models: list[type]) -> None:
    """PostgreSQL: ids were set here, so move each id sequence past them for the app's own inserts."""
    for model in models:
        table = model.__tablename__
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"))

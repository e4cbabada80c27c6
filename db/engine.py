"""Where the database is and how to talk to it.

The URL comes from JIEKUN_DATABASE_URL, else `.streamlit/secrets.toml` ([database] url = "..."),
else an SQLite file under data/. SQLite runs with WAL, foreign keys on and a busy timeout so
that a few staff entering data at once wait for each other instead of failing. A new SQLite file is
created readable by its owner only (0600); SQLite gives its -wal and -shm files the same mode.
"""

from __future__ import annotations

import logging
import os
import threading
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "data" / "jiekun.db"
SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"
SQLITE_BUSY_TIMEOUT_MS = 15_000


def secrets_file() -> Path:
    """`.streamlit/secrets.toml` beside the app, or the file JIEKUN_SECRETS_FILE names."""
    named = os.environ.get("JIEKUN_SECRETS_FILE", "").strip()
    return Path(named) if named else SECRETS_FILE


def read_secrets() -> dict:
    path = secrets_file()
    if path.exists():
        with path.open("rb") as fh:
            return tomllib.load(fh)
    return {}


def database_url() -> str:
    url = os.environ.get("JIEKUN_DATABASE_URL", "").strip()
    if url:
        return url
    url = str(read_secrets().get("database", {}).get("url", "")).strip()
    if url:
        return url
    DEFAULT_SQLITE.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE}"


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL (None for another database or an in-memory one)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:" \
            or parsed.database.startswith("file:"):
        return None
    return Path(parsed.database)


def _create_private(path: Path) -> None:
    """Create an empty database file only its owner can read and write, unless it exists."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str | None = None, **options) -> Engine:
    """An engine on `url` (default: database_url()); `options` go to create_engine (e.g. pool_size for many writers)."""
    # hide_parameters: errors and logs never carry bound values (password hashes, ID numbers)
    url = url or database_url()
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None and path.parent.is_dir():
            _create_private(path)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, hide_parameters=True, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, **options)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit when the block ends, roll back everything on any error.

    A row saved by someone else between our read and our write fails its version check in the
    database (StaleDataError); a row written at the same moment as another that a unique rule allows only
    once (IntegrityError: two new files given one number, one month entered twice) fails there too. Both are
    conflicts the user can act on, so they are reported as one and nothing of the save is kept. So is a
    PostgreSQL deadlock between two saves (one of them is cancelled) and an SQLite lock still held when the busy
    timeout ends.

    On SQLite the unit of work starts with BEGIN IMMEDIATE: it takes the database's write lock before its first read,
    so a check a service makes ("no current pairing yet", "no twin payment", "no open file for this ID number") and
    the write that follows it are one step that no other writer can come between. (The driver would otherwise run
    the reads outside any transaction and begin one only at the first INSERT or UPDATE.) On PostgreSQL the services
    lock the rows their checks depend on (SELECT ... FOR UPDATE) or rely on a unique index.
    """
    from db.audit import write_kept
    from db.errors import RACE_MESSAGE, STALE_MESSAGE, Conflict

    session = session_factory(engine)()
    try:
        with _sqlite_writer_turn(engine), session, session.begin():
            if engine.dialect.name == "sqlite":
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            yield session
    except StaleDataError:
        raise Conflict(STALE_MESSAGE) from None
    except IntegrityError:
        log.warning("a save collided with another at the database", exc_info=True)
        raise Conflict(RACE_MESSAGE) from None
    except OperationalError as exc:
        if not _is_contention(exc):
            raise
        log.warning("a save waited too long for another or deadlocked with it", exc_info=True)
        raise Conflict(RACE_MESSAGE) from None
    finally:
        write_kept(engine, session)  # audit rows of refusals outlive the rollback (db.audit.keep)


_writer_turns: dict[str, threading.RLock] = {}
_writer_turns_guard = threading.Lock()


@contextmanager
def _sqlite_writer_turn(engine: Engine) -> Iterator[None]:
    """Writers of one process to one SQLite file take turns on a lock here rather than in SQLite's busy handler,
    which polls with sleeps of up to 100 ms and so leaves a waiting save idle after the lock is free. (Other processes
    still meet at the file's lock, with the busy timeout.)"""
    if engine.dialect.name != "sqlite":
        yield
        return
    from db.errors import RACE_MESSAGE, Conflict

    with _writer_turns_guard:
        turn = _writer_turns.setdefault(str(engine.url), threading.RLock())
    if not turn.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
        raise Conflict(RACE_MESSAGE)
    try:
        yield
    finally:
        turn.release()


def _is_contention(exc: OperationalError) -> bool:
    """A deadlock or lock timeout between two writers (which a second try resolves), not a broken database."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in ("40P01", "40001", "55P03"):  # deadlock_detected, serialization_failure, lock_not_available
        return True
    text = str(exc.orig).lower()
    return "database is locked" in text or "database table is locked" in text


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A read-only session (nothing is committed, except the audit rows of refusals: db.audit.keep)."""
    from db.audit import write_kept

    session = session_factory(engine)()
    try:
        with session:
            yield session
    finally:
        write_kept(engine, session)

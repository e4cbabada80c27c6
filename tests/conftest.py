"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, emptied between tests.

PostgreSQL: JIEKUN_TEST_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test) names a
server database used only to create and drop a database of this run's own. With CI=true a missing
server fails the run; elsewhere those tests skip and say why.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

from db.engine import make_engine, transaction
from db.migrate import prepare
from db.models import Base
from db.reference import ensure_reference_data

PG_ADMIN_URL = os.environ.get("JIEKUN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _pg_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with engine.connect() as c:
            c.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to reach the server
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"


@contextmanager
def pg_database(prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database named prefix_<random> on the test server; dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url():
    problem = _pg_available()
    if problem:
        if IN_CI:
            pytest.fail(f"CI=true but {problem}")
        pytest.skip(problem)
    with pg_database("jiekun_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request, tmp_path):
    """The URL of a database of its own with no tables at all (for migration tests that build an old revision),
    once on SQLite and once on PostgreSQL; dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    request.getfixturevalue("pg_url")  # skips (or fails in CI) without a server
    with pg_database("jiekun_mig") as url:
        yield url


@pytest.fixture
def engine_at_0005(empty_db_url):
    """(engine, url) of a database at revision 0005 — the schema before issue 10's migrations — holding the 海港区 place
    and its union (org id 1), for migration tests to fill with rows of that schema and upgrade."""
    from alembic import command

    from db.migrate import alembic_config

    engine = make_engine(empty_db_url)
    command.upgrade(alembic_config(empty_db_url), "0005")
    with engine.begin() as c:
        c.execute(text("INSERT INTO place (code, name, kind) VALUES ('130302', '海港区', 'district')"))
        c.execute(text("INSERT INTO org (id, name, kind, place_code, path, active, version) "
                       "VALUES (1, '海港区总工会', 'district', '130302', '/1/', true, 1)"))
    yield engine, empty_db_url
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'jiekun-test.db'}"


_prepared: dict[str, object] = {}


def _engine_for(url: str):
    if url not in _prepared:
        engine = make_engine(url)
        prepare(engine)
        _prepared[url] = engine
    return _prepared[url]


@contextlib.contextmanager
def audit_guard_lifted(connection):
    """Inside the caller's transaction only: the triggers that keep audit_log append-only are off (PostgreSQL) or
    dropped and put back exactly as they were (SQLite), so a test can empty or tamper with the log."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        yield
        connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
        return
    triggers = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")).all()
    for name, _ in triggers:
        connection.execute(text(f'DROP TRIGGER "{name}"'))
    yield
    for _, sql in triggers:
        connection.execute(text(sql))


def empty_database(engine) -> None:
    """Remove every row, then put the reference data back: each test starts from a fresh install."""
    tables = list(reversed(Base.metadata.sorted_tables))
    if engine.dialect.name == "postgresql":  # a connection an earlier test's app thread left mid-transaction would
        with engine.begin() as c:             # hold the TRUNCATE below for ever
            c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"))
    with engine.begin() as c, audit_guard_lifted(c):
        if engine.dialect.name == "postgresql":
            c.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for t in tables:
                c.execute(t.delete())
    with transaction(engine) as session:
        ensure_reference_data(session)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_engine(request):
    """A migrated, empty database (reference data only), once on SQLite and once on PostgreSQL."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    engine = _engine_for(url)
    empty_database(engine)
    yield engine


@pytest.fixture
def sqlite_engine(sqlite_url):
    engine = _engine_for(sqlite_url)
    empty_database(engine)
    yield engine

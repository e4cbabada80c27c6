"""The app's handle on the store: one engine per process and database URL, migrated on first use.

The types come through db.engine: screens/ and ui/ never import the database library."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from db import engine as store
from db.migrate import prepare


@st.cache_resource(show_spinner="正在连接数据库……")
def _engine(url: str) -> store.Engine:
    engine = store.make_engine(url)
    prepare(engine)  # migrate to head and seed reference data; a no-op on a current database
    return engine


def engine() -> store.Engine:
    return _engine(store.database_url())


@contextmanager
def transaction() -> Iterator[store.Session]:
    with store.transaction(engine()) as session:
        yield session


@contextmanager
def reading() -> Iterator[store.Session]:
    with store.reading(engine()) as session:
        yield session

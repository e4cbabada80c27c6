"""The app's handle on the store: one engine per process and database URL, migrated on first use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db import engine as store
from db.migrate import prepare


@st.cache_resource(show_spinner="正在连接数据库……")
def _engine(url: str) -> Engine:
    engine = store.make_engine(url)
    prepare(engine)  # migrate to head and seed reference data; a no-op on a current database
    return engine


def engine() -> Engine:
    return _engine(store.database_url())


@contextmanager
def transaction() -> Iterator[Session]:
    with store.transaction(engine()) as session:
        yield session


@contextmanager
def reading() -> Iterator[Session]:
    with store.reading(engine()) as session:
        yield session

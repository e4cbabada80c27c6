"""AppTest fixtures: the real app on a database of its own, logged in as a given role."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db import users
from db.actor import system_actor
from db.engine import transaction
from db.models import Org

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PASSWORD = "test-password-1"
COOKIE_KEY = "test-cookie-key-of-at-least-32-characters"


def _app_on(engine, monkeypatch):
    monkeypatch.setenv("JIEKUN_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("JIEKUN_COOKIE_KEY", COOKIE_KEY)
    st.cache_data.clear()
    st.cache_resource.clear()  # the shared snapshot (ui/snapshot.py) of an earlier test's database goes too
    yield engine
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def app_db(sqlite_engine, monkeypatch):
    """The app's database (migrated SQLite) and fresh Streamlit caches for this test."""
    yield from _app_on(sqlite_engine, monkeypatch)


@pytest.fixture
def app_any_db(db_engine, monkeypatch):
    """app_db once on SQLite and once on PostgreSQL."""
    yield from _app_on(db_engine, monkeypatch)


def make_user(engine, username: str, role: str, org_name: str = "秦皇岛市总工会") -> None:
    with transaction(engine) as s:
        org = s.scalar(select(Org).where(Org.name == org_name))
        users.create_user(s, system_actor("test"), username=username, display_name=f"{username}用户",
                          password=PASSWORD, role=role, org_id=org.id)


def app_as(username: str | None = None) -> AppTest:
    """The app, with `username` already logged in: a login session in the app's database, held by this browser session."""
    from db.engine import database_url, make_engine
    from db.models import User
    from ui.login import SESSION_KEY

    at = AppTest.from_file(APP, default_timeout=30)
    if username:
        engine = make_engine(database_url())
        with transaction(engine) as s:
            user = s.scalar(select(User).where(User.username == username))
            at.session_state[SESSION_KEY] = users.start_session(s, user).id
        engine.dispose()
    return at


def assert_ok(at: AppTest) -> None:
    """No exception escaped, and the app did not show its "unexpected error" message."""
    assert not at.exception, at.exception
    assert not [e.value for e in at.error if "意外错误" in str(e.value)]

"""The login state machine of ui/login.py: form, session, cookie, expiry, reset, revocation, the missing key."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest
from sqlalchemy import select

from db import engine as engine_module
from db import users
from db.engine import reading, transaction
from db.models import LoginSession, User
from tests.screens.conftest import COOKIE_KEY, PASSWORD, app_as, assert_ok, make_user
from ui import login


def _texts(at) -> str:
    parts = [e.value for kind in ("title", "markdown", "error", "warning", "success", "subheader") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def _log_in(at, username="boss", password=PASSWORD):
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button(key="FormSubmitter:login-登录").click().run()
    return at


def _sessions(engine, username="boss"):
    with reading(engine) as s:
        uid = s.scalar(select(User.id).where(User.username == username))
        return s.scalars(select(LoginSession).where(LoginSession.user_id == uid).order_by(LoginSession.issued_at)).all()


def test_form_login_starts_a_session_and_logout_revokes_it(app_db):
    make_user(app_db, "boss", "admin")
    at = _log_in(app_as().run())
    assert_ok(at)
    assert "待办事项" in _texts(at)
    [session] = _sessions(app_db)
    assert at.session_state[login.SESSION_KEY] == session.id and session.revoked_at is None
    at.run()  # the next click: still logged in, from the session
    assert "待办事项" in _texts(at)

    at.button(key="jiekun_logout").click().run()
    assert_ok(at)
    assert at.text_input(key="login_username") is not None and "待办事项" not in _texts(at)
    [session] = _sessions(app_db)
    assert session.revoked_at is not None  # a copy of the cookie no longer logs in anywhere
    at.run()
    assert "待办事项" not in _texts(at)


def test_a_login_the_store_was_too_busy_to_record_says_so_on_the_form(app_db, monkeypatch):
    """On a loaded server a login's write can wait out the lock; the person is told to try again, not shown a crash."""
    from db.errors import RACE_MESSAGE, Conflict

    make_user(app_db, "boss", "admin")
    real = users.authenticate

    def busy(*args, **kwargs):
        raise Conflict(RACE_MESSAGE)

    monkeypatch.setattr(users, "authenticate", busy)
    at = _log_in(app_as().run())
    assert_ok(at)
    assert login.BUSY in _texts(at) and "意外错误" not in _texts(at)
    assert at.text_input(key="login_username") is not None and login.SESSION_KEY not in at.session_state
    monkeypatch.setattr(users, "authenticate", real)
    assert "待办事项" in _texts(_log_in(at))  # the next try logs in


def _cookie_writes(at) -> list[str]:
    """What the cookie component was put on the page for in this run (each instance's method)."""
    import json

    return [json.loads(e.proto.json_args)["method"] for e in at.get("component_instance")]


def test_the_cookie_component_is_on_the_page_only_to_write_or_delete_the_cookie(app_db):
    """Each instance on the page reports back and so costs a rerun: one at login and one at logout, none otherwise
    (the library's CookieManager also mounted a getAll on every run: a rerun on each page load, two after a login)."""
    make_user(app_db, "boss", "admin")
    at = app_as().run()
    assert _cookie_writes(at) == []  # the form
    assert _cookie_writes(_log_in(at)) == ["set"]
    assert _cookie_writes(at.run()) == []  # the next click
    at.button(key="jiekun_logout").click().run()
    assert _cookie_writes(at) == ["delete"]
    assert _cookie_writes(at.run()) == []


def test_a_run_the_cookie_components_report_ends_early_keeps_the_login_and_the_logout(app_db, monkeypatch):
    """The browser's report of the cookie component asks for a rerun at once, and Streamlit ends the running run at its
    next element or session-state access. A login or a logout must already be this tab's by then (seen under load:
    the next run showed the form again)."""
    import streamlit as st

    make_user(app_db, "boss", "admin")
    set_cookie, delete_cookie = login._set_cookie, login._delete_cookie

    def interrupted(draw):
        def drawn_then_ended(*args, **kwargs):
            draw(*args, **kwargs)
            st.stop()  # the run ends here, as it does when the browser's rerun request arrives
        return drawn_then_ended

    monkeypatch.setattr(login, "_set_cookie", interrupted(set_cookie))
    monkeypatch.setattr(login, "_delete_cookie", interrupted(delete_cookie))
    at = _log_in(app_as().run())
    assert _cookie_writes(at) == ["set"]
    at.run()  # the rerun the browser asked for
    assert_ok(at)
    assert "待办事项" in _texts(at) and at.button(key="jiekun_logout") is not None

    at.button(key="jiekun_logout").click().run()
    assert _cookie_writes(at) == ["delete"]
    at.run()
    assert_ok(at)
    assert at.text_input(key="login_username") is not None and "待办事项" not in _texts(at)
    [session] = _sessions(app_db)
    assert session.revoked_at is not None


@pytest.mark.parametrize("how,notice", [
    ("reset", "您的密码已被重置"),
    ("everywhere", "您的登录已被结束"),
    ("expired", "您的登录已过期"),
    ("deactivated", "账号已停用"),
])
def test_a_login_the_store_ended_returns_to_the_form_with_why(app_db, how, notice):
    make_user(app_db, "boss", "admin")
    make_user(app_db, "clerk", "staff", "海港区总工会")
    at = app_as("clerk").run()
    assert "待办事项" in _texts(at)
    with transaction(app_db) as s:
        admin = users.actor_for(s, "boss")
        u = s.scalar(select(User).where(User.username == "clerk"))
        if how == "reset":
            users.reset_password(s, admin, u.id, expected_version=u.version, password="new-pass-123", password_repeat="new-pass-123")
        elif how == "everywhere":
            users.logout_everywhere(s, admin, u.id)
        elif how == "expired":
            s.get(LoginSession, at.session_state[login.SESSION_KEY]).expires_at = dt.datetime.now() - dt.timedelta(seconds=1)
        else:
            users.update_user(s, admin, u.id, expected_version=u.version, display_name=u.display_name, role=u.role,
                              org_id=u.org_id, active=False)
    at.run()
    assert_ok(at)
    assert notice in _texts(at) and "待办事项" not in _texts(at)
    assert at.text_input(key="login_username") is not None


def _token(sid, sub="boss", key=COOKIE_KEY, hours=1, **extra):
    now = dt.datetime.now()
    claims = {"sid": sid, "sub": sub, "iat": int(now.timestamp()), "exp": int((now + dt.timedelta(hours=hours)).timestamp())}
    return jwt.encode({**claims, **extra}, key, algorithm="HS256")


def test_only_a_cookie_of_a_live_session_signed_with_the_key_logs_in(app_db):
    make_user(app_db, "boss", "admin")
    with transaction(app_db) as s:
        user = s.scalar(select(User).where(User.username == "boss"))
        live = users.start_session(s, user)
        ended = users.start_session(s, user)
        users.end_session(s, ended.id)
    good = login.make_token(live.id, "boss", live.issued_at, live.expires_at, COOKIE_KEY)
    actor, sid = login.cookie_actor(good, COOKIE_KEY)
    assert actor.username == "boss" and sid == live.id
    assert login.read_token(good, COOKIE_KEY)["iat"] == int(live.issued_at.timestamp())  # its own claim, not exp less a lifetime

    header_none = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    body = jwt.utils.base64url_encode(f'{{"sid":"{live.id}","sub":"boss","iat":1,"exp":4102444800}}'.encode()).decode()
    unreadable = {
        "garbage": "not a token at all",
        "empty": "",
        "alg=none": f"{header_none}.{body}.",
        "another key": _token(live.id, key="some-other-key-of-at-least-32-chars!!"),
        "expired": _token(live.id, hours=-1),
        "revoked session": _token(ended.id),
        "unknown session": _token("made-up-session-id"),
        "another user's name": _token(live.id, sub="someone-else"),
        "no session id": jwt.encode({"sub": "boss", "exp": 4102444800, "iat": 1}, COOKIE_KEY, algorithm="HS256"),
        "huge": "x" * 100_000,
    }
    for what, raw in unreadable.items():
        assert login.cookie_actor(raw, COOKIE_KEY) is None, what  # no cookie: the form, never an error
    assert login.cookie_actor(None, COOKIE_KEY) is None


def test_without_a_configured_key_the_app_says_how_to_set_one(app_db, monkeypatch, tmp_path):
    make_user(app_db, "boss", "admin")
    monkeypatch.delenv("JIEKUN_COOKIE_KEY")
    monkeypatch.delenv("JIEKUN_ALLOW_DB_COOKIE_KEY", raising=False)
    monkeypatch.setattr(engine_module, "SECRETS_FILE", tmp_path / "secrets.toml")
    at = app_as().run()
    assert_ok(at)
    assert "系统尚未设置登录密钥" in _texts(at) and "JIEKUN_COOKIE_KEY" in _texts(at)
    assert not at.text_input  # no login form without a key

    monkeypatch.setenv("JIEKUN_ALLOW_DB_COOKIE_KEY", "1")  # a single-machine trial may use the stored key
    at = _log_in(app_as().run())
    assert_ok(at)
    assert "待办事项" in _texts(at)


def test_admin_logs_a_user_out_everywhere_from_the_users_page(app_db):
    make_user(app_db, "boss", "admin")
    make_user(app_db, "clerk", "staff", "海港区总工会")
    clerk = app_as("clerk").run()
    admin = app_as("boss").run()
    admin.switch_page("screens/users.py").run()
    assert_ok(admin)
    admin.selectbox(key="out_user").set_value("clerk")
    admin.button(key="FormSubmitter:user_logout_all-结束全部登录").click().run()
    assert_ok(admin)
    assert "已结束 clerk 的全部登录（1 个）" in _texts(admin)
    clerk.run()
    assert "您的登录已被结束" in _texts(clerk) and "待办事项" not in _texts(clerk)
    admin.run()
    assert "用户管理" in _texts(admin)  # the administrator's own login goes on


def test_the_client_is_the_connection_unless_a_trusted_proxy_names_it():
    assert login.client_from("203.0.113.9", "10.0.0.1", trusted_proxy=False) == "203.0.113.9"  # a header anyone can send
    assert login.client_from("10.0.0.2", "1.2.3.4, 198.51.100.23", trusted_proxy=True) == "198.51.100.23"  # what the proxy saw
    assert login.client_from("10.0.0.2", "", trusted_proxy=True) == "10.0.0.2"
    assert login.client_from(None, None, trusted_proxy=False) == "local"  # Streamlit gives no address on localhost


def test_a_page_runs_while_someone_else_holds_the_write_lock(app_db):
    """A long save (an import of thousands of files) holds SQLite's write lock; meanwhile every other user's page run
    must still pass the login gate and render, because the gate only reads."""
    import sqlite3

    make_user(app_db, "hg_viewer", "viewer")
    at = app_as("hg_viewer").run()  # logged in, and the server's first run (which migrates) done, before the lock
    saver = sqlite3.connect(app_db.url.database, timeout=1, isolation_level=None)
    saver.execute("BEGIN IMMEDIATE")  # the other person's save, not yet committed
    try:
        at.run()
    finally:
        saver.execute("ROLLBACK")
        saver.close()
    assert_ok(at)
    assert any("viewer用户" in str(m.value) for m in at.sidebar.markdown)  # logged in, its name in the sidebar

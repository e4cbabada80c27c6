"""Who is at the browser: first run, cookie login, form login, expiry, reset and logout.

`gate()` runs once per script run and decides one state:

- FIRST_RUN   — the store has no user: only the setup page can run.
- NO_KEY      — no login-cookie key is configured outside the database (and a key kept in it is not allowed):
  a Chinese page says how to set one; nothing else runs.
- LOGGED_IN   — this browser session holds a login session id (SESSION_KEY) that the store still accepts
  (not revoked, not expired, its user active): the user box is drawn and `gate()` returns the actor.
- COOKIE      — no login in this browser session: a login cookie whose signature, expiry and session the app
  can read and the store accepts logs the user straight in (→ LOGGED_IN). A cookie it cannot read
  (garbage, alg=none, another key, expired, revoked) counts as no cookie (→ FORM), never as an error.
- FORM        — the login form. A right password (not throttled) starts a session, sets the cookie and returns
  the actor in this same run (→ LOGGED_IN); a wrong one, or a throttled try, stays in FORM with a message.

Transitions out of LOGGED_IN, each to FORM:
- the logout button: the session is revoked in the store and the cookie deleted in this run (no st.rerun(),
  which would drop the cookie component before it reaches the browser);
- the user was deactivated, their password reset, or an administrator ended all their logins: the store
  revoked the session; the form tells why;
- the session expired (JIEKUN_LOGIN_HOURS, 12 hours by default).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import extra_streamlit_components
import jwt
import streamlit as st
import streamlit.components.v1 as components

from core.codes import ROLE
from db import users
from db.actor import Actor
from db.errors import Conflict
from ui import store
from ui.navigation import PAGES
from ui.markdown import escape_markdown
from ui.session import ACTOR_KEY

APP_TITLE = "困难职工解困脱困工作平台"
COOKIE_NAME = "jiekun_login"
SESSION_KEY = "jiekun_session"  # the id of this browser session's login session in the store
LOGIN_NOTICE = "jiekun_login_notice"  # why the user was logged out; shown on the form until the next try
TOKEN_MAX_CHARS = 4096
ENDED = {
    "inactive": "您的账号已停用或不存在，请联系管理员。",
    "password": "您的密码已被重置，请用新密码重新登录。",
    "expired": "您的登录已过期，请重新登录。",
    "revoked": "您的登录已被结束，请重新登录。",
}
BUSY = "系统繁忙，登录未能完成，请稍候再试一次。"


# --- the cookie's token ---------------------------------------------------------------------------


def make_token(session_id: str, username: str, issued_at: dt.datetime, expires_at: dt.datetime, key: str) -> str:
    """A signed token (HS256) naming the login session; issued-at and expiry are each its own claim."""
    claims = {"sid": session_id, "sub": username, "iat": int(issued_at.timestamp()), "exp": int(expires_at.timestamp())}
    return jwt.encode(claims, key, algorithm="HS256")


def read_token(raw, key: str) -> dict | None:
    """The claims of a token this app signed and that has not expired; None for anything else."""
    if not isinstance(raw, str) or not raw or len(raw) > TOKEN_MAX_CHARS:
        return None
    try:
        claims = jwt.decode(raw, key, algorithms=["HS256"], options={"require": ["sid", "sub", "iat", "exp"]})
    except Exception:  # any token the app cannot read is no token (bad signature, alg=none, expired, garbage)
        return None
    if not isinstance(claims.get("sid"), str) or not isinstance(claims.get("sub"), str):
        return None
    return claims


def cookie_actor(raw, key: str) -> tuple[Actor, str] | None:
    """The actor and session id a login cookie stands for, or None when it does not stand for a live login."""
    claims = read_token(raw, key)
    if claims is None:
        return None
    with store.reading() as session:
        actor = users.session_actor(session, claims["sid"], claims["sub"])
    return (actor, claims["sid"]) if actor is not None else None


# --- the client --------------------------------------------------------------------------------------


def client_address() -> str:
    """Where this run's login comes from, for the throttle (see `client_from`)."""
    trusted = os.environ.get("JIEKUN_TRUSTED_PROXY", "") == "1"
    return client_from(st.context.ip_address, st.context.headers.get("X-Forwarded-For") if trusted else None, trusted)


def client_from(address, forwarded, trusted_proxy: bool) -> str:
    """The connection's address; behind a reverse proxy that JIEKUN_TRUSTED_PROXY=1 declares, the last address of
    X-Forwarded-For (the one the proxy saw; the ones before it are whatever the client sent). Without the setting
    the header is ignored, so a client cannot pick its own address."""
    if trusted_proxy and isinstance(forwarded, str):
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return address if isinstance(address, str) and address else "local"


# --- the states -----------------------------------------------------------------------------------


def _blank() -> None:
    """The page behind the login form (the form itself is drawn by `gate`)."""


def _no_key_page() -> None:
    st.title(APP_TITLE)
    st.error("系统尚未设置登录密钥，暂不能登录。请联系系统管理员。", icon=":material/key_off:")
    st.markdown(
        "系统管理员请任选一种方式设置登录密钥（一段随机字符串，至少 32 个字符，请妥善保管，不要存入数据库）：\n\n"
        "1. 设置环境变量 `JIEKUN_COOKIE_KEY`，例如用 `python -c \"import secrets; print(secrets.token_urlsafe(32))\"` 生成；\n"
        "2. 或在 `.streamlit/secrets.toml` 中写入：\n\n"
        "   ```toml\n   [auth]\n   cookie_key = \"（随机字符串）\"\n   ```\n\n"
        "   运行 `python manage.py init` 时，如尚未设置，会自动生成此文件（仅本机用户可读）。\n\n"
        "仅在单机试用时，可设置环境变量 `JIEKUN_ALLOW_DB_COOKIE_KEY=1`，使用保存在数据库中的密钥。\n\n"
        "设置后请重新启动本系统。详见 docs/security.md。"
    )


def _cookie_key() -> str | None:
    # every page run asks: a configured key needs only a read (a write transaction would queue every page run behind
    # every save on SQLite); a trial's key kept in the database is created on first use
    try:
        with (store.reading() if users.configured_cookie_key() else store.transaction()) as session:
            return users.cookie_key(session)
    except users.CookieKeyMissing:
        return None


# The cookie manager of extra-streamlit-components (its own frontend, as installed), put on the page only to write or
# delete the cookie. Its CookieManager class also mounts a getAll instance on every run, which reports the tab's cookies
# whenever they differ from its last report: a rerun on every page load and two after each login (each of them
# interrupting the run in progress), for a value the app never needs — the login cookie is read from the request.
_cookie_component = components.declare_component(
    "cookie_manager", path=str(Path(extra_streamlit_components.__file__).parent / "CookieManager" / "frontend" / "build"))
_HIDE_EMPTY_FRAME = "<style>.element-container:has(iframe[height=\"0\"]) { display: none; }</style>"  # as the library does


def _set_cookie(token: str, expires_at: dt.datetime) -> None:
    st.markdown(_HIDE_EMPTY_FRAME, unsafe_allow_html=True)
    _cookie_component(method="set", cookie=COOKIE_NAME, value=token, key="jiekun_cookie_set", default=False,
                      options={"path": "/", "expires": expires_at.isoformat(), "sameSite": "strict"})


def _delete_cookie() -> None:
    st.markdown(_HIDE_EMPTY_FRAME, unsafe_allow_html=True)
    _cookie_component(method="delete", cookie=COOKIE_NAME, key="jiekun_cookie_delete", default=False)


def _login_form(key: str) -> Actor | None:
    """Our own Chinese form; the store checks the password, throttles and starts the session.

    The form sits in a placeholder that is cleared on success, and the cookie is set after that,
    outside it, so the cookie component reaches the browser in this very run (no st.rerun()).
    """
    box = st.empty()
    with box.container():
        st.title(APP_TITLE)
        notice = st.session_state.get(LOGIN_NOTICE)
        if notice:
            st.warning(notice)
        with st.form("login"):
            st.subheader("登录")
            username = st.text_input("用户名", key="login_username", autocomplete="username")
            password = st.text_input("密码", type="password", key="login_password", autocomplete="current-password")
            submitted = st.form_submit_button("登录", type="primary")
        if not submitted:
            return None
        st.session_state.pop(LOGIN_NOTICE, None)
        if not username.strip() or not password:
            st.error("请输入用户名和密码。")
            return None
        try:
            result = users.authenticate(store.engine(), username, password, client_address())  # its own read, check and write
        except Conflict:  # its write waited out the lock behind other saves (a very busy server)
            st.error(BUSY)
            return None
        if result.wait_seconds:
            st.error(f"登录失败次数过多，请 {_wait_text(result.wait_seconds)}后再试。如忘记密码，请联系管理员重置。")
            return None
        if not result.ok:
            st.error("用户名或密码错误。")
            return None
    # the login is this tab's before anything is drawn: the cookie component's report asks the browser for a rerun
    # at once, and Streamlit ends the running run at its next element or session-state access — after that the
    # login would be lost and the form shown again
    st.session_state[SESSION_KEY] = result.session_id
    box.empty()
    token = make_token(result.session_id, result.actor.username, result.issued_at, result.expires_at, key)
    _set_cookie(token, result.expires_at)
    return result.actor


def _wait_text(seconds: int) -> str:
    return f"{seconds} 秒" if seconds < 120 else f"{(seconds + 59) // 60} 分钟"


def _logout(notice: str | None = None) -> None:
    sid = st.session_state.pop(SESSION_KEY, None)
    if sid:
        with store.transaction() as session:
            users.end_session(session, sid)
    st.session_state.pop(ACTOR_KEY, None)
    if notice:
        st.session_state[LOGIN_NOTICE] = notice
    # the cookie component last: its report may end this run at the next session-state access (see _login_form)
    if COOKIE_NAME in st.context.cookies or sid:  # a cookie sent with the page, or one this tab's login wrote
        _delete_cookie()  # outside any placeholder, with no st.rerun() after it


def _user_box(actor: Actor) -> bool:
    """Who is logged in, and the logout button. Returns False when the user just logged out."""
    side = st.sidebar.empty()
    with side.container():
        st.markdown(f"**{escape_markdown(actor.display_name)}** · {ROLE[actor.role]}  \n{escape_markdown(actor.org_name or '全市')}")
        clicked = st.button("退出登录", key="jiekun_logout", icon=":material/logout:")
    if not clicked:
        return True
    side.empty()
    _logout()
    return False


def _session_login() -> tuple[Actor | None, str | None]:
    """The actor of this browser session's login, or (None, why it ended) — (None, None) when there is none."""
    sid = st.session_state.get(SESSION_KEY)
    if not sid:
        return None, None
    with store.reading() as session:
        actor = users.session_actor(session, sid)
        return (actor, None) if actor is not None else (None, users.why_session_ended(session, sid))


def gate() -> Actor | None:
    """The actor logged in for this run, or None when this run showed the setup page, the key page or the form."""
    with store.reading() as session:
        first_run = users.user_count(session) == 0
    if first_run:
        st.navigation([st.Page("screens/setup.py", title="初始设置", icon=":material/rocket_launch:")]).run()
        return None
    key = _cookie_key()
    if key is None:
        st.navigation([st.Page(_no_key_page, title="登录密钥未设置", icon=":material/key_off:")], position="hidden").run()
        return None

    actor, ended = _session_login()
    if ended:
        _logout(ENDED.get(ended, ENDED["revoked"]))
    if actor is not None:
        return actor if _user_box(actor) else _form_page(key)
    if SESSION_KEY not in st.session_state and not ended:
        found = cookie_actor(st.context.cookies.get(COOKIE_NAME), key)
        if found is not None:
            actor, st.session_state[SESSION_KEY] = found
            return actor if _user_box(actor) else _form_page(key)
    return _form_page(key)


def _form_page(key: str) -> Actor | None:
    actor = _login_form(key)
    if actor is None:
        # every page's address shows the form too, so a link (a scenario in a meeting note) survives the login: the
        # run that logs in goes on to the page asked for, with its query parameters
        behind = [st.Page(_blank, title="登录", url_path=spec.url_path, visibility="hidden") for spec in PAGES if spec.url_path != "home"]
        st.navigation([st.Page(_blank, title="登录", icon=":material/login:", default=True), *behind], position="hidden").run()
        return None
    _user_box(actor)
    return actor

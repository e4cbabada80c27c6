"""困难职工解困脱困工作平台 — entry point: first-run setup, login, and the pages of the user's role."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from pathlib import Path

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities import Hasher, LoginError

from core.codes import ROLE
from db import audit, users
from ui import store
from ui.navigation import pages_for, pages_not_for
from db.models import now
from ui.session import ACTOR_KEY, set_actor
from ui.markdown import escape_markdown

APP_TITLE = "困难职工解困脱困工作平台"
COOKIE_DAYS = 0.5
LOGIN_AT = "jiekun_login_at"
LOGIN_NOTICE = "jiekun_login_notice"  # why the user was logged out; shown on the form until the next try
UNEXPECTED_ERROR = "页面出现意外错误，详细情况已记入服务器日志。请刷新页面重试；如仍有问题，请联系管理员。"
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("jiekun")

st.set_page_config(page_title=APP_TITLE, page_icon=str(Path(__file__).parent / "static" / "favicon.png"), layout="wide")


def _blank() -> None:
    """The page behind the login form (the form itself is drawn by the entry script)."""


def _no_access() -> None:
    st.error("您没有权限使用此页面。如需使用，请联系管理员调整您的角色。", icon=":material/block:")


def _record_login(event: dict) -> None:
    with store.transaction() as session:
        actor = users.actor_for(session, event.get("username"))
        if actor is not None:
            audit.record(session, actor, "login", "app_user", actor.user_id)


@st.cache_resource(show_spinner=False)
def _dummy_hash() -> str:
    return Hasher.hash(secrets.token_urlsafe(16))


def _authenticator() -> stauth.Authenticate:
    with store.transaction() as session:
        credentials = users.credentials(session)
        key = users.cookie_key(session)
    return stauth.Authenticate(
        credentials, cookie_name="jiekun_login", cookie_key=key, cookie_expiry_days=COOKIE_DAYS,
        auto_hash=False, login_sleep_time=0,
    )


def _login_form(auth: stauth.Authenticate):
    """Our own Chinese form; the authenticator checks the bcrypt hash and writes the login cookie.

    The form sits in a placeholder that is cleared on success, and the cookie is set after that,
    outside it, so the cookie component reaches the browser in this very run (no st.rerun()).
    Failed attempts are audited, and after too many for one username it is locked for a while.
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
        with store.transaction() as session:
            locked = users.login_locked(session, username)
        if locked:
            st.error(f"该账号登录失败次数过多，请 {users.LOCKOUT.seconds // 60} 分钟后再试，或联系管理员。")
            return None
        known = username.strip().lower() in auth.authentication_controller.authentication_model.credentials["usernames"]
        if not known:
            Hasher.check_pw(password, _dummy_hash())  # same time as a wrong password, so names cannot be probed
        if not known or not auth.authentication_controller.login(username, password, callback=_record_login):
            st.session_state["authentication_status"] = None
            with store.transaction() as session:
                users.record_failed_login(session, username)
            st.error("用户名或密码错误。")
            return None
    with store.reading() as session:
        actor = users.actor_for(session, st.session_state.get("username"))
    box.empty()
    auth.cookie_controller.set_cookie()
    st.session_state[LOGIN_AT] = now()
    return actor


def _cookie_issued_at(auth: stauth.Authenticate) -> dt.datetime | None:
    """When the login cookie that just logged the user in was issued (None if unknown: treated as old)."""
    token = getattr(auth.cookie_controller.cookie_model, "token", None)
    if isinstance(token, dict) and "exp_date" in token:
        return dt.datetime.fromtimestamp(token["exp_date"]) - dt.timedelta(days=COOKIE_DAYS)
    return None


def _logout(auth: stauth.Authenticate) -> None:
    auth.authentication_controller.logout()
    auth.cookie_controller.delete_cookie()  # outside any placeholder, with no st.rerun() after it
    st.session_state.pop(ACTOR_KEY, None)
    st.session_state.pop(LOGIN_AT, None)


def _user_box(auth: stauth.Authenticate, actor) -> bool:
    """Who is logged in, and the logout button. Returns False when the user just logged out."""
    side = st.sidebar.empty()
    with side.container():
        st.markdown(f"**{escape_markdown(actor.display_name)}** · {ROLE[actor.role]}  \n{escape_markdown(actor.org_name or '全市')}")
        # not key="logout": the authenticator keeps a flag of its own under that session-state key
        clicked = st.button("退出登录", key="jiekun_logout", icon=":material/logout:")
    if not clicked:
        return True
    side.empty()
    _logout(auth)
    return False


def main() -> None:
    with store.reading() as session:
        first_run = users.user_count(session) == 0
    if first_run:
        st.navigation([st.Page("screens/setup.py", title="初始设置", icon=":material/rocket_launch:")]).run()
        return

    auth = _authenticator()
    actor = None
    if st.session_state.get("authentication_status"):
        with store.reading() as session:
            actor = users.actor_for(session, st.session_state.get("username"))
            valid = actor is not None and users.login_still_valid(session, actor.username, st.session_state.get(LOGIN_AT))
        if actor is None:  # deactivated or removed since the login
            _logout(auth)
            st.session_state[LOGIN_NOTICE] = "您的账号已停用或不存在，请联系管理员。"
        elif not valid:
            actor = None
            _logout(auth)
            st.session_state[LOGIN_NOTICE] = "您的密码已被重置，请用新密码重新登录。"
        elif not _user_box(auth, actor):
            actor = None

    if actor is None:
        if not st.session_state.get("logout"):
            try:
                auth.login(location="unrendered")  # a valid login cookie logs the user straight in
            except LoginError:  # the cookie names a user who is no longer active
                _logout(auth)
                st.session_state[LOGIN_NOTICE] = "您的登录已失效（账号可能已停用），请重新登录。"
            if st.session_state.get("authentication_status"):
                st.session_state[LOGIN_AT] = _cookie_issued_at(auth)
                with store.reading() as session:
                    actor = users.actor_for(session, st.session_state.get("username"))
                    if actor is not None and not users.login_still_valid(session, actor.username, st.session_state[LOGIN_AT]):
                        actor = None
                if actor is None:
                    _logout(auth)
                    st.session_state[LOGIN_NOTICE] = "您的登录已失效，请重新登录。"
        if actor is None:
            actor = _login_form(auth)
        if actor is None:
            st.navigation([st.Page(_blank, title="登录", icon=":material/login:")], position="hidden").run()
            return
        _user_box(auth, actor)

    set_actor(actor)

    sections: dict[str, list[st.Page]] = {}
    for spec in pages_for(actor.role):
        sections.setdefault(spec.section, []).append(
            st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=spec.url_path == "home")
        )
    # The other pages' addresses lead to a Chinese "no access" page; their own code is never loaded.
    hidden = [st.Page(_no_access, title=spec.title, url_path=spec.url_path, visibility="hidden") for spec in pages_not_for(actor.role)]
    if hidden:
        sections.setdefault("", []).extend(hidden)
    page = st.navigation(sections, expanded=True)  # every page of the role in view (no "View more")
    try:
        page.run()
    except Exception:  # st.stop()/st.rerun() are BaseExceptions and pass through
        log.exception("page %s failed for %s", page.title, actor.username)
        st.error(UNEXPECTED_ERROR)


try:
    main()
except Exception:  # the database is down, or a bug before any page ran: say so in Chinese, log the rest
    log.exception("app run failed")
    st.error(UNEXPECTED_ERROR)

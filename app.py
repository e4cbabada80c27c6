"""困难职工解困脱困工作平台 — entry point: first-run setup, login, and the pages of the user's role."""

from __future__ import annotations

import logging

import streamlit as st
import streamlit_authenticator as stauth

from core.codes import ROLE
from db import audit, users
from ui import store
from ui.navigation import pages_for
from ui.session import ACTOR_KEY, set_actor

APP_TITLE = "困难职工解困脱困工作平台"
UNEXPECTED_ERROR = "页面出现意外错误，详细情况已记入服务器日志。请刷新页面重试；如仍有问题，请联系管理员。"
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("jiekun")

st.set_page_config(page_title=APP_TITLE, page_icon=":material/volunteer_activism:", layout="wide")


def _blank() -> None:
    """The page behind the login form (the form itself is drawn by the entry script)."""


def _record_login(event: dict) -> None:
    with store.transaction() as session:
        actor = users.actor_for(session, event.get("username"))
        if actor is not None:
            audit.record(session, actor, "login", "app_user", actor.user_id)


def _authenticator() -> stauth.Authenticate:
    with store.transaction() as session:
        credentials = users.credentials(session)
        key = users.cookie_key(session)
    return stauth.Authenticate(
        credentials, cookie_name="jiekun_login", cookie_key=key, cookie_expiry_days=0.5,
        auto_hash=False, login_sleep_time=0,
    )


def _login_form(auth: stauth.Authenticate):
    """Our own Chinese form; the authenticator checks the bcrypt hash and writes the login cookie.

    The form sits in a placeholder that is cleared on success, and the cookie is set after that,
    outside it, so the cookie component reaches the browser in this very run (no st.rerun()).
    """
    box = st.empty()
    with box.container():
        st.title(APP_TITLE)
        with st.form("login"):
            st.subheader("登录")
            username = st.text_input("用户名", key="login_username", autocomplete="username")
            password = st.text_input("密码", type="password", key="login_password", autocomplete="current-password")
            submitted = st.form_submit_button("登录", type="primary")
        if not submitted:
            return None
        if not username.strip() or not password:
            st.error("请输入用户名和密码。")
            return None
        if not auth.authentication_controller.login(username, password, callback=_record_login):
            st.error("用户名或密码错误。")
            return None
    with store.reading() as session:
        actor = users.actor_for(session, st.session_state.get("username"))
    box.empty()
    auth.cookie_controller.set_cookie()
    return actor


def _user_box(auth: stauth.Authenticate, actor) -> bool:
    """Who is logged in, and the logout button. Returns False when the user just logged out."""
    side = st.sidebar.empty()
    with side.container():
        st.markdown(f"**{actor.display_name}** · {ROLE[actor.role]}  \n{actor.org_name or '全市'}")
        # not key="logout": the authenticator keeps a flag of its own under that session-state key
        clicked = st.button("退出登录", key="jiekun_logout", icon=":material/logout:")
    if not clicked:
        return True
    side.empty()
    auth.authentication_controller.logout()
    # Outside any placeholder and with no st.rerun(), so the deletion reaches the browser.
    auth.cookie_controller.delete_cookie()
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
        if actor is None:  # deactivated or removed since the login
            auth.logout(location="unrendered")
            st.warning("您的账号已停用或不存在，请联系管理员。")
        elif not _user_box(auth, actor):
            actor = None

    if actor is None:
        st.session_state.pop(ACTOR_KEY, None)
        if not st.session_state.get("logout"):
            auth.login(location="unrendered")  # a valid login cookie logs the user straight in
        if st.session_state.get("authentication_status"):
            with store.reading() as session:
                actor = users.actor_for(session, st.session_state.get("username"))
        else:
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
    page = st.navigation(sections)
    try:
        page.run()
    except Exception:  # st.stop()/st.rerun() are BaseExceptions and pass through
        log.exception("page %s failed for %s", page.title, actor.username)
        st.error(UNEXPECTED_ERROR)


main()

"""困难职工解困脱困工作平台 — the entry: page config, the login gate, and the pages of the user's role."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from ui import chinese
from ui.login import APP_TITLE, gate
from ui.navigation import pages_for, pages_not_for
from ui.session import set_actor

UNEXPECTED_ERROR = "页面出现意外错误，详细情况已记入服务器日志。请刷新页面重试；如仍有问题，请联系管理员。"
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("jiekun")

st.set_page_config(page_title=APP_TITLE, page_icon=str(Path(__file__).parent / "static" / "favicon.png"), layout="wide")


def _no_access() -> None:
    st.error("您没有权限使用此页面。如需使用，请联系管理员调整您的角色。", icon=":material/block:")


def main() -> None:
    chinese.apply()  # Streamlit's own English words, in Chinese (before the login form, which has them too)
    actor = gate()  # None: this run showed the first-run setup or the login form
    if actor is None:
        return
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

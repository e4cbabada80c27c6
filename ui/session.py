"""The logged-in actor and the role gate every page calls first."""

from __future__ import annotations

import streamlit as st

from core.codes import ROLE
from db.actor import Actor

ACTOR_KEY = "jiekun_actor"


def set_actor(actor: Actor) -> None:
    st.session_state[ACTOR_KEY] = actor


def current_actor() -> Actor | None:
    return st.session_state.get(ACTOR_KEY)


def require_role(*roles: str) -> Actor:
    """Stop the page unless a user with one of `roles` is logged in (navigation is not the only gate)."""
    actor = current_actor()
    if actor is None:
        st.error("请先登录。")
        st.stop()
    if roles and actor.role not in roles:
        allowed = "、".join(ROLE[r] for r in roles)
        st.error(f"此页面仅限{allowed}使用。")
        st.stop()
    return actor

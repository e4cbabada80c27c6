"""Figures several screens show, computed once per data version (every write moves it, in the database)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from db import worklist as worklist_service
from db.actor import Actor
from ui import store


@st.cache_data(ttl=3600, show_spinner="正在汇总待办……", max_entries=200)
def worklist(actor: Actor, version: int, today: dt.date) -> worklist_service.Worklist:
    """The work queues of the actor's scope (首页 and 工作台 share it)."""
    with store.reading() as session:
        return worklist_service.worklist(session, actor, today)

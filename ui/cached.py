"""Figures several screens show, computed once per scope from the server's shared snapshot (ui.snapshot)."""

from __future__ import annotations

import datetime as dt

from db import worklist as worklist_service
from db.actor import Actor
from ui import snapshot


def worklist(actor: Actor, today: dt.date) -> worklist_service.Worklist:
    """The work queues of the actor's scope (首页 and 工作台 share it; recomputed only when a part it reads changed)."""
    return snapshot.derived("worklist", actor, worklist_service.PARTS, worklist_service.worklist_from, today)

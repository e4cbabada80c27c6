"""Figures several screens show, computed once per scope from the server's shared snapshot (ui.snapshot)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from db import evaluation
from db import worklist as worklist_service
from db.actor import Actor
from ui import snapshot


def worklist(actor: Actor, today: dt.date) -> worklist_service.Worklist:
    """The work queues of the actor's scope (首页 and 工作台 share it; recomputed only when a part it reads changed)."""
    return snapshot.derived("worklist", actor, worklist_service.PARTS, _worklist, today)


def _worklist(snap, actor: Actor, today: dt.date) -> worklist_service.Worklist:
    # the status engine's part is kept apart: a visit, a pairing or a payment saved does not rerun it
    engine = snapshot.derived("worklist_engine", actor, evaluation.PARTS, worklist_service.engine_facts, today,
                              by_file=True)  # after a save, only the files written are evaluated again
    return worklist_service.worklist_from(snap, actor, today, engine)


def queue_table(actor: Actor, today: dt.date, queue: str) -> pd.DataFrame:
    """One queue's files as 工作台 lists them, built once per scope and queue (not on every rerun); read-only."""
    return snapshot.derived("worklist_queue", actor, worklist_service.PARTS, _queue_table, today, queue)


def _queue_table(snap, actor: Actor, today: dt.date, queue: str) -> pd.DataFrame:
    return worklist_service.queue_table(worklist(actor, today), queue)

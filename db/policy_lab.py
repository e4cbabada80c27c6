"""政策模拟 from the store: the files in the actor's scope as core.policy_lab reads them, and the baseline tables.

Who: administrators and analysts (政策分析) build scenarios; staff may open one by its link, over the files of their
scope; viewers (看板) not. Analysts get figures only: the tables are loaded without names and file numbers, and a
comparison handed to them has no list of households (`for_actor`) — checked here, not only on the screen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.policy_lab import Comparison, LabData
from core.scenario import DatedTables
from db.actor import Actor
from db.errors import OutOfScope
from db.frames import plain
from db import snapshot
from db.models import DibaoLine, PolicyParameter

LAB_ROLES = ("admin", "analyst", "staff")
AUTHOR_ROLES = ("admin", "analyst")


def require_lab(actor: Actor) -> None:
    if actor.role not in LAB_ROLES:
        raise OutOfScope("您的角色不能使用政策模拟")


def _frame(session: Session, stmt, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(plain(session.execute(stmt)), columns=columns)


def baseline_tables(session: Session) -> DatedTables:
    """The real 低保 lines and dated parameters: what every scenario is laid over."""
    lines = _frame(session, select(DibaoLine.place_code, DibaoLine.effective_from, DibaoLine.amount_fen)
                   .order_by(DibaoLine.place_code, DibaoLine.effective_from), ["place_code", "effective_from", "amount_fen"])
    params: dict[str, list[tuple[dt.date, str]]] = {}
    for key, start, value in session.execute(select(PolicyParameter.key, PolicyParameter.effective_from, PolicyParameter.value)
                                             .order_by(PolicyParameter.key, PolicyParameter.effective_from)):
        params.setdefault(key, []).append((start, value))
    return DatedTables(lines=lines, params=params)


# the parts of the shared snapshot the lab reads
PARTS = ("files", "incomes", "causes", "measures", "measure_changes", "assistance", "changes", "payments")


def load(session: Session, actor: Actor, today: dt.date) -> LabData:
    """Every table the lab reads, for the files in the actor's scope, read in this session."""
    require_lab(actor)
    return load_from(snapshot.read(session, actor, parts=PARTS), actor, today)


def load_from(snap: snapshot.Snapshot, actor: Actor, today: dt.date) -> LabData:
    """The lab's tables from a snapshot of the actor's scope (the pages' shared one): names only for staff roles."""
    require_lab(actor)
    personal = ["file_no", "name"] if actor.sees_personal_data else []
    households = snap.files[["household_id", *personal, "place_code", "place_name", "hard_to_exit", "casualty", "category",
                             "main_cause"]].reset_index(drop=True)
    payments = snap.payments[(snap.payments["paid_on"] <= pd.Timestamp(today)).to_numpy()]
    return LabData(
        households=households,
        incomes=snap.incomes[["household_id", "month_index", "income_fen", "persons", "special_spending_fen",
                              "accident_spending_fen"]],
        causes=snap.causes[["household_id", "removed_on"]],
        measures=snap.measures[["measure_id", "household_id", "status", "start_on", "end_on", "track"]],
        measure_history=snap.measure_changes[["measure_id", "to_status", "effective_on", "id"]],
        assistance=snap.assistance[["household_id", "from_on", "to_on"]],
        changes=snap.changes[["id", "household_id", "effective_on", "to_status", "reason"]],
        payments=payments[["household_id", "paid_on", "amount_fen"]].reset_index(drop=True),
        place_names=dict(snap.reference.place_names),
        today=today,
    )


def baseline_from(snap: snapshot.Snapshot) -> DatedTables:
    """`baseline_tables` from a snapshot's reference tables."""
    lines = snap.reference.lines[["place_code", "effective_from", "amount_fen"]].sort_values(
        ["place_code", "effective_from"]).reset_index(drop=True)
    params = {key: sorted(rows) for key, rows in sorted(snap.reference.parameters.items())}
    return DatedTables(lines=lines, params=params)


def for_actor(comparison: Comparison, actor: Actor) -> Comparison:
    """What this actor may see of a comparison: analysts get the counts and groups, never the list of households."""
    require_lab(actor)
    if actor.sees_personal_data:
        return comparison
    return replace(comparison, outcomes=pd.DataFrame(columns=["区县", "分组", "基线结果", "基线月份", "方案结果", "方案月份"]))


def default_as_of(today: dt.date) -> dt.date:
    """The last day of the month before today's: the latest month whose incomes can be complete."""
    return today.replace(day=1) - dt.timedelta(days=1)


def month_end(year: int, month: int) -> dt.date:
    """The last day of a month (the comparison is as of a month's end)."""
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)

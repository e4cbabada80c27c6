"""走访记录: home visits, phone follow-ups and 送温暖 visits, for one file or several at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import codes
from core.plan import PlanErrors, add_months, check_visit
from db import audit
from db.actor import Actor
from db.errors import ValidationError
from db.file_access import get_household, touch_file
from db.models import Household, StatusChange, Visit
from db.queries import parameter_on


def record_visits(session: Session, actor: Actor, household_ids: list[int], raw: dict[str, Any], *,
                  today: dt.date | None = None, statuses: tuple[str, ...] | None = None) -> int:
    """The same visit (e.g. a round of phone calls) on each chosen file: all of them, or none.

    `statuses`: the statuses a chosen file must still have (a work queue's files: one withdrawn since the
    list was shown is refused by name); None takes any file.
    """
    today = today or dt.date.today()
    try:
        values = check_visit(raw, today=today)
    except PlanErrors as exc:
        raise ValidationError(exc.errors) from None
    if not household_ids:
        raise ValidationError({"household_ids": "请先选择档案"})
    if len(set(household_ids)) != len(household_ids):
        raise ValidationError({"household_ids": "同一档案被选了两次，请刷新后重新勾选"})
    households = [get_household(session, actor, household_id=household_id) for household_id in household_ids]
    for household in households:  # every file checked before any visit is written
        if statuses is not None and household.status not in statuses:
            raise ValidationError({"household_ids": f"{household.file_no} {household.name} 现为“{codes.HOUSEHOLD_STATUS[household.status]}”，"
                                                    "不再走访。本次没有登记任何走访，请刷新后重新勾选"})
    for household in households:
        audit.create(session, actor, Visit(household_id=household.id, **values), reason="登记走访")
    return len(household_ids)


def visits_frame(session: Session, actor: Actor, household_id: int) -> pd.DataFrame:
    get_household(session, actor, household_id=household_id)
    rows = session.scalars(select(Visit).where(Visit.household_id == household_id).order_by(Visit.visited_on.desc(), Visit.id.desc())).all()
    return pd.DataFrame([
        {"走访日期": f"{v.visited_on:%Y-%m-%d}", "走访人": v.visitor, "方式": codes.label(codes.VISIT_KIND, v.kind), "情况记录": v.notes or "",
         "发现的需求": v.needs or ""} for v in rows
    ], columns=["走访日期", "走访人", "方式", "情况记录", "发现的需求"])


def next_visit(session: Session, actor: Actor, household: Household, today: dt.date) -> str:
    """When this file is next due a visit, in a sentence (the interval and the 回访 period are parameters)."""
    household = get_household(session, actor, household_id=household.id)
    last = session.scalar(select(Visit.visited_on).where(Visit.household_id == household.id).order_by(Visit.visited_on.desc()).limit(1))
    if household.status in ("exited", "relieved"):
        months = int(parameter_on(session, "followup_months", today))
        closed_on = session.scalar(select(StatusChange.effective_on).where(StatusChange.household_id == household.id)
                                   .order_by(StatusChange.effective_on.desc(), StatusChange.id.desc()).limit(1))
        if closed_on is None:
            return ""
        until = add_months(closed_on, months)
        if last is not None and last >= closed_on:
            return f"已于 {last:%Y-%m-%d} 回访（回访期至 {until:%Y-%m-%d}）。"
        if today > until:
            return f"回访期已于 {until:%Y-%m-%d} 结束。"
        return f"{codes.HOUSEHOLD_STATUS[household.status]}后 {months} 个月内应至少回访一次：请在 {until:%Y-%m-%d} 前回访。"
    if household.status != "active":
        return ""
    months = household.visit_interval_months or int(parameter_on(session, "visit_interval_months", today))
    since = last or household.filed_on
    if since is None:
        return ""
    due = add_months(since, months)
    late = "，**已逾期**" if due < today else ""
    return f"每 {months} 个月至少走访一次：下次应于 {due:%Y-%m-%d} 前走访{late}。"


MAX_INTERVAL = 24


def set_visit_interval(session: Session, actor: Actor, household_id: int, months: int | None, *, expected_version: int) -> bool:
    """This file's own visit interval (e.g. monthly for a dialysis patient); None: the parameter's."""
    household = get_household(session, actor, household_id=household_id)
    if months is not None and not 1 <= int(months) <= MAX_INTERVAL:
        raise ValidationError({"visit_interval": f"走访间隔须为 1 到 {MAX_INTERVAL} 个月"})
    changed = audit.update(session, actor, household, {"visit_interval_months": None if months is None else int(months)},
                           expected_version=expected_version, reason="设置本户走访间隔")
    if changed:
        touch_file(session, actor, household)
    return bool(changed)

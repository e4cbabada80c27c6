"""结对帮扶 (一帮一): who is responsible for each file, since when, with the whole history.

A helper is known by name and pairing unit (they are often cadres of member units, not users of
the app). Changing a file's helper ends the current pairing the day before the new one starts.
Bulk moves (a helper leaves) run in the caller's one transaction: every file moves, or none.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import codes
from core.plan import PlanErrors, check_helper
from core.worklist import visit_due
from db import audit
from db.actor import Actor
from db.errors import Conflict, ValidationError, violates
from db.file_access import get_household
from db.models import Household, Measure, Org, Pairing, Place, Visit
from db.queries import parameter_on
from db.scope import org_filter, require_personal_data

PAIRABLE = ("applying", "active", "exited", "relieved")  # closed files keep their helper for the 回访


def current_pairing(session: Session, actor: Actor, household_id: int) -> Pairing | None:
    """The file's helper now, or None; a file outside the actor's scope reads as not found."""
    get_household(session, actor, household_id=household_id)
    return _current_pairing(session, household_id)


def _current_pairing(session: Session, household_id: int) -> Pairing | None:
    return session.scalar(select(Pairing).where(Pairing.household_id == household_id, Pairing.end_on.is_(None))
                          .order_by(Pairing.start_on.desc()).limit(1))


def pairing_history(session: Session, actor: Actor, household_id: int) -> pd.DataFrame:
    get_household(session, actor, household_id=household_id)
    rows = session.scalars(select(Pairing).where(Pairing.household_id == household_id).order_by(Pairing.start_on.desc())).all()
    return pd.DataFrame([
        {"帮扶责任人": p.helper_name, "结对单位": p.helper_unit, "联系电话": p.helper_phone or "", "开始日期": f"{p.start_on:%Y-%m-%d}",
         "结束日期": f"{p.end_on:%Y-%m-%d}" if p.end_on else "", "当前": "是" if p.end_on is None else ""} for p in rows
    ], columns=["帮扶责任人", "结对单位", "联系电话", "开始日期", "结束日期", "当前"])


def _helper(raw: dict[str, Any], today: dt.date) -> dict[str, Any]:
    try:
        return check_helper(raw, today=today)
    except PlanErrors as exc:
        raise ValidationError(exc.errors) from None


def _move(session: Session, actor: Actor, household: Household, current: Pairing | None, helper: dict[str, Any], reason: str) -> bool:
    """End `current` (if any) the day before the new pairing starts and open the new one. False if nothing changes."""
    if current is not None:
        if (current.helper_name, current.helper_unit) == (helper["helper_name"], helper["helper_unit"]):
            if current.helper_phone != helper["helper_phone"] and helper["helper_phone"]:
                audit.update(session, actor, current, {"helper_phone": helper["helper_phone"]}, expected_version=None, reason=reason)
                return True
            return False
        if helper["start_on"] <= current.start_on:
            raise ValidationError({"start_on": f"{household.file_no}：新结对的开始日期须晚于当前结对的开始日期 {current.start_on:%Y-%m-%d}"})
        audit.update(session, actor, current, {"end_on": helper["start_on"] - dt.timedelta(days=1)}, expected_version=None, reason=reason)
    file_no = household.file_no  # a failed flush expires the loaded rows
    try:
        audit.create(session, actor, Pairing(household_id=household.id, **helper), reason=reason)
    except IntegrityError as exc:  # uq_pairing_current: someone gave the file a helper at the same moment
        if not violates(exc, "uq_pairing_current", "pairing.household_id"):
            raise
        raise Conflict(f"{file_no} 刚刚已由他人指定了帮扶责任人（一户同时只能有一名当前责任人），"
                       "请刷新后查看。本次没有保存任何更改。") from None
    return True


def assign_helper(session: Session, actor: Actor, household_ids: list[int], raw: dict[str, Any], *,
                  expected: dict[int, int | None], today: dt.date | None = None, reason: str | None = None) -> int:
    """Give each file this helper from `start_on` (all the files, or none).

    `expected` maps each file to the version of the pairing the user saw (None: the user saw none);
    a pairing changed meanwhile is a conflict. Returns the number of files whose pairing changed.
    """
    today = today or dt.date.today()
    helper = _helper(raw, today)
    if not household_ids:
        raise ValidationError({"household_ids": "请先选择档案"})
    if len(set(household_ids)) != len(household_ids):
        raise ValidationError({"household_ids": "同一档案被选了两次，请刷新后重新勾选"})
    moved = 0
    for household_id in household_ids:
        household = get_household(session, actor, household_id=household_id)
        if household.status not in PAIRABLE:
            raise ValidationError({"household_ids": f"{household.file_no} 已退出，不再结对帮扶"})
        current = _current_pairing(session, household.id)
        seen = expected.get(household_id)
        if (current.version if current else None) != seen:
            raise Conflict(f"{household.file_no} 的结对刚刚被他人修改，请刷新后重试。本次没有保存任何更改。")
        moved += _move(session, actor, household, current, helper, reason or "结对帮扶：指定责任人")
    return moved


def reassign_helper(session: Session, actor: Actor, helper_name: str, helper_unit: str, raw: dict[str, Any], *,
                    pairing_versions: dict[int, int], move_measures: bool = True, today: dt.date | None = None,
                    reason: str | None = None) -> tuple[int, int]:
    """Move all of a helper's current files in the actor's scope to another helper, at once.

    `pairing_versions` are the pairings the user was shown (id → version): if the helper's files
    changed since, nothing is moved. With `move_measures`, the helper's unfinished measures on those
    files get the new responsible person too. Returns (files moved, measures moved).
    """
    today = today or dt.date.today()
    helper = _helper(raw, today)
    if (helper["helper_name"], helper["helper_unit"]) == (helper_name, helper_unit):
        raise ValidationError({"helper_name": "新责任人与原责任人相同"})
    pairings = session.scalars(org_filter(
        select(Pairing).join(Household, Household.id == Pairing.household_id)
        .where(Pairing.helper_name == helper_name, Pairing.helper_unit == helper_unit, Pairing.end_on.is_(None),
               Household.status.in_(PAIRABLE)), actor)).all()
    if not pairings:
        raise ValidationError({"helper": f"{helper_name}（{helper_unit}）在您的管辖范围内没有结对的档案"})
    now_seen = {p.id: p.version for p in pairings}
    if now_seen != pairing_versions:
        changed = {i for i in now_seen.keys() | pairing_versions.keys() if now_seen.get(i) != pairing_versions.get(i)}
        files = session.execute(select(Household.file_no, Household.name).join(Pairing, Pairing.household_id == Household.id)
                                .where(Pairing.id.in_(changed)).order_by(Household.file_no)).all()
        named = "、".join(f"{f} {n}" for f, n in files[:10]) + (f" 等 {len(files)} 户" if len(files) > 10 else "")
        raise Conflict(f"{helper_name} 的结对档案刚刚有变化（您看到 {len(pairing_versions)} 户，现为 {len(now_seen)} 户；"
                       f"有变化的：{named or '—'}），请刷新后重试。本次没有移交任何档案。")
    why = reason or f"结对帮扶：{helper_name}（{helper_unit}）的档案移交给 {helper['helper_name']}（{helper['helper_unit']}）"
    moved_measures = 0
    for pairing in pairings:
        household = get_household(session, actor, household_id=pairing.household_id)  # scope, and the right to write
        _move(session, actor, household, pairing, helper, why)
        if move_measures:
            measures = session.scalars(select(Measure).where(Measure.household_id == household.id, Measure.responsible == helper_name,
                                                             Measure.status.in_(codes.OPEN_MEASURE_STATUSES))).all()
            for measure in measures:
                audit.update(session, actor, measure, {"responsible": helper["helper_name"]}, expected_version=None, reason=why)
            moved_measures += len(measures)
    return len(pairings), moved_measures


# --- caseload ----------------------------------------------------------------------------------


def helper_files(session: Session, actor: Actor, helper_name: str, helper_unit: str) -> pd.DataFrame:
    """The files a helper is responsible for now, in the actor's scope (with each pairing's version)."""
    require_personal_data(actor, "结对档案")
    rows = session.execute(org_filter(
        select(Pairing.id, Pairing.version, Household.id, Household.file_no, Household.name, Place.name, Org.name,
               Household.status, Pairing.start_on)
        .join(Household, Household.id == Pairing.household_id).join(Place, Place.code == Household.place_code)
        .join(Org, Org.id == Household.org_id)
        .where(Pairing.helper_name == helper_name, Pairing.helper_unit == helper_unit, Pairing.end_on.is_(None),
               Household.status.in_(PAIRABLE))
        .order_by(Household.file_no), actor)).all()
    frame = pd.DataFrame(rows, columns=["pairing_id", "version", "household_id", "档案编号", "户主姓名", "区县", "所属工会", "状态", "结对开始"])
    frame["状态"] = frame["状态"].map(codes.HOUSEHOLD_STATUS)
    return frame


def caseload(session: Session, actor: Actor, today: dt.date) -> pd.DataFrame:
    """One row per helper with current files in scope: how many, how many 在档, how many overdue a visit."""
    require_personal_data(actor, "帮扶责任人名单")
    interval = int(parameter_on(session, "visit_interval_months", today))
    last_visit = (select(Visit.household_id, func.max(Visit.visited_on).label("last_visit"))
                  .where(Visit.household_id.in_(org_filter(select(Household.id), actor))).group_by(Visit.household_id).subquery())
    rows = session.execute(org_filter(
        select(Pairing.helper_name, Pairing.helper_unit, Pairing.helper_phone, Household.status, Household.filed_on,
               Household.visit_interval_months, last_visit.c.last_visit, Place.name)
        .join(Household, Household.id == Pairing.household_id).join(Place, Place.code == Household.place_code)
        .outerjoin(last_visit, last_visit.c.household_id == Household.id)
        .where(Pairing.end_on.is_(None), Household.status.in_(PAIRABLE)), actor)).all()
    frame = pd.DataFrame(rows, columns=["helper_name", "helper_unit", "helper_phone", "status", "filed_on", "visit_interval",
                                        "last_visit", "place"])
    if frame.empty:
        return pd.DataFrame(columns=["帮扶责任人", "结对单位", "联系电话", "区县", "结对户数", "在档", "走访逾期"])
    due, _ = visit_due(frame["last_visit"], frame["filed_on"], frame["visit_interval"], interval)  # as the 走访逾期 queue
    frame["overdue"] = (frame["status"] == "active") & due.notna() & (due < pd.Timestamp(today))
    frame["active"] = frame["status"] == "active"
    frame["helper_phone"] = frame["helper_phone"].fillna("")
    out = (frame.groupby(["helper_name", "helper_unit"], sort=False)
           .agg(联系电话=("helper_phone", "max"), 区县=("place", lambda s: "、".join(sorted(set(s)))),
                结对户数=("status", "size"), 在档=("active", "sum"), 走访逾期=("overdue", "sum"))
           .reset_index().rename(columns={"helper_name": "帮扶责任人", "helper_unit": "结对单位"}))
    out[["在档", "走访逾期"]] = out[["在档", "走访逾期"]].astype(int)
    return out.sort_values(["结对户数", "帮扶责任人"], ascending=[False, True]).reset_index(drop=True)


def unit_caseload(helpers: pd.DataFrame) -> pd.DataFrame:
    """The caseload by pairing unit (单位): helpers, files, 在档, overdue."""
    if helpers.empty:
        return pd.DataFrame(columns=["结对单位", "责任人数", "结对户数", "在档", "走访逾期"])
    return (helpers.groupby("结对单位").agg(责任人数=("帮扶责任人", "size"), 结对户数=("结对户数", "sum"), 在档=("在档", "sum"),
                                             走访逾期=("走访逾期", "sum"))
            .reset_index().sort_values("结对户数", ascending=False).reset_index(drop=True))

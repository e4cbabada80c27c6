"""Monthly household incomes (月收入): one file's month, or a whole district's month in one grid.

A grid is saved all or nothing: every row is checked first, and a single bad row writes nothing.
Rows carry the version they were loaded with, so a value someone else corrected meanwhile is not
overwritten silently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.dibao import NoLineInForce, line_on
from core.incomes import OPEN_STATUSES, file_refusal, month_refusal
from core.money import InvalidAmount, per_capita_fen, persons_count, yuan_to_fen
from db import audit
from db.actor import Actor
from db.errors import Conflict, OutOfScope, ValidationError, violates
from db.models import DibaoLine, Household, IncomeMonth, Member, Org, Place
from db.queries import first_of_month
from db.scope import in_scope, org_filter

GRID_STATUSES = OPEN_STATUSES


def check_month(month: dt.date | None, today: dt.date) -> dt.date:
    if month is None:
        raise ValidationError({"month": "请选择月份"})
    refusal = month_refusal(month, today)
    if refusal:
        raise ValidationError({"month": refusal})
    return first_of_month(month)


@dataclass
class IncomeRow:
    """One row as typed: amounts in yuan (text), persons as typed, the version it was loaded with."""

    household_id: int
    income: Any
    persons: Any
    transfer: Any = None
    special: Any = None
    accident: Any = None
    version: int | None = None  # None: no record existed when the grid was loaded


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == ""


def _fen(value: Any, label: str, problems: list[str]) -> int:
    if _blank(value):
        return 0
    try:
        return yuan_to_fen(value)
    except InvalidAmount as exc:
        problems.append(f"{label}{exc}")
        return 0


def _persons(value: Any, problems: list[str]) -> int:
    persons = persons_count(value)
    if persons is None:
        problems.append("家庭人口应为 1–30 的整数")
        return 1
    return persons


def grid(session: Session, actor: Actor, month: dt.date, *, place_code: str | None = None, org_id: int | None = None) -> pd.DataFrame:
    """The open files in scope with what is recorded for `month` (blank where nothing is yet)."""
    if not actor.can_write_files:
        raise OutOfScope("您的角色不能录入收入")
    members = select(Member.household_id, func.count().label("n")).group_by(Member.household_id).subquery()
    stmt = (
        select(Household.id, Household.file_no, Household.name, members.c.n, IncomeMonth.income_fen, IncomeMonth.persons,
               IncomeMonth.transfer_fen, IncomeMonth.special_spending_fen, IncomeMonth.accident_spending_fen, IncomeMonth.version)
        .outerjoin(members, members.c.household_id == Household.id)
        .outerjoin(IncomeMonth, (IncomeMonth.household_id == Household.id) & (IncomeMonth.month == month))
        .where(Household.status.in_(GRID_STATUSES))
        .order_by(Household.file_no)
    )
    if place_code:
        stmt = stmt.where(Household.place_code == place_code)
    if org_id:
        if not in_scope(session, actor, org_id):  # a union outside the scope is refused, not shown as empty
            raise OutOfScope("所选工会不在您的管辖范围内")
        subtree = session.scalar(select(Org.path).where(Org.id == org_id))
        stmt = stmt.where(Household.org_id.in_(select(Org.id).where(Org.path.startswith(subtree or "-"))))
    rows = session.execute(org_filter(stmt, actor)).all()
    return pd.DataFrame(
        [
            {
                "household_id": r[0], "档案编号": r[1], "户主": r[2],
                "家庭人口": r[5] if r[5] is not None else 1 + (r[3] or 0),
                "家庭月收入(元)": None if r[4] is None else r[4] / 100,
                "其中转移性收入(元)": None if r[6] is None else r[6] / 100,
                "因病因学因残支出(元)": None if r[7] is None else r[7] / 100,
                "灾害意外支出(元)": None if r[8] is None else r[8] / 100,
                "version": r[9],
            }
            for r in rows
        ],
        columns=["household_id", "档案编号", "户主", "家庭人口", "家庭月收入(元)", "其中转移性收入(元)",
                 "因病因学因残支出(元)", "灾害意外支出(元)", "version"],
    )


def save_month(session: Session, actor: Actor, month: dt.date, rows: list[IncomeRow], *, today: dt.date | None = None) -> dict[str, int]:
    """Check every row, then write them all in the caller's transaction. Returns counts (新增/更正/未变)."""
    today = today or dt.date.today()
    month = check_month(month, today)
    if not actor.can_write_files:
        raise OutOfScope("您的角色不能录入收入")
    ids = [r.household_id for r in rows]
    households = {h.id: h for h in session.scalars(org_filter(select(Household).where(Household.id.in_(ids)), actor))}
    existing = {i.household_id: i for i in session.scalars(select(IncomeMonth).where(IncomeMonth.household_id.in_(ids), IncomeMonth.month == month))}

    errors: dict[str, str] = {}
    clean: list[tuple[IncomeRow, dict[str, int]]] = []
    for row in rows:
        household = households.get(row.household_id)
        if household is None:
            errors[str(row.household_id)] = "该档案不存在或不在您的管辖范围内"
            continue
        record = existing.get(row.household_id)
        if _blank(row.income):
            if record is not None:
                errors[household.file_no] = "已录入的收入不能清空；如需更正，请填写正确的金额"
            continue  # nothing entered for this file this month
        refusal = file_refusal(household.status)
        if refusal:
            errors[household.file_no] = refusal
            continue
        problems: list[str] = []
        values = {
            "income_fen": _fen(row.income, "家庭月收入", problems),
            "persons": _persons(row.persons, problems),
            "transfer_fen": _fen(row.transfer, "转移性收入", problems),
            "special_spending_fen": _fen(row.special, "因病因学因残支出", problems),
            "accident_spending_fen": _fen(row.accident, "灾害意外支出", problems),
        }
        if not problems and values["transfer_fen"] > values["income_fen"]:
            problems.append("转移性收入不能大于家庭月收入（它是家庭月收入的一部分）")
        if record is not None and row.version is not None and record.version != row.version:
            problems.append(f"该月收入已被他人更正为 {record.income_fen / 100:.2f} 元（{record.persons} 人），请刷新后再改")
        elif record is not None and row.version is None:
            problems.append(f"该月收入已由他人录入（{record.income_fen / 100:.2f} 元），请刷新后再改")
        if problems:
            errors[household.file_no] = "；".join(problems)
        else:
            clean.append((row, values))
    if errors:
        raise ValidationError(errors)

    counts = {"新增": 0, "更正": 0, "未变": 0}
    for row, values in clean:
        record = existing.get(row.household_id)
        if record is None:
            file_no = households[row.household_id].file_no  # a failed flush expires the loaded rows
            try:
                audit.create(session, actor, IncomeMonth(household_id=row.household_id, month=month, **values))
            except IntegrityError as exc:  # someone entered this month of this file at the same moment
                if not violates(exc, "uq_income_month_household_month", "income_month.household_id, income_month.month"):
                    raise
                raise Conflict(f"{file_no} 的 {month:%Y年%m月} 收入刚刚已由他人录入，本次没有保存任何一行；"
                               "请刷新后核对，如需更正请修改该月的金额") from None
            counts["新增"] += 1
        elif audit.update(session, actor, record, values, expected_version=record.version, reason=f"更正 {month:%Y年%m月} 收入"):
            counts["更正"] += 1
        else:
            counts["未变"] += 1
    return counts


def history(session: Session, actor: Actor, household: Household) -> pd.DataFrame:
    """A file's months with per-capita income against that month's line (the line missing is said so)."""
    place = session.get(Place, household.place_code)
    lines = session.execute(select(DibaoLine.effective_from, DibaoLine.amount_fen).where(DibaoLine.place_code == household.place_code)).all()
    out = []
    for r in session.scalars(select(IncomeMonth).where(IncomeMonth.household_id == household.id).order_by(IncomeMonth.month)):
        try:
            line = line_on(lines, r.month, place.name)
        except NoLineInForce:
            line = None
        pc = per_capita_fen(r.income_fen, r.persons)
        out.append({
            "月份": r.month, "家庭月收入": r.income_fen / 100, "家庭人口": r.persons, "人均收入": pc / 100,
            "其中转移性收入": r.transfer_fen / 100, "低保标准": None if line is None else line / 100,
            "是否超过低保标准": "无生效标准" if line is None else ("超过" if pc > line else "未超过"),
            "version": r.version,
        })
    return pd.DataFrame(out, columns=["月份", "家庭月收入", "家庭人口", "人均收入", "其中转移性收入", "低保标准", "是否超过低保标准", "version"])


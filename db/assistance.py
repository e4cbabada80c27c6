"""纳入政府救助体系: the write path and queries of a household's assistance records.

Every write finds the file through `get_household` (scope, the right to write), compares the version
the user saw, and goes through `db.audit` (one audit row per changed field, the data version moved).
Records are never deleted: a programme that stopped gets a 截止日期 (`end_record`), a wrong record is
corrected with a reason (`correct_record`). One household cannot be in one programme twice at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import codes
from core.typed import REASON, field_text
from core.assistance import AssistanceErrors, check_record, households_in_force, overlapping, period_text
from db import audit
from db.actor import Actor
from db.errors import Conflict, ValidationError
from db.file_access import get_household
from db.models import AssistanceRecord, Household
from db.scope import org_filter

COLUMNS = ["id", "救助项目", "起始日期", "截止日期", "来源", "说明", "当前", "version"]


def records_of(session: Session, actor: Actor, household_id: int) -> list[AssistanceRecord]:
    """The file's records, newest first; a file outside the actor's scope reads as not found."""
    get_household(session, actor, household_id=household_id)
    return _records_of(session, household_id)


def _records_of(session: Session, household_id: int) -> list[AssistanceRecord]:
    return list(session.scalars(select(AssistanceRecord).where(AssistanceRecord.household_id == household_id)
                                .order_by(AssistanceRecord.from_on.desc(), AssistanceRecord.id.desc())))


def records_frame(session: Session, actor: Actor, household_id: int, today: dt.date | None = None) -> pd.DataFrame:
    """The file's records as the file page shows them, newest first (id and version kept for the edit forms)."""
    today = today or dt.date.today()
    return pd.DataFrame([
        {"id": r.id, "救助项目": codes.label(codes.ASSISTANCE_PROGRAMME, r.programme), "起始日期": f"{r.from_on:%Y-%m-%d}",
         "截止日期": f"{r.to_on:%Y-%m-%d}" if r.to_on else "", "来源": codes.label(codes.ASSISTANCE_SOURCE, r.source),
         "说明": r.note or "", "当前": "是" if r.from_on <= today and (r.to_on is None or r.to_on >= today) else "",
         "version": r.version}
        for r in records_of(session, actor, household_id)], columns=COLUMNS)


def summary(session: Session, actor: Actor, household_id: int, today: dt.date | None = None) -> str:
    """One line for the file's facts: the programmes in force today, with their start dates."""
    today = today or dt.date.today()
    now = [r for r in records_of(session, actor, household_id) if r.from_on <= today and (r.to_on is None or r.to_on >= today)]
    return "、".join(f"{codes.label(codes.ASSISTANCE_PROGRAMME, r.programme)}（{r.from_on:%Y-%m-%d}起）"
                     for r in sorted(now, key=lambda r: r.from_on)) or "未纳入"


def _plain(record: AssistanceRecord) -> dict[str, Any]:
    return {"id": record.id, "programme": record.programme, "from_on": record.from_on, "to_on": record.to_on}


def _clean(raw: dict[str, Any], today: dt.date) -> dict[str, Any]:
    try:
        return check_record(raw, today=today)
    except AssistanceErrors as exc:
        raise ValidationError(exc.errors) from None


def _refuse_overlap(session: Session, household_id: int, values: dict[str, Any], except_id: int | None = None) -> None:
    others = [_plain(r) for r in _records_of(session, household_id) if r.id != except_id]
    clash = overlapping(values, others)
    if clash is not None:
        raise ValidationError({"from_on": f"本户已有{codes.label(codes.ASSISTANCE_PROGRAMME, clash['programme'])}记录"
                                          f"（{period_text(clash['from_on'], clash['to_on'])}），时间不能重叠：请结束或更正那条记录"})


def add_record(session: Session, actor: Actor, household_id: int, raw: dict[str, Any], *, today: dt.date | None = None,
               reason: str | None = None, import_batch_id: int | None = None) -> AssistanceRecord:
    """A new record on the file (programme, from, optional to, source, note)."""
    today = today or dt.date.today()
    household = get_household(session, actor, household_id=household_id)
    values = _clean(raw, today)
    _refuse_overlap(session, household.id, values)
    record = AssistanceRecord(household_id=household.id, import_batch_id=import_batch_id, **values)
    audit.create(session, actor, record, reason=reason or "纳入政府救助体系：新增记录")
    return record


def _loaded(session: Session, actor: Actor, record_id: int, expected_version: int) -> AssistanceRecord:
    record = session.get(AssistanceRecord, record_id)
    if record is None:
        raise ValidationError({"record": "找不到该救助记录，请刷新后重试"})
    get_household(session, actor, household_id=record.household_id)  # scope, and the right to write
    if record.version != expected_version:
        raise Conflict("该救助记录刚刚被他人修改，请刷新后重试。本次没有保存任何更改。")
    return record


def end_record(session: Session, actor: Actor, record_id: int, to_on: dt.date | None, *, expected_version: int,
               reason: str | None = None, today: dt.date | None = None) -> AssistanceRecord:
    """The programme stopped: the record gets its 截止日期 (the last day the household was in it)."""
    today = today or dt.date.today()
    record = _loaded(session, actor, record_id, expected_version)
    if record.to_on is not None:
        raise ValidationError({"to_on": f"该记录已于 {record.to_on:%Y-%m-%d} 截止；日期有误请用“更正”"})
    if to_on is None:
        raise ValidationError({"to_on": "请填写截止日期"})
    if to_on < record.from_on:
        raise ValidationError({"to_on": f"截止日期不能早于起始日期 {record.from_on:%Y-%m-%d}"})
    if to_on > today:
        raise ValidationError({"to_on": f"截止日期 {to_on:%Y-%m-%d} 晚于今天：请在停止享受后再登记"})
    audit.update(session, actor, record, {"to_on": to_on}, expected_version=expected_version,
                 reason=reason or "纳入政府救助体系：截止")
    return record


def correct_record(session: Session, actor: Actor, record_id: int, raw: dict[str, Any], *, expected_version: int,
                   reason: str, today: dt.date | None = None) -> list[str]:
    """A record entered wrong, put right (every field may change); the reason is kept in the audit log."""
    today = today or dt.date.today()
    problems: dict[str, str] = {}
    reason = field_text(reason, REASON, problems, "reason", required="更正救助记录须填写原因")
    if problems:
        raise ValidationError(problems)
    record = _loaded(session, actor, record_id, expected_version)
    values = _clean(raw, today)
    _refuse_overlap(session, record.household_id, values, except_id=record.id)
    return audit.update(session, actor, record, values, expected_version=expected_version, reason=reason)


def in_force_in_month(session: Session, actor: Actor, month: dt.date) -> set[int]:
    """The households in scope with any assistance record in force in the month of `month`."""
    ids = org_filter(select(Household.id), actor)
    records = pd.DataFrame(session.execute(select(AssistanceRecord.household_id, AssistanceRecord.from_on, AssistanceRecord.to_on)
                                           .where(AssistanceRecord.household_id.in_(ids))).all(),
                           columns=["household_id", "from_on", "to_on"])
    return households_in_force(records, month)

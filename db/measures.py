"""The plan of a file (帮扶计划): measures, the payments their schedules produce, and single payments.

Every write: the file must be in the actor's scope (get_household), the row the user saw must still
be the stored version, and each change is audited in the same transaction (db.audit).
A schedule entered once produces its payment rows. Changing the schedule later replaces only the
payments dated after today; payments already made are corrected one by one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import codes
from core.assistance import in_force
from core.measure_history import change_effective_on, date_corrections, implied_history
from core.money import per_capita_fen
from core.typed import REASON, field_text
from core.plan import (CleanMeasure, Coverage, FileFacts, MeasureFact, PlanErrors, Suggestion, check_measure, check_payment,
                       coverage, payment_key, schedule_text, suggest_tracks, twin_refusal)
from db import audit
from db.assistance import records_of
from db.actor import Actor
from db.errors import NotFound, ValidationError
from db.file_access import get_household
from db.models import AidPayment, DibaoLine, Household, IncomeMonth, Measure, MeasureStatusChange

OPEN_FILE = ("applying", "active", "relieved")  # 解困 goes on being helped (常态化帮扶)
SCHEDULE_FIELDS = ("amount_fen", "fund_source", "pay_every", "first_pay_on", "pay_count", "end_on", "track", "programme")


def _open_file(session: Session, actor: Actor, household_id: int) -> Household:
    household = get_household(session, actor, household_id=household_id)
    if household.status not in OPEN_FILE:
        raise ValidationError({"household": f"档案为“{codes.HOUSEHOLD_STATUS[household.status]}”，不能再修改帮扶计划和发放（返困后可继续）"})
    return household


def lock_file(session: Session, household_id: int) -> None:
    """Hold the file's row until the end of the transaction (SELECT ... FOR NO KEY UPDATE, which rows referring to the
    file do not wait for; a no-op on SQLite, whose write transaction holds the whole database). Saves of the same file
    wait for each other here."""
    session.execute(select(Household.id).where(Household.id == household_id).with_for_update(key_share=True))


def _file_causes(household: Household) -> set[str]:
    return {c.cause for c in household.causes}


# --- reading the plan --------------------------------------------------------------------------


def file_facts(session: Session, actor: Actor, household: Household, today: dt.date | None = None) -> FileFacts:
    """What the track suggestions read: open causes, who can work, insurance, illness, 低保, income against the line."""
    household = get_household(session, actor, household_id=household.id)
    today = today or dt.date.today()
    members = household.members
    # the head has no "able to work" flag of its own: healthy or chronically ill, not retired, with 自救能力
    head_able = (household.self_help_ability and household.work_status != "retired"
                 and household.health in (None, "healthy", "chronic"))
    able = sum(1 for m in members if m.able_to_work) + int(head_able)
    uninsured = ([household.name] if household.medical_insurance == "none" else []) + [m.name for m in members if m.medical_insurance == "none"]
    ill = ([household.name] if household.health == "serious" else []) + [m.name for m in members if m.health == "serious"]
    latest = session.execute(select(IncomeMonth.month, IncomeMonth.income_fen, IncomeMonth.persons)
                             .where(IncomeMonth.household_id == household.id).order_by(IncomeMonth.month.desc()).limit(1)).first()
    below = None
    if latest is not None:
        line = session.scalar(select(DibaoLine.amount_fen).where(DibaoLine.place_code == household.place_code,
                                                                 DibaoLine.effective_from <= latest.month)
                              .order_by(DibaoLine.effective_from.desc()).limit(1))
        if line is not None:
            below = per_capita_fen(latest.income_fen, latest.persons) < line
    return FileFacts(
        open_causes=tuple(c.cause for c in sorted(household.causes, key=lambda c: not c.is_main) if c.removed_on is None),
        able_to_work=able, zero_employment=household.zero_employment, uninsured=tuple(uninsured), seriously_ill=tuple(ill),
        safety_net=tuple(sorted({r.programme for r in records_of(session, actor, household.id)
                                 if in_force(r.from_on, r.to_on, today)})), below_line=below, students=sum(1 for m in members if m.identity == "student"),
    )


@dataclass
class PlanView:
    measures: list[Measure]
    payments: list[AidPayment]
    suggestions: list[Suggestion]
    coverage: Coverage
    paid_fen: int
    planned_fen: int


def plan_of(session: Session, actor: Actor, household: Household, today: dt.date) -> PlanView:
    household = get_household(session, actor, household_id=household.id)
    measures = list(session.scalars(select(Measure).where(Measure.household_id == household.id).order_by(Measure.start_on, Measure.id)))
    payments = list(session.scalars(select(AidPayment).where(AidPayment.household_id == household.id)
                                    .order_by(AidPayment.paid_on.desc(), AidPayment.id.desc())))
    facts = file_facts(session, actor, household, today)
    cover = coverage(facts, [MeasureFact(m.cause, m.status, m.track) for m in measures])
    return PlanView(measures, payments, suggest_tracks(facts), cover,
                    paid_fen=sum(p.amount_fen for p in payments if p.paid_on <= today),
                    planned_fen=sum(p.amount_fen for p in payments if p.paid_on > today))


def _day(day: dt.date | None) -> str:
    """A date as the tables show it (empty rather than "None")."""
    return f"{day:%Y-%m-%d}" if day else ""


def measures_frame(measures: list[Measure], payments: list[AidPayment], today: dt.date) -> pd.DataFrame:
    paid = {}
    for p in payments:
        if p.measure_id is not None and p.paid_on <= today:
            paid[p.measure_id] = paid.get(p.measure_id, 0) + p.amount_fen
    return pd.DataFrame([
        {"id": m.id, "措施类别": codes.label(codes.TRACK, m.track), "项目": codes.label(codes.PROGRAMME, m.programme),
         "针对致困原因": codes.label(codes.CAUSE, m.cause), "帮扶内容": m.content, "状态": codes.label(codes.MEASURE_STATUS, m.status),
         "开始日期": _day(m.start_on), "结束日期": _day(m.end_on), "责任人": m.responsible or "",
         "资金安排": schedule_text(m.pay_every, m.first_pay_on, m.pay_count, m.amount_fen)
         or (f"{m.amount_fen / 100:.2f} 元" if m.amount_fen else ""),
         "资金来源": codes.label(codes.FUND_SOURCE, m.fund_source), "已发放(元)": paid.get(m.id, 0) / 100}
        for m in measures
    ], columns=["id", "措施类别", "项目", "针对致困原因", "帮扶内容", "状态", "开始日期", "结束日期", "责任人", "资金安排", "资金来源", "已发放(元)"])


def payments_frame(payments: list[AidPayment], measures: list[Measure], today: dt.date) -> pd.DataFrame:
    content = {m.id: m.content for m in measures}
    return pd.DataFrame([
        {"id": p.id, "发放日期": _day(p.paid_on), "金额(元)": p.amount_fen / 100, "状态": "已发放" if p.paid_on <= today else "待发放",
         "类别": codes.label(codes.TRACK, p.track), "项目": codes.label(codes.PROGRAMME, p.programme),
         "资金来源": codes.label(codes.FUND_SOURCE, p.fund_source), "所属措施": content.get(p.measure_id, ""), "说明": p.note or ""}
        for p in payments
    ], columns=["id", "发放日期", "金额(元)", "状态", "类别", "项目", "资金来源", "所属措施", "说明"])


# --- writing -----------------------------------------------------------------------------------


def _checked(raw: dict[str, Any], household: Household, today: dt.date) -> CleanMeasure:
    try:
        return check_measure(raw, file_causes=_file_causes(household), today=today)
    except PlanErrors as exc:
        raise ValidationError(exc.errors) from None


NOT_FOUND = "找不到该记录，或它不在您的管辖范围内"


def _row(session: Session, actor: Actor, model, row_id: int):
    """A measure or payment whose file is open and in the actor's scope (out of scope reads as not found)."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(NOT_FOUND)
    try:
        household = _open_file(session, actor, row.household_id)
    except NotFound:
        raise NotFound(NOT_FOUND) from None
    return row, household


def _pay(session: Session, actor: Actor, measure: Measure, days: list[dt.date], reason: str, first_number: int = 1) -> int:
    for k, day in enumerate(days, start=first_number):
        note = "一次性发放" if measure.pay_every == "once" else f"{codes.PAY_EVERY[measure.pay_every]}发放 第{k}次"
        audit.create(session, actor, AidPayment(
            household_id=measure.household_id, measure_id=measure.id, track=measure.track, programme=measure.programme,
            amount_fen=measure.amount_fen, fund_source=measure.fund_source, paid_on=day, note=note), reason=reason)
    return len(days)


def add_measure(session: Session, actor: Actor, household_id: int, raw: dict[str, Any], *, today: dt.date | None = None) -> tuple[Measure, int]:
    """A new measure on the file's plan; its schedule's payments are written with it. Returns (measure, payments)."""
    today = today or dt.date.today()
    household = _open_file(session, actor, household_id)
    clean = _checked(raw, household, today)
    measure = Measure(household_id=household.id, **clean.values())
    audit.create(session, actor, measure, reason="新增帮扶措施")
    for before, after, on in implied_history(measure.status, measure.start_on, measure.end_on):
        _status_change(session, actor, measure, before, after, min(on, today))
    return measure, _pay(session, actor, measure, clean.payment_dates(), "按发放计划生成")


def update_measure(session: Session, actor: Actor, measure_id: int, raw: dict[str, Any], *, expected_version: int,
                   today: dt.date | None = None) -> tuple[list[str], int, int]:
    """Change a measure. A changed schedule replaces the payments after today (those made stay).
    Returns (changed fields, payments removed, payments added)."""
    today = today or dt.date.today()
    measure, household = _row(session, actor, Measure, measure_id)
    clean = _checked(raw, household, today)
    had_schedule = measure.pay_every is not None and measure.amount_fen is not None
    before, start, end = measure.status, measure.start_on, measure.end_on
    changed = audit.update(session, actor, measure, clean.values(), expected_version=expected_version, reason="修改帮扶措施")
    if "status" in changed:
        _status_change(session, actor, measure, before, measure.status,
                       change_effective_on(before, measure.status, measure.start_on, measure.end_on, today))
    else:  # corrected dates: the history follows them
        for old, new, on in date_corrections(measure.status, start, measure.start_on, end, measure.end_on, today):
            _status_change(session, actor, measure, old, new, on)
    removed = added = 0
    if set(changed) & set(SCHEDULE_FIELDS):
        removed, added = _reschedule(session, actor, measure, clean, had_schedule, today)
    return changed, removed, added


def _status_change(session: Session, actor: Actor, measure: Measure, before: str | None, after: str, on: dt.date) -> None:
    """One step of the measure's status history (the engine judges a past day by it, never by today's status)."""
    audit.create(session, actor, MeasureStatusChange(measure_id=measure.id, household_id=measure.household_id, from_status=before, to_status=after, effective_on=on,
                                                     recorded_by=actor.username),
                 reason=f"措施状态：{codes.label(codes.MEASURE_STATUS, before) or '（新建）'} → {codes.label(codes.MEASURE_STATUS, after)}")


def _reschedule(session: Session, actor: Actor, measure: Measure, clean: CleanMeasure, had_schedule: bool,
                today: dt.date) -> tuple[int, int]:
    """Replace the payments after today with the new schedule's; those made stay and count towards it.

    A schedule given to a measure that had none also writes its past dates, except where a payment
    under the measure is already recorded on that day."""
    rows = session.scalars(select(AidPayment).where(AidPayment.measure_id == measure.id)).all()
    future = [p for p in rows if p.paid_on > today]
    for payment in future:
        audit.delete(session, actor, payment, expected_version=None, reason="发放计划已修改，重新生成今后的发放")
    made = [p for p in rows if p.paid_on <= today]
    days = clean.payment_dates()
    if had_schedule:
        days = [d for d in days if d > today][:max(0, len(days) - len(made))]
    else:
        recorded = {p.paid_on for p in made}
        days = [d for d in days if d not in recorded]
    return len(future), _pay(session, actor, measure, days, "按修改后的发放计划生成", first_number=len(made) + 1)


def recorded_payments(session: Session, household_ids) -> dict[int, set]:
    """The payments the twin check (core.plan.twin_refusal) compares a new one with, per file."""
    out: dict[int, set] = {}
    ids = sorted(set(household_ids))
    for start in range(0, len(ids), 2000):
        for hid, paid_on, amount_fen, fund_source, track in session.execute(
                select(AidPayment.household_id, AidPayment.paid_on, AidPayment.amount_fen, AidPayment.fund_source,
                       AidPayment.track).where(AidPayment.household_id.in_(ids[start:start + 2000]))):
            out.setdefault(hid, set()).add(payment_key(paid_on, amount_fen, fund_source, track))
    return out


def add_payment(session: Session, actor: Actor, household_id: int, raw: dict[str, Any], *, measure_id: int | None = None,
                today: dt.date | None = None, confirm_twin: bool = False) -> AidPayment:
    """One payment: under a measure of the file, or on its own (送温暖 慰问金)."""
    today = today or dt.date.today()
    household = _open_file(session, actor, household_id)
    try:
        values = check_payment(raw, today=today)
    except PlanErrors as exc:
        raise ValidationError(exc.errors) from None
    track, programme = "warmth", None
    if measure_id is not None:
        measure = session.get(Measure, measure_id)
        if measure is None or measure.household_id != household.id:
            raise ValidationError({"measure": "所选措施不属于本档案"})
        track, programme = measure.track, measure.programme
        if values["paid_on"] < measure.start_on:
            raise ValidationError({"paid_on": f"发放日期不能早于措施开始日期 {measure.start_on:%Y-%m-%d}"})
    # the file's row is locked until this transaction ends (PostgreSQL; SQLite's write transaction already excludes
    # every other writer), so two identical payments saved at once meet here one after the other: the second sees
    # the first and is refused as its twin
    lock_file(session, household.id)
    twin = twin_refusal(payment_key(values["paid_on"], values["amount_fen"], values["fund_source"], track),
                        recorded_payments(session, [household.id]).get(household.id, set()))
    if twin is not None and not confirm_twin:
        raise ValidationError({"paid_on": f"{twin}；确属另一笔的，请勾选“确认是另一笔发放”后再保存"})
    payment = AidPayment(household_id=household.id, measure_id=measure_id, track=track, programme=programme, **values)
    audit.create(session, actor, payment, reason="登记资金发放")
    return payment


def update_payment(session: Session, actor: Actor, payment_id: int, raw: dict[str, Any], *, expected_version: int,
                   today: dt.date | None = None) -> list[str]:
    today = today or dt.date.today()
    payment, _ = _row(session, actor, AidPayment, payment_id)
    try:
        values = check_payment(raw, today=today)
    except PlanErrors as exc:
        raise ValidationError(exc.errors) from None
    measure = session.get(Measure, payment.measure_id) if payment.measure_id else None
    if measure is not None and values["paid_on"] < measure.start_on:
        raise ValidationError({"paid_on": f"发放日期不能早于措施开始日期 {measure.start_on:%Y-%m-%d}"})
    return audit.update(session, actor, payment, values, expected_version=expected_version, reason="更正资金发放")


def delete_payment(session: Session, actor: Actor, payment_id: int, *, expected_version: int, reason: str) -> None:
    """Take back a payment entered by mistake (or not made); the audit log keeps what it was and why."""
    payment, _ = _row(session, actor, AidPayment, payment_id)
    errors: dict[str, str] = {}
    reason = field_text(reason, REASON, errors, "reason", required="请写明删除原因（如：录入错误、未实际发放）")
    if errors:
        raise ValidationError(errors)
    audit.delete(session, actor, payment, expected_version=expected_version, reason=reason)


def stop_future_payments(session: Session, actor: Actor, household_id: int, after: dt.date, reason: str) -> int:
    """When a file closes as 脱困 or 退出, the scheduled payments after that day are not made."""
    household = get_household(session, actor, household_id=household_id)  # scope, and the right to write
    future = session.scalars(select(AidPayment).where(AidPayment.household_id == household.id, AidPayment.paid_on > after,
                                                      AidPayment.measure_id.is_not(None))).all()
    for payment in future:
        audit.delete(session, actor, payment, expected_version=None, reason=reason)
    return len(future)


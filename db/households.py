"""The household file (一户一档): open, correct, assess, file, close and reopen — one service path.

Every write here checks the user's scope, checks the version the user loaded (the household row is
the version of the whole file: members, causes and exclusions included), writes audit rows and
bumps the data version, all in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from core import codes
from core.category import Assessment, Exclusion as ExclusionFact, MonthFigures, assess
from core.dibao import NoLineInForce, line_on
from core.intake import FIELD_LABELS, HEAD_BOOL_FIELDS, HEAD_CODE_FIELDS, HEAD_DATE_FIELDS, HEAD_TEXT_FIELDS, IntakeErrors, check_household
from core.typed import REASON, field_text
from db import audit
from db.actor import Actor
from db.errors import Conflict, ValidationError
from db.file_access import get_household, touch_file
from db.models import (DibaoLine, ExclusionCheck, Household, HouseholdCause, IdentityLock, IncomeMonth, Member, Org, Pairing, Place,
                       ProcessStep, StatusChange)
from db.queries import parameter_on
from db.scope import in_scope, require_org
from db.workdays import publicity_refusal

OPEN_STATUSES = ("applying", "active")
HEAD_FIELDS = (
    ("name", "id_number", "sex", "birth_date", "floor_area_dm2", "mobile", "employer_uscc", "bank_account")
    + tuple(HEAD_CODE_FIELDS) + HEAD_TEXT_FIELDS + HEAD_BOOL_FIELDS + HEAD_DATE_FIELDS
)
MEMBER_FIELDS = ("name", "relation", "id_number", "sex", "birth_date", "health", "monthly_income_fen", "identity",
                 "able_to_work", "medical_insurance", "school_or_employer")
LABELS = FIELD_LABELS | {"floor_area_dm2": "建筑面积", "monthly_income_fen": "月收入"}


# --- reading one file ---------------------------------------------------------------------------


def exclusions_of(session: Session, actor: Actor, household_id: int) -> list[ExclusionCheck]:
    """The file's exclusion checks; a file outside the actor's scope reads as not found."""
    get_household(session, actor, household_id=household_id)
    return _exclusions_of(session, household_id)


def _exclusions_of(session: Session, household_id: int) -> list[ExclusionCheck]:
    return list(session.scalars(select(ExclusionCheck).where(ExclusionCheck.household_id == household_id)))


def snapshot(household: Household) -> dict[str, Any]:
    """What a form shows of a file: used to tell the user exactly what someone else changed."""
    return {
        "head": {f: _plain(getattr(household, f)) for f in HEAD_FIELDS},
        "members": {str(m.id): {f: _plain(getattr(m, f)) for f in MEMBER_FIELDS} for m in household.members},
        "causes": {c.cause: {"is_main": c.is_main, "removed_on": _plain(c.removed_on)} for c in household.causes},
    }


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def describe_changes(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(what, as the user saw it, as it is now) for every difference between two snapshots."""
    out = []
    for field, old in before["head"].items():
        new = after["head"].get(field)
        if old != new:
            out.append((LABELS.get(field, field), _shown(field, old), _shown(field, new)))
    for member_id in before["members"].keys() | after["members"].keys():
        old, new = before["members"].get(member_id), after["members"].get(member_id)
        if old is None:
            out.append(("家庭成员", "（无）", f"新增 {new['name']}"))
        elif new is None:
            out.append(("家庭成员", old["name"], "（已删除）"))
        else:
            for field in MEMBER_FIELDS:
                if old.get(field) != new.get(field):
                    out.append((f"成员 {new['name']} 的{LABELS.get(field, field)}", _shown(field, old.get(field)), _shown(field, new.get(field))))
    if before["causes"] != after["causes"]:
        out.append(("致困原因", _causes_text(before["causes"]), _causes_text(after["causes"])))
    return out


def _shown(field: str, value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    code_list = HEAD_CODE_FIELDS.get(field) or {"sex": codes.SEX, "relation": codes.RELATION, "identity": codes.MEMBER_IDENTITY}.get(field)
    if code_list:
        return code_list.get(value, str(value))
    if field.endswith("_fen"):
        return f"{value / 100:.2f} 元"
    return str(value)


def _causes_text(causes: dict) -> str:
    parts = [("主：" if c["is_main"] else "") + codes.CAUSE[k] + (f"（{c['removed_on']} 已消除）" if c["removed_on"] else "")
             for k, c in sorted(causes.items(), key=lambda kv: not kv[1]["is_main"])]
    return "、".join(parts) or "（无）"


# --- duplicates: one open file per ID number ---------------------------------------------------


@dataclass(frozen=True)
class Holder:
    id_number: str
    file_no: str
    household_id: int
    place_name: str
    as_head: bool


def open_holders(session: Session, id_numbers: list[str], *, except_household: int | None = None) -> list[Holder]:
    """Open files (申请中 or 在档) that hold any of these ID numbers, as head or member, across all districts."""
    if not id_numbers:
        return []
    heads = (
        select(Household.id_number, Household.file_no, Household.id, Place.name, literal(True))
        .join(Place, Place.code == Household.place_code)
        .where(Household.id_number.in_(id_numbers), Household.status.in_(OPEN_STATUSES))
    )
    members = (
        select(Member.id_number, Household.file_no, Household.id, Place.name, literal(False))
        .join(Household, Household.id == Member.household_id)
        .join(Place, Place.code == Household.place_code)
        .where(Member.id_number.in_(id_numbers), Household.status.in_(OPEN_STATUSES))
    )
    holders = [Holder(*row) for row in session.execute(heads).all() + session.execute(members).all()]
    return [h for h in holders if h.household_id != except_household]


LOCK_CHUNK = 5000


def lock_identities(session: Session, numbers: list[str]) -> None:
    """Hold the lock row of each ID number until the end of the transaction (created when missing), so that two
    saves putting one person into two open files at once check one after the other: the second sees the first.

    In ascending order, so two saves sharing several numbers cannot wait for each other in a circle. On SQLite the
    write transaction (BEGIN IMMEDIATE) already excludes every other writer; the rows are kept the same way there.
    """
    wanted = sorted({n for n in numbers if n})
    if not wanted:
        return
    table = IdentityLock.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    for start in range(0, len(wanted), LOCK_CHUNK):  # a workbook may name 100,000 people: in chunks, still in order
        chunk = wanted[start:start + LOCK_CHUNK]
        session.execute(insert(table).values([{"id_number": n} for n in chunk]).on_conflict_do_nothing())
        session.execute(select(table.c.id_number).where(table.c.id_number.in_(chunk)).order_by(table.c.id_number)
                        .with_for_update())


def _refuse_duplicates(session: Session, actor: Actor, numbers: list[str], household_id: int | None) -> None:
    lock_identities(session, numbers)
    holders = open_holders(session, numbers, except_household=household_id)
    errors: dict[str, str] = {}
    for holder in holders:
        index = numbers.index(holder.id_number)
        key = "id_number" if index == 0 else f"members.{index - 1}.id_number"
        role = "户主" if holder.as_head else "家庭成员"
        if in_scope(session, actor, _org_of(session, holder.household_id)):
            # plain text; the form links the file number (ui.markdown.escape_linking_file_numbers)
            errors[key] = f"身份证号 {holder.id_number} 已在{holder.place_name}的档案 {holder.file_no} 中（作为{role}），一人只能在一个未关闭的档案中"
        elif key in errors:
            continue
        elif audit.duplicate_refused(session, actor, holder.id_number, f"{holder.file_no}，{role}"):
            # outside the user's scope: that it is held, not where, by whom or as what; audited, and limited per day
            errors[key] = audit.DUPLICATE_ELSEWHERE
        else:
            errors[key] = audit.DUPLICATE_LIMIT_MESSAGE
    if audit.duplicate_limit_reached(session, actor):
        # past the day's limit the check no longer answers for a number new to this file: a refusal and an acceptance
        # alike would tell whether it is held in another union's file
        own = _numbers_of(session, household_id) if household_id else set()
        for index, number in enumerate(numbers):
            key = "id_number" if index == 0 else f"members.{index - 1}.id_number"
            if number and number not in own and key not in errors:
                errors[key] = audit.DUPLICATE_LIMIT_MESSAGE
    if errors:
        raise ValidationError(errors)


def _numbers_of(session: Session, household_id: int) -> set[str]:
    head = session.scalar(select(Household.id_number).where(Household.id == household_id))
    members = session.scalars(select(Member.id_number).where(Member.household_id == household_id, Member.id_number.is_not(None)))
    return {head, *members}


def _org_of(session: Session, household_id: int) -> int:
    return session.scalar(select(Household.org_id).where(Household.id == household_id))


# --- opening and correcting a file --------------------------------------------------------------


def next_file_no(session: Session, place_code: str) -> str:
    """The district's next file number. The district's row is held until the transaction ends (PostgreSQL; on SQLite
    the write transaction holds the database), so two files created at once get consecutive numbers, never one."""
    session.execute(select(Place.code).where(Place.code == place_code).with_for_update(key_share=True))
    prefix = f"QHD-{place_code}-"
    # only numbers of the system's own form (prefix + 6 digits) count; an imported number of another form does not
    last = session.scalar(select(func.max(Household.file_no)).where(Household.file_no.like(prefix + "%"),
                                                                   func.length(Household.file_no) == len(prefix) + 6))
    suffix = last.rsplit("-", 1)[1] if last else ""
    number = int(suffix) + 1 if suffix.isdigit() else 1
    return f"{prefix}{number:06d}"


def _checked_text(value: str | None, field, key: str) -> str | None:
    """A note or reason as typed, trimmed (None when empty), or ValidationError under `key` (too long, a control character)."""
    errors: dict[str, str] = {}
    text = field_text(value, field, errors, key)
    if errors:
        raise ValidationError(errors)
    return text or None


def _clean(raw: dict[str, Any], today: dt.date):
    try:
        return check_household(raw, today)
    except IntakeErrors as exc:
        raise ValidationError(exc.errors) from None


def create_household(
    session: Session, actor: Actor, *, org_id: int, raw: dict[str, Any], applied_on: dt.date | None = None,
    today: dt.date | None = None,
) -> Household:
    """Open a new file as 申请中 (the 申请 step is recorded on `applied_on`); it becomes 在档 through the filing steps."""
    today = today or dt.date.today()
    applied_on = applied_on or today
    if not org_id:
        raise ValidationError({"org_id": "请选择所属工会"})
    if applied_on > today:
        raise ValidationError({"applied_on": "申请日期不能晚于今天"})
    require_org(session, actor, org_id, write=True)
    clean = _clean(raw, today)
    _refuse_duplicates(session, actor, clean.id_numbers(), None)
    org = session.get(Org, org_id)
    household = Household(file_no=next_file_no(session, org.place_code), org_id=org_id, place_code=org.place_code,
                          status="applying", updated_by=actor.username, **clean.head)
    audit.create(session, actor, household)
    for member in clean.members:
        audit.create(session, actor, Member(household_id=household.id, **_member_values(member)))
    for cause in clean.causes:
        audit.create(session, actor, HouseholdCause(household_id=household.id, cause=cause.cause, is_main=cause.is_main, removed_on=cause.removed_on))
    for row in clean.exclusions:
        audit.create(session, actor, ExclusionCheck(household_id=household.id, **row))
    session.add(ProcessStep(household_id=household.id, step="apply", done_on=applied_on, done_by=actor.display_name, note="新建档案"))
    session.add(StatusChange(household_id=household.id, from_status=None, to_status="applying", effective_on=applied_on,
                             recorded_by=actor.username, recorded_at=audit.now()))
    session.flush()
    return household


def _member_values(member: dict[str, Any]) -> dict[str, Any]:
    return {f: member.get(f) for f in MEMBER_FIELDS if f in member}


def update_household(
    session: Session, actor: Actor, household_id: int, *, expected_version: int, loaded: dict[str, Any] | None,
    raw: dict[str, Any], reason: str | None = None, today: dt.date | None = None,
) -> list[str]:
    """Save a corrected file. A save on a stale version is refused with the list of what changed since."""
    today = today or dt.date.today()
    household = get_household(session, actor, household_id=household_id)
    require_org(session, actor, household.org_id, write=True)
    if household.status not in OPEN_STATUSES:
        raise ValidationError({"name": "已关闭的档案不能修改；如情况有变，请先办理返困"})
    if household.version != expected_version:
        raise _conflict(household, loaded)
    reason = _checked_text(reason, REASON, "reason")
    clean = _clean(raw, today)
    _refuse_duplicates(session, actor, clean.id_numbers(), household.id)

    changed = audit.update(session, actor, household, clean.head, expected_version=expected_version, reason=reason)
    changed += _sync_members(session, actor, household, clean.members, reason)
    changed += _sync_causes(session, actor, household, clean.causes, reason)
    changed += _sync_exclusions(session, actor, household, clean.exclusions, reason)
    if changed:
        # even when only members or causes changed, the file's version moves, so a racing save fails
        touch_file(session, actor, household)
        session.flush()
    return changed


def _conflict(household: Household, loaded: dict[str, Any] | None) -> Conflict:
    who = f"{household.updated_by or '其他用户'}（{household.updated_at:%Y-%m-%d %H:%M}）"
    changes = describe_changes(loaded, snapshot(household)) if loaded else []
    return Conflict(f"保存失败：在您打开此档案之后，{who} 已修改并保存了它。您的修改尚未保存，请核对下列变化后重新录入。", changes)


def _sync_members(session: Session, actor: Actor, household: Household, members: list[dict], reason: str | None) -> list[str]:
    changed = []
    existing = {m.id: m for m in household.members}
    kept = set()
    for member in members:
        values = _member_values(member)
        row = existing.get(_int(member.get("id")))
        if row is None:
            audit.create(session, actor, Member(household_id=household.id, **values), reason=reason)
            changed.append("members")
            continue
        kept.add(row.id)
        if audit.update(session, actor, row, values, expected_version=None, reason=reason):
            changed.append("members")
    for member_id, row in existing.items():
        if member_id not in kept:
            audit.record(session, actor, "delete", "member", member_id, old=json.dumps({"name": row.name, "id_number": row.id_number}, ensure_ascii=False), reason=reason,
                         household_id=household.id)
            session.delete(row)
            changed.append("members")
    session.flush()
    session.expire(household, ["members"])
    return changed


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _sync_causes(session: Session, actor: Actor, household: Household, causes, reason: str | None) -> list[str]:
    changed = []
    existing = {c.cause: c for c in household.causes}
    wanted = {c.cause: c for c in causes}
    for code, row in existing.items():  # removals first, so that a new main cause never meets the old one
        if code not in wanted:
            audit.record(session, actor, "delete", "household_cause", row.id, old=codes.CAUSE[code], reason=reason,
                         household_id=household.id)
            session.delete(row)
            changed.append("causes")
    session.flush()
    # demote first, then promote: the database allows one main cause per file at any moment
    order = sorted(wanted.values(), key=lambda c: c.is_main)
    for cause in order:
        row = existing.get(cause.cause)
        if row is None:
            audit.create(session, actor, HouseholdCause(household_id=household.id, cause=cause.cause, is_main=cause.is_main, removed_on=cause.removed_on), reason=reason)
            changed.append("causes")
        elif audit.update(session, actor, row, {"is_main": cause.is_main, "removed_on": cause.removed_on}, expected_version=None, reason=reason):
            changed.append("causes")
    session.expire(household, ["causes"])
    return changed


def _sync_exclusions(session: Session, actor: Actor, household: Household, rows: list[dict], reason: str | None) -> list[str]:
    changed = []
    existing = {e.exclusion: e for e in _exclusions_of(session, household.id)}
    for row in rows:
        current = existing.get(row["exclusion"])
        if current is None:
            audit.create(session, actor, ExclusionCheck(household_id=household.id, **row), reason=reason)
            changed.append("exclusions")
        elif audit.update(session, actor, current, {k: row[k] for k in ("applies", "source", "checked_on")}, expected_version=None, reason=reason):
            changed.append("exclusions")
    return changed


# --- category ------------------------------------------------------------------------------------


def month_figures(session: Session, household: Household, until: dt.date) -> tuple[list[MonthFigures], list[str]]:
    """The household's recorded months up to `until`, each with its district's line that month."""
    place = session.get(Place, household.place_code)
    lines = session.execute(
        select(DibaoLine.effective_from, DibaoLine.amount_fen).where(DibaoLine.place_code == household.place_code)
    ).all()
    figures, problems = [], []
    for row in session.scalars(
        select(IncomeMonth).where(IncomeMonth.household_id == household.id, IncomeMonth.month <= until).order_by(IncomeMonth.month)
    ):
        try:
            line = line_on(lines, row.month, place.name)
        except NoLineInForce as exc:
            problems.append(str(exc))
            continue
        figures.append(MonthFigures(row.month, row.income_fen, row.persons, line, row.special_spending_fen, row.accident_spending_fen))
    return figures, problems


def assess_household(session: Session, household: Household, on: dt.date) -> Assessment:
    rule_set = parameter_on(session, "rule_set", on)
    figures, problems = month_figures(session, household, on)
    exclusions = [ExclusionFact(e.exclusion, e.applies, e.source) for e in _exclusions_of(session, household.id)]
    result = assess(
        rule_set, figures, exclusions=exclusions, multiplier=parameter_on(session, "relative_multiplier", on),
        edge_multiple=parameter_on(session, "edge_multiplier", on), accident_multiple=parameter_on(session, "accident_multiplier", on),
        casualty=household.casualty, migrant=household.work_status == "migrant",
        labour_relation_since=household.labour_relation_since, union_member=household.union_member_since is not None, on=on,
    )
    if problems:
        result = Assessment(result.rule_set, None, result.reasons, result.excluded_by, tuple(problems[-1:]) + result.problems)
    return result


def reassess(session: Session, actor: Actor, household_id: int, *, expected_version: int, on: dt.date | None = None) -> Assessment:
    """Assess the file now and store the category with the rule set and the explanation."""
    on = on or dt.date.today()
    household = get_household(session, actor, household_id=household_id)
    require_org(session, actor, household.org_id, write=True)
    result = assess_household(session, household, on)
    audit.update(session, actor, household, {
        "category": result.category, "category_rule_set": result.rule_set, "category_assessed_on": on,
        "category_explanation": result.explanation(),
    }, expected_version=expected_version, reason="认定困难类别")
    touch_file(session, actor, household)
    session.flush()
    return result


# --- filing process and status --------------------------------------------------------------------


STEP_ORDER = tuple(s for s in codes.PROCESS_STEP if s != "imported")  # 导入的历史档案 is no step of the filing


def steps_of(session: Session, actor: Actor, household_id: int) -> list[ProcessStep]:
    """The file's filing steps in order; a file outside the actor's scope reads as not found."""
    get_household(session, actor, household_id=household_id)
    return _steps_of(session, household_id)


def _steps_of(session: Session, household_id: int) -> list[ProcessStep]:
    return list(session.scalars(select(ProcessStep).where(ProcessStep.household_id == household_id).order_by(ProcessStep.id)))


def record_step(
    session: Session, actor: Actor, household_id: int, *, expected_version: int, step: str, done_on: dt.date,
    note: str | None = None, today: dt.date | None = None,
) -> None:
    """Record the next step of 申请 → 入户调查 → 公示 → 审核 → 在档; 在档 needs a category and no exclusion."""
    today = today or dt.date.today()
    household = get_household(session, actor, household_id=household_id)
    require_org(session, actor, household.org_id, write=True)
    if household.version != expected_version:
        raise Conflict("该档案已被他人修改，请刷新后再办理。")
    if household.status != "applying":
        raise ValidationError({"step": "只有“申请中”的档案需要办理建档步骤"})
    note = _checked_text(note, "process_step.note", "note")
    done = [s.step for s in _steps_of(session, household.id)]
    expected = next((s for s in STEP_ORDER if s not in done), None)
    if step != expected:
        raise ValidationError({"step": f"下一步应为“{codes.PROCESS_STEP[expected]}”，不能跳过或重复"})
    last = max((s.done_on for s in _steps_of(session, household.id)), default=None)
    if done_on > today:
        raise ValidationError({"done_on": "办理日期不能晚于今天"})
    if last and done_on < last:
        raise ValidationError({"done_on": f"办理日期不能早于上一步的日期 {last:%Y-%m-%d}"})
    if step == "review":
        publicity = next(s.done_on for s in _steps_of(session, household.id) if s.step == "publicity")
        refusal = publicity_refusal(session, publicity, done_on, int(parameter_on(session, "publicity_working_days", done_on)))
        if refusal:
            raise ValidationError({"done_on": refusal})
    if step == "filed":
        checked = {e.exclusion for e in _exclusions_of(session, household.id)}
        unchecked = [codes.EXCLUSION[c] for c in codes.EXCLUSION if c not in checked]
        if unchecked:
            raise ValidationError({"step": "不能在档：以下排除情形尚未核查（请在“修改档案”中填写核查来源）：" + "、".join(unchecked)})
        result = assess_household(session, household, done_on)
        if not result.may_file:
            raise ValidationError({"step": "不能在档：" + "；".join(result.problems + result.excluded_by) if (result.problems or result.excluded_by) else "不能在档：不符合任何困难类别，只能保存为申请中。"})
        audit.update(session, actor, household, {
            "status": "active", "filed_on": done_on, "category": result.category, "category_rule_set": result.rule_set,
            "category_assessed_on": done_on, "category_explanation": result.explanation(),
        }, expected_version=expected_version, reason="建档：在档")
        session.add(StatusChange(household_id=household.id, from_status="applying", to_status="active", effective_on=done_on,
                                 note=note, recorded_by=actor.username, recorded_at=audit.now()))
    touch_file(session, actor, household)
    session.add(ProcessStep(household_id=household.id, step=step, done_on=done_on, done_by=actor.display_name, note=note))
    audit.record(session, actor, "create", "process_step", household.id, field=step, new=done_on, reason=note,
                 household_id=household.id)
    session.flush()


CLOSE_TO = ("exited", "relieved", "withdrawn")


def close_household(
    session: Session, actor: Actor, household_id: int, *, expected_version: int, to_status: str, effective_on: dt.date | None,
    reason: str | None = None, note: str | None = None, today: dt.date | None = None,
) -> None:
    """Close a file as 脱困 / 解困 / 退出 (with a reason), with its date; the history keeps everything."""
    today = today or dt.date.today()
    household = get_household(session, actor, household_id=household_id)
    require_org(session, actor, household.org_id, write=True)
    errors = {}
    note = field_text(note, "status_change.note", errors, "note") or None
    if household.status == "applying" and to_status == "withdrawn":
        pass  # an application that is turned down is closed as 退出 (识别不准/不符合)
    elif household.status != "active":
        errors["to_status"] = f"只有“在档”的档案可以关闭为脱困或解困，此档案为“{codes.HOUSEHOLD_STATUS[household.status]}”"
    if to_status not in CLOSE_TO:
        errors["to_status"] = "请选择脱困、解困或退出"
    if to_status == "withdrawn" and reason not in codes.WITHDRAW_REASON:
        errors["reason"] = "退出须选择原因：死亡、识别不准/不符合、调离/退休或其他"
    if to_status == "withdrawn" and reason == "other" and not (note or "").strip():
        errors["note"] = "退出原因为“其他”时，请在说明中写明"
    if effective_on is None:
        errors["effective_on"] = "请填写日期"
    elif effective_on > today:
        errors["effective_on"] = "日期不能晚于今天"
    else:
        last_change = session.scalar(select(func.max(StatusChange.effective_on)).where(StatusChange.household_id == household.id))
        if last_change and effective_on < last_change:
            errors["effective_on"] = f"日期不能早于上一次状态变更的日期 {last_change:%Y-%m-%d}"
    if not errors and to_status in ("exited", "relieved") and not (note or "").strip():
        proposal = _engine_proposal(session, actor, household, effective_on)
        wanted = "exit" if to_status == "exited" else "relief"
        if proposal != wanted:
            errors["note"] = (f"系统按截至上月的数据评估，该户尚不符合{codes.HOUSEHOLD_STATUS[to_status][1:]}条件；"
                              "如确需关闭，请在说明中写明理由（将记入档案和操作日志）")
    if errors:
        raise ValidationError(errors)
    _change_status(session, actor, household, expected_version, to_status, effective_on,
                   reason if to_status == "withdrawn" else None, note, "close")
    if to_status in ("exited", "withdrawn"):  # 解困 keeps its 常态化帮扶 (and the payments under it)
        from db.measures import stop_future_payments

        stop_future_payments(session, actor, household.id, effective_on,
                             f"档案{codes.HOUSEHOLD_STATUS[to_status]}，停止 {effective_on:%Y-%m-%d} 以后的计划发放")
    if to_status == "withdrawn":  # a 脱困/解困 file keeps its helper for the 回访; a withdrawn one leaves the caseload
        for pairing in session.scalars(select(Pairing).where(Pairing.household_id == household.id, Pairing.end_on.is_(None))):
            audit.update(session, actor, pairing, {"end_on": effective_on}, expected_version=None, reason="档案退出，结对结束")


def _engine_proposal(session: Session, actor: Actor, household: Household, on: dt.date) -> str:
    """What the status engine proposes for this file, judged on the last complete month before `on`."""
    from db.evaluation import evaluate_files

    as_of = on.replace(day=1) - dt.timedelta(days=1)
    result = evaluate_files(session, actor, as_of)
    row = result[result["household_id"] == household.id]
    return "" if row.empty else str(row["suggestion"].iloc[0])


def reopen_household(
    session: Session, actor: Actor, household_id: int, *, expected_version: int, effective_on: dt.date | None,
    note: str | None, today: dt.date | None = None,
) -> None:
    """返困: a closed file becomes 在档 again, with the reason; its history stays."""
    today = today or dt.date.today()
    household = get_household(session, actor, household_id=household_id)
    require_org(session, actor, household.org_id, write=True)
    errors = {}
    note = field_text(note, "status_change.note", errors, "note") or None
    if household.status not in CLOSE_TO:
        errors["effective_on"] = "只有已关闭（脱困、解困或退出）的档案可以返困"
    last_close = session.scalar(select(func.max(StatusChange.effective_on)).where(StatusChange.household_id == household.id))
    if effective_on is None:
        errors["effective_on"] = "请填写返困日期"
    elif effective_on > today:
        errors["effective_on"] = "日期不能晚于今天"
    elif last_close and effective_on < last_close:
        errors["effective_on"] = f"返困日期不能早于关闭日期 {last_close:%Y-%m-%d}"
    if not (note or "").strip():
        errors["note"] = "请写明返困原因"
    if errors:
        raise ValidationError(errors)
    # the people of this file may have been filed elsewhere since it closed: one open file per ID number
    _refuse_duplicates(session, actor, [household.id_number] + [m.id_number for m in household.members if m.id_number], household.id)
    _change_status(session, actor, household, expected_version, "active", effective_on, "reopened", note, "reopen")


def _change_status(session, actor, household, expected_version, to_status, effective_on, reason, note, action) -> None:
    from_status = household.status
    audit.update(session, actor, household, {"status": to_status}, expected_version=expected_version,
                 reason=(codes.STATUS_REASON.get(reason, "") + (f"：{note}" if note else "")) or None)
    touch_file(session, actor, household)
    session.add(StatusChange(household_id=household.id, from_status=from_status, to_status=to_status, effective_on=effective_on,
                             reason=reason, note=note, recorded_by=actor.username, recorded_at=audit.now()))
    audit.record(session, actor, action, "household", household.id, household_id=household.id, field="status",
                 old=codes.HOUSEHOLD_STATUS[from_status],
                 new=codes.HOUSEHOLD_STATUS[to_status], reason=note)
    session.flush()


def status_history(session: Session, actor: Actor, household_id: int) -> list[StatusChange]:
    """The file's status changes, oldest first; a file outside the actor's scope reads as not found."""
    get_household(session, actor, household_id=household_id)
    return list(session.scalars(select(StatusChange).where(StatusChange.household_id == household_id).order_by(StatusChange.effective_on, StatusChange.id)))

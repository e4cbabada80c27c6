"""政策模拟方案 in the store: saved, listed, opened by link, copied, renamed, deleted — and adopted by an administrator.

Who: administrators and analysts (政策分析) author scenarios; staff may open one by its hash (a shared link — the
scenario holds no personal data; the comparison's files are scoped by db/policy_lab.py); viewers nothing. An analyst's
list holds their own scenarios, an administrator's every one. Only the author renames; the author or an administrator
deletes. The content is immutable and is the id (core.scenario.content_hash): a changed set is a new scenario, and a
set equal to a saved one is refused with that one's name. A scenario never changes the real parameters; adopting one
writes its resolved tables through the parameter grid's own path (db/params.py), in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import scenario
from core.scenario import Override, ScenarioInvalid
from core.typed import echo, field_text
from db import audit, params
from db.actor import Actor
from db.errors import NotFound, OutOfScope, ValidationError, violates
from db.models import AuditLog, Place, PolicyScenario
from db.policy_lab import AUTHOR_ROLES, baseline_tables, require_lab
from db.scope import require_admin

NAME_FIELD = "policy_scenario.name"
HASH = re.compile(r"^[0-9a-f]{16}$")


def _require_author(actor: Actor) -> None:
    if actor.role not in AUTHOR_ROLES:
        raise OutOfScope("只有管理员和政策分析人员可以保存政策模拟方案")
    if actor.user_id is None or actor.org_id is None:
        raise OutOfScope("政策模拟方案须由登录的用户保存")


def _districts(session: Session) -> dict[str, str]:
    return {p.code: p.name for p in session.scalars(select(Place).where(Place.kind != "city"))}


def _parsed(overrides: Any) -> tuple[Override, ...]:
    """Overrides as the screen hands them (Override objects, the stored list of dicts, or its JSON)."""
    if isinstance(overrides, (list, tuple)) and all(isinstance(o, Override) for o in overrides):
        return tuple(overrides)
    return scenario.parse(overrides)


def _checked(session: Session, overrides: tuple[Override, ...], today: dt.date) -> None:
    scenario.validate(overrides, baseline_tables(session), _districts(session), today)


def _same_as(existing: PolicyScenario) -> str:
    return f"与已有方案“{echo(existing.name, 60)}”（编号 {existing.hash}）的内容相同，请直接打开该方案，或修改调整后再保存"


def _new(session: Session, actor: Actor, name: Any, overrides: Any, today: dt.date | None, reason: str | None) -> PolicyScenario:
    _require_author(actor)
    errors: dict[str, str] = {}
    name = field_text(name, NAME_FIELD, errors, "name", required="请填写方案名称")
    parsed: tuple[Override, ...] = ()
    try:
        parsed = _parsed(overrides)
        if not parsed:
            errors["overrides"] = "方案至少要有一项调整"
        else:
            _checked(session, parsed, today or dt.date.today())
    except ScenarioInvalid as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    digest = scenario.content_hash(parsed)
    existing = session.scalar(select(PolicyScenario).where(PolicyScenario.hash == digest))
    if existing is not None:
        raise ValidationError({"overrides": _same_as(existing)})
    row = PolicyScenario(hash=digest, name=name, author_id=actor.user_id, org_id=actor.org_id,
                         overrides=scenario.to_json(parsed))
    try:
        audit.create(session, actor, row, reason=reason)
    except IntegrityError as exc:  # the same set saved by someone else at the same moment
        if violates(exc, "uq_policy_scenario_hash", "policy_scenario.hash"):
            raise ValidationError({"overrides": "相同内容的方案刚刚已被他人保存，请刷新方案列表后打开该方案"}) from None
        raise
    return row


def create(session: Session, actor: Actor, name: Any, overrides: Any, *, today: dt.date | None = None) -> PolicyScenario:
    """Save a new scenario (validated as a whole against today's baseline); refused when an equal one exists."""
    return _new(session, actor, name, overrides, today, None)


def list_for(session: Session, actor: Actor) -> list[PolicyScenario]:
    """The scenarios this actor may pick from: an analyst's own, every one for an administrator, none for staff (who
    only open a link they were given). Newest first."""
    require_lab(actor)
    if actor.role not in AUTHOR_ROLES:
        return []
    stmt = select(PolicyScenario).order_by(PolicyScenario.created_at.desc(), PolicyScenario.id.desc())
    if actor.role != "admin":
        stmt = stmt.where(PolicyScenario.author_id == actor.user_id)
    return list(session.scalars(stmt))


def get(session: Session, actor: Actor, hash: str) -> PolicyScenario:
    """A scenario opened by its hash (a link), for any role of the lab."""
    require_lab(actor)
    text = str(hash or "").strip().lower()
    row = session.scalar(select(PolicyScenario).where(PolicyScenario.hash == text)) if HASH.match(text) else None
    if row is None:
        raise NotFound(f"没有找到编号为“{echo(hash, 20)}”的政策模拟方案（可能已被删除），请检查链接")
    return row


def rename(session: Session, actor: Actor, hash: str, name: Any, expected_version: int) -> PolicyScenario:
    """A new name for one's own scenario (its content and id stay)."""
    _require_author(actor)
    row = get(session, actor, hash)
    if row.author_id != actor.user_id:
        raise OutOfScope("只有方案的作者可以修改方案名称")
    errors: dict[str, str] = {}
    name = field_text(name, NAME_FIELD, errors, "name", required="请填写方案名称")
    if errors:
        raise ValidationError(errors)
    audit.update(session, actor, row, {"name": name}, expected_version=expected_version, reason="修改政策模拟方案名称")
    return row


def delete(session: Session, actor: Actor, hash: str, expected_version: int) -> None:
    """Delete a scenario: its author, or an administrator. Links to it then say it was deleted."""
    require_lab(actor)
    row = get(session, actor, hash)
    if row.author_id != actor.user_id and actor.role != "admin":
        raise OutOfScope("只有方案的作者或管理员可以删除方案")
    audit.delete(session, actor, row, expected_version=expected_version, reason=f"删除政策模拟方案“{row.name}”")


def copy(session: Session, actor: Actor, hash: str, name: Any, overrides: Any, *, today: dt.date | None = None) -> PolicyScenario:
    """A new scenario of one's own from an existing one's overrides (usually changed: the same set is refused, naming
    the scenario that holds it)."""
    _require_author(actor)
    source = get(session, actor, hash)
    return _new(session, actor, name, overrides, today, f"复制自方案“{source.name}”（{source.hash}）")


def adopt(session: Session, actor: Actor, hash: str, today: dt.date) -> tuple[dict[str, int], list[params.Affected]]:
    """Make a scenario the real policy (administrators): its resolved lines and parameters are written through
    db.params.save_lines / save_parameters, in the caller's transaction (any refusal raises before it commits: all or
    nothing). Returns the grids' counts added up, and the confirmed exits and reliefs a change into the past could
    affect (never rewritten)."""
    require_admin(actor, "采纳政策模拟方案")
    row = get(session, actor, hash)
    when = adopted_on(session, row.hash)
    if when is not None:  # a ×1.2 adopted twice would be ×1.44
        raise ValidationError({"overrides": f"方案“{echo(row.name, 60)}”已于 {when:%Y-%m-%d %H:%M} 采用，不能重复采用；"
                                            "如需再调整，请在当前正式参数上新建方案"})
    overrides = scenario.parse(row.overrides)
    baseline = baseline_tables(session)
    try:
        scenario.validate(overrides, baseline, _districts(session), today)  # the baseline may have moved since it was saved
    except ScenarioInvalid as exc:
        raise ValidationError(exc.errors) from None
    resolved = scenario.resolve(baseline, overrides)
    note = f"采纳政策模拟方案“{row.name}”（{row.hash}）"
    line_grid, parameter_grid = params.grids_for(session, resolved, note)
    parameter_counts, parameter_affected = params.save_parameters(session, actor, parameter_grid, today=today)
    line_counts, line_affected = params.save_lines(session, actor, line_grid, today=today)
    counts = {k: line_counts[k] + parameter_counts[k] for k in line_counts}
    audit.record(session, actor, "adopt", "policy_scenario", row.hash, new=json.dumps(
        {"低保标准": line_counts, "政策参数": parameter_counts}, ensure_ascii=False), reason=note)
    audit.bump_data_version(session)
    affected = sorted(set(line_affected) | set(parameter_affected), key=lambda a: (a.effective_on, a.file_no, a.status))
    return counts, affected


def adopted_on(session: Session, hash: str) -> dt.datetime | None:
    """When a scenario was adopted (its audit row), or None."""
    return session.scalar(select(AuditLog.at).where(AuditLog.action == "adopt", AuditLog.entity == "policy_scenario",
                                                    AuditLog.entity_id == hash).order_by(AuditLog.at).limit(1))

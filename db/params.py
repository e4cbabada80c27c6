"""Dated policy parameters in the store: the 低保 lines and the other parameters, edited as grids by admins.

A grid is saved all or nothing. Each row keeps the version it was loaded with (a row changed by someone
else meanwhile is refused). Two rows for the same district (or parameter) on the same date would
overlap and are refused. A change that reaches into the past is reported with the exits and reliefs
already confirmed since that date which it could have affected — they are never rewritten.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.money import InvalidAmount, yuan_to_fen
from core.scenario import DatedTables
from core.typed import field_text
from core.parameters import SPEC_BY_KEY, InvalidParameter, parse_value
from db import audit
from db.actor import Actor
from db.errors import Conflict, ValidationError
from db.models import DibaoLine, Household, Place, PolicyParameter, StatusChange
from db.scope import require_admin

EARLIEST = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class Affected:
    file_no: str
    place_name: str
    status: str
    effective_on: dt.date


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == ""


def _date(value: Any) -> dt.date | None:
    if _blank(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _note(value: Any, field: str, where: str, errors: dict[str, str]) -> str | None:
    """A grid cell's text, trimmed (None when empty); too long or with a control character: a message for the row."""
    return None if _blank(value) else field_text(value, field, errors, where, prefix=f"{where}：") or None


def _int(value: Any) -> int | None:
    return None if _blank(value) else int(value)


def line_rows(session: Session) -> pd.DataFrame:
    rows = session.scalars(select(DibaoLine).order_by(DibaoLine.place_code, DibaoLine.effective_from)).all()
    return pd.DataFrame(
        [{"id": r.id, "version": r.version, "区县": r.place_code, "生效日期": r.effective_from, "标准(元)": r.amount_fen / 100,
          "依据": r.note or "", "示例数据": r.is_demo} for r in rows],
        columns=["id", "version", "区县", "生效日期", "标准(元)", "依据", "示例数据"],
    )


def parameter_rows(session: Session) -> pd.DataFrame:
    rows = session.scalars(select(PolicyParameter).order_by(PolicyParameter.key, PolicyParameter.effective_from)).all()
    return pd.DataFrame(
        [{"id": r.id, "version": r.version, "参数": r.key, "生效日期": r.effective_from, "取值": r.value, "说明": r.note or ""} for r in rows],
        columns=["id", "version", "参数", "生效日期", "取值", "说明"],
    )


def _affected(session: Session, since: dt.date | None, place_codes: set[str] | None, today: dt.date) -> list[Affected]:
    """Exits and reliefs confirmed on or after `since` (in these districts) — what a past change could touch."""
    if since is None or since > today:
        return []
    stmt = (select(Household.file_no, Place.name, StatusChange.to_status, StatusChange.effective_on)
            .join(Household, Household.id == StatusChange.household_id).join(Place, Place.code == Household.place_code)
            .where(StatusChange.to_status.in_(("exited", "relieved")), StatusChange.effective_on >= since)
            .order_by(StatusChange.effective_on))
    if place_codes is not None:
        stmt = stmt.where(Household.place_code.in_(place_codes))
    return [Affected(*row) for row in session.execute(stmt).all()]


def save_lines(session: Session, actor: Actor, edited: list[dict], *, today: dt.date | None = None) -> tuple[dict[str, int], list[Affected]]:
    """Apply an edited grid of lines (rows with an id are existing lines; rows without are new; missing ids are deleted)."""
    require_admin(actor, "修改政策参数和低保标准")
    today = today or dt.date.today()
    current = {r.id: r for r in session.scalars(select(DibaoLine))}
    places = {p.code: p.name for p in session.scalars(select(Place).where(Place.kind != "city"))}
    errors: dict[str, str] = {}
    clean = []
    for i, row in enumerate(edited, start=1):
        if all(_blank(row.get(k)) for k in ("区县", "生效日期", "标准(元)")):
            continue  # an empty row left in the grid
        where = f"第 {i} 行"
        place, day = row.get("区县"), _date(row.get("生效日期"))
        if place not in places:
            errors[where] = f"{where}：请选择区县"
            continue
        if day is None or not (EARLIEST <= day <= today.replace(year=today.year + 1)):
            errors[where] = f"{where}：生效日期应在 {EARLIEST:%Y-%m-%d} 至明年同日之间"
            continue
        try:
            fen = yuan_to_fen(row.get("标准(元)"))
            if fen <= 0:
                raise InvalidAmount("标准必须大于 0")
        except InvalidAmount as exc:
            errors[where] = f"{where}：标准{exc}"
            continue
        note = _note(row.get("依据"), "dibao_line.note", where, errors)
        if where in errors:
            continue
        clean.append((i, _int(row.get("id")), _int(row.get("version")), place, day, fen, note))
    seen: dict[tuple[str, dt.date], int] = {}
    for i, _id, _v, place, day, *_ in clean:
        if (place, day) in seen:
            errors[f"第 {i} 行"] = f"第 {i} 行：{places[place]} 在 {day:%Y-%m-%d} 已有一条标准（第 {seen[(place, day)]} 行），同一区县同一生效日期只能有一条"
        seen[(place, day)] = i
    for i, line_id, version, *_ in clean:
        if line_id is not None and (line_id not in current or current[line_id].version != version):
            raise Conflict("低保标准已被他人修改，请点击“刷新”后重新编辑。")
    if errors:
        raise ValidationError(errors)

    counts = {"新增": 0, "修改": 0, "删除": 0}
    touched_since: dt.date | None = None
    touched_places: set[str] = set()

    def touch(place: str, day: dt.date) -> None:
        nonlocal touched_since
        touched_places.add(place)
        touched_since = day if touched_since is None else min(touched_since, day)

    kept = {line_id for _i, line_id, *_ in clean if line_id is not None}
    for line_id, row in current.items():  # deletions first: a row may take over the date of a deleted one
        if line_id not in kept:
            audit.record(session, actor, "delete", "dibao_line", line_id,
                         old=f"{places.get(row.place_code, row.place_code)} {row.effective_from:%Y-%m-%d} {row.amount_fen / 100:.2f}")
            touch(row.place_code, row.effective_from)
            session.delete(row)
            counts["删除"] += 1
    session.flush()
    for _i, line_id, _version, place, day, fen, note in clean:
        if line_id is None:
            audit.create(session, actor, DibaoLine(place_code=place, effective_from=day, amount_fen=fen, is_demo=False, note=note))
            counts["新增"] += 1
            touch(place, day)
            continue
        row = current[line_id]
        before = (row.place_code, row.effective_from)
        changes = {"place_code": place, "effective_from": day, "amount_fen": fen, "note": note}
        if (row.amount_fen, row.place_code, row.effective_from) != (fen, place, day):
            changes["is_demo"] = False  # an administrator's figure is not invented demo data any more
        if audit.update(session, actor, row, changes, expected_version=row.version, reason="修改低保标准"):
            counts["修改"] += 1
            touch(*before)
            touch(place, day)
    session.flush()
    if counts["删除"]:
        audit.bump_data_version(session)
    return counts, _affected(session, touched_since, touched_places, today)


def save_parameters(session: Session, actor: Actor, edited: list[dict], *, today: dt.date | None = None) -> tuple[dict[str, int], list[Affected]]:
    """Apply an edited grid of dated parameters; every key keeps a value from its first date on."""
    require_admin(actor, "修改政策参数和低保标准")
    today = today or dt.date.today()
    current = {r.id: r for r in session.scalars(select(PolicyParameter))}
    errors: dict[str, str] = {}
    clean = []
    for i, row in enumerate(edited, start=1):
        if all(_blank(row.get(k)) for k in ("参数", "生效日期", "取值")):
            continue
        where = f"第 {i} 行"
        key, day = row.get("参数"), _date(row.get("生效日期"))
        value = _note(row.get("取值"), "policy_parameter.value", where, errors) or ""
        note = _note(row.get("说明"), "policy_parameter.note", where, errors)
        if where in errors:
            continue
        if key not in SPEC_BY_KEY:
            errors[where] = f"{where}：请选择参数"
            continue
        if day is None or day < EARLIEST:
            errors[where] = f"{where}：生效日期应不早于 {EARLIEST:%Y-%m-%d}"
            continue
        try:
            parse_value(key, value)
        except InvalidParameter as exc:
            errors[where] = f"{where}：{exc}"
            continue
        clean.append((i, _int(row.get("id")), _int(row.get("version")), key, day, value, note))
    seen: dict[tuple[str, dt.date], int] = {}
    for i, _id, _v, key, day, *_ in clean:
        if (key, day) in seen:
            errors[f"第 {i} 行"] = f"第 {i} 行：“{SPEC_BY_KEY[key].label}”在 {day:%Y-%m-%d} 已有取值（第 {seen[(key, day)]} 行），同一参数同一生效日期只能有一个"
        seen[(key, day)] = i
    for key, spec in SPEC_BY_KEY.items():
        if not any(k == key for _i, _id, _v, k, *_ in clean):
            errors[key] = f"“{spec.label}”至少要保留一条取值"
    for i, row_id, version, *_ in clean:
        if row_id is not None and (row_id not in current or current[row_id].version != version):
            raise Conflict("政策参数已被他人修改，请点击“刷新”后重新编辑。")
    if errors:
        raise ValidationError(errors)

    counts = {"新增": 0, "修改": 0, "删除": 0}
    since: dt.date | None = None
    kept = {row_id for _i, row_id, *_ in clean if row_id is not None}
    for row_id, row in current.items():  # deletions first
        if row_id not in kept:
            audit.record(session, actor, "delete", "policy_parameter", row_id, old=f"{row.key} {row.effective_from:%Y-%m-%d} {row.value}")
            since = row.effective_from if since is None else min(since, row.effective_from)
            session.delete(row)
            counts["删除"] += 1
    session.flush()
    for _i, row_id, _version, key, day, value, note in clean:
        if row_id is None:
            audit.create(session, actor, PolicyParameter(key=key, effective_from=day, value=value, note=note))
            counts["新增"] += 1
            since = day if since is None else min(since, day)
            continue
        row = current[row_id]
        old_day = row.effective_from
        if audit.update(session, actor, row, {"key": key, "effective_from": day, "value": value, "note": note},
                        expected_version=row.version, reason="修改政策参数"):
            counts["修改"] += 1
            since = min(d for d in (since, old_day, day) if d is not None)
    session.flush()
    if counts["删除"]:
        audit.bump_data_version(session)
    return counts, _affected(session, since, None, today)


# --- dated tables as grids: how an adopted scenario goes through the same path --------------------------------------


def _yuan_text(fen: int) -> str:
    sign, fen = ("-" if fen < 0 else ""), abs(int(fen))
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def grids_for(session: Session, tables: DatedTables, note: str) -> tuple[list[dict], list[dict]]:
    """The edited grids (lines, parameters) that turn the store's rows into `tables`, as an administrator would hand
    them to save_lines and save_parameters: a row whose district (or key) and date stay keeps its id and version (and
    its note while its value stays); a changed or new row carries `note`; a stored row not in `tables` is left out, so
    it is deleted."""
    stored_lines = {(r["区县"], r["生效日期"]): r for r in line_rows(session).to_dict("records")}
    lines = []
    for place, day, fen in zip(tables.lines["place_code"], tables.lines["effective_from"], tables.lines["amount_fen"]):
        day = _date(day)
        row = stored_lines.get((place, day))
        same = row is not None and yuan_to_fen(str(row["标准(元)"])) == int(fen)
        lines.append({"id": row["id"] if row else None, "version": row["version"] if row else None, "区县": place,
                      "生效日期": day, "标准(元)": _yuan_text(int(fen)), "依据": row["依据"] if same else note})
    stored_params = {(r["参数"], r["生效日期"]): r for r in parameter_rows(session).to_dict("records")}
    parameters = []
    for key, rows in tables.params.items():
        for day, value in rows:
            row = stored_params.get((key, day))
            same = row is not None and row["取值"] == value
            parameters.append({"id": row["id"] if row else None, "version": row["version"] if row else None, "参数": key,
                               "生效日期": day, "取值": value, "说明": row["说明"] if same else note})
    return lines, parameters

"""Dated policy parameters in the store: the 低保 lines (entered by an administrator)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.money import InvalidAmount, yuan_to_fen
from db import audit
from db.actor import Actor
from db.errors import OutOfScope, ValidationError
from db.models import DibaoLine, Place

EARLIEST = dt.date(2000, 1, 1)


def add_dibao_line(
    session: Session, actor: Actor, *, place_code: str | None, effective_from: dt.date | None, amount: str,
    note: str | None = None, today: dt.date | None = None,
) -> DibaoLine:
    """A district's 低保 line from a date on. Real lines are official figures: never marked as demo."""
    if actor.role != "admin":
        raise OutOfScope("只有管理员可以录入低保标准")
    today = today or dt.date.today()
    errors = {}
    place = session.get(Place, place_code) if place_code else None
    if place is None or place.kind == "city":
        errors["place_code"] = "请选择区县"
    if effective_from is None:
        errors["effective_from"] = "请填写生效日期"
    elif not (EARLIEST <= effective_from <= today.replace(year=today.year + 1)):
        errors["effective_from"] = f"生效日期应在 {EARLIEST:%Y-%m-%d} 至明年同日之间"
    elif place is not None and session.scalar(
        select(DibaoLine.id).where(DibaoLine.place_code == place.code, DibaoLine.effective_from == effective_from)
    ):
        errors["effective_from"] = f"{place.name} 在 {effective_from:%Y-%m-%d} 已有一条标准；如需更正，请联系系统管理员"
    try:
        fen = yuan_to_fen(amount)
        if fen <= 0:
            errors["amount"] = "标准必须大于 0"
    except InvalidAmount as exc:
        errors["amount"] = f"标准{exc}"
    if errors:
        raise ValidationError(errors)
    line = DibaoLine(place_code=place.code, effective_from=effective_from, amount_fen=fen, is_demo=False, note=(note or "").strip() or None)
    audit.create(session, actor, line)
    return line

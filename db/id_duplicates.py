"""One person in more than one open file, found by the normal form of every stored 身份证号.

The app refuses a second open file for a number, but numbers stored before normalisation (full-width digits,
spaces) could hide one; migration 0008 reports those it reveals in the audit log and never merges them. This
listing finds them at any time (`manage.py id-duplicates`); a person resolves each pair (退出 识别不准, or a
corrected number).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import codes
from core.identity import id_number_key
from db.actor import Actor
from db.models import Household, Member, Place
from db.scope import org_filter, require_personal_data

OPEN = ("applying", "active")


def open_id_duplicates(session: Session, actor: Actor) -> list[dict]:
    """Rows (身份证号, 档案编号, 户主姓名, 区县, 身份, 状态, 存储形式), grouped by number, for every number held by
    two or more open files in the actor's scope."""
    require_personal_data(actor, "重复身份证号的档案")
    base = select(Household.file_no, Household.name, Place.name, Household.status).join(Place, Place.code == Household.place_code)
    heads = session.execute(org_filter(base.add_columns(Household.id_number, Household.name)
                                       .where(Household.status.in_(OPEN)), actor)).all()
    members = session.execute(org_filter(base.add_columns(Member.id_number, Member.name).join(Member, Member.household_id == Household.id)
                                         .where(Household.status.in_(OPEN), Member.id_number.is_not(None)), actor)).all()
    holders: dict[str, list[dict]] = defaultdict(list)
    for role, rows in (("户主", heads), ("家庭成员", members)):
        for file_no, head_name, place, status, stored, person in rows:
            holders[id_number_key(stored)].append({
                "身份证号": id_number_key(stored), "档案编号": file_no, "户主姓名": head_name, "区县": place,
                "身份": role if role == "户主" else f"家庭成员（{person}）", "状态": codes.HOUSEHOLD_STATUS.get(status, status),
                "存储形式": stored})
    return [row for number, rows in sorted(holders.items()) if len({r["档案编号"] for r in rows}) > 1
            for row in sorted(rows, key=lambda r: r["档案编号"])]

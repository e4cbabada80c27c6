"""Data scope (分级负责): a user sees and edits only their organisation's subtree.

Every query of scoped rows goes through `org_filter`; every write of a scoped row through
`require_org`. The UI hiding a page is not the boundary — this is.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from db.actor import Actor
from db.errors import OutOfScope
from db.models import Household, Org


def scope_orgs(actor: Actor) -> Select:
    """The ids of the organisations in the actor's subtree, as a subquery."""
    return select(Org.id).where(Org.path.startswith(actor.org_path))


def org_filter(stmt: Select, actor: Actor, org_column=Household.org_id) -> Select:
    if actor.sees_everything:
        return stmt
    return stmt.where(org_column.in_(scope_orgs(actor)))


def in_scope(session: Session, actor: Actor, org_id: int) -> bool:
    if actor.sees_everything:
        return True
    path = session.scalar(select(Org.path).where(Org.id == org_id))
    return bool(path) and path.startswith(actor.org_path)


def require_admin(actor: Actor, what: str) -> None:
    """Only administrators (city-wide) may do `what`; the message says so in Chinese."""
    if actor.role != "admin":
        raise OutOfScope(f"只有管理员可以{what}")


def require_org(session: Session, actor: Actor, org_id: int, *, write: bool = False) -> None:
    if write and not actor.can_write_files:
        raise OutOfScope("您的角色只能查看，不能修改数据")
    if not in_scope(session, actor, org_id):
        raise OutOfScope("该档案不属于您所在工会的管辖范围")


PERSONAL_REFUSAL = "您的角色只能查看汇总数，不能查看{what}（其中有姓名、档案编号等个人信息）；如需查看，请联系业务人员"


def require_personal_data(actor: Actor, what: str) -> None:
    """Refuse a list of people (`what`, e.g. 发放明细) to a role that sees figures only; checked in the service, as the
    scope is, so no screen has to remember not to render it."""
    if not actor.sees_personal_data:
        raise OutOfScope(PERSONAL_REFUSAL.format(what=what))


def without_personal_data(frame: pd.DataFrame, actor: Actor, columns: tuple[str, ...]) -> pd.DataFrame:
    """The frame with `columns` (names, file numbers, helpers) emptied for a role that sees figures only; the rows stay,
    so every count and sum over them is the same as staff see."""
    if actor.sees_personal_data:
        return frame
    frame = frame.copy()
    for column in columns:
        if column in frame.columns:
            frame[column] = ""
    return frame

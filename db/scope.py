"""Data scope (分级负责): a user sees and edits only their organisation's subtree.

Every query of scoped rows goes through `org_filter`; every write of a scoped row through
`require_org`. The UI hiding a page is not the boundary — this is.
"""

from __future__ import annotations

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

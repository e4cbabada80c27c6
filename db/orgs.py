"""The union tree (市总 → 区县/产业工会 → 基层工会): add, rename, move place, deactivate."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.codes import ORG_KIND
from core.typed import field_text
from db import audit
from db.actor import Actor
from db.errors import NotFound, ValidationError
from db.models import Household, Org, Place, User
from db.reference import add_org
from db.scope import require_admin

# Which kind of union may sit under which.
CHILD_KINDS = {"city": ("district", "industry"), "district": ("grassroots",), "industry": ("grassroots",), "grassroots": ()}


def _check(session: Session, name: str, kind: str, parent: Org | None, place_code: str, own_id: int | None = None) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = field_text(name, "org.name", errors, "name")
    if not name and not errors:
        errors["name"] = "请填写工会名称"
    elif not errors and session.scalar(select(Org.id).where(Org.name == name.strip(), Org.id != (own_id or 0))) is not None:
        errors["name"] = f"已有名为“{name.strip()}”的工会"
    if parent is None or not parent.active:
        errors["parent_id"] = "请选择上级工会"
    elif kind not in CHILD_KINDS.get(parent.kind, ()):
        allowed = "、".join(ORG_KIND[k] for k in CHILD_KINDS.get(parent.kind, ())) or "无"
        errors["kind"] = f"{ORG_KIND[parent.kind]}下只能设立：{allowed}"
    place = session.get(Place, place_code) if place_code else None
    if place is None or place.kind == "city":
        errors["place_code"] = "请选择所在区县"
    elif parent is not None and parent.kind == "district" and place_code != parent.place_code:
        parent_place = session.get(Place, parent.place_code)
        errors["place_code"] = f"{parent.name}下的工会应在{parent_place.name}（所在区县须与上级区县工会一致）"
    return errors


def create_org(session: Session, actor: Actor, *, name: str, kind: str, parent_id: int | None, place_code: str) -> Org:
    require_admin(actor, "维护工会组织")
    parent = session.get(Org, parent_id) if parent_id else None
    errors = _check(session, name, kind, parent, place_code)
    if errors:
        raise ValidationError(errors)
    org = add_org(session, name.strip(), kind, parent, place_code)
    audit.record(session, actor, "create", "org", org.id, new=f"{org.name}（{ORG_KIND[kind]}，上级：{parent.name}）")
    audit.bump_data_version(session)
    return org


def update_org(session: Session, actor: Actor, org_id: int, *, expected_version: int, name: str, place_code: str, active: bool) -> list[str]:
    require_admin(actor, "维护工会组织")
    org = session.get(Org, org_id)
    if org is None:
        raise NotFound("工会不存在")
    if org.parent_id is None:
        parent = None
        errors = {}
        if not field_text(name, "org.name", errors, "name"):
            errors["name"] = "请填写工会名称"
        if not active:
            errors["active"] = "市总工会不能停用"
    else:
        parent = session.get(Org, org.parent_id)
        errors = _check(session, name, org.kind, parent, place_code, own_id=org.id)
    if not active and org.active:
        in_use = _in_use(session, org)
        if in_use:
            errors["active"] = f"该工会及其下级还有 {in_use}，不能停用；请先调整"
    if errors:
        raise ValidationError(errors)
    return audit.update(session, actor, org, {"name": name.strip(), "place_code": place_code, "active": active}, expected_version=expected_version)


def _in_use(session: Session, org: Org) -> str:
    subtree = select(Org.id).where(Org.path.startswith(org.path))
    files = session.scalar(select(func.count()).select_from(Household).where(Household.org_id.in_(subtree), Household.status.in_(("applying", "active")))) or 0
    people = session.scalar(select(func.count()).select_from(User).where(User.org_id.in_(subtree), User.active)) or 0
    children = session.scalar(select(func.count()).select_from(Org).where(Org.parent_id == org.id, Org.active)) or 0
    parts = [f"{files} 户未关闭的档案" if files else "", f"{people} 个启用的用户" if people else "", f"{children} 个启用的下级工会" if children else ""]
    return "、".join(p for p in parts if p)


def org_tree(session: Session) -> list[Org]:
    orgs = list(session.scalars(select(Org)))
    orgs.sort(key=lambda o: [int(part) for part in o.path.strip("/").split("/")])
    return orgs

"""The union tree: new unions get their subtree path, wrong kinds and in-use deactivations are refused."""

import pytest
from sqlalchemy import select

from db import orgs, users
from db.actor import system_actor
from db.engine import reading, transaction
from db.errors import OutOfScope, ValidationError
from db.models import AuditLog, Household, Org

ADMIN = system_actor("test")


def _org(s, name):
    return s.scalar(select(Org).where(Org.name == name))


def test_a_grassroots_union_sits_in_its_districts_subtree(db_engine):
    with transaction(db_engine) as s:
        hg = _org(s, "海港区总工会")
        street = orgs.create_org(s, ADMIN, name="海港区文化路街道工会", kind="grassroots", parent_id=hg.id, place_code="130302")
        assert street.path == f"{hg.path}{street.id}/"
    with reading(db_engine) as s:
        assert s.scalar(select(AuditLog).where(AuditLog.entity == "org")).new_value.startswith("海港区文化路街道工会")


@pytest.mark.parametrize(
    "parent,kind,name,field",
    [("海港区总工会", "district", "某区县工会", "kind"), ("秦皇岛市总工会", "grassroots", "某基层工会", "kind"),
     ("海港区总工会", "grassroots", "昌黎县总工会", "name"), ("海港区总工会", "grassroots", "  ", "name"),
     ("海港区总工会", "grassroots", "海港区某工会", "place_code")],
)
def test_misplaced_or_duplicate_unions_are_refused(db_engine, parent, kind, name, field):
    place = "130322" if field == "place_code" else "130302"  # a 海港区 union placed in 昌黎县
    with transaction(db_engine) as s:
        with pytest.raises(ValidationError) as err:
            orgs.create_org(s, ADMIN, name=name, kind=kind, parent_id=_org(s, parent).id, place_code=place)
    assert field in err.value.errors


def test_a_union_with_open_files_or_users_cannot_be_deactivated(db_engine):
    with transaction(db_engine) as s:
        cl = _org(s, "昌黎县总工会")
        s.add(Household(file_no="CL-9", org_id=cl.id, place_code=cl.place_code, status="active", name="张", id_number="x"))
        users.create_user(s, ADMIN, username="cl01", display_name="昌黎", password="changli-pass", role="staff", org_id=cl.id)
    with transaction(db_engine) as s:
        cl = _org(s, "昌黎县总工会")
        with pytest.raises(ValidationError, match="还有 1 户未关闭的档案、1 个启用的用户"):
            orgs.update_org(s, ADMIN, cl.id, expected_version=cl.version, name=cl.name, place_code=cl.place_code, active=False)


def test_only_admins_change_the_tree(db_engine):
    with transaction(db_engine) as s:
        hg = _org(s, "海港区总工会")
        users.create_user(s, ADMIN, username="hg01", display_name="海港", password="haigang-pass", role="staff", org_id=hg.id)
    with transaction(db_engine) as s:
        actor = users.actor_for(s, "hg01")
        with pytest.raises(OutOfScope):
            orgs.create_org(s, actor, name="x工会", kind="grassroots", parent_id=hg.id, place_code="130302")

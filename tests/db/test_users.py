"""Users and first-run setup, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import select

from db.actor import system_actor
from db.engine import reading, transaction
from db.errors import Conflict, OutOfScope, ValidationError
from db.models import AuditLog, Org, User
from db import users


def _admin(engine):
    with transaction(engine) as s:
        users.create_first_admin(s, username="Admin", display_name="管理员", password="s3cret-pass", password_repeat="s3cret-pass")
    with reading(engine) as s:
        return users.actor_for(s, "admin")


def _district_org(session, name="海港区总工会"):
    return session.scalar(select(Org).where(Org.name == name))


def test_first_admin_is_created_once_lowercased_and_audited(db_engine):
    admin = _admin(db_engine)
    assert admin.role == "admin" and admin.username == "admin" and admin.sees_everything
    with transaction(db_engine) as s:
        with pytest.raises(OutOfScope):
            users.create_first_admin(s, username="other", display_name="x", password="another-pass", password_repeat="another-pass")
    with reading(db_engine) as s:
        row = s.scalar(select(AuditLog).where(AuditLog.entity == "app_user"))
        assert row.actor == "system:setup" and row.action == "create"
        stored_hash = s.scalar(select(User.password_hash))
        assert stored_hash[7:] not in (row.new_value or "") and "password_hash" not in (row.new_value or "")
        creds = users.credentials(s)
        assert list(creds["usernames"]) == ["admin"]
        assert creds["usernames"]["admin"]["password"].startswith("$2")


@pytest.mark.parametrize(
    "password,repeat,field",
    [
        ("short", "short", "password"),
        ("a" * 73, "a" * 73, "password"),
        ("密码" * 13, "密码" * 13, "password"),  # 78 bytes in UTF-8
        (" leading-space", " leading-space", "password"),
        ("long-enough", "long-enougH", "password_repeat"),
    ],
)
def test_bad_passwords_are_refused_with_a_message(db_engine, password, repeat, field):
    admin = _admin(db_engine)
    with transaction(db_engine) as s:
        with pytest.raises(ValidationError) as err:
            users.create_user(s, admin, username="staff1", display_name="张三", password=password,
                              password_repeat=repeat, role="staff", org_id=_district_org(s).id)
    assert field in err.value.errors
    with reading(db_engine) as s:
        assert s.scalar(select(User).where(User.username == "staff1")) is None


def test_staff_scope_and_admin_must_be_city(db_engine):
    admin = _admin(db_engine)
    with transaction(db_engine) as s:
        org = _district_org(s)
        users.create_user(s, admin, username="haigang", display_name="李四", password="haigang-pass",
                          role="staff", org_id=org.id)
        with pytest.raises(ValidationError) as err:
            users.create_user(s, admin, username="badadmin", display_name="王五", password="badadmin-pass",
                              role="admin", org_id=org.id)
        assert "org_id" in err.value.errors
    with reading(db_engine) as s:
        staff = users.actor_for(s, "haigang")
        assert staff.org_path == org.path and not staff.sees_everything
        with pytest.raises(OutOfScope):
            users.list_users(s, staff)


def test_deactivated_user_loses_login_and_last_admin_is_kept(db_engine):
    admin = _admin(db_engine)
    with transaction(db_engine) as s:
        u = users.create_user(s, admin, username="leaver", display_name="赵六", password="leaver-pass",
                              role="viewer", org_id=_district_org(s).id)
        uid, version = u.id, u.version
    with transaction(db_engine) as s:
        users.update_user(s, admin, uid, expected_version=version, display_name="赵六", role="viewer",
                          org_id=u.org_id, active=False)
    with reading(db_engine) as s:
        assert users.actor_for(s, "leaver") is None
        assert "leaver" not in users.credentials(s)["usernames"]
        me = s.scalar(select(User).where(User.username == "admin"))
    with transaction(db_engine) as s:
        with pytest.raises(ValidationError):
            users.update_user(s, admin, me.id, expected_version=me.version, display_name="管理员", role="staff",
                              org_id=me.org_id, active=True)


def test_second_save_on_a_stale_version_is_refused(db_engine):
    admin = _admin(db_engine)
    with transaction(db_engine) as s:
        u = users.create_user(s, admin, username="clerk", display_name="钱七", password="clerk-pass-1",
                              role="staff", org_id=_district_org(s).id)
        uid, v1, org_id = u.id, u.version, u.org_id
    with transaction(db_engine) as s:
        users.update_user(s, admin, uid, expected_version=v1, display_name="钱七七", role="staff", org_id=org_id, active=True)
    with transaction(db_engine) as s:
        with pytest.raises(Conflict):
            users.update_user(s, admin, uid, expected_version=v1, display_name="钱七八", role="staff", org_id=org_id, active=True)
    with reading(db_engine) as s:
        assert s.get(User, uid).display_name == "钱七七"
        fields = [r.field for r in s.scalars(select(AuditLog).where(AuditLog.entity == "app_user", AuditLog.action == "update"))]
        assert fields == ["display_name"]


def test_password_reset_changes_the_hash_and_audits_without_secrets(db_engine):
    admin = _admin(db_engine)
    with reading(db_engine) as s:
        me = s.scalar(select(User).where(User.username == "admin"))
    with transaction(db_engine) as s:
        users.reset_password(s, admin, me.id, expected_version=me.version, password="new-password-9", password_repeat="new-password-9")
    with reading(db_engine) as s:
        after = s.get(User, me.id)
        assert after.password_hash != me.password_hash
        row = s.scalar(select(AuditLog).where(AuditLog.field == "password_hash"))
        assert row.old_value == "***" and row.new_value == "***" and row.reason == "重置密码"


def test_system_actor_is_recorded_as_such():
    assert system_actor("demo").username == "system:demo"


def test_a_password_reset_voids_earlier_logins(db_engine):
    import datetime as dt

    admin = _admin(db_engine)
    before = dt.datetime.now() - dt.timedelta(seconds=5)
    with reading(db_engine) as s:
        me = s.scalar(select(User).where(User.username == "admin"))
        assert users.login_still_valid(s, "admin", before)  # never reset: any login stands
    with transaction(db_engine) as s:
        users.reset_password(s, admin, me.id, expected_version=me.version, password="fresh-password-1", password_repeat="fresh-password-1")
    with reading(db_engine) as s:
        assert not users.login_still_valid(s, "admin", before)
        assert not users.login_still_valid(s, "admin", None)  # a cookie of unknown age is not trusted
        assert users.login_still_valid(s, "admin", dt.datetime.now() + dt.timedelta(seconds=1))


def test_five_failed_logins_lock_the_username_for_a_while(db_engine):
    _admin(db_engine)
    for attempt in range(users.MAX_FAILED_LOGINS):
        with transaction(db_engine) as s:
            assert not users.login_locked(s, "Admin")
            users.record_failed_login(s, "Admin")
    with reading(db_engine) as s:
        assert users.login_locked(s, "admin")
        assert not users.login_locked(s, "someone-else")
        rows = s.scalars(select(AuditLog).where(AuditLog.action == "login_failed")).all()
        assert {r.actor for r in rows} == {"admin"} and all(r.user_id is None for r in rows)


def test_two_first_admins_cannot_both_be_created(db_engine):
    """The marker row makes a second first-run submission fail even if it passed the user count."""
    from db.models import AppSetting

    _admin(db_engine)
    with transaction(db_engine) as s:
        assert s.get(AppSetting, "first_admin").value == "admin"
        with pytest.raises(OutOfScope):
            users.create_first_admin(s, username="second", display_name="二号", password="second-pass-1", password_repeat="second-pass-1")


def test_the_cookie_key_is_made_once_and_kept(db_engine):
    with transaction(db_engine) as s:
        first = users.cookie_key(s)
    with transaction(db_engine) as s:
        assert users.cookie_key(s) == first and len(first) >= 32

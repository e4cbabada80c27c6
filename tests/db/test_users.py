"""Users and first-run setup, on SQLite and PostgreSQL."""

import datetime as dt
import time

import pytest
from sqlalchemy import func, select

from db.actor import system_actor
from db.engine import reading, transaction
from db.errors import Conflict, OutOfScope, ValidationError
from db import engine as engine_module
from db.models import AppSetting, AuditLog, LoginFailure, LoginSession, Org, User
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


def test_two_first_admins_cannot_both_be_created(db_engine):
    """The marker row makes a second first-run submission fail even if it passed the user count."""
    from db.models import AppSetting

    _admin(db_engine)
    with transaction(db_engine) as s:
        assert s.get(AppSetting, "first_admin").value == "admin"
        with pytest.raises(OutOfScope):
            users.create_first_admin(s, username="second", display_name="二号", password="second-pass-1", password_repeat="second-pass-1")


def _staff(engine, admin, username="clerk", password="clerk-pass-1"):
    with transaction(engine) as s:
        u = users.create_user(s, admin, username=username, display_name="钱七", password=password,
                              role="staff", org_id=_district_org(s).id)
        return u.id


def _login(engine, username, password, client="198.51.100.7"):
    return users.authenticate(engine, username, password, client)


def _let_time_pass(engine, seconds):
    """As if `seconds` had passed since every failed login (the throttle reads the last failure's time)."""
    with transaction(engine) as s:
        for row in s.scalars(select(LoginFailure)):
            row.last_failure_at -= dt.timedelta(seconds=seconds)


def _audit(engine, action):
    with reading(engine) as s:
        return s.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def test_a_right_password_logs_in_and_starts_a_session_the_store_accepts(db_engine):
    _admin(db_engine)
    result = _login(db_engine, " Admin ", "s3cret-pass")
    assert result.ok and result.actor.username == "admin" and result.wait_seconds == 0
    assert result.issued_at < result.expires_at <= result.issued_at + users.login_lifetime()
    with reading(db_engine) as s:
        assert users.session_actor(s, result.session_id).username == "admin"
        assert users.session_actor(s, result.session_id, "someone-else") is None  # the token names the session's user
        assert users.session_actor(s, "forged-session-id") is None
    assert [r.actor for r in _audit(db_engine, "login")] == ["admin"]


def test_an_outsiders_failures_from_another_client_do_not_delay_the_admin(db_engine):
    _admin(db_engine)
    outsider = [_login(db_engine, "admin", f"guess-{i}", client="203.0.113.9") for i in range(3)]
    assert not any(r.ok or r.wait_seconds for r in outsider)  # the first tries are free
    for i in range(20):  # hammering on: refused without a password check
        assert _login(db_engine, "admin", f"guess-x{i}", client="203.0.113.9").wait_seconds > 0
    assert _login(db_engine, "admin", "s3cret-pass", client="203.0.113.9").wait_seconds > 0  # even the right one waits

    real = _login(db_engine, "admin", "s3cret-pass", client="10.1.2.3")  # the administrator, at their own desk
    assert real.ok and real.wait_seconds == 0
    # the outsider's guesses left no audit row each: one row when the throttle started
    assert _audit(db_engine, "login_failed") == []
    assert len(_audit(db_engine, "login_throttled")) == 1


def test_delays_grow_with_each_failure_and_a_success_starts_afresh(db_engine):
    admin = _admin(db_engine)
    _staff(db_engine, admin)
    waits = []
    for _ in range(users.FREE_FAILURES):
        assert not _login(db_engine, "clerk", "wrong-pass-1").ok
    for _ in range(4):
        with reading(db_engine) as s:
            wait = users.throttle_wait(s, "198.51.100.7", "clerk")
        waits.append(wait)
        assert _login(db_engine, "clerk", "clerk-pass-1").wait_seconds > 0  # too early, even when right
        _let_time_pass(db_engine, wait)
        assert not _login(db_engine, "clerk", "wrong-pass-1").ok  # allowed again, and wrong once more
    assert waits == sorted(waits) and waits[-1] >= 4 * waits[0], waits  # 5 s, 10 s, 20 s, 40 s
    with reading(db_engine) as s:
        wait = users.throttle_wait(s, "198.51.100.7", "clerk")
    assert wait <= users.MAX_DELAY.total_seconds() + 1
    _let_time_pass(db_engine, wait)
    assert _login(db_engine, "clerk", "clerk-pass-1").ok
    with reading(db_engine) as s:
        assert users.throttle_wait(s, "198.51.100.7", "clerk") == 0


def test_thirty_unknown_names_in_a_row_meet_the_throttle_and_the_log_stays_small(db_engine):
    _admin(db_engine)
    results = [_login(db_engine, f"nobody{i:02d}", "some-password", client="203.0.113.50") for i in range(30)]
    checked = [r for r in results if not r.wait_seconds]
    assert len(checked) == users.FREE_FAILURES_PER_CLIENT  # after that every name from this client waits
    assert all(r.wait_seconds > 0 for r in results[users.FREE_FAILURES_PER_CLIENT:])
    with reading(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action.like("login%"))) == 1
        assert s.scalar(select(func.count()).select_from(LoginFailure)) <= users.FREE_FAILURES_PER_CLIENT + 1
    assert _login(db_engine, "admin", "s3cret-pass", client="10.1.2.3").ok  # another client is not held up


def test_a_password_over_72_bytes_answers_alike_for_a_known_and_an_unknown_name(db_engine):
    _admin(db_engine)
    long_password = "s3cret-pass" + "长" * 30  # 101 bytes in UTF-8; its first 72 bytes begin with the real password
    known = _login(db_engine, "admin", long_password, client="192.0.2.1")
    unknown = _login(db_engine, "no-such-user", long_password, client="192.0.2.2")
    assert known == unknown == users.LoginResult()  # refused alike, no error on either path
    with reading(db_engine) as s:
        counted = {(r.client, r.username): r.failures for r in s.scalars(select(LoginFailure))}
    assert counted == {("192.0.2.1", "admin"): 1, ("192.0.2.1", "*"): 1, ("192.0.2.2", "no-such-user"): 1, ("192.0.2.2", "*"): 1}
    started = time.perf_counter()
    _login(db_engine, "admin", long_password, client="192.0.2.3")
    known_cost = time.perf_counter() - started
    started = time.perf_counter()
    _login(db_engine, "no-such-user", long_password, client="192.0.2.4")
    unknown_cost = time.perf_counter() - started
    assert min(known_cost, unknown_cost) > 0.4 * max(known_cost, unknown_cost)  # both spend one bcrypt check


def _during_the_password_check(monkeypatch, meanwhile):
    """Run `meanwhile()` while a login's bcrypt check runs (after it has read what it checks)."""
    real = users._password_matches

    def checking(password, stored_hash):
        matched = real(password, stored_hash)
        meanwhile()
        return matched

    monkeypatch.setattr(users, "_password_matches", checking)


def test_saves_and_other_logins_do_not_wait_for_a_password_check(sqlite_engine, monkeypatch):
    """On SQLite a login's check once held the write lock: every save and login in the process waited for it."""
    import threading

    _admin(sqlite_engine)
    saved = threading.Event()

    def save_elsewhere():
        def save():
            with transaction(sqlite_engine) as s:
                users.end_session(s, "no-such-session")
            saved.set()

        other = threading.Thread(target=save, daemon=True)
        other.start()
        other.join(timeout=5)  # with the lock held it would wait out the 15 s busy timeout

    _during_the_password_check(monkeypatch, save_elsewhere)
    assert _login(sqlite_engine, "admin", "s3cret-pass").ok
    assert saved.is_set()


def test_a_password_reset_during_the_check_refuses_the_old_password(db_engine, monkeypatch):
    admin = _admin(db_engine)
    uid = _staff(db_engine, admin)

    def reset():
        with reading(db_engine) as s:
            version = s.get(User, uid).version
        with transaction(db_engine) as s:
            users.reset_password(s, admin, uid, expected_version=version, password="clerk-pass-2", password_repeat="clerk-pass-2")

    _during_the_password_check(monkeypatch, reset)
    result = _login(db_engine, "clerk", "clerk-pass-1")
    assert not result.ok and result.wait_seconds == 0  # answered as a wrong password
    with reading(db_engine) as s:
        assert s.scalar(select(LoginSession.id).where(LoginSession.user_id == uid)) is None
        assert s.scalar(select(LoginFailure.failures).where(LoginFailure.username == "clerk")) == 1


def test_a_throttle_started_by_tries_at_the_same_time_refuses_the_right_password(db_engine, monkeypatch):
    """Guesses sent all at once each pass the first look at the throttle; the write after the check looks again."""
    admin = _admin(db_engine)
    _staff(db_engine, admin)

    def guesses_meanwhile():
        monkeypatch.setattr(users, "_password_matches", real)
        for i in range(users.FREE_FAILURES):
            assert not _login(db_engine, "clerk", f"guess-{i}").ok

    real = users._password_matches
    _during_the_password_check(monkeypatch, guesses_meanwhile)
    result = _login(db_engine, "clerk", "clerk-pass-1")
    assert not result.ok and result.wait_seconds > 0
    with reading(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(LoginSession)) == 0


def test_logout_reset_deactivation_and_logout_everywhere_revoke_sessions(db_engine):
    admin = _admin(db_engine)
    uid = _staff(db_engine, admin)
    first, second = _login(db_engine, "clerk", "clerk-pass-1"), _login(db_engine, "clerk", "clerk-pass-1", client="10.9.9.9")
    with transaction(db_engine) as s:
        users.end_session(s, first.session_id)  # logout ends that login only
    with reading(db_engine) as s:
        assert users.session_actor(s, first.session_id) is None and users.why_session_ended(s, first.session_id) == "revoked"
        assert users.session_actor(s, second.session_id).username == "clerk"
        version = s.get(User, uid).version
    with transaction(db_engine) as s:
        users.reset_password(s, admin, uid, expected_version=version, password="clerk-pass-2", password_repeat="clerk-pass-2")
    with reading(db_engine) as s:
        assert users.session_actor(s, second.session_id) is None
        assert users.why_session_ended(s, second.session_id) == "password"

    third = _login(db_engine, "clerk", "clerk-pass-2")
    with reading(db_engine) as s:
        u = s.get(User, uid)
    with transaction(db_engine) as s:
        users.update_user(s, admin, uid, expected_version=u.version, display_name=u.display_name, role=u.role,
                          org_id=u.org_id, active=False)
    with reading(db_engine) as s:
        assert users.why_session_ended(s, third.session_id) == "inactive"
        u = s.get(User, uid)
    with transaction(db_engine) as s:
        users.update_user(s, admin, uid, expected_version=u.version, display_name=u.display_name, role=u.role,
                          org_id=u.org_id, active=True)
    with reading(db_engine) as s:
        assert users.session_actor(s, third.session_id) is None  # reactivation revives no earlier login

    fourth, fifth = _login(db_engine, "clerk", "clerk-pass-2"), _login(db_engine, "clerk", "clerk-pass-2", client="10.9.9.9")
    with transaction(db_engine) as s:
        clerk = users.actor_for(s, "clerk")
        with pytest.raises(OutOfScope):
            users.logout_everywhere(s, clerk, uid)
    with transaction(db_engine) as s:
        assert users.logout_everywhere(s, admin, uid) == 2
    with reading(db_engine) as s:
        assert users.session_actor(s, fourth.session_id) is None and users.session_actor(s, fifth.session_id) is None
    [row] = _audit(db_engine, "logout_all")
    assert row.actor == "admin" and row.entity_id == str(uid)


def test_an_expired_session_no_longer_logs_in(db_engine):
    _admin(db_engine)
    result = _login(db_engine, "admin", "s3cret-pass")
    with transaction(db_engine) as s:
        s.get(LoginSession, result.session_id).expires_at = dt.datetime.now() - dt.timedelta(seconds=1)
    with reading(db_engine) as s:
        assert users.session_actor(s, result.session_id) is None
        assert users.why_session_ended(s, result.session_id) == "expired"


def test_the_login_lifetime_is_short_and_a_setting(monkeypatch):
    assert users.login_lifetime() == dt.timedelta(hours=12)
    monkeypatch.setenv("JIEKUN_LOGIN_HOURS", "2")
    assert users.login_lifetime() == dt.timedelta(hours=2)
    monkeypatch.setenv("JIEKUN_LOGIN_HOURS", "87600")  # ten years is not a lifetime a setting can give
    assert users.login_lifetime() == dt.timedelta(days=7)


@pytest.fixture
def no_configured_key(monkeypatch, tmp_path):
    monkeypatch.delenv("JIEKUN_COOKIE_KEY", raising=False)
    monkeypatch.delenv("JIEKUN_ALLOW_DB_COOKIE_KEY", raising=False)
    monkeypatch.setattr(engine_module, "SECRETS_FILE", tmp_path / "secrets.toml")
    return tmp_path / "secrets.toml"


def test_a_cookie_key_kept_in_the_database_is_refused_unless_allowed(db_engine, no_configured_key, monkeypatch):
    with transaction(db_engine) as s:
        with pytest.raises(users.CookieKeyMissing):
            users.cookie_key(s)
    with reading(db_engine) as s:
        assert s.get(AppSetting, "cookie_key") is None  # nothing was made up and stored
    monkeypatch.setenv("JIEKUN_ALLOW_DB_COOKIE_KEY", "1")  # a single-machine trial
    with transaction(db_engine) as s:
        first = users.cookie_key(s)
    with transaction(db_engine) as s:
        assert users.cookie_key(s) == first and len(first) >= 32


def test_the_cookie_key_comes_from_the_environment_or_the_secrets_file(db_engine, no_configured_key, monkeypatch):
    no_configured_key.write_text('[auth]\ncookie_key = "from-the-secrets-file-0123456789abcdef"\n')
    with transaction(db_engine) as s:
        assert users.cookie_key(s) == "from-the-secrets-file-0123456789abcdef"
    monkeypatch.setenv("JIEKUN_COOKIE_KEY", "from-the-environment-0123456789abcdef")
    with transaction(db_engine) as s:
        assert users.cookie_key(s) == "from-the-environment-0123456789abcdef"


@pytest.mark.parametrize("writers", [2, 12])
def test_failed_logins_at_the_same_moment_are_all_counted(db_engine, writers):
    from concurrent.futures import ThreadPoolExecutor

    _admin(db_engine)
    with ThreadPoolExecutor(writers) as pool:
        results = list(pool.map(lambda i: _login(db_engine, "admin", f"wrong-{i}", client="203.0.113.77"), range(writers)))
    assert not any(r.ok for r in results)
    with reading(db_engine) as s:
        counted = {r.username: r.failures for r in s.scalars(select(LoginFailure))}
    checked = sum(1 for r in results if not r.wait_seconds)
    assert counted == {"admin": checked, "*": checked}  # none lost, none failed with a database error

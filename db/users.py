"""Users, roles and the first-run setup. Passwords are bcrypt hashes made by the authenticator."""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import secrets
from pathlib import Path
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.codes import ROLE
from core.typed import CONTROL_CHARACTERS, field_text
from db import audit
from db.actor import Actor, system_actor
from db.engine import Engine, read_secrets, reading, secrets_file, transaction
from db.errors import NotFound, OutOfScope, ValidationError
from db.scope import require_admin
from db.models import AppSetting, LoginFailure, LoginSession, Org, User, now

USERNAME_RE = re.compile(r"^[a-z0-9_.\-]{3,32}$")
PASSWORD_MIN = 8
PASSWORD_MAX_BYTES = 72  # bcrypt refuses longer passwords

FIELD_LABELS = {"display_name": "姓名", "role": "角色", "org_id": "所属工会", "active": "启用", "password_hash": "密码"}


def _hash(password: str) -> str:
    # bcrypt through the authenticator, imported late: it pulls in streamlit, which the CLI need not load
    from streamlit_authenticator.utilities.hasher import Hasher

    return Hasher.hash(password)


def check_password(password: str, repeat: str | None = None) -> dict[str, str]:
    errors = {}
    if password != password.strip():
        errors["password"] = "密码首尾不能有空格"
    elif len(password) < PASSWORD_MIN:
        errors["password"] = f"密码至少 {PASSWORD_MIN} 位"
    elif len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        errors["password"] = f"密码不能超过 {PASSWORD_MAX_BYTES} 个字节（约 {PASSWORD_MAX_BYTES // 3} 个汉字或 {PASSWORD_MAX_BYTES} 个字母数字）"
    if repeat is not None and "password" not in errors and password != repeat:
        errors["password_repeat"] = "两次输入的密码不一致"
    return errors


def _check_role_org(session: Session, role: str, org_id: int | None) -> dict[str, str]:
    errors = {}
    if role not in ROLE:
        errors["role"] = "请选择角色"
    org = session.get(Org, org_id) if org_id is not None else None
    if org is None or not org.active:
        errors["org_id"] = "请选择所属工会"
    elif role == "admin" and org.parent_id is not None:
        errors["org_id"] = "管理员必须属于市总工会（管理员可查看和管理全市数据）"
    return errors


def create_user(
    session: Session, actor: Actor, *, username: str, display_name: str, password: str,
    password_repeat: str | None = None, role: str, org_id: int | None,
) -> User:
    require_admin(actor, "管理用户")
    username = (username or "").strip().lower()  # logins are case-insensitive (the authenticator lowercases)
    errors: dict[str, str] = {}
    display_name = field_text(display_name, "app_user.display_name", errors, "display_name")
    if not USERNAME_RE.match(username):
        errors["username"] = "用户名为 3–32 位字母、数字或 _ . -（不能用汉字或空格）"
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = f"用户名“{username}”已被使用"
    if not display_name:
        errors["display_name"] = "请填写姓名"
    errors |= check_password(password, password_repeat)
    errors |= _check_role_org(session, role, org_id)
    if errors:
        raise ValidationError(errors)
    user = User(username=username, display_name=display_name, password_hash=_hash(password), role=role, org_id=org_id, active=True)
    audit.create(session, actor, user)
    return user


def update_user(
    session: Session, actor: Actor, user_id: int, *, expected_version: int,
    display_name: str, role: str, org_id: int, active: bool,
) -> list[str]:
    require_admin(actor, "管理用户")
    user = _get(session, user_id)
    errors = _check_role_org(session, role, org_id)
    display_name = field_text(display_name, "app_user.display_name", errors, "display_name")
    if not display_name:
        errors["display_name"] = "请填写姓名"
    if user.username == actor.username and not active:
        errors["active"] = "不能停用自己的账号"
    elif user.username == actor.username and role != "admin":
        errors["role"] = "不能取消自己的管理员角色"
    elif user.role == "admin" and user.active and (role != "admin" or not active) and _active_admins(session) <= 1:
        errors["role"] = "这是最后一个启用的管理员，不能停用或改为其他角色"
    if errors:
        raise ValidationError(errors)
    changed = audit.update(
        session, actor, user,
        {"display_name": display_name.strip(), "role": role, "org_id": org_id, "active": active},
        expected_version=expected_version,
    )
    if not active:
        _revoke_all(session, user.id)  # a deactivated user is out, and reactivating them later revives no login
    return changed


def reset_password(session: Session, actor: Actor, user_id: int, *, expected_version: int, password: str, password_repeat: str) -> None:
    require_admin(actor, "管理用户")
    user = _get(session, user_id)
    errors = check_password(password, password_repeat)
    if errors:
        raise ValidationError(errors)
    audit.update(session, actor, user, {"password_hash": _hash(password), "password_changed_at": now()},
                 expected_version=expected_version, reason="重置密码")
    _revoke_all(session, user.id)  # every earlier login of this user ends


def list_users(session: Session, actor: Actor) -> list[User]:
    require_admin(actor, "管理用户")
    return list(session.scalars(select(User).order_by(User.active.desc(), User.username)))


def _get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    return user


def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.active)) or 0


def user_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def credentials(session: Session) -> dict:
    """The authenticator's credentials, built from the active users (no YAML file)."""
    users = session.scalars(select(User).where(User.active))
    return {
        "usernames": {
            u.username: {"name": u.display_name, "password": u.password_hash, "roles": [u.role], "email": None}
            for u in users
        }
    }


def actor_for(session: Session, username: str | None) -> Actor | None:
    """The actor of a logged-in username, or None when the user is unknown or deactivated."""
    if not username:
        return None
    user = session.scalar(select(User).where(User.username == username.lower()))
    if user is None or not user.active:
        return None
    return Actor(
        username=user.username, display_name=user.display_name, role=user.role, org_id=user.org_id,
        org_path="/" if user.role == "admin" else user.org.path, org_name=user.org.name, user_id=user.id,
    )


def create_first_admin(session: Session, *, username: str, display_name: str, password: str, password_repeat: str) -> User:
    """First run: the only way to create a user without being an administrator.

    A marker row with a fixed key makes two simultaneous first-run submissions collide in the
    database, so there is only ever one first administrator.
    """
    if user_count(session):
        raise OutOfScope("系统已有用户，请登录后由管理员创建新用户")
    from db.reference import city_org

    try:
        session.add(AppSetting(key="first_admin", value=(username or "").strip().lower()))
        session.flush()
    except IntegrityError:  # the transaction is rolled back as this leaves it
        raise OutOfScope("管理员刚刚已由他人创建，请登录") from None
    return create_user(
        session, system_actor("setup"), username=username, display_name=display_name, password=password,
        password_repeat=password_repeat, role="admin", org_id=city_org(session).id,
    )


class CookieKeyMissing(Exception):
    """No login-cookie key is configured outside the database, and a key kept in it is not allowed."""


def cookie_key(session: Session) -> str:
    """The login-cookie signing key: JIEKUN_COOKIE_KEY, else `[auth] cookie_key` in the secrets file.

    A key kept in the database (whoever can read a backup could sign cookies with it) is used only when
    JIEKUN_ALLOW_DB_COOKIE_KEY=1 says so (a single-machine trial); otherwise CookieKeyMissing.
    """
    configured = os.environ.get("JIEKUN_COOKIE_KEY") or read_secrets().get("auth", {}).get("cookie_key")
    if configured:
        return str(configured)
    if os.environ.get("JIEKUN_ALLOW_DB_COOKIE_KEY", "") != "1":
        raise CookieKeyMissing()
    setting = session.get(AppSetting, "cookie_key")
    if setting is None:
        setting = AppSetting(key="cookie_key", value=new_cookie_key())
        session.add(setting)
        session.flush()
    return setting.value


def new_cookie_key() -> str:
    return secrets.token_urlsafe(32)


def configured_cookie_key() -> bool:
    return bool(os.environ.get("JIEKUN_COOKIE_KEY") or read_secrets().get("auth", {}).get("cookie_key"))


def write_cookie_key_file() -> Path | None:
    """`manage.py init`: with no key configured, write a random one into the secrets file (mode 0600).

    Returns the file written, or None when a key was configured already.
    """
    if configured_cookie_key():
        return None
    path = secrets_file()
    line = f'cookie_key = "{new_cookie_key()}"'
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = text.splitlines()
    header = next((i for i, ln in enumerate(lines) if ln.strip() == "[auth]"), None)
    if header is None:
        lines += (["", "[auth]"] if lines else ["[auth]"]) + [line]
    else:
        lines.insert(header + 1, line)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
    return path


# --- logins: the password check, the throttle and sessions ---------------------------------------

DEFAULT_LOGIN_HOURS = 12
FREE_FAILURES = 3  # per client and name: tries without any delay
FREE_FAILURES_PER_CLIENT = 10  # per client, every name together (catches many unknown names in a row)
FIRST_DELAY = dt.timedelta(seconds=5)  # then doubled at every further failure …
MAX_DELAY = dt.timedelta(minutes=15)  # … up to this
WINDOW = dt.timedelta(hours=1)  # a counter with no failure for this long starts again
ANY_NAME = "*"


def login_lifetime() -> dt.timedelta:
    """How long a login (its session and cookie) lasts: JIEKUN_LOGIN_HOURS, 12 hours by default."""
    try:
        hours = float(os.environ.get("JIEKUN_LOGIN_HOURS", DEFAULT_LOGIN_HOURS))
    except ValueError:
        hours = DEFAULT_LOGIN_HOURS
    return dt.timedelta(hours=min(max(hours, 0.1), 24 * 7))


@dataclass(frozen=True)
class LoginResult:
    actor: Actor | None = None
    session_id: str | None = None
    issued_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    wait_seconds: int = 0  # > 0: refused without checking the password; try again after this long

    @property
    def ok(self) -> bool:
        return self.actor is not None


_dummy: list[bytes] = []


def _dummy_hash() -> bytes:
    """A hash of a random password at the cost of the real ones: unknown names take as long as known ones."""
    if not _dummy:
        _dummy.append(_hash(secrets.token_urlsafe(16)).encode())
    return _dummy[0]


def _password_matches(password: str, stored_hash: str | None) -> bool:
    """bcrypt check, the same work whether or not the name exists and however long the password is.

    No stored password is longer than PASSWORD_MAX_BYTES (they are refused when set), so a longer one is
    wrong for every name; it is still checked (cut to the limit) against a hash, known name or not.
    """
    import bcrypt

    raw = password.encode("utf-8")
    too_long = len(raw) > PASSWORD_MAX_BYTES
    target = stored_hash.encode() if stored_hash and not too_long else _dummy_hash()
    try:
        matched = bcrypt.checkpw(raw[:PASSWORD_MAX_BYTES], target)
    except ValueError:  # a stored hash bcrypt cannot read
        matched = False
    return matched and stored_hash is not None and not too_long


def _delay(failures: int, free: int) -> dt.timedelta:
    if failures < free:
        return dt.timedelta(0)
    return min(FIRST_DELAY * (2 ** min(failures - free, 20)), MAX_DELAY)


def _counter(session: Session, client: str, name: str) -> LoginFailure | None:
    row = session.scalar(select(LoginFailure).where(LoginFailure.client == client, LoginFailure.username == name))
    if row is not None and now() - row.last_failure_at >= WINDOW:
        return None  # a stale window counts as none
    return row


def throttle_wait(session: Session, client: str, username: str) -> int:
    """Seconds this client must wait before trying this name again (0: may try now)."""
    at = now()
    waits = []
    for name, free in ((_attempted(username), FREE_FAILURES), (ANY_NAME, FREE_FAILURES_PER_CLIENT)):
        row = _counter(session, _client(client), name)
        if row is not None:
            waits.append((row.last_failure_at + _delay(row.failures, free) - at).total_seconds())
    return max([0, *[math.ceil(w) for w in waits if w > 0]])


def _count_failure(session: Session, client: str, name: str, free: int) -> None:
    """One more failure on this counter; audit once, when it starts to delay further tries."""
    at = now()
    row = session.scalar(select(LoginFailure).where(LoginFailure.client == client, LoginFailure.username == name))
    if row is None:
        try:
            with session.begin_nested():  # two first failures at once: the second one updates the row
                session.add(LoginFailure(client=client, username=name, window_start=at, failures=0, last_failure_at=at))
        except IntegrityError:
            pass
        row = session.scalar(select(LoginFailure).where(LoginFailure.client == client, LoginFailure.username == name))
    elif at - row.last_failure_at >= WINDOW:
        row.window_start, row.failures = at, 0
    session.execute(
        update(LoginFailure).where(LoginFailure.id == row.id)
        .values(failures=LoginFailure.failures + 1, last_failure_at=at)
    )
    session.refresh(row)
    if row.failures == free:
        who = Actor(username=name if name != ANY_NAME else "login", display_name="", role="viewer", org_id=None, org_path="-")
        scope = "该用户名" if name != ANY_NAME else "所有用户名"
        audit.record(session, who, "login_throttled", "app_user", None,
                     reason=f"客户端 {client} 对{scope}连续 {row.failures} 次登录失败，此后每次失败的等待时间加倍")


def authenticate(engine: Engine, username: str, password: str, client: str) -> LoginResult:
    """Check a login typed on the form, throttled per client and name; on success start a session.

    A wrong password and an unknown name answer alike, at the same cost. Failures are counted (one row per
    client and name, one per client), and only the start of a throttle is audited, not every guess.

    The bcrypt check (about 0.2 s of CPU) runs outside any transaction: inside one it held the write lock (SQLite's,
    and the process's writer turn), so logins at the same moment and every save waited for each other's checks. What
    the check was made on is read again in the write that follows: a throttle started meanwhile by tries at the same
    time refuses this one too, and a password reset or a deactivation meanwhile makes it wrong.
    """
    name, client = _attempted(username), _client(client)
    with reading(engine) as session:
        if wait := throttle_wait(session, client, name):
            return LoginResult(wait_seconds=wait)
        user = session.scalar(select(User).where(User.username == name, User.active))
        checked_hash = user.password_hash if user is not None else None
    matched = _password_matches(password or "", checked_hash)
    with transaction(engine) as session:
        return _record_login(session, name, client, checked_hash if matched else None)


def _record_login(session: Session, name: str, client: str, matched_hash: str | None) -> LoginResult:
    """The write of a checked login: the throttle read again, the failure counted or the session started."""
    session.execute(delete(LoginFailure).where(LoginFailure.last_failure_at < now() - 24 * WINDOW))  # long quiet counters
    if wait := throttle_wait(session, client, name):
        return LoginResult(wait_seconds=wait)
    user = session.scalar(select(User).where(User.username == name, User.active))
    if matched_hash is None or user is None or user.password_hash != matched_hash:
        _count_failure(session, client, name, FREE_FAILURES)
        _count_failure(session, client, ANY_NAME, FREE_FAILURES_PER_CLIENT)
        return LoginResult()
    session.execute(delete(LoginFailure).where(LoginFailure.client == client, LoginFailure.username == name))
    login = start_session(session, user)
    actor = actor_for(session, user.username)
    audit.record(session, actor, "login", "app_user", user.id)
    return LoginResult(actor=actor, session_id=login.id, issued_at=login.issued_at, expires_at=login.expires_at)


KEEP_ENDED_SESSIONS = dt.timedelta(days=30)


def start_session(session: Session, user: User) -> LoginSession:
    issued = now()
    session.execute(delete(LoginSession).where(LoginSession.expires_at < issued - KEEP_ENDED_SESSIONS))  # long dead
    login = LoginSession(id=secrets.token_urlsafe(32), user_id=user.id, issued_at=issued, expires_at=issued + login_lifetime())
    session.add(login)
    session.flush()
    return login


def session_actor(session: Session, session_id: str | None, username: str | None = None) -> Actor | None:
    """The actor of a live login session: not revoked, not expired, its user active (and named `username`)."""
    if not session_id:
        return None
    login = session.get(LoginSession, str(session_id)[:64])
    if login is None or login.revoked_at is not None or login.expires_at <= now():
        return None
    user = session.get(User, login.user_id)
    if user is None or not user.active or (username is not None and user.username != username):
        return None
    return actor_for(session, user.username)


def why_session_ended(session: Session, session_id: str) -> str:
    """Why a session no longer logs in: "inactive", "password" (reset since), "expired" or "revoked"."""
    login = session.get(LoginSession, str(session_id)[:64])
    user = session.get(User, login.user_id) if login is not None else None
    if user is None or not user.active:
        return "inactive"
    if user.password_changed_at is not None and user.password_changed_at >= login.issued_at:
        return "password"
    if login.revoked_at is None and login.expires_at <= now():
        return "expired"
    return "revoked"


def end_session(session: Session, session_id: str | None) -> None:
    """Logout: this session is revoked (its cookie, wherever a copy of it is, no longer logs in)."""
    if session_id:
        session.execute(update(LoginSession).where(LoginSession.id == str(session_id)[:64], LoginSession.revoked_at.is_(None))
                        .values(revoked_at=now()))


def _revoke_all(session: Session, user_id: int) -> int:
    result = session.execute(update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
                             .values(revoked_at=now()))
    return result.rowcount or 0


def logout_everywhere(session: Session, actor: Actor, user_id: int) -> int:
    """An administrator ends every login of a user (stolen cookie, lost laptop). Returns how many were live."""
    require_admin(actor, "管理用户")
    user = _get(session, user_id)
    ended = _revoke_all(session, user.id)
    audit.record(session, actor, "logout_all", "app_user", user.id, reason=f"管理员结束了 {user.username} 的全部登录（{ended} 个）")
    return ended


def _attempted(username: str) -> str:
    return CONTROL_CHARACTERS.sub("", username or "").strip().lower()[:64]  # any text typed at the login form can be stored


def _client(client: str | None) -> str:
    return CONTROL_CHARACTERS.sub("", client or "").strip()[:64] or "unknown"

"""Users, roles and the first-run setup. Passwords are bcrypt hashes made by the authenticator."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.codes import ROLE
from core.typed import CONTROL_CHARACTERS, field_text
from db import audit
from db.actor import Actor, system_actor
from db.engine import read_secrets
from db.errors import NotFound, OutOfScope, ValidationError
from db.scope import require_admin
from db.models import AppSetting, AuditLog, Org, User, now

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
    return audit.update(
        session, actor, user,
        {"display_name": display_name.strip(), "role": role, "org_id": org_id, "active": active},
        expected_version=expected_version,
    )


def reset_password(session: Session, actor: Actor, user_id: int, *, expected_version: int, password: str, password_repeat: str) -> None:
    require_admin(actor, "管理用户")
    user = _get(session, user_id)
    errors = check_password(password, password_repeat)
    if errors:
        raise ValidationError(errors)
    audit.update(session, actor, user, {"password_hash": _hash(password), "password_changed_at": now()},
                 expected_version=expected_version, reason="重置密码")


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


def cookie_key(session: Session) -> str:
    """The login-cookie signing key: from the environment or secrets, else the one generated at init."""
    configured = os.environ.get("JIEKUN_COOKIE_KEY") or read_secrets().get("auth", {}).get("cookie_key")
    if configured:
        return str(configured)
    setting = session.get(AppSetting, "cookie_key")
    if setting is None:  # a database prepared before the key was seeded
        setting = AppSetting(key="cookie_key", value=new_cookie_key())
        session.add(setting)
        session.flush()
    return setting.value


def new_cookie_key() -> str:
    return secrets.token_urlsafe(32)


# --- login attempts ------------------------------------------------------------------------------

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)


def login_locked(session: Session, username: str) -> bool:
    """Too many failed attempts for this username lately: refuse further tries for a while."""
    since = now() - LOCKOUT
    failures = session.scalar(
        select(func.count()).select_from(AuditLog)
        .where(AuditLog.action == "login_failed", AuditLog.actor == _attempted(username), AuditLog.at >= since)
    )
    return (failures or 0) >= MAX_FAILED_LOGINS


def record_failed_login(session: Session, username: str) -> None:
    """Audit a failed attempt under the username that was tried, so the lockout counts per account."""
    tried = Actor(username=_attempted(username), display_name="", role="viewer", org_id=None, org_path="-")
    audit.record(session, tried, "login_failed", "app_user", None)


def _attempted(username: str) -> str:
    return CONTROL_CHARACTERS.sub("", username or "").strip().lower()[:64]  # any text typed at the login form can be stored


def login_still_valid(session: Session, username: str, logged_in_at: dt.datetime | None) -> bool:
    """False when the password was reset after this login (its session and cookie are then void)."""
    changed = session.scalar(select(User.password_changed_at).where(User.username == username))
    return changed is None or (logged_in_at is not None and logged_in_at >= changed)

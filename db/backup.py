"""Backups of the whole store, and restoring one (what `manage.py backup` / `manage.py restore` run).

SQLite: SQLite's online backup API (`sqlite3.Connection.backup`) copies the database in one step, inside one read
transaction, so a backup taken while the app is writing is a consistent snapshot; the copy is switched to a rollback
journal so that the file is complete by itself. A restore copies it back the same way, as one write transaction.

PostgreSQL: `pg_dump` in custom format (-Fc), a consistent snapshot too; a restore is `pg_restore --clean` in a
single transaction, so a failed restore leaves the database as it was.

Either file carries its schema version: the `alembic_version` table is in it. A restore refuses a file of another
schema version than this program's, a file of the other database kind, and a database that holds data unless the
caller says to overwrite it. After a restore the data version moves past both the old and the restored value (so no
app instance serves a cached figure of the data that was replaced), and the audit log records the restore.
Backup files hold personal data (and the login cookie key, when it is kept in the database): they are created 0600.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select, text, update
from sqlalchemy.exc import OperationalError

from db import audit
from db.actor import system_actor
from db.engine import transaction
from db.errors import ServiceError
from db.models import AuditLog, DataVersion, Household, User

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
KIND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# A restore waits at most this long for the app's open transactions before giving up (and changing nothing).
PG_LOCK_TIMEOUT_MS = 60_000


class BackupError(ServiceError):
    """A backup or restore refused or failed; the message says why and what to do."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    kind: str  # "sqlite" | "postgresql"
    revision: str  # the Alembic revision of the schema in the file
    size: int  # bytes


def code_revision() -> str:
    """The schema version this program works with (the Alembic head)."""
    from alembic.script import ScriptDirectory

    from db.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _kind(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in KIND_NAMES:
        raise BackupError(f"不支持备份 {name} 数据库：只支持 SQLite 和 PostgreSQL")
    return name


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("内存中的 SQLite 数据库不能备份或恢复：请使用数据库文件")
    return Path(database)


def _partial(path: Path) -> Path:
    return path.with_name(path.name + ".partial")


def _private_file(path: Path) -> None:
    """An empty file only its owner can read: the backup is written into it."""
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


# --- reading a backup file -----------------------------------------------------------------------------------------

def inspect_file(path: Path) -> BackupInfo:
    """What a backup file is (its database kind and schema version); refuses anything that is not one of ours."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
        size = path.stat().st_size
    except FileNotFoundError:
        raise BackupError(f"找不到备份文件 {path}") from None
    except OSError:
        raise BackupError(f"无法读取备份文件 {path}：请确认文件存在且有读取权限") from None
    if head.startswith(SQLITE_MAGIC):
        return BackupInfo(path, "sqlite", _sqlite_revision(path), size)
    if head.startswith(PGDUMP_MAGIC):
        return BackupInfo(path, "postgresql", _pg_revision(path), size)
    raise BackupError(f"{path} 不是本系统的备份文件（既不是 SQLite 数据库，也不是 pg_dump 自定义格式的备份）")


def _no_revision(path: Path) -> BackupError:
    return BackupError(f"备份文件 {path} 中没有数据库结构版本（alembic_version 表），不是本系统完整的备份，不能恢复")


def _sqlite_revision(path: Path) -> str:
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            if connection.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(f"备份文件 {path} 已损坏（SQLite 完整性检查未通过），不能恢复")
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        raise BackupError(f"备份文件 {path} 已损坏或不完整，不能恢复") from None
    if row is None:
        raise _no_revision(path)
    return row[0]


def _pg_revision(path: Path) -> str:
    """The revision in a custom-format dump: the data of its alembic_version table, as pg_restore prints it."""
    result = _run([_tool("pg_restore"), "--data-only", "--table", "alembic_version", "--file", "-", str(path)],
                  env=dict(os.environ), failure=f"无法读取备份文件 {path}（pg_restore 报错）")
    lines = result.stdout.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line:
            for value in lines[i + 1:]:
                if value == "\\.":
                    break
                if value.strip():
                    return value.strip()
    raise _no_revision(path)


# --- PostgreSQL client tools ---------------------------------------------------------------------------------------

def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端（Debian/Ubuntu：apt-get install postgresql-client），"
                          "其主版本不能低于数据库服务器的版本")
    return found


def _run(command: list[str], *, env: dict, failure: str) -> subprocess.CompletedProcess:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = "；".join(line.strip() for line in result.stderr.strip().splitlines()[-3:])
        raise BackupError(f"{failure}：{detail}" if detail else failure)
    return result


def _libpq(engine: Engine) -> tuple[str, dict]:
    """The connection string for the client tools (without the password, which goes in PGPASSWORD, off the
    command line) and their environment."""
    url = engine.url
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def _major(version_text: str) -> int:
    match = re.search(r"\)\s*(\d+)", version_text) or re.search(r"(\d+)", version_text)
    return int(match.group(1)) if match else 0


def _check_client(engine: Engine, tool: str) -> str:
    """The tool's path; refused when its major version is older than the server's (pg_dump cannot dump a newer server)."""
    path = _tool(tool)
    client = _major(subprocess.run([path, "--version"], capture_output=True, text=True).stdout)
    with engine.connect() as connection:
        server = int(connection.execute(text("SHOW server_version_num")).scalar()) // 10000
    if client < server:
        raise BackupError(f"{tool} 的版本（{client}）低于数据库服务器的版本（{server}）：请安装 {server} 或更新版本的 "
                          f"PostgreSQL 客户端（如 apt-get install postgresql-client-{server}）")
    return path


# --- backup ----------------------------------------------------------------------------------------------------------

def _unreachable(engine: Engine) -> BackupError:
    where = engine.url.render_as_string(hide_password=True)
    return BackupError(f"无法连接数据库 {where}：请确认数据库服务器已启动、地址和密码正确")


def backup(engine: Engine, path: Path, *, overwrite: bool = False) -> BackupInfo:
    """Write a backup of the whole database to `path` (safe while the app runs); refuses an existing file unless
    `overwrite`. The file appears only when complete (written beside it, then renamed)."""
    try:
        return _backup(engine, Path(path), overwrite)
    except OperationalError:
        raise _unreachable(engine) from None


def _backup(engine: Engine, path: Path, overwrite: bool) -> BackupInfo:
    kind = _kind(engine)
    if path.exists() and not overwrite:
        raise BackupError(f"文件 {path} 已存在：请换一个文件名，或加 --yes 覆盖它")
    if not path.parent.is_dir():
        raise BackupError(f"目录 {path.parent} 不存在：请先创建它")
    partial = _partial(path)
    try:
        _private_file(partial)
        if kind == "sqlite":
            _sqlite_backup(engine, partial)
        else:
            conninfo, env = _libpq(engine)
            _run([_check_client(engine, "pg_dump"), "--format=custom", "--file", str(partial), "--dbname", conninfo],
                 env=env, failure="pg_dump 备份失败")
        info = inspect_file(partial)
        os.replace(partial, path)
    except OSError:
        raise BackupError(f"无法写入备份文件 {path}：请确认目录可以写入、磁盘空间足够") from None
    finally:
        partial.unlink(missing_ok=True)
    return BackupInfo(path, info.kind, info.revision, info.size)


def _sqlite_backup(engine: Engine, target: Path) -> None:
    source_path = _sqlite_path(engine)
    if not source_path.exists() or source_path.stat().st_size == 0:  # the engine creates a missing file empty
        raise BackupError(f"数据库文件 {source_path} 不存在：没有可以备份的数据")
    source = destination = None
    try:
        source = sqlite3.connect(source_path, timeout=15)
        destination = sqlite3.connect(target)
        source.backup(destination)  # all pages in one step: one read transaction, one snapshot
        destination.execute("PRAGMA journal_mode=DELETE")  # the file alone is the whole backup (no -wal beside it)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite 备份失败：{exc}") from None
    finally:
        for connection in (destination, source):
            if connection is not None:
                connection.close()


# --- restore ---------------------------------------------------------------------------------------------------------

def held_data(engine: Engine) -> dict[str, int]:
    """What the database holds that a restore would overwrite: files, users, audit rows (empty: a new database)."""
    if engine.dialect.name == "sqlite" and not _sqlite_path(engine).exists():
        return {}
    tables = set(inspect(engine).get_table_names())
    counts = {}
    with engine.connect() as connection:
        for label, model in (("户档案", Household), ("个用户", User), ("条操作日志", AuditLog)):
            if model.__tablename__ in tables:
                n = connection.execute(select(func.count()).select_from(model)).scalar()
                if n:
                    counts[label] = n
    return counts


def restore(engine: Engine, path: Path, *, overwrite: bool = False) -> BackupInfo:
    """Replace the whole database with the backup in `path`.

    Refused (nothing changed): a file that is not a backup, of the other database kind or of another schema version
    than this program's; a database holding data when `overwrite` is not given.
    """
    try:
        return _restore(engine, Path(path), overwrite)
    except OperationalError:
        raise _unreachable(engine) from None


def _restore(engine: Engine, path: Path, overwrite: bool) -> BackupInfo:
    kind = _kind(engine)
    info = inspect_file(Path(path))
    if info.kind != kind:
        raise BackupError(f"{info.path} 是 {KIND_NAMES[info.kind]} 数据库的备份，不能恢复到 {KIND_NAMES[kind]} 数据库")
    ours = code_revision()
    if info.revision != ours:
        raise BackupError(f"备份文件的数据库结构版本为 {info.revision}，本程序的为 {ours}，不能恢复：请用制作该备份的程序版本"
                          "恢复它，再用本程序运行 python manage.py init 升级；或选择本版本制作的备份")
    held = held_data(engine)
    if held and not overwrite:
        what = "、".join(f"{n:,} {label}" for label, n in held.items())
        raise BackupError(f"数据库中已有数据（{what}）：恢复会用备份覆盖其中全部数据，且不能撤销。"
                          "确认无误（建议先备份当前数据库）后，加 --yes 再运行")
    before = _data_version(engine)
    if kind == "sqlite":
        _sqlite_restore(engine, info.path)
    else:
        conninfo, env = _libpq(engine)
        env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout={PG_LOCK_TIMEOUT_MS}".strip()
        _run([_check_client(engine, "pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", "--exit-on-error", "--dbname", conninfo, str(info.path)],
             env=env, failure="pg_restore 恢复失败，数据库未被改动")
    engine.dispose()  # connections opened before the restore hold nothing of the old store
    _after_restore(engine, info, before)
    return info


def _sqlite_restore(engine: Engine, source_path: Path) -> None:
    target_path = _sqlite_path(engine)
    if not target_path.parent.is_dir():
        raise BackupError(f"数据库所在的目录 {target_path.parent} 不存在：请先创建它")
    engine.dispose()
    source = target = None
    try:
        source = sqlite3.connect(f"{source_path.resolve().as_uri()}?mode=ro", uri=True)
        target = sqlite3.connect(target_path, timeout=15)
        source.backup(target)  # one write transaction on the live file: other connections see all of it or none
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite 恢复失败，数据库未被改动：{exc}") from None
    finally:
        for connection in (target, source):
            if connection is not None:
                connection.close()


def _data_version(engine: Engine) -> int:
    if engine.dialect.name == "sqlite" and not _sqlite_path(engine).exists():
        return 0
    if not inspect(engine).has_table(DataVersion.__tablename__):
        return 0
    with engine.connect() as connection:
        return connection.execute(select(DataVersion.version).where(DataVersion.id == 1)).scalar() or 0


def _after_restore(engine: Engine, info: BackupInfo, before: int) -> None:
    """Move the data version past the old and the restored value, and record the restore in the audit log."""
    with transaction(engine) as session:
        restored = session.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 0
        session.execute(update(DataVersion).where(DataVersion.id == 1).values(version=max(before, restored) + 1))
        audit.record(session, system_actor("restore"), "restore", "database",
                     reason=f"从备份文件 {info.path.name} 恢复（结构版本 {info.revision}）")

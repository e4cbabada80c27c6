"""Backup and restore (db/backup.py, `manage.py backup` / `restore`) on SQLite and PostgreSQL, as an administrator
uses them: every row of every table comes back, a backup of another schema version or database kind is refused with a
message and changes nothing, a database holding data is overwritten only when asked, and a backup taken while someone
is saving incomes is a consistent snapshot."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, func, select, text

from db import backup
from demo import load_demo
from db.engine import make_engine, transaction
from db.incomes import IncomeRow, save_month
from db.migrate import alembic_config, prepare
from db.models import AuditLog, DataVersion, Household, IncomeMonth
from db.scope import org_filter
from db.users import create_first_admin
from tests.conftest import pg_database
from tests.db.support import actor_of, add_file

ROOT = Path(__file__).resolve().parents[2]


def all_rows(engine) -> dict[str, list[tuple]]:
    """Every row of every table in the database (found by reflection, not from the models), in a stable order."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
                for name, table in metadata.tables.items()}


def data_version(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(DataVersion.version)).scalar()


@pytest.fixture
def scratch_url(db_engine, tmp_path):
    """A URL of a further, empty database of the same kind as db_engine (dropped afterwards)."""
    if db_engine.dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path / f'scratch-{uuid.uuid4().hex[:6]}.db'}"
        return
    with pg_database("jiekun_bak") as url:
        yield url


def _filled(engine) -> None:
    load_demo(engine, households=25, seed=11)
    with transaction(engine) as s:
        create_first_admin(s, username="boss", display_name="王管理", password="admin-pass-1", password_repeat="admin-pass-1")


def _save_income(engine, household_id: int, month: dt.date, yuan: str) -> None:
    with transaction(engine) as s:
        save_month(s, actor_of(s), month, [IncomeRow(household_id=household_id, income=yuan, persons=2)],
                   today=dt.date(2026, 6, 30))


def _open_file_of_haigang(engine) -> int:
    with transaction(engine) as s:
        actor = actor_of(s)
        found = s.scalar(org_filter(select(Household.id).where(Household.status == "active"), actor).order_by(Household.id))
    assert found is not None
    return found


def test_a_restore_brings_back_every_row_of_every_table(db_engine, tmp_path):
    _filled(db_engine)
    before = all_rows(db_engine)
    assert len(before["household"]) == 25 and before["income_month"] and before["app_user"]
    file = backup.backup(db_engine, tmp_path / "jiekun.backup")
    assert file.revision == backup.code_revision() and file.kind == db_engine.dialect.name
    assert os.stat(file.path).st_mode & 0o077 == 0  # personal data: readable by its owner only

    # a day's work after the backup: files renamed, a file's visits and incomes gone, a new month saved
    with db_engine.begin() as c:
        c.execute(text("UPDATE household SET name = '改过的名字', version = version + 1"))
        first = c.execute(text("SELECT min(id) FROM household")).scalar()
        c.execute(text("DELETE FROM income_month WHERE household_id = :h"), {"h": first})
        c.execute(text("DELETE FROM visit"))
    second = _open_file_of_haigang(db_engine)
    _save_income(db_engine, second, dt.date(2026, 5, 1), "1234.56")
    changed_version = data_version(db_engine)
    assert all_rows(db_engine) != before

    with pytest.raises(backup.BackupError, match="数据库中已有数据.*加 --yes"):
        backup.restore(db_engine, file.path)
    backup.restore(db_engine, file.path, overwrite=True)
    after = all_rows(db_engine)

    assert after.keys() == before.keys()
    for table in before:
        if table not in ("audit_log", "data_version"):
            assert after[table] == before[table], table
    # the audit log is the one of the backup, and the restore itself is recorded after it
    restore_rows = [r for r in after["audit_log"] if r not in before["audit_log"]]
    assert len(restore_rows) == 1 and "restore" in restore_rows[0] and "jiekun.backup" in str(restore_rows[0])
    assert sorted(set(after["audit_log"]) - set(restore_rows), key=repr) == before["audit_log"]
    # caches keyed on the data version cannot serve a figure of the data that was replaced
    assert data_version(db_engine) > max(before["data_version"][0][1], changed_version)
    # the store goes on: new rows get new ids (sequences came back with the rows)
    _save_income(db_engine, second, dt.date(2026, 6, 1), "99")
    with db_engine.connect() as c:
        assert c.execute(select(func.count()).select_from(IncomeMonth).where(IncomeMonth.household_id == second,
                                                                               IncomeMonth.month == dt.date(2026, 6, 1))).scalar() == 1


def test_a_backup_of_another_schema_version_is_refused_and_changes_nothing(db_engine, scratch_url, tmp_path):
    script = ScriptDirectory.from_config(alembic_config(scratch_url))
    older = script.get_revision(script.get_current_head()).down_revision
    command.upgrade(alembic_config(scratch_url), older)  # an install of the previous release
    old_engine = make_engine(scratch_url)
    try:
        old_file = backup.backup(old_engine, tmp_path / "old.backup")
    finally:
        old_engine.dispose()
    assert old_file.revision == older

    _filled(db_engine)
    before = all_rows(db_engine)
    with pytest.raises(backup.BackupError) as refused:
        backup.restore(db_engine, old_file.path, overwrite=True)
    assert f"备份文件的数据库结构版本为 {older}，本程序的为 {backup.code_revision()}，不能恢复" in str(refused.value)
    assert all_rows(db_engine) == before


def test_what_is_not_a_backup_is_refused(db_engine, tmp_path):
    _filled(db_engine)
    before = all_rows(db_engine)
    junk = tmp_path / "notes.txt"
    junk.write_text("不是备份", encoding="utf-8")
    with pytest.raises(backup.BackupError, match="不是本系统的备份文件"):
        backup.restore(db_engine, junk, overwrite=True)
    with pytest.raises(backup.BackupError, match="找不到备份文件"):
        backup.restore(db_engine, tmp_path / "missing.backup", overwrite=True)
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(backup.backup(db_engine, tmp_path / "whole.backup").path.read_bytes()[:5000])
    with pytest.raises(backup.BackupError, match="损坏|无法读取"):
        backup.restore(db_engine, truncated, overwrite=True)
    assert all_rows(db_engine) == before


def test_a_sqlite_backup_is_not_restored_into_postgresql(pg_url, tmp_path):
    sqlite = make_engine(f"sqlite:///{tmp_path / 'small.db'}")
    prepare(sqlite)
    sqlite_file = backup.backup(sqlite, tmp_path / "sqlite.backup")
    pg = make_engine(pg_url)
    try:
        with pytest.raises(backup.BackupError, match="是 SQLite 数据库的备份，不能恢复到 PostgreSQL 数据库"):
            backup.restore(pg, sqlite_file.path, overwrite=True)
    finally:
        pg.dispose()
        sqlite.dispose()


def test_a_backup_taken_while_incomes_are_being_saved_is_a_consistent_snapshot(db_engine, scratch_url, tmp_path):
    load_demo(db_engine, households=200, seed=5)  # enough rows that the copy takes a while
    with transaction(db_engine) as s:
        household_id = add_file(s, 1).id
    start_version = data_version(db_engine)
    months = [dt.date(2010 + i // 12, i % 12 + 1, 1) for i in range(180)]  # 2010-01 … 2024-12
    saved: list[dt.date] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer():
        try:
            for month in months:
                if stop.is_set():
                    return
                _save_income(db_engine, household_id, month, "1000")  # income row + audit row + data version: one transaction
                saved.append(month)
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(saved) < 5 and thread.is_alive():
            time.sleep(0.01)
        saved_at_start = len(saved)
        file = backup.backup(db_engine, tmp_path / "busy.backup")
        saved_at_end = len(saved)
        while len(saved) < saved_at_end + 5 and thread.is_alive():
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(timeout=120)
    assert not errors, errors
    assert saved_at_start >= 5 and len(saved) > saved_at_end  # saving went on before and after the backup

    restored = make_engine(scratch_url)
    try:
        backup.restore(restored, file.path)  # an empty database: no --yes needed
        with restored.connect() as c:
            got = c.execute(select(IncomeMonth.month).where(IncomeMonth.household_id == household_id)
                            .order_by(IncomeMonth.month)).scalars().all()
            audited = c.execute(select(func.count()).select_from(AuditLog).where(
                AuditLog.entity == "income_month", AuditLog.household_id == household_id)).scalar()
        version_in_backup = data_version(restored) - 1  # the restore moved it by one
    finally:
        restored.dispose()
    # every save is in the backup whole or not at all, and the saves in it are the first ones, in order
    assert saved_at_start <= len(got) <= saved_at_end
    assert got == months[:len(got)]
    assert audited == len(got)
    assert version_in_backup == start_version + len(got)


def _manage(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "JIEKUN_DATABASE_URL": url}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=300)


def test_manage_py_backup_and_restore(db_engine, tmp_path):
    _filled(db_engine)
    before = all_rows(db_engine)
    url = db_engine.url.render_as_string(hide_password=False)
    out = tmp_path / "from-shell.backup"
    made = _manage(url, "backup", str(out))
    assert made.returncode == 0, made.stderr
    assert f"结构版本 {backup.code_revision()}" in made.stdout and out.exists()
    again = _manage(url, "backup", str(out))
    assert again.returncode == 2 and "已存在" in again.stderr and "--yes" in again.stderr

    with db_engine.begin() as c:
        c.execute(text("DELETE FROM income_month"))
    refused = _manage(url, "restore", str(out))
    assert refused.returncode == 2 and "加 --yes 再运行" in refused.stderr and "Traceback" not in refused.stderr
    with db_engine.connect() as c:
        assert c.execute(select(func.count()).select_from(IncomeMonth)).scalar() == 0  # refused: nothing changed
    done = _manage(url, "restore", str(out), "--yes")
    assert done.returncode == 0, done.stderr
    assert "已从" in done.stdout
    assert all_rows(db_engine)["income_month"] == before["income_month"]
    assert all_rows(db_engine)["household"] == before["household"]


def test_manage_py_says_in_chinese_when_the_database_cannot_be_reached(tmp_path):
    down = "postgresql+psycopg://jiekun:secret@127.0.0.1:1/jiekun"  # nothing listens on port 1
    for args in (("backup", str(tmp_path / "x.backup")), ("restore", str(tmp_path / "x.backup"), "--yes")):
        result = _manage(down, *args)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and "secret" not in result.stderr
    assert "无法连接数据库 postgresql+psycopg://jiekun:***@127.0.0.1:1/jiekun" in _manage(down, "backup", str(tmp_path / "x.backup")).stderr
    nowhere = _manage(f"sqlite:///{tmp_path / 'missing.db'}", "backup", str(tmp_path / "x.backup"))
    assert nowhere.returncode == 2 and "不存在：没有可以备份的数据" in nowhere.stderr


def test_a_pg_dump_older_than_the_server_is_not_run(pg_url, tmp_path, monkeypatch):
    """pg_dump cannot dump a newer server: an old client installed first on PATH is refused by name and version."""
    old = tmp_path / "bin"
    old.mkdir()
    (old / "pg_dump").write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 11.22'\n", encoding="utf-8")
    (old / "pg_dump").chmod(0o755)
    monkeypatch.setenv("PATH", f"{old}:{os.environ['PATH']}")
    engine = make_engine(pg_url)
    try:
        with engine.connect() as c:
            server = int(c.execute(text("SHOW server_version_num")).scalar()) // 10000
        with pytest.raises(backup.BackupError) as refused:
            backup.backup(engine, tmp_path / "x.backup")
    finally:
        engine.dispose()
    assert f"pg_dump 的版本（11）低于数据库服务器的版本（{server}）" in str(refused.value)
    assert f"postgresql-client-{server}" in str(refused.value)
    assert not (tmp_path / "x.backup").exists() and not (tmp_path / "x.backup.partial").exists()

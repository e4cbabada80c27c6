"""The audit log: append-only and tamper-evident (a hash chain), on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from db import audit
from db.actor import system_actor
from db.audit import verify_chain
from db.engine import make_engine, reading, transaction
from db.errors import ServiceError
from db.migrate import prepare
from db.models import AuditLog
from tests.conftest import audit_guard_lifted

ROOT = Path(__file__).resolve().parents[2]


def write(engine, n: int, who: str = "test") -> None:
    actor = system_actor(who)
    with transaction(engine) as s:
        for i in range(n):
            audit.record(s, actor, "update", "household", i, field="name", old=f"旧{i}", new=f"新{i}", reason="测试")


def test_the_audit_log_refuses_update_and_delete(db_engine):
    write(db_engine, 3)
    for statement in ("UPDATE audit_log SET new_value = '改过' WHERE id = (SELECT MIN(id) FROM audit_log)",
                      "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)",
                      "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="操作日志只能追加"):
            with db_engine.begin() as c:
                c.execute(text(statement))
    if db_engine.dialect.name == "postgresql":
        with pytest.raises(Exception, match="操作日志只能追加"):
            with db_engine.begin() as c:
                c.execute(text("TRUNCATE audit_log"))
    with reading(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditLog)) == 3
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.new_value == "改过")) == 0
        assert verify_chain(s) == (3, None)


def test_each_row_carries_the_hash_of_the_one_before(db_engine):
    write(db_engine, 2)
    write(db_engine, 2, "other")
    with reading(db_engine) as s:
        rows = s.scalars(select(AuditLog).order_by(AuditLog.chain_seq)).all()
    assert [r.chain_seq for r in rows] == [1, 2, 3, 4]
    assert rows[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.row_hash for a, b in zip(rows, rows[1:]))
    assert len({r.row_hash for r in rows}) == 4


@pytest.mark.parametrize("tamper", ["edit", "delete", "insert"])
def test_a_tampered_row_is_named_by_the_check(db_engine, tamper):
    write(db_engine, 6)
    with reading(db_engine) as s:
        third = s.scalars(select(AuditLog).order_by(AuditLog.chain_seq).offset(2)).first()
        fourth = s.scalars(select(AuditLog).order_by(AuditLog.chain_seq).offset(3)).first()
    with db_engine.begin() as c, audit_guard_lifted(c):
        if tamper == "edit":  # someone with write access to the database rewrites what was done
            c.execute(text("UPDATE audit_log SET new_value = '改过' WHERE id = :id"), {"id": third.id})
        elif tamper == "delete":
            c.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": third.id})
        else:  # a row slipped in without going through the log's writer
            c.execute(text("INSERT INTO audit_log (at, actor, action, entity) VALUES (:at, 'x', 'update', 'household')"),
                      {"at": third.at})
    with reading(db_engine) as s:
        checked, broken = verify_chain(s)
    if tamper == "edit":
        assert (checked, broken.audit_id) == (2, third.id) and "已被修改" in broken.problem
    elif tamper == "delete":
        assert (checked, broken.audit_id) == (2, fourth.id) and "已被删除" in broken.problem
    else:
        assert checked == 6 and broken.chain_seq is None and "没有校验值" in broken.problem


@pytest.mark.parametrize("writers", [2, 20])
def test_concurrent_writers_do_not_fork_the_chain(db_engine, writers):
    errors = []
    start = threading.Barrier(writers)

    def one(n):
        try:
            start.wait()
            for _ in range(3):
                write(db_engine, 2, f"w{n}")
        except Exception as exc:  # any failure is a finding
            errors.append(repr(exc))

    threads = [threading.Thread(target=one, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with reading(db_engine) as s:
        assert verify_chain(s) == (writers * 6, None)
        assert s.scalar(select(func.count(func.distinct(AuditLog.prev_hash)))) == writers * 6


def test_a_rolled_back_transaction_leaves_no_row_and_no_gap(db_engine):
    write(db_engine, 1)
    with pytest.raises(ServiceError):
        with transaction(db_engine) as s:
            audit.record(s, system_actor("test"), "update", "household", 1, reason="不会保存")
            raise ServiceError("拒绝")
    write(db_engine, 1)
    with reading(db_engine) as s:
        assert verify_chain(s) == (2, None)
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.reason == "不会保存")) == 0


def _manage(db: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"JIEKUN_DATABASE_URL": f"sqlite:///{db}", "PATH": "/usr/bin:/bin", "HOME": str(db.parent)}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)


def test_manage_verify_audit_names_the_first_broken_row(tmp_path):
    db = tmp_path / "verify.db"
    engine = make_engine(f"sqlite:///{db}")
    prepare(engine)
    write(engine, 5)
    ok = _manage(db, "verify-audit")
    assert ok.returncode == 0 and "校验通过" in ok.stdout and "5 条" in ok.stdout
    with engine.begin() as c, audit_guard_lifted(c):
        target = c.scalar(text("SELECT id FROM audit_log ORDER BY chain_seq LIMIT 1 OFFSET 3"))
        c.execute(text("UPDATE audit_log SET actor = 'someone-else' WHERE id = :id"), {"id": target})
    engine.dispose()
    broken = _manage(db, "verify-audit")
    assert broken.returncode == 1
    assert f"编号 {target}" in broken.stderr and "已被修改" in broken.stderr and "之前的 3 条记录完好" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_the_migration_chains_the_rows_already_there(empty_db_url):
    from alembic import command

    from db.migrate import alembic_config

    engine = make_engine(empty_db_url)
    config = alembic_config(empty_db_url)
    command.upgrade(config, "0009")
    with engine.begin() as c:
        for i in range(4):
            c.execute(text("INSERT INTO audit_log (at, actor, action, entity, entity_id, new_value) "
                           "VALUES (:at, 'old', 'create', 'household', :i, '旧记录')"), {"at": f"2026-01-0{i + 1} 08:00:00", "i": str(i)})
    command.upgrade(config, "0012")
    with reading(engine) as s:
        assert verify_chain(s) == (4, None)
    write(engine, 2)  # new rows go on from the backfilled chain
    with reading(engine) as s:
        assert verify_chain(s) == (6, None)
    with pytest.raises(Exception, match="操作日志只能追加"):
        with engine.begin() as c:
            c.execute(text("DELETE FROM audit_log"))
    command.downgrade(config, "0009")  # the triggers go with the columns
    with engine.begin() as c:
        c.execute(text("DELETE FROM audit_log WHERE actor = 'old'"))
        assert c.scalar(text("SELECT COUNT(*) FROM audit_log")) == 2
    engine.dispose()

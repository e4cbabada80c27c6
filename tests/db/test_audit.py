"""The audit log: append-only and tamper-evident (a hash chain), on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
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


def test_the_demo_city_leaves_a_valid_chain(db_engine):
    from demo import load_demo

    write(db_engine, 2)
    load_demo(db_engine, households=20)
    write(db_engine, 1)
    with reading(db_engine) as s:
        checked, broken = verify_chain(s)
        assert broken is None and checked == s.scalar(select(func.count()).select_from(AuditLog)) >= 4


# --- reads of personal data ----------------------------------------------------------------------------------------

import datetime as dt  # noqa: E402

from core.identity import id_check_char  # noqa: E402
from db import file_access, households as hh  # noqa: E402
from db import importer  # noqa: E402
from db.errors import ValidationError  # noqa: E402
from db.models import Household, ImportBatch, Org  # noqa: E402
from db.queries import FileFilter, search_households  # noqa: E402
from tests.db.support import actor_of, add_file  # noqa: E402

TODAY = dt.date(2026, 11, 29)


def pid(first17: str) -> str:
    return first17 + id_check_char(first17)


def rows(engine, action: str) -> list[AuditLog]:
    with reading(engine) as s:
        return s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def test_opening_a_file_is_audited_once_per_user_file_and_day(db_engine):
    with transaction(db_engine) as s:
        first, second = add_file(s, 1), add_file(s, 2)
        files = [(first.id, first.file_no), (second.id, second.file_no)]
    for _ in range(3):  # three reruns of the page, in read-only sessions
        with reading(db_engine) as s:
            for household_id, file_no in files:
                assert file_access.get_household(s, actor_of(s), household_id=household_id)
                audit.file_opened(s, actor_of(s), household_id, file_no)
    with reading(db_engine) as s:
        audit.file_opened(s, actor_of(s, role="admin"), files[0][0], files[0][1])  # another user reads it too
    with reading(db_engine) as s:
        staff_name, admin_name = actor_of(s).username, actor_of(s, role="admin").username
    opened = rows(db_engine, "read")
    assert sorted((r.actor, r.household_id) for r in opened) == sorted(
        [(staff_name, files[0][0]), (staff_name, files[1][0]), (admin_name, files[0][0])])
    assert all(r.reason.startswith("查看档案 ") for r in opened)
    with reading(db_engine) as s:
        assert verify_chain(s)[1] is None


def test_a_search_by_a_full_id_number_is_audited_with_the_number(db_engine):
    with transaction(db_engine) as s:
        number = add_file(s, 7).id_number
    with reading(db_engine) as s:
        assert search_households(s, actor_of(s), FileFilter(text=number))[1] == 1
        assert search_households(s, actor_of(s), FileFilter(text="户主"))[1] == 1  # a name: not a lookup of a person
        search_households(s, actor_of(s), FileFilter(text=number), page=2)  # the same search, another page
    with reading(db_engine) as s:
        search_households(s, actor_of(s), FileFilter(text=pid("13030219990101123")))  # nobody: still who was looked for
    searched = rows(db_engine, "search")
    assert [(r.field, r.new_value) for r in searched] == [("id_number", number), ("id_number", pid("13030219990101123"))]
    assert "找到 1 户" in searched[0].reason and "找到 0 户" in searched[1].reason


def test_a_roster_match_is_audited(db_engine):
    from core.roster import read_roster
    from core.workbook import write_csv
    from db.roster import match_roster

    with transaction(db_engine) as s:
        number = add_file(s, 3).id_number
    roster = read_roster(write_csv(["身份证号", "姓名"], [[number, "户主3"]]), "名单.csv", today=TODAY)
    with reading(db_engine) as s:
        assert len(match_roster(s, actor_of(s), roster.entries, today=TODAY).matched) == 1
    [row] = rows(db_engine, "match")
    assert row.new_value == "1 个身份证号，对应 1 户" and row.actor.startswith("staff@")


def test_a_download_of_personal_data_is_audited(db_engine):
    with transaction(db_engine) as s:
        file = add_file(s, 4)
        file_id, file_no = file.id, file.file_no
    with reading(db_engine) as s:
        audit.personal_data_downloaded(s, actor_of(s), f"打印版档案 {file_no}", household_id=file_id)
        audit.personal_data_downloaded(s, actor_of(s), f"打印版档案 {file_no}", household_id=file_id)  # every one
    assert [(r.household_id, r.reason) for r in rows(db_engine, "download")] == [(file_id, f"下载打印版档案 {file_no}")] * 2


# --- the duplicate check -------------------------------------------------------------------------------------------


def _raw(number: str, members=()) -> dict:
    return {"name": "王建华", "id_number": number, "work_status": "laid_off", "mobile": "13912345678", "members": list(members),
            "causes": [{"cause": "3", "is_main": True}],
            "exclusions": [{"exclusion": c, "applies": False, "source": "入户调查"} for c in ("two_homes", "business", "private_school", "vehicle")]}


def _create(engine, org_name: str, number: str, members=()):
    with transaction(engine) as s:
        org = s.scalar(select(Org).where(Org.name == org_name))
        return hh.create_household(s, actor_of(s, org_name), org_id=org.id, raw=_raw(number, members), today=TODAY)


def test_a_number_held_in_another_district_says_no_more_is_audited_and_limited(db_engine):
    theirs = []
    with transaction(db_engine) as s:
        for n in range(audit.DUPLICATE_DAILY_LIMIT + 1):
            theirs.append(add_file(s, 100 + n, org_name="山海关区总工会").id_number)
        ours = add_file(s, 300)
        ours_no, ours_number = ours.file_no, ours.id_number
    # held in the user's own scope: the file may be named
    with pytest.raises(ValidationError) as caught:
        _create(db_engine, "海港区总工会", ours_number)
    assert ours_no in caught.value.errors["id_number"]
    # held elsewhere, as head or as a member: the same few words, whatever the number's role there
    with pytest.raises(ValidationError) as caught:
        _create(db_engine, "海港区总工会", pid("13030219800101555"), [{"name": "李四", "relation": "other", "id_number": theirs[0]}])
    assert caught.value.errors == {"members.0.id_number": "已在其他工会的档案中，请联系市总工会"}
    for number in theirs[1:audit.DUPLICATE_DAILY_LIMIT]:
        with pytest.raises(ValidationError) as caught:
            _create(db_engine, "海港区总工会", number)
        assert caught.value.errors == {"id_number": "已在其他工会的档案中，请联系市总工会"}
    with pytest.raises(ValidationError) as caught:  # the 21st of the day
        _create(db_engine, "海港区总工会", theirs[audit.DUPLICATE_DAILY_LIMIT])
    assert caught.value.errors == {"id_number": "今日查重次数已达上限，请联系市总工会"}
    refused = rows(db_engine, "refuse_dup")
    assert [r.new_value for r in refused] == theirs[:audit.DUPLICATE_DAILY_LIMIT]  # kept although every save rolled back
    assert all(r.field == "id_number" and r.reason.startswith("查重") for r in refused)
    with reading(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(Household).where(Household.org_id != ours.org_id)) == 21
        assert s.scalar(select(func.count()).select_from(Household)) == 22  # nothing was created
        assert verify_chain(s)[1] is None
    with pytest.raises(ValidationError) as caught:  # another user of the district has a day of their own
        with transaction(db_engine) as s:
            org = s.scalar(select(Org).where(Org.name == "海港区总工会"))
            other = dataclasses.replace(actor_of(s), username="hg-other")
            hh.create_household(s, other, org_id=org.id, raw=_raw(theirs[0]), today=TODAY)
    assert caught.value.errors == {"id_number": "已在其他工会的档案中，请联系市总工会"}


def test_the_import_says_no_more_than_held_elsewhere_for_heads_and_members(db_engine):
    from core.workbook import write_xlsx

    with transaction(db_engine) as s:
        head = add_file(s, 11, org_name="山海关区总工会")
        head_number = head.id_number
        from db.models import Member

        member_number = pid("13030319800101777")
        second_member = pid("13030320000101666")
        s.add(Member(household_id=head.id, name="成员", relation="spouse", id_number=member_number))
        s.add(Member(household_id=head.id, name="子女", relation="child", id_number=second_member))
    data = write_xlsx({
        "家庭档案": [{"name": "甲", "id_number": head_number, "place": "海港区", "main_cause": "下岗失业"},
                     {"name": "乙", "id_number": member_number, "place": "海港区", "main_cause": "下岗失业"},
                     {"name": "丙", "id_number": pid("13030219810101888"), "place": "海港区", "main_cause": "下岗失业"}],
        "家庭成员": [{"file_no": "#" + pid("13030219810101888"), "name": "丁", "relation": "配偶", "id_number": second_member}],
    }, template=True)
    with pytest.raises(importer.ImportRefused) as caught:
        with transaction(db_engine) as s:
            importer.run(s, actor_of(s), data, "名单.xlsx", today=TODAY)
    held = [p for p in caught.value.problems if p.column in ("户主身份证号", "身份证号")]
    assert [(p.sheet, p.message) for p in held] == [("家庭档案", audit.DUPLICATE_ELSEWHERE)] * 2 + [("家庭成员", audit.DUPLICATE_ELSEWHERE)]
    assert all("户主" not in p.message and "成员" not in p.message and "SHG" not in p.message for p in held)
    assert sorted(r.new_value for r in rows(db_engine, "refuse_dup")) == sorted([head_number, member_number, second_member])


# --- undoing an import ---------------------------------------------------------------------------------------------


def test_undoing_an_import_keeps_the_deleted_rows_in_the_audit_trail(db_engine):
    from core.workbook import write_xlsx

    number = pid("13030219750101999")
    data = write_xlsx({
        "家庭档案": [{"file_no": "HG-0001", "name": "赵一", "id_number": number, "place": "海港区", "main_cause": "下岗失业"}],
        "家庭成员": [{"file_no": "HG-0001", "name": "钱二", "relation": "配偶", "id_number": pid("13030219760101998")}],
        "月收入": [{"file_no": "HG-0001", "month": f"2026-0{m}", "income": "1800.50", "persons": 2} for m in (1, 2, 3)],
    }, template=True)
    with transaction(db_engine) as s:
        report = importer.run(s, actor_of(s), data, "档案.xlsx", today=TODAY)
    with transaction(db_engine) as s:
        household_id = s.scalar(select(Household.id).where(Household.file_no == "HG-0001"))
        importer.undo(s, actor_of(s), report.batch_id, expected_version=s.get(ImportBatch, report.batch_id).version)
    with reading(db_engine) as s:
        assert s.get(Household, household_id) is None
        kept = {r.entity: r for r in s.scalars(select(AuditLog).where(AuditLog.action == "delete"))}
        assert verify_chain(s)[1] is None
    assert {"household", "member", "income_month", "household_cause", "status_change", "process_step"} <= kept.keys()
    [file_row] = json.loads(kept["household"].old_value)
    assert (file_row["name"], file_row["id_number"], file_row["file_no"]) == ("赵一", number, "HG-0001")
    incomes = json.loads(kept["income_month"].old_value)
    assert sorted(r["month"] for r in incomes) == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert {r["income_fen"] for r in incomes} == {"180050"}
    assert json.loads(kept["member"].old_value)[0]["name"] == "钱二"
    assert all(r.household_id == household_id and f"撤销导入批次 {report.batch_id}" in r.reason for r in kept.values())


def test_a_row_added_to_a_session_directly_joins_the_chain(db_engine):
    from db.models import now

    write(db_engine, 1)
    with transaction(db_engine) as s:
        s.add(AuditLog(at=now(), actor="direct", action="login", entity="app_user"))
        s.flush()
    with transaction(db_engine) as s:  # added last, flushed only by the commit
        s.add(AuditLog(at=now(), actor="direct-unflushed", action="login", entity="app_user"))
    write(db_engine, 1)
    with reading(db_engine) as s:
        assert verify_chain(s) == (4, None)
        assert s.scalar(select(AuditLog.chain_seq).where(AuditLog.actor == "direct")) == 2
        assert s.scalar(select(AuditLog.chain_seq).where(AuditLog.actor == "direct-unflushed")) == 3


def test_past_the_limit_the_check_no_longer_answers_for_new_numbers(db_engine):
    from core.workbook import write_xlsx

    with transaction(db_engine) as s:
        theirs = [add_file(s, 100 + n, org_name="山海关区总工会").id_number for n in range(audit.DUPLICATE_DAILY_LIMIT)]
        ours = add_file(s, 300)
        ours_id, ours_number = ours.id, ours.id_number
    for number in theirs:
        with pytest.raises(ValidationError):
            _create(db_engine, "海港区总工会", number)
    free = pid("13030219850101444")  # held nowhere: accepting it now would tell as much as refusing it
    with pytest.raises(ValidationError) as caught:
        _create(db_engine, "海港区总工会", free)
    assert caught.value.errors == {"id_number": audit.DUPLICATE_LIMIT_MESSAGE}
    data = write_xlsx({"家庭档案": [{"name": "甲", "id_number": free, "place": "海港区", "main_cause": "下岗失业"}]}, template=True)
    with pytest.raises(importer.ImportRefused) as refused:
        with transaction(db_engine) as s:
            importer.run(s, actor_of(s), data, "名单.xlsx", today=TODAY)
    assert [p.message for p in refused.value.problems] == [audit.DUPLICATE_LIMIT_MESSAGE]
    # the user's own file, with the numbers it already holds, can still be corrected
    with transaction(db_engine) as s:
        h = file_access.load_children(s.get(Household, ours_id))
        changed = hh.update_household(s, actor_of(s), ours_id, expected_version=h.version, loaded=None, today=TODAY,
                                      raw=_raw(ours_number) | {"name": "改名"})
    assert "name" in changed
    assert len(rows(db_engine, "refuse_dup")) == audit.DUPLICATE_DAILY_LIMIT

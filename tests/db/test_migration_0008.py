"""Migration 0008 on a database of the schema before it (0005): stored ID numbers normalised, duplicates
revealed by it reported and kept, the calendar table created; the models match the migrated schema."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from core.identity import id_check_char
from db.actor import system_actor
from db.engine import reading
from db.id_duplicates import open_id_duplicates
from db.migrate import alembic_config
from db.models import Base

ASCII = "130302197907195302"
assert id_check_char(ASCII[:17]) == ASCII[17]
FULL_WIDTH = "130302197907195\uff1302"  # the example: a full-width ３
OTHER = "13030219800101002" + id_check_char("13030219800101002")
OTHER_TYPED = "１３０３０２１９８００１０１００２" + ("ｘ" if OTHER[-1] == "X" else chr(0xFF10 + int(OTHER[-1])))
MEMBER_TYPED = "13030220100101018x"  # a lower-case check character
assert id_check_char(MEMBER_TYPED[:17]) == "X"


def _household(c, hid, file_no, status, number):
    c.execute(text(
        "INSERT INTO household (id, file_no, org_id, place_code, status, hard_to_exit, casualty, name, id_number, single_parent, "
        "zero_employment, self_help_ability, created_at, updated_at, version) VALUES (:id, :no, 1, '130302', :st, false, false, "
        ":name, :num, false, false, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"),
        {"id": hid, "no": file_no, "st": status, "name": f"户主{hid}", "num": number})


def test_stored_numbers_are_normalised_and_revealed_duplicates_reported_not_merged(engine_at_0005, capsys):
    engine, url = engine_at_0005
    with engine.begin() as c:
        _household(c, 1, "QHD-1", "active", ASCII)        # the person's open file
        _household(c, 2, "QHD-2", "active", FULL_WIDTH)   # the same person again, typed with a full-width ３
        _household(c, 3, "QHD-3", "exited", OTHER_TYPED)  # a closed file, all full-width
        c.execute(text("INSERT INTO member (id, household_id, name, relation, id_number, monthly_income_fen, able_to_work, version) "
                       "VALUES (1, 3, '子', 'child', :n, 0, false, 1)"), {"n": MEMBER_TYPED})
        c.execute(text("INSERT INTO member (id, household_id, name, relation, id_number, monthly_income_fen, able_to_work, version) "
                       "VALUES (2, 1, '配偶', 'spouse', :n, 0, false, 1)"), {"n": "１３０３０２１９８００１０１００２" + OTHER[-1]})
    command.upgrade(alembic_config(url), "head")
    printed = capsys.readouterr().out
    with engine.connect() as c:
        numbers = dict(c.execute(text("SELECT file_no, id_number FROM household")).all())
        member_numbers = dict(c.execute(text("SELECT id, id_number FROM member")).all())
        reviews = c.execute(text("SELECT entity, entity_id, old_value, new_value, reason FROM audit_log "
                                 "WHERE action = 'review' ORDER BY entity_id")).all()
        updates = c.execute(text("SELECT entity, entity_id FROM audit_log WHERE action = 'update' AND field = 'id_number'")).all()
        assert c.execute(text("SELECT count(*) FROM official_calendar_year")).scalar() == 0
        differences = compare_metadata(MigrationContext.configure(c), Base.metadata)
    assert differences == []  # `alembic check` clean: models and migrations agree
    # both open files are kept; the later one keeps its number as typed (one open file per head's number)
    assert numbers == {"QHD-1": ASCII, "QHD-2": FULL_WIDTH, "QHD-3": OTHER}
    assert member_numbers == {1: MEMBER_TYPED.upper(), 2: OTHER}
    assert sorted(updates) == [("household", "3"), ("member", "1"), ("member", "2")]
    # the revealed duplicate is in the audit log (both rows) and printed
    assert [(r.entity, r.entity_id, r.old_value, r.new_value) for r in reviews] == [
        ("household", "1", ASCII, ASCII), ("household", "2", FULL_WIDTH, ASCII)]
    assert all("QHD-1、QHD-2" in r.reason and "未合并" in r.reason for r in reviews)
    assert "本档案号码暂按原样保存" in reviews[1].reason
    assert "QHD-1, QHD-2" in printed
    # the closed file's number equals a member of an open file: not two open files, so not reported
    with reading(engine) as s:
        listed = open_id_duplicates(s, system_actor("test"))
    assert [(r["身份证号"], r["档案编号"], r["存储形式"]) for r in listed] == [(ASCII, "QHD-1", ASCII), (ASCII, "QHD-2", FULL_WIDTH)]

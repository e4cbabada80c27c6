"""纳入政府救助体系 in the store, on SQLite and PostgreSQL: records added, ended and corrected (versioned, audited, scoped),
read by the status engine per month, and migration 0007 keeping every value and date of the old single field."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import select, text

from db import assistance, audit
from db.engine import reading, transaction
from db.errors import Conflict, NotFound, ValidationError
from db.evaluation import load_inputs
from db.migrate import alembic_config
from db.models import AssistanceRecord, AuditLog
from tests.db.support import actor_of, add_file

TODAY = dt.date(2026, 11, 29)


def _add(engine, household_id, org="海港区总工会", **raw):
    with transaction(engine) as s:
        record = assistance.add_record(s, actor_of(s, org), household_id, {"programme": "低保", "from_on": "2026-03-15",
                                                                           "source": "入户调查"} | raw, today=TODAY)
        return record.id, record.version


def test_a_record_is_added_ended_and_corrected_with_versions_and_audit_rows(db_engine):
    with transaction(db_engine) as s:
        hid = add_file(s, 1).id
        data_before = audit.data_version(s)
    record_id, version = _add(db_engine, hid)
    with transaction(db_engine) as s:
        assistance.end_record(s, actor_of(s), record_id, dt.date(2026, 9, 30), expected_version=version, today=TODAY)
    with transaction(db_engine) as s:
        changed = assistance.correct_record(s, actor_of(s), record_id, {"programme": "特困供养", "from_on": "2026-03-01",
                                                                        "to_on": "2026-09-30", "source": "民政部门名单比对"},
                                            expected_version=version + 1, reason="民政复核：实为特困供养，3月1日起", today=TODAY)
        assert changed == ["programme", "from_on", "source"]
    with reading(db_engine) as s:
        record = s.get(AssistanceRecord, record_id)
        assert (record.programme, record.from_on, record.to_on, record.source, record.version) == (
            "tekun", dt.date(2026, 3, 1), dt.date(2026, 9, 30), "roster", 3)
        trail = s.scalars(select(AuditLog).where(AuditLog.household_id == hid).order_by(AuditLog.id)).all()
        assert [(a.action, a.entity, a.field, a.old_value, a.new_value) for a in trail[1:]] == [
            ("update", "assistance_record", "to_on", None, "2026-09-30"),
            ("update", "assistance_record", "programme", "dibao", "tekun"),
            ("update", "assistance_record", "from_on", "2026-03-15", "2026-03-01"),
            ("update", "assistance_record", "source", "survey", "roster")]
        assert trail[0].action == "create" and '"programme": "dibao"' in trail[0].new_value
        assert {a.reason for a in trail[2:]} == {"民政复核：实为特困供养，3月1日起"}
        assert audit.data_version(s) > data_before
        frame = assistance.records_frame(s, actor_of(s), hid, TODAY)
        assert frame[["救助项目", "起始日期", "截止日期", "来源", "当前"]].values.tolist() == [
            ["特困供养", "2026-03-01", "2026-09-30", "民政部门名单比对", ""]]
        # the file's own trail shows the record's rows
        from db.file_access import get_household
        from db.file_view import file_audit
        assert "救助记录" in set(file_audit(s, actor_of(s), get_household(s, actor_of(s), household_id=hid))["对象"])


def test_a_stale_version_two_overlapping_records_and_a_correction_without_reason_are_refused(db_engine):
    with transaction(db_engine) as s:
        hid = add_file(s, 1).id
    record_id, version = _add(db_engine, hid, to_on="2026-06-30")
    with pytest.raises(ValidationError) as overlap:
        _add(db_engine, hid, from_on="2026-06-30")
    assert "时间不能重叠" in overlap.value.errors["from_on"]
    _add(db_engine, hid, from_on="2026-07-01")  # the next day: a new period of 低保
    _add(db_engine, hid, programme="医疗救助", from_on="2026-05-01")  # another programme at the same time
    with pytest.raises(Conflict), transaction(db_engine) as s:
        assistance.correct_record(s, actor_of(s), record_id, {"programme": "低保", "from_on": "2026-03-01", "source": "手工录入",
                                                              "to_on": "2026-06-30"}, expected_version=version + 5,
                                  reason="更正", today=TODAY)
    with pytest.raises(ValidationError) as no_reason, transaction(db_engine) as s:
        assistance.correct_record(s, actor_of(s), record_id, {}, expected_version=version, reason=" ", today=TODAY)
    assert "原因" in no_reason.value.errors["reason"]
    with pytest.raises(ValidationError) as ended, transaction(db_engine) as s:
        assistance.end_record(s, actor_of(s), record_id, dt.date(2026, 8, 1), expected_version=version, today=TODAY)
    assert "已于 2026-06-30 截止" in ended.value.errors["to_on"]
    with pytest.raises(ValidationError) as early, transaction(db_engine) as s:
        assistance.add_record(s, actor_of(s), hid, {"programme": "住房救助", "from_on": "2026-12-01", "source": "手工录入"}, today=TODAY)
    assert "晚于今天" in early.value.errors["from_on"]
    with reading(db_engine) as s:
        assert len(assistance.records_of(s, actor_of(s), hid)) == 3


def test_another_districts_file_and_read_only_roles_cannot_touch_records(db_engine):
    with transaction(db_engine) as s:
        hid = add_file(s, 1).id
    record_id, version = _add(db_engine, hid)
    for org, role in (("昌黎县总工会", "staff"), ("海港区总工会", "viewer")):
        with pytest.raises(NotFound), transaction(db_engine) as s:
            assistance.add_record(s, actor_of(s, org, role), hid, {"programme": "低保", "from_on": "2020-01-01", "source": "手工录入"},
                                  today=TODAY)
        with pytest.raises(NotFound), transaction(db_engine) as s:
            assistance.end_record(s, actor_of(s, org, role), record_id, dt.date(2026, 5, 1), expected_version=version, today=TODAY)
    with reading(db_engine) as s:
        assert [r.to_on for r in assistance.records_of(s, actor_of(s), hid)] == [None]
        assert assistance.in_force_in_month(s, actor_of(s), dt.date(2026, 3, 1)) == {hid}
        assert assistance.in_force_in_month(s, actor_of(s, "昌黎县总工会"), dt.date(2026, 3, 1)) == set()


@pytest.mark.parametrize("as_of, expected", [
    (dt.date(2018, 2, 28), False), (dt.date(2018, 3, 1), True),   # a 临时救助 of 3-20 counts for March
    (dt.date(2018, 4, 30), True), (dt.date(2018, 5, 1), False),   # ended 04-02: in force in April, not in May
    (dt.date(2019, 6, 30), False), (dt.date(2019, 7, 1), True),   # 低保 from 07-31: July
])
def test_the_engine_reads_in_the_system_on_the_month_judged(db_engine, as_of, expected):
    with transaction(db_engine) as s:
        hid = add_file(s, 1, filed_on=dt.date(2017, 6, 1),
                       assistance=[("temporary", dt.date(2018, 3, 20), dt.date(2018, 4, 2)), ("dibao", dt.date(2019, 7, 31))]).id
    with reading(db_engine) as s:
        _, files = load_inputs(s, actor_of(s), as_of)
        assert bool(files.set_index("household_id").at[hid, "in_safety_net"]) is expected


# --- migration 0007 ------------------------------------------------------------------------------


def test_migration_0007_keeps_every_programme_and_date_of_the_old_field(engine_at_0005):
    engine, url = engine_at_0005
    cfg = alembic_config(url)
    with engine.begin() as c:
        for hid, net, since, filed, created in [
            (1, "dibao", "2016-05-01", "2017-03-01", "2017-02-01 09:00:00"),
            (2, "tekun", "2018-09-17", "2017-03-01", "2017-02-01 09:00:00"),
            (3, "dibao", None, "2017-08-08", "2017-07-01 09:00:00"),   # no since-date: from the filing date
            (4, "tekun", None, None, "2020-04-05 10:30:00"),            # never filed: from the day the file was made
            (5, None, None, "2017-03-01", "2017-02-01 09:00:00"),       # in no programme: no record
        ]:
            c.execute(text("INSERT INTO household (id, file_no, org_id, place_code, status, hard_to_exit, casualty, name, id_number, "
                           "single_parent, zero_employment, self_help_ability, safety_net, safety_net_since, filed_on, created_at, "
                           "updated_at, version) VALUES (:id, :no, 1, '130302', :status, true, false, :name, :idn, false, false, "
                           "false, :net, :since, :filed, :created, :created, 1)"),
                      {"id": hid, "no": f"M-{hid}", "status": "active" if filed else "applying", "name": f"户{hid}",
                       "idn": f"ID{hid}", "net": net, "since": since, "filed": filed, "created": created})
    with engine.begin() as c:
        cfg.attributes["connection"] = c
        command.upgrade(cfg, "0007")
    with engine.connect() as c:
        rows = c.execute(text("SELECT household_id, programme, from_on, to_on, source, version FROM assistance_record "
                              "ORDER BY household_id")).all()
        columns = set(c.execute(text("SELECT * FROM household LIMIT 0")).keys())
    as_date = lambda v: v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)[:10])  # noqa: E731
    assert [(r[0], r[1], as_date(r[2]), r[3], r[4], r[5]) for r in rows] == [
        (1, "dibao", dt.date(2016, 5, 1), None, "legacy", 1),
        (2, "tekun", dt.date(2018, 9, 17), None, "legacy", 1),
        (3, "dibao", dt.date(2017, 8, 8), None, "legacy", 1),
        (4, "tekun", dt.date(2020, 4, 5), None, "legacy", 1),
    ]
    assert "safety_net" not in columns and "safety_net_since" not in columns and "file_no" in columns
    # and back: the old field gets the open record again
    with engine.begin() as c:
        cfg.attributes["connection"] = c
        command.downgrade(cfg, "0005")
    with engine.connect() as c:
        back = c.execute(text("SELECT id, safety_net, safety_net_since FROM household ORDER BY id")).all()
    assert [(r[0], r[1], r[2] and as_date(r[2])) for r in back] == [
        (1, "dibao", dt.date(2016, 5, 1)), (2, "tekun", dt.date(2018, 9, 17)), (3, "dibao", dt.date(2017, 8, 8)),
        (4, "tekun", dt.date(2020, 4, 5)), (5, None, None)]
    engine.dispose()

"""The store itself: where the database is, SQLite settings, migrations that keep data, scope, audit."""

import pytest
from sqlalchemy import func, select, text

from db import audit, engine as store
from db.actor import Actor, system_actor
from db.engine import reading, session_factory, transaction
from db.errors import Conflict, OutOfScope
from db.migrate import is_current, prepare
from db.models import AuditLog, Household, Org, Place, PolicyParameter
from db.queries import FileFilter, search_households, status_counts
from db.reference import add_org
from db.scope import require_org


def test_url_comes_from_env_then_secrets_then_sqlite(monkeypatch, tmp_path):
    monkeypatch.setattr(store, "SECRETS_FILE", tmp_path / "secrets.toml")
    monkeypatch.setattr(store, "DEFAULT_SQLITE", tmp_path / "data" / "jiekun.db")
    monkeypatch.delenv("JIEKUN_DATABASE_URL", raising=False)
    assert store.database_url() == f"sqlite:///{tmp_path / 'data' / 'jiekun.db'}"
    (tmp_path / "secrets.toml").write_text('[database]\nurl = "postgresql+psycopg://u@h/db"\n')
    assert store.database_url() == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("JIEKUN_DATABASE_URL", "sqlite:////x.db")
    assert store.database_url() == "sqlite:////x.db"


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(sqlite_engine):
    with sqlite_engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert c.execute(text("PRAGMA busy_timeout")).scalar() == store.SQLITE_BUSY_TIMEOUT_MS


def test_migrating_again_keeps_the_data(db_engine):
    with transaction(db_engine) as s:
        s.add(_household(s, "KEEP-1", "海港区总工会"))
    prepare(db_engine)  # what `manage.py init` and every app start do
    assert is_current(db_engine)
    with reading(db_engine) as s:
        assert s.scalar(select(Household.file_no)) == "KEEP-1"
        # reference data is seeded once, not duplicated
        assert s.scalar(select(text("count(*)")).select_from(Place)) == 10
        assert len(s.scalars(select(PolicyParameter).where(PolicyParameter.key == "exit_run_months")).all()) == 1


def _household(session, file_no, org_name, name="张三"):
    org = session.scalar(select(Org).where(Org.name == org_name))
    return Household(file_no=file_no, org_id=org.id, place_code=org.place_code, status="active",
                     name=name, id_number=f"ID-{file_no}")


def _staff(session, org_name) -> Actor:
    org = session.scalar(select(Org).where(Org.name == org_name))
    return Actor(username="s", display_name="s", role="staff", org_id=org.id, org_path=org.path, org_name=org.name)


def test_scope_is_the_subtree_of_the_users_union(db_engine):
    with transaction(db_engine) as s:
        haigang = s.scalar(select(Org).where(Org.name == "海港区总工会"))
        street = add_org(s, "海港区某街道工会", "grassroots", haigang, haigang.place_code)
        s.add_all([
            _household(s, "HG-1", "海港区总工会"),
            Household(file_no="HG-2", org_id=street.id, place_code=street.place_code, status="active", name="李四", id_number="ID-HG-2"),
            _household(s, "CL-1", "昌黎县总工会"),
        ])
    with reading(db_engine) as s:
        hg = _staff(s, "海港区总工会")
        cl = _staff(s, "昌黎县总工会")
        frame, total = search_households(s, hg)
        assert total == 2 and set(frame["档案编号"]) == {"HG-1", "HG-2"}
        frame, total = search_households(s, cl)
        assert list(frame["档案编号"]) == ["CL-1"]
        # searching for another district's file by its exact number finds nothing
        assert search_households(s, cl, FileFilter(text="HG-1"))[1] == 0
        assert status_counts(s, hg)["active"] == 2
        other = s.scalar(select(Household).where(Household.file_no == "HG-1"))
        with pytest.raises(OutOfScope):
            require_org(s, cl, other.org_id)
        viewer = Actor(username="v", display_name="v", role="viewer", org_id=hg.org_id, org_path=hg.org_path)
        with pytest.raises(OutOfScope):
            require_org(s, viewer, other.org_id, write=True)
        with pytest.raises(OutOfScope):
            search_households(s, viewer)


def test_update_audits_each_field_bumps_the_data_version_and_refuses_a_stale_version(db_engine):
    actor = system_actor("test")
    with transaction(db_engine) as s:
        hh = _household(s, "V-1", "海港区总工会")
        audit.create(s, actor, hh)
        start = audit.data_version(s)
        hh_id = hh.id
    with transaction(db_engine) as s:
        hh = s.get(Household, hh_id)
        loaded = hh.version
        changed = audit.update(s, actor, hh, {"name": "张三丰", "mobile": "13812345678", "status": "active"},
                               expected_version=loaded, reason="更正")
        assert changed == ["name", "mobile"]
    with transaction(db_engine) as s:
        assert audit.data_version(s) == start + 1
        rows = s.scalars(select(AuditLog).where(AuditLog.entity == "household", AuditLog.action == "update")).all()
        assert [(r.field, r.old_value, r.new_value, r.reason) for r in rows] == [
            ("name", "张三", "张三丰", "更正"), ("mobile", None, "13812345678", "更正")]
        with pytest.raises(Conflict, match="已被他人修改"):
            audit.update(s, actor, s.get(Household, hh_id), {"name": "王五"}, expected_version=loaded)


def test_a_racing_update_fails_at_the_database_and_is_reported_as_a_conflict(db_engine):
    """Two saves pass the version check at the same time; the database refuses the second UPDATE."""
    with transaction(db_engine) as s:
        s.add(_household(s, "R-1", "海港区总工会"))
    # `second` is a plain session: one opened by transaction() would on SQLite hold the write lock from its first
    # read (BEGIN IMMEDIATE), and `first` would wait for it instead of saving in between
    with pytest.raises(Conflict, match="刚刚被他人修改"):
        with session_factory(db_engine)() as second, second.begin():
            b = second.scalar(select(Household).where(Household.file_no == "R-1"))
            seen = b.version
            with transaction(db_engine) as first:  # someone else saves in between
                a = first.scalar(select(Household).where(Household.file_no == "R-1"))
                audit.update(first, system_actor("a"), a, {"name": "甲"}, expected_version=seen)
            audit.update(second, system_actor("b"), b, {"name": "乙"}, expected_version=seen)
    with reading(db_engine) as s:
        assert s.scalar(select(Household.name).where(Household.file_no == "R-1")) == "甲"


def test_one_main_cause_per_household_is_enforced_by_the_database(db_engine):
    from sqlalchemy.exc import IntegrityError

    from db.errors import RACE_MESSAGE, Conflict

    from db.models import HouseholdCause

    with transaction(db_engine) as s:
        hh = _household(s, "C-1", "海港区总工会")
        s.add(hh)
        s.flush()
        s.add(HouseholdCause(household_id=hh.id, cause="3", is_main=True))
        s.add(HouseholdCause(household_id=hh.id, cause="6", is_main=False))
        hh_id = hh.id
    with pytest.raises(Conflict) as refused:  # the database refuses it; the user is told in Chinese, nothing kept
        with transaction(db_engine) as s:
            s.add(HouseholdCause(household_id=hh_id, cause="1", is_main=True))
            s.flush()
    assert isinstance(refused.value.__context__, IntegrityError) and str(refused.value) == RACE_MESSAGE
    with reading(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(HouseholdCause).where(HouseholdCause.household_id == hh_id)) == 2

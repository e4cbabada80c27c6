"""The migrations of issue 10 (0006–0009) on a whole demo city: a database of the schema before them (0005) holding
what that schema could hold is upgraded, and every file's answer and every assistance record stays as it was."""

import datetime as dt

from alembic import command
from sqlalchemy import create_engine, delete, func, select

from demo import load_demo
from db.engine import make_engine, reading, transaction
from db.evaluation import evaluate_files
from db.migrate import alembic_config, prepare
from db.models import AssistanceRecord, Household, IncomeMonth, Measure, MeasureStatusChange, Member
from db.actor import system_actor

DAYS = [dt.date(2018, 12, 31), dt.date(2019, 6, 30), dt.date(2019, 12, 31), dt.date(2020, 12, 31)]
ANSWER = ["household_id", "status", "suggestion", "judged_month", "run_months", "near_exit", "unhelped", "missing_recent",
          "in_safety_net", "has_measure_carried_out", "has_active_measure"]


def _answers(engine) -> dict:
    actor = system_actor("migration")
    with reading(engine) as s:
        return {day: evaluate_files(s, actor, day)[ANSWER].sort_values("household_id").reset_index(drop=True) for day in DAYS}


def _stored(engine) -> dict:
    with reading(engine) as s:
        return {
            "records": sorted(s.execute(select(AssistanceRecord.household_id, AssistanceRecord.programme, AssistanceRecord.from_on,
                                               AssistanceRecord.to_on)).all()),
            "ids": sorted(s.scalars(select(Household.id_number))) + sorted(n for n in s.scalars(select(Member.id_number)) if n),
            "counts": [s.scalar(select(func.count()).select_from(m)) for m in (Household, Member, IncomeMonth, Measure)],
        }


def test_a_demo_city_at_the_schema_before_these_changes_upgrades_with_every_answer_kept(empty_db_url):
    engine = make_engine(empty_db_url)
    prepare(engine)
    load_demo(engine, households=150, seed=11)
    with transaction(engine) as s:  # what schema 0005 could hold: one open 低保/特困 record, no measure history
        s.execute(delete(MeasureStatusChange))
        kept: set[int] = set()
        for r in s.scalars(select(AssistanceRecord).order_by(AssistanceRecord.household_id, AssistanceRecord.from_on)):
            if r.programme in ("dibao", "tekun") and r.household_id not in kept:
                kept.add(r.household_id)
                r.to_on = None
            else:
                s.delete(r)
    assert kept, "the demo has files in 低保/特困"
    before, stored = _answers(engine), _stored(engine)
    assert any((a["suggestion"] == "relief").any() for a in before.values())  # the safety net matters to the answers

    url = engine.url.render_as_string(hide_password=False)
    plain = create_engine(url)
    with plain.connect() as connection:
        if plain.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # SQLite rebuilds tables to drop columns
            connection.commit()
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
        connection.commit()
    plain.dispose()
    prepare(engine)  # 0005 → head, as `manage.py init` does on a federation's database

    assert _stored(engine) == stored
    after = _answers(engine)
    for day in DAYS:
        assert after[day].equals(before[day]), day
    with reading(engine) as s:  # every measure has its history again, backfilled from its status and dates
        assert s.scalar(select(func.count(func.distinct(MeasureStatusChange.measure_id)))) == s.scalar(
            select(func.count()).select_from(Measure))
    engine.dispose()

"""DOMAIN.md "When a household is out", through the store: the month judged per file, 经精准帮扶后, measures as of
the date by their status history — in the engine, the work queues and the confirmation, on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from sqlalchemy import select, text

from db import measures
from db import worklist as worklist_service
from db.engine import reading, transaction
from db.errors import ValidationError
from db.evaluation import evaluate_files, report
from db.proposals import confirm
from db.migrate import prepare
from db.models import AuditLog, DibaoLine, IncomeMonth, Measure, MeasureStatusChange, PolicyParameter
from tests.db.support import actor_of, add_file

LINE = 70000  # 700.00 yuan


def _file(s, n, months: list[int], per_capita: int = 70001, persons: int = 3, removed: dt.date | None = dt.date(2026, 2, 1),
          **fields):
    """A 在档 file with incomes for the given months of 2026 (1 = January) and its one cause removed (or open)."""
    household = add_file(s, n, causes=("3",), **fields)
    for month in months:
        s.add(IncomeMonth(household_id=household.id, month=dt.date(2026, month, 1), income_fen=per_capita * persons, persons=persons))
    household.causes[0].removed_on = removed
    s.flush()
    return household


def _helped(s, household, start=dt.date(2026, 1, 10)):
    s.add(Measure(household_id=household.id, track="employment", cause="3", content="推荐就业", status="in_progress", start_on=start))
    s.flush()


def _line(s):
    s.add(DibaoLine(place_code="130302", effective_from=dt.date(2025, 1, 1), amount_fen=LINE))


def test_each_file_is_judged_on_its_own_month_never_on_the_latest_month_in_the_scope(db_engine):
    with transaction(db_engine) as s:
        _line(s)
        eight = _file(s, 1, list(range(3, 11)))      # March–October above the line; November not entered yet
        near = _file(s, 2, list(range(6, 11)))       # June–October: 5 months, 即将脱困
        other = _file(s, 3, [11], per_capita=50000)  # someone else's November is already in
        stale = _file(s, 4, [1, 2, 3])               # nothing since March: 缺近期收入
        for household in (eight, near, other, stale):
            _helped(s, household)
        ids = eight.id, near.id, other.id, stale.id
    as_of = dt.date(2026, 11, 30)
    with reading(db_engine) as s:
        result = evaluate_files(s, actor_of(s), as_of).set_index("household_id")
        work = worklist_service.worklist(s, actor_of(s), dt.date(2026, 12, 3))  # judges the end of last month: 11-30
    e, n, o, st = ids
    assert result.at[e, "suggestion"] == "exit" and result.at[e, "run_months"] == 8 and result.at[e, "judged_month"] == 2026 * 12 + 9
    assert result.at[n, "near_exit"] and result.at[n, "run_months"] == 5
    assert result.at[o, "judged_month"] == 2026 * 12 + 10 and result.at[o, "suggestion"] == ""
    assert result.at[st, "missing_recent"] and result.at[st, "suggestion"] == "" and not result.at[st, "near_exit"]
    queued = {(h, q) for h, q in zip(work.queues["household_id"], work.queues["queue"])}
    assert (n, "near_exit") in queued and (e, "near_exit") not in queued  # other's November does not reset them
    assert (st, "income_not_recent") in queued and (e, "income_not_recent") not in queued
    detail = work.queues[(work.queues["household_id"] == st) & (work.queues["queue"] == "income_not_recent")]["detail"].iloc[0]
    assert detail.startswith("2026年10月至2026年11月没有收入记录")
    with reading(db_engine) as s:
        table = report(evaluate_files(s, actor_of(s), as_of)).set_index("档案编号")
    assert table.loc["T-130302-000001", "判断月份"] == "2026年10月"
    assert table.loc["T-130302-000004", "待处理"].startswith("缺近期收入：2026年10月至2026年11月没有收入记录")


def test_relief_needs_income_in_the_judged_month_not_an_old_one(db_engine):
    with transaction(db_engine) as s:
        _line(s)
        old = _file(s, 1, [1], per_capita=LINE, hard_to_exit=True, assistance=(("dibao", dt.date(2025, 6, 1)),))
        _helped(s, old)
        hid = old.id
    with reading(db_engine) as s:
        assert evaluate_files(s, actor_of(s), dt.date(2026, 1, 31)).set_index("household_id").at[hid, "suggestion"] == "relief"
        later = evaluate_files(s, actor_of(s), dt.date(2026, 10, 31)).set_index("household_id")
    assert later.at[hid, "suggestion"] == "" and later.at[hid, "missing_recent"]


def test_income_met_without_a_measure_carried_out_is_listed_apart_and_cannot_be_confirmed(db_engine):
    with transaction(db_engine) as s:
        _line(s)
        bare = _file(s, 1, list(range(5, 11)))
        planned = _file(s, 2, list(range(5, 11)))
        s.add(Measure(household_id=planned.id, track="employment", cause="3", content="计划培训", status="planned",
                      start_on=dt.date(2027, 3, 1)))
        late = _file(s, 3, list(range(5, 11)))
        _helped(s, late, start=dt.date(2026, 11, 5))  # started after the evaluation date
        ids = bare.id, planned.id, late.id
    as_of = dt.date(2026, 10, 31)
    with reading(db_engine) as s:
        result = evaluate_files(s, actor_of(s), as_of).set_index("household_id")
        work = worklist_service.worklist(s, actor_of(s), dt.date(2026, 11, 20))
    for hid in ids:
        assert result.at[hid, "unhelped"] and result.at[hid, "suggestion"] == "" and not result.at[hid, "near_exit"]
    assert set(work.queues[work.queues["queue"] == "exit_unhelped"]["household_id"]) == set(ids)
    with transaction(db_engine) as s, pytest.raises(ValidationError, match="已不再符合脱困条件"):
        confirm(s, actor_of(s), [ids[0]], kind="exit", as_of=as_of, effective_on=dt.date(2026, 11, 20), today=dt.date(2026, 11, 20))


def test_the_service_records_each_status_change_and_a_past_date_sees_the_status_of_that_day(db_engine):
    with transaction(db_engine) as s:
        _line(s)
        household = _file(s, 1, list(range(1, 11)), per_capita=LINE, hard_to_exit=True, assistance=(("dibao", dt.date(2025, 6, 1)),), removed=None)
        raw = {"track": "safety_net", "programme": None, "cause": "3", "content": "协助申请临时救助", "status": "in_progress",
               "start_on": dt.date(2026, 3, 1), "end_on": None, "responsible": "张帮扶", "amount": "", "fund_source": None,
               "pay_every": None, "first_pay_on": None, "pay_count": None}
        measure, _ = measures.add_measure(s, actor_of(s), household.id, raw, today=dt.date(2026, 3, 5))
        hid, mid, version = household.id, measure.id, measure.version
    with transaction(db_engine) as s:
        measures.update_measure(s, actor_of(s), mid, raw | {"status": "done", "end_on": dt.date(2026, 8, 31)},
                                expected_version=version, today=dt.date(2026, 9, 2))
    with reading(db_engine) as s:
        history = s.scalars(select(MeasureStatusChange).where(MeasureStatusChange.measure_id == mid).order_by(MeasureStatusChange.id)).all()
        assert [(c.from_status, c.to_status, c.effective_on, c.household_id) for c in history] == [
            (None, "in_progress", dt.date(2026, 3, 1), hid), ("in_progress", "done", dt.date(2026, 8, 31), hid)]
        trail = s.scalars(select(AuditLog.reason).where(AuditLog.entity == "measure_status_change", AuditLog.household_id == hid)).all()
        assert trail == ["措施状态：（新建） → 实施中", "措施状态：实施中 → 已完成"]
        # 已完成 today; on 2026-06-30 it was 实施中, so the file was 可解困 then — and no longer after its end
        on_june = evaluate_files(s, actor_of(s), dt.date(2026, 6, 30)).set_index("household_id")
        on_october = evaluate_files(s, actor_of(s), dt.date(2026, 10, 31)).set_index("household_id")
        on_february = evaluate_files(s, actor_of(s), dt.date(2026, 2, 28)).set_index("household_id")
    assert on_june.at[hid, "suggestion"] == "relief" and on_june.at[hid, "has_active_measure"]
    assert on_october.at[hid, "suggestion"] == "" and not on_october.at[hid, "has_active_measure"]
    assert on_october.at[hid, "has_measure_carried_out"]  # still carried out (for 脱困's 经精准帮扶后)
    assert not on_february.at[hid, "has_measure_carried_out"]  # not started yet


# --- the migration backfills the history of the measures that existed before it ---------------------------------

def test_the_migration_backfills_each_measures_history_from_its_status_and_dates(engine_at_0005):
    engine, _ = engine_at_0005
    with engine.begin() as c:
        c.execute(text("INSERT INTO household (id, file_no, org_id, place_code, status, hard_to_exit, casualty, name, id_number, "
                       "single_parent, zero_employment, self_help_ability, version) "
                       "VALUES (1, 'M-1', 1, '130302', 'active', false, false, '张三', 'X', false, false, true, 1)"))
        for mid, status, start, end in ((1, "done", "2018-03-01", "2019-06-30"), (2, "in_progress", "2018-05-01", None),
                                        (3, "planned", "2021-01-04", None), (4, "done", "2018-01-01", None)):
            c.execute(text("INSERT INTO measure (id, household_id, track, content, status, start_on, end_on, version) "
                           "VALUES (:id, 1, 'employment', '', :status, :start, :end, 1)"),
                      {"id": mid, "status": status, "start": dt.date.fromisoformat(start), "end": end and dt.date.fromisoformat(end)})
    prepare(engine)
    with reading(engine) as s:
        rows = s.scalars(select(MeasureStatusChange).order_by(MeasureStatusChange.measure_id, MeasureStatusChange.id)).all()
        assert [(r.measure_id, r.from_status, r.to_status, r.effective_on, r.household_id) for r in rows] == [
            (1, None, "in_progress", dt.date(2018, 3, 1), 1), (1, "in_progress", "done", dt.date(2019, 6, 30), 1),
            (2, None, "in_progress", dt.date(2018, 5, 1), 1),
            (3, None, "planned", dt.date(2021, 1, 4), 1),
            (4, None, "in_progress", dt.date(2018, 1, 1), 1), (4, "in_progress", "done", dt.date(2018, 1, 1), 1)]
        # the new parameter is seeded into an existing database, so it shows in the 低保标准与参数 grid
        assert s.scalars(select(PolicyParameter.value).where(PolicyParameter.key == "income_lag_months")).all() == ["1"]
    engine.dispose()


def test_a_corrected_start_date_moves_the_history_with_it(db_engine):
    with transaction(db_engine) as s:
        _line(s)
        household = _file(s, 1, [1, 2])
        raw = {"track": "employment", "programme": None, "cause": "3", "content": "推荐就业", "status": "in_progress",
               "start_on": dt.date(2026, 3, 1), "end_on": None, "responsible": "张帮扶", "amount": "", "fund_source": None,
               "pay_every": None, "first_pay_on": None, "pay_count": None}
        measure, _ = measures.add_measure(s, actor_of(s), household.id, raw, today=dt.date(2026, 3, 5))
        hid, mid, version = household.id, measure.id, measure.version
    with reading(db_engine) as s:
        assert not evaluate_files(s, actor_of(s), dt.date(2026, 2, 28)).set_index("household_id").at[hid, "has_measure_carried_out"]
    with transaction(db_engine) as s:  # it really began in January
        measures.update_measure(s, actor_of(s), mid, raw | {"start_on": dt.date(2026, 1, 15)}, expected_version=version,
                                today=dt.date(2026, 3, 9))
    with reading(db_engine) as s:
        assert evaluate_files(s, actor_of(s), dt.date(2026, 2, 28)).set_index("household_id").at[hid, "has_measure_carried_out"]
        history = s.scalars(select(MeasureStatusChange.effective_on).where(MeasureStatusChange.measure_id == mid)
                            .order_by(MeasureStatusChange.id)).all()
    assert history == [dt.date(2026, 3, 1), dt.date(2026, 1, 15)]

"""The engine fed from the store: scope, the status as of a date, problems named, confirmed on both databases."""

import datetime as dt

from sqlalchemy import select

from db import households as hh
from db.engine import reading, transaction
from db.evaluation import evaluate_files, report
from db.models import DibaoLine, Household, HouseholdCause, IncomeMonth, Measure, StatusChange
from tests.db.test_households import TODAY, create, pid, staff


def _active_with_incomes(engine, per_capita: int, months: int = 6, id_number=None, helped: bool = True):
    over = {"id_number": id_number, "members": []} if id_number else {}
    hid, file_no = create(engine, **over)
    with transaction(engine) as s:
        h = s.get(Household, hid)
        h.status, h.filed_on = "active", dt.date(2026, 1, 1)
        s.add(StatusChange(household_id=hid, from_status="applying", to_status="active", effective_on=dt.date(2026, 1, 1), recorded_by="t"))
        for i in range(months):
            s.add(IncomeMonth(household_id=hid, month=dt.date(2026, 11 - months + i, 1), income_fen=per_capita * 3, persons=3))  # ending in October
        for cause in s.scalars(select(HouseholdCause).where(HouseholdCause.household_id == hid)):
            cause.removed_on = dt.date(2026, 4, 1)
        if helped:  # 经精准帮扶后: a measure carried out (no recorded history: read from its own row)
            s.add(Measure(household_id=hid, track="employment", cause="3", content="职业介绍", status="done",
                          start_on=dt.date(2026, 2, 1), end_on=dt.date(2026, 3, 31)))
    return hid, file_no


def test_a_file_six_months_above_the_line_is_proposed_and_others_are_not(db_engine):
    with transaction(db_engine) as s:
        s.add(DibaoLine(place_code="130302", effective_from=dt.date(2026, 1, 1), amount_fen=70000))
    out_id, out_no = _active_with_incomes(db_engine, 70001)
    short_id, _ = _active_with_incomes(db_engine, 70001, months=5, id_number=pid("13030219910101101"))
    with reading(db_engine) as s:
        result = evaluate_files(s, staff(s), dt.date(2026, 10, 31)).set_index("household_id")
        assert result.at[out_id, "suggestion"] == "exit" and result.at[out_id, "run_months"] == 6
        assert result.at[short_id, "suggestion"] == "" and result.at[short_id, "near_exit"]
        assert evaluate_files(s, staff(s, "昌黎县总工会"), dt.date(2026, 10, 31)).empty  # scope
        table = report(evaluate_files(s, staff(s), dt.date(2026, 10, 31)))
    row = table[table["档案编号"] == out_no].iloc[0]
    assert (row["建议"], row["判断月份"], row["判断月人均收入"], row["当月低保标准"], row["已实施帮扶措施"], row["问题"]) == (
        "可脱困", "2026年10月", "700.01", "700.00", "是", "")


def test_the_position_on_a_past_date_does_not_move_with_later_changes(db_engine):
    with transaction(db_engine) as s:
        s.add(DibaoLine(place_code="130302", effective_from=dt.date(2026, 1, 1), amount_fen=70000))
    hid, _ = _active_with_incomes(db_engine, 70001)
    with transaction(db_engine) as s:
        hh.close_household(s, staff(s), hid, expected_version=s.get(Household, hid).version, to_status="exited",
                           effective_on=dt.date(2026, 11, 5), today=TODAY)
    with reading(db_engine) as s:
        before = evaluate_files(s, staff(s), dt.date(2026, 10, 31)).set_index("household_id")
        after = evaluate_files(s, staff(s), dt.date(2026, 11, 30)).set_index("household_id")
        new_files = evaluate_files(s, staff(s), dt.date(2025, 12, 31))
    assert before.at[hid, "status"] == "active" and before.at[hid, "suggestion"] == "exit"
    assert after.at[hid, "status"] == "exited" and after.at[hid, "suggestion"] == ""  # closed files are not proposed again
    assert hid not in set(new_files["household_id"])  # not on record yet at the end of 2025


def test_a_month_without_a_line_is_a_problem_not_a_fallback(db_engine):
    with transaction(db_engine) as s:
        s.add(DibaoLine(place_code="130302", effective_from=dt.date(2026, 7, 1), amount_fen=70000))
    hid, _ = _active_with_incomes(db_engine, 80000)
    with reading(db_engine) as s:
        row = evaluate_files(s, staff(s), dt.date(2026, 10, 31)).set_index("household_id").loc[hid]
    assert row["problem"] == "海港区 2026年05月 没有生效的低保标准"
    assert row["run_months"] == 4 and row["suggestion"] == ""


def test_confirming_closes_the_chosen_files_all_or_none(db_engine):
    from db.proposals import confirm
    from db.errors import ValidationError
    import pytest

    with transaction(db_engine) as s:
        s.add(DibaoLine(place_code="130302", effective_from=dt.date(2026, 1, 1), amount_fen=70000))
    out_id, _ = _active_with_incomes(db_engine, 70001)
    short_id, short_no = _active_with_incomes(db_engine, 70001, months=5, id_number=pid("13030219910101101"))
    as_of = dt.date(2026, 10, 31)
    with transaction(db_engine) as s:
        with pytest.raises(ValidationError) as err:  # one of the two does not qualify: nothing is closed
            confirm(s, staff(s), [out_id, short_id], kind="exit", as_of=as_of, effective_on=TODAY, today=TODAY)
        assert "已不再符合脱困条件" in err.value.errors[short_no]
    with transaction(db_engine) as s:
        with pytest.raises(ValidationError, match="公示期为 5 个工作日"):
            confirm(s, staff(s), [out_id], kind="exit", as_of=as_of, effective_on=TODAY, publicity_from=dt.date(2026, 11, 25), today=TODAY)
    with reading(db_engine) as s:
        assert s.get(Household, out_id).status == "active"
    with transaction(db_engine) as s:
        assert confirm(s, staff(s), [out_id], kind="exit", as_of=as_of, effective_on=TODAY, publicity_from=dt.date(2026, 11, 16),
                       note="经审核", today=TODAY) == 1
    with reading(db_engine) as s:
        assert s.get(Household, out_id).status == "exited"
        change = s.scalars(select(StatusChange).where(StatusChange.household_id == out_id).order_by(StatusChange.id.desc())).first()
        assert change.to_status == "exited" and "连续 6 个月家庭收入超过当月低保标准×人口" in change.note and "公示自 2026-11-16 起" in change.note

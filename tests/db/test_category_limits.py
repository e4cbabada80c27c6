"""The 2016 limits of 低保边缘户 and 意外致困户 are dated parameters: an administrator who changes them in the
parameter grid changes the next assessment (the household file and an imported historical file), and the
explanation states the multiple in force."""

import datetime as dt

from sqlalchemy import select

from db import households as hh, params
from db.actor import system_actor
from db.engine import reading, transaction
from db.models import DibaoLine, Household, IncomeMonth
from tests.db import test_import as imp
from tests.db.test_households import TODAY, create, staff

ADMIN = system_actor("test")


def _set(engine, key: str, value: str, since: dt.date) -> None:
    with reading(engine) as s:
        rows = params.parameter_rows(s).to_dict("records")
    rows.append({"参数": key, "生效日期": since, "取值": value, "说明": "测试"})
    with transaction(engine) as s:
        params.save_parameters(s, ADMIN, rows, today=TODAY)


def _reassess(engine, hid: int, on: dt.date):
    with transaction(engine) as s:
        hh.reassess(s, staff(s), hid, expected_version=s.get(Household, hid).version, on=on)
    with reading(engine) as s:
        h = s.get(Household, hid)
        return h.category, h.category_explanation


def test_the_edge_and_accident_limits_in_force_on_the_assessment_day_decide_the_category(db_engine):
    hid, _ = create(db_engine)
    with transaction(db_engine) as s:  # 3 persons, 1,000.00 per head against a 700.00 line (1.43 ×), 4 months only
        s.add(DibaoLine(place_code="130302", effective_from=dt.date(2026, 1, 1), amount_fen=70000))
        for month in (7, 8, 9, 10):
            s.add(IncomeMonth(household_id=hid, month=dt.date(2026, month, 1), income_fen=300000, persons=3,
                              special_spending_fen=120000, accident_spending_fen=90000))
    category, text = _reassess(db_engine, hid, TODAY)
    assert category == "dibao_edge"  # ≤ 1.5 × line and 600.00 per head after special spending ≤ line
    assert "≤ 1.5 倍低保标准 1,050.00 元" in text

    _set(db_engine, "edge_multiplier", "1.4", dt.date(2026, 11, 15))
    category, text = _reassess(db_engine, hid, TODAY)
    assert category == "accident"  # above 1.4 × line (980.00); ≤ 3 × line and 700.00 after accident spending
    assert "上限 1.4 倍低保标准 980.00 元" in text and "≤ 3 倍低保标准 2,100.00 元" in text
    assert _reassess(db_engine, hid, dt.date(2026, 11, 14))[0] == "dibao_edge"  # the day before: 1.5 was in force

    _set(db_engine, "accident_multiplier", "1.25", dt.date(2026, 11, 20))
    category, text = _reassess(db_engine, hid, TODAY)
    assert category is None
    assert "意外致困户：人均 1,000.00 元（上限 1.25 倍低保标准 875.00 元）" in text


def test_an_imported_historical_file_is_assessed_with_the_limits_in_force_on_the_import_day(db_engine):
    imp._line(db_engine)
    _set(db_engine, "edge_multiplier", "0.8", dt.date(2026, 1, 1))  # 600.16 per head > 0.8 × 700.00
    imp.run(db_engine, imp.book([imp.family(1, status="在档", filed_on="2019-05-01")], [], imp.months("HG-0001", 3)))
    with reading(db_engine) as s:
        h = s.scalars(select(Household).where(Household.file_no == "HG-0001")).one()
        assert h.category == "accident"  # 3 months (no 低保 run), not ≤ 0.8 × line: ≤ 3 × line and ≤ line → 意外致困户
        assert "上限 0.8 倍低保标准 560.00 元" in h.category_explanation

"""Administrators edit the dated parameters as grids: overlaps refused, changes audited, past exits reported."""

import datetime as dt

import pytest
from sqlalchemy import select

from db import params
from db.actor import system_actor
from db.engine import reading, transaction
from db.errors import Conflict, OutOfScope, ValidationError
from db.models import AuditLog, DibaoLine, Household, PolicyParameter, StatusChange
from tests.db.test_households import TODAY, create, staff

ADMIN = system_actor("test")


def _lines(engine):
    with reading(engine) as s:
        return params.line_rows(s).to_dict("records")


def test_lines_are_added_changed_and_deleted_with_audit(db_engine):
    with transaction(db_engine) as s:
        counts, _ = params.save_lines(s, ADMIN, [
            {"区县": "130302", "生效日期": dt.date(2025, 1, 1), "标准(元)": "760", "依据": "秦民〔2025〕1号"},
            {"区县": "130302", "生效日期": dt.date(2026, 1, 1), "标准(元)": 790.5},
        ], today=TODAY)
    assert counts == {"新增": 2, "修改": 0, "删除": 0}
    rows = _lines(db_engine)
    rows[1]["标准(元)"] = 800
    with transaction(db_engine) as s:
        counts, _ = params.save_lines(s, ADMIN, rows[1:], today=TODAY)  # the 2025 line is left out: deleted
    assert counts == {"新增": 0, "修改": 1, "删除": 1}
    with reading(db_engine) as s:
        assert [(l.effective_from, l.amount_fen, l.is_demo) for l in s.scalars(select(DibaoLine))] == [(dt.date(2026, 1, 1), 80000, False)]
        actions = sorted(r.action for r in s.scalars(select(AuditLog).where(AuditLog.entity == "dibao_line")))
        assert actions == ["create", "create", "delete", "update"]


def test_two_lines_on_the_same_date_overlap_and_nothing_is_written(db_engine):
    with transaction(db_engine) as s:
        with pytest.raises(ValidationError) as err:
            params.save_lines(s, ADMIN, [
                {"区县": "130302", "生效日期": dt.date(2026, 1, 1), "标准(元)": "760"},
                {"区县": "130302", "生效日期": "2026-01-01", "标准(元)": "770"},
                {"区县": "130322", "生效日期": dt.date(2026, 1, 1), "标准(元)": "-5"},
            ], today=TODAY)
    assert "同一区县同一生效日期只能有一条" in err.value.errors["第 2 行"]
    assert "不能为负数" in err.value.errors["第 3 行"]
    assert _lines(db_engine) == []


def test_a_line_changed_by_someone_else_is_not_overwritten(db_engine):
    with transaction(db_engine) as s:
        params.save_lines(s, ADMIN, [{"区县": "130302", "生效日期": dt.date(2026, 1, 1), "标准(元)": "760"}], today=TODAY)
    mine = _lines(db_engine)
    theirs = [dict(mine[0], **{"标准(元)": 765})]
    with transaction(db_engine) as s:
        params.save_lines(s, ADMIN, theirs, today=TODAY)
    with transaction(db_engine) as s:
        with pytest.raises(Conflict):
            params.save_lines(s, ADMIN, [dict(mine[0], **{"标准(元)": 770})], today=TODAY)
    assert _lines(db_engine)[0]["标准(元)"] == 765


def test_a_past_change_reports_the_confirmed_exits_it_could_affect_and_keeps_them(db_engine):
    hid, file_no = create(db_engine)
    with transaction(db_engine) as s:
        s.get(Household, hid).status = "exited"
        s.add(StatusChange(household_id=hid, from_status="active", to_status="exited", effective_on=dt.date(2026, 6, 30), recorded_by="t"))
        params.save_lines(s, ADMIN, [{"区县": "130302", "生效日期": dt.date(2026, 1, 1), "标准(元)": "700"}], today=TODAY)
    rows = _lines(db_engine)
    rows[0]["标准(元)"] = 720
    with transaction(db_engine) as s:
        _, affected = params.save_lines(s, ADMIN, rows, today=TODAY)
    assert [(a.file_no, a.status) for a in affected] == [(file_no, "exited")]
    rows = _lines(db_engine)
    rows.append({"区县": "130322", "生效日期": dt.date(2026, 1, 1), "标准(元)": "600"})  # another district: not affected
    with transaction(db_engine) as s:
        _, affected = params.save_lines(s, ADMIN, rows, today=TODAY)
    assert affected == []
    with reading(db_engine) as s:
        assert s.get(Household, hid).status == "exited"  # never rewritten


def test_parameters_grid_checks_each_value_and_keeps_every_parameter(db_engine):
    with reading(db_engine) as s:
        rows = params.parameter_rows(s).to_dict("records")
    rows.append({"参数": "exit_run_months", "生效日期": dt.date(2026, 7, 1), "取值": "3", "说明": "试行"})
    with transaction(db_engine) as s:
        counts, _ = params.save_parameters(s, ADMIN, rows, today=TODAY)
    assert counts["新增"] == 1
    bad = [dict(r) for r in rows]
    bad[-1]["取值"] = "0"
    with transaction(db_engine) as s:
        with pytest.raises(ValidationError) as err:
            params.save_parameters(s, ADMIN, bad, today=TODAY)
    assert "必须是正整数" in " ".join(err.value.errors.values())
    with reading(db_engine) as s:
        current = params.parameter_rows(s).to_dict("records")
    without_targets = [r for r in current if r["参数"] != "target_shares"]
    with transaction(db_engine) as s:
        with pytest.raises(ValidationError) as err:
            params.save_parameters(s, ADMIN, without_targets, today=TODAY)
    assert "至少要保留一条取值" in err.value.errors["target_shares"]
    with reading(db_engine) as s:
        assert len(s.scalars(select(PolicyParameter).where(PolicyParameter.key == "exit_run_months")).all()) == 2


def test_only_administrators_edit_parameters(db_engine):
    with transaction(db_engine) as s:
        with pytest.raises(OutOfScope):
            params.save_lines(s, staff(s), [], today=TODAY)

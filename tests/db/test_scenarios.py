"""Scenarios in the store: saved by content hash, opened by link, renamed and deleted by their author, audited, and
adopted by an administrator through the parameter grid's path — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core import scenario as sc
from core.scenario import LINE_ADD, LINE_SCALE, Override
from db import params, scenarios, users
from db.actor import system_actor
from db.engine import reading, transaction
from db.errors import Conflict, NotFound, OutOfScope, ValidationError
from db.models import AuditLog, DibaoLine, Household, Org, PolicyParameter, PolicyScenario, StatusChange
from db.policy_lab import baseline_tables
from tests.db.support import add_file

D = dt.date
TODAY = D(2026, 11, 29)
SYSTEM = system_actor("test")
HAIGANG, LULONG = "130302", "130324"
RUN_3 = [Override("exit_run_months", "3", D(2019, 1, 1))]
SCALED = [Override(LINE_SCALE, "1.2", D(2019, 1, 1), D(2019, 12, 31)), Override("exit_run_months", "3", D(2019, 1, 1))]


def person(s, username: str, role: str, org_name: str = "秦皇岛市总工会"):
    org = s.scalar(select(Org).where(Org.name == org_name))
    users.create_user(s, SYSTEM, username=username, display_name=username, password="lab-pass-123", role=role, org_id=org.id)
    s.flush()
    return users.actor_for(s, username)


@pytest.fixture
def people(db_engine):
    """An administrator, two analysts, staff of 海港区 and a viewer, with the 低保 lines of two districts."""
    with transaction(db_engine) as s:
        params.save_lines(s, SYSTEM, [
            {"区县": HAIGANG, "生效日期": D(2018, 1, 1), "标准(元)": "700"},
            {"区县": HAIGANG, "生效日期": D(2019, 7, 1), "标准(元)": "760", "依据": "秦民〔2019〕7号"},
            {"区县": LULONG, "生效日期": D(2018, 1, 1), "标准(元)": "600"},
        ], today=TODAY)
    with transaction(db_engine) as s:
        return {"admin": person(s, "admin1", "admin"), "analyst": person(s, "analyst1", "analyst"),
                "other": person(s, "analyst2", "analyst"), "staff": person(s, "staff1", "staff", "海港区总工会"),
                "viewer": person(s, "viewer1", "viewer")}


def create(engine, actor, name="线×1.2，连续3月", overrides=SCALED):
    with transaction(engine) as s:
        row = scenarios.create(s, actor, name, overrides, today=TODAY)
        return row.hash, row.version


def real_policy(engine) -> tuple[list, list]:
    with reading(engine) as s:
        return params.line_rows(s).to_dict("records"), params.parameter_rows(s).to_dict("records")


def audit_rows(engine, entity="policy_scenario") -> list[tuple[str, str | None, str]]:
    with reading(engine) as s:
        return [(r.action, r.field, r.actor) for r in s.scalars(select(AuditLog).where(AuditLog.entity == entity).order_by(AuditLog.id))]


def count(engine, model) -> int:
    with reading(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


# --- storing and opening -----------------------------------------------------------------------------------------------


def test_a_saved_scenario_is_its_content_under_its_hash_and_never_touches_the_real_policy(db_engine, people):
    before = real_policy(db_engine)
    digest, _ = create(db_engine, people["analyst"])
    assert digest == sc.content_hash(SCALED)
    with reading(db_engine) as s:
        row = scenarios.get(s, people["staff"], digest)  # a shared link opens for staff too
        assert (row.name, row.author.display_name, row.overrides) == ("线×1.2，连续3月", "analyst1", sc.to_json(SCALED))
        assert sc.parse(row.overrides) == tuple(SCALED)
        assert row.org_id == people["analyst"].org_id and row.created_at is not None
    assert real_policy(db_engine) == before
    assert audit_rows(db_engine) == [("create", None, "analyst1")]


def test_only_the_lab_roles_open_a_scenario_and_only_authors_save_one(db_engine, people):
    digest, _ = create(db_engine, people["analyst"])
    with reading(db_engine) as s:
        with pytest.raises(OutOfScope, match="不能使用政策模拟"):
            scenarios.get(s, people["viewer"], digest)
    for role in ("staff", "viewer"):
        with pytest.raises(OutOfScope):
            create(db_engine, people[role], overrides=RUN_3)
    assert count(db_engine, PolicyScenario) == 1


@pytest.mark.parametrize("link", ["0123456789abcdef", "", "abc\x00def", "' or 1=1 --", "X" * 500])
def test_a_link_to_no_scenario_says_so(db_engine, people, link):
    with reading(db_engine) as s:
        with pytest.raises(NotFound, match="没有找到"):
            scenarios.get(s, people["analyst"], link)


def test_an_analyst_lists_their_own_scenarios_an_administrator_all_and_staff_none(db_engine, people):
    mine, _ = create(db_engine, people["analyst"], "我的")
    theirs, _ = create(db_engine, people["other"], "别人的", RUN_3)
    with reading(db_engine) as s:
        assert [r.hash for r in scenarios.list_for(s, people["analyst"])] == [mine]
        assert {r.hash for r in scenarios.list_for(s, people["admin"])} == {mine, theirs}
        assert scenarios.list_for(s, people["staff"]) == []
        with pytest.raises(OutOfScope):
            scenarios.list_for(s, people["viewer"])


def test_the_same_set_saved_again_is_refused_naming_the_scenario_that_holds_it(db_engine, people):
    digest, _ = create(db_engine, people["analyst"], "一点二倍")
    same_in_another_order = [{"start": "2019-01-01", "value": "1.2", "key": LINE_SCALE, "end": "2019-12-31", "places": []},
                             {"key": "exit_run_months", "start": "2019-01-01", "value": "3"}]
    with pytest.raises(ValidationError) as refused:
        create(db_engine, people["other"], "另一个名字", same_in_another_order)
    assert "“一点二倍”" in refused.value.errors["overrides"] and digest in refused.value.errors["overrides"]
    assert count(db_engine, PolicyScenario) == 1


def test_a_copy_is_a_new_scenario_of_its_own_and_an_unchanged_copy_is_refused(db_engine, people):
    digest, _ = create(db_engine, people["analyst"], "原方案")
    changed = SCALED[:1] + [Override("exit_run_months", "4", D(2019, 1, 1))]
    with transaction(db_engine) as s:
        copy = scenarios.copy(s, people["other"], digest, "原方案（4个月）", changed, today=TODAY)
        copied = copy.hash
    assert copied == sc.content_hash(changed) != digest
    with reading(db_engine) as s:
        assert scenarios.get(s, people["other"], copied).author.username == "analyst2"
        assert s.scalar(select(AuditLog.reason).where(AuditLog.entity == "policy_scenario", AuditLog.entity_id == str(copy.id),
                                                 AuditLog.action == "create")) \
            == f"复制自方案“原方案”（{digest}）"
    with transaction(db_engine) as s, pytest.raises(ValidationError, match="原方案"):
        scenarios.copy(s, people["other"], digest, "照抄", SCALED, today=TODAY)
    assert count(db_engine, PolicyScenario) == 2


def test_a_set_that_breaks_a_rule_is_refused_at_its_fields_and_nothing_is_written(db_engine, people):
    bad = [{"key": "exit_run_months", "value": "40", "start": "2019-01-01"},
           {"key": LINE_ADD, "value": "-650", "start": "2019-01-01", "places": [LULONG]}]
    with pytest.raises(ValidationError) as refused:
        create(db_engine, people["analyst"], "  ", bad)
    assert refused.value.errors["name"] == "请填写方案名称"
    assert "须在 1 至 36 之间" in refused.value.errors["0.value"]
    with pytest.raises(ValidationError) as refused:
        create(db_engine, people["analyst"], "负的标准", bad[1:])
    assert "卢龙县自 2019-01-01 起的低保标准为 -50.00 元" in refused.value.errors["0.value"]
    with pytest.raises(ValidationError) as refused:
        create(db_engine, people["analyst"], "空的", [])
    assert refused.value.errors == {"overrides": "方案至少要有一项调整"}
    assert count(db_engine, PolicyScenario) == 0 and audit_rows(db_engine) == []


# --- renaming and deleting -----------------------------------------------------------------------------------------------


def test_the_author_renames_their_scenario_and_nobody_else_may(db_engine, people):
    digest, version = create(db_engine, people["analyst"])
    for who in ("other", "admin", "staff"):
        with transaction(db_engine) as s, pytest.raises(OutOfScope) as refused:
            scenarios.rename(s, people[who], digest, "改名", version)
        assert "只有" in str(refused.value)
    with transaction(db_engine) as s:
        row = scenarios.rename(s, people["analyst"], digest, "  2019年方案  ", version)
        assert (row.name, row.hash, row.version) == ("2019年方案", digest, version + 1)
    with transaction(db_engine) as s, pytest.raises(ValidationError) as refused:
        scenarios.rename(s, people["analyst"], digest, "名" * 61, version + 1)
    assert "不能超过 60 个字" in refused.value.errors["name"]
    assert audit_rows(db_engine) == [("create", None, "analyst1"), ("update", "name", "analyst1")]


def test_a_rename_from_a_stale_page_is_a_conflict(db_engine, people):
    digest, version = create(db_engine, people["analyst"])
    with transaction(db_engine) as s:
        scenarios.rename(s, people["analyst"], digest, "第一次", version)
    with transaction(db_engine) as s, pytest.raises(Conflict):
        scenarios.rename(s, people["analyst"], digest, "第二次", version)
    with transaction(db_engine) as s, pytest.raises(Conflict):
        scenarios.delete(s, people["analyst"], digest, version)
    with reading(db_engine) as s:
        assert scenarios.get(s, people["analyst"], digest).name == "第一次"


def test_the_author_or_an_administrator_deletes_a_scenario_and_its_link_then_finds_nothing(db_engine, people):
    digest, version = create(db_engine, people["analyst"])
    other, other_version = create(db_engine, people["other"], "别人的", RUN_3)
    for who in ("other", "staff"):
        with transaction(db_engine) as s, pytest.raises(OutOfScope, match="只有方案的作者或管理员可以删除方案"):
            scenarios.delete(s, people[who], digest, version)
    with transaction(db_engine) as s:
        scenarios.delete(s, people["analyst"], digest, version)
    with transaction(db_engine) as s:
        scenarios.delete(s, people["admin"], other, other_version)
    with reading(db_engine) as s, pytest.raises(NotFound):
        scenarios.get(s, people["analyst"], digest)
    assert count(db_engine, PolicyScenario) == 0
    assert [a for a in audit_rows(db_engine) if a[0] == "delete"] == [("delete", None, "analyst1"), ("delete", None, "admin1")]


# --- adoption -------------------------------------------------------------------------------------------------------------


def test_an_adopted_scenario_becomes_the_real_dated_rows_through_the_parameter_grid(db_engine, people):
    digest, _ = create(db_engine, people["analyst"])
    with reading(db_engine) as s:
        expected = sc.resolve(baseline_tables(s), SCALED)
    with transaction(db_engine) as s:
        counts, affected = scenarios.adopt(s, people["admin"], digest, TODAY)
    assert affected == []  # no exit has been confirmed since 2019
    # 海港区: 2019-01-01 840 (new), 2019-07-01 912 (changed), 2020-01-01 760 (new); 卢龙县: 720 (new), 600 back (new);
    # the run: 3 from 2019-01-01 (new)
    assert counts == {"新增": 5, "修改": 1, "删除": 0}
    with reading(db_engine) as s:
        now = baseline_tables(s)
        lines = {(l.place_code, l.effective_from): (l.amount_fen, l.note) for l in s.scalars(select(DibaoLine))}
    assert now.lines.to_dict("records") == expected.lines.to_dict("records")
    assert now.params == expected.params
    note = f"采纳政策模拟方案“线×1.2，连续3月”（{digest}）"
    assert lines == {(HAIGANG, D(2018, 1, 1)): (70000, None), (HAIGANG, D(2019, 1, 1)): (84000, note),
                     (HAIGANG, D(2019, 7, 1)): (91200, note), (HAIGANG, D(2020, 1, 1)): (76000, note),
                     (LULONG, D(2018, 1, 1)): (60000, None), (LULONG, D(2019, 1, 1)): (72000, note),
                     (LULONG, D(2020, 1, 1)): (60000, note)}
    assert ("adopt", None, "admin1") in audit_rows(db_engine)
    with reading(db_engine) as s:
        adopted = s.scalar(select(AuditLog).where(AuditLog.action == "adopt"))
        assert (adopted.entity, adopted.entity_id) == ("policy_scenario", digest)
    assert [a for a, *_ in audit_rows(db_engine, "dibao_line")].count("create") == 3 + 4  # the first 3, then 4 adopted
    assert ("update", "amount_fen", "admin1") in audit_rows(db_engine, "dibao_line")
    # adopted once: a second adoption (×1.2 over lines already ×1.2) is refused and writes nothing
    with transaction(db_engine) as s, pytest.raises(ValidationError, match="不能重复采用"):
        scenarios.adopt(s, people["admin"], digest, TODAY)
    with reading(db_engine) as s:
        assert baseline_tables(s).lines.to_dict("records") == expected.lines.to_dict("records")


def test_an_adoption_into_the_past_reports_the_confirmed_exits_it_could_affect(db_engine, people):
    with transaction(db_engine) as s:
        exited = add_file(s, 1, filed_on=D(2018, 3, 1), status="exited")
        s.add(StatusChange(household_id=exited.id, from_status="active", to_status="exited", effective_on=D(2019, 9, 30),
                           recorded_by="test"))
        early = add_file(s, 2, filed_on=D(2018, 3, 1), status="exited")
        s.add(StatusChange(household_id=early.id, from_status="active", to_status="exited", effective_on=D(2018, 9, 30),
                           recorded_by="test"))
        file_no = exited.file_no
    digest, _ = create(db_engine, people["analyst"], "海港区加50", [Override(LINE_ADD, "50", D(2019, 1, 1), places=(HAIGANG,))])
    with transaction(db_engine) as s:
        _, affected = scenarios.adopt(s, people["admin"], digest, TODAY)
    assert [(a.file_no, a.status, a.effective_on) for a in affected] == [(file_no, "exited", D(2019, 9, 30))]
    with reading(db_engine) as s:
        assert s.get(Household, exited.id).status == "exited"  # reported, never rewritten


@pytest.mark.parametrize("who", ["analyst", "other", "staff", "viewer"])
def test_only_an_administrator_adopts(db_engine, people, who):
    digest, _ = create(db_engine, people["analyst"])
    before = real_policy(db_engine)
    with transaction(db_engine) as s, pytest.raises(OutOfScope, match="只有管理员可以采纳政策模拟方案"):
        scenarios.adopt(s, people[who], digest, TODAY)
    assert real_policy(db_engine) == before


def test_a_failed_adoption_writes_nothing(db_engine, people):
    """Saved when 卢龙县's line was 600 yuan, −550 was sound; the line was lowered to 500 since, so adopting it now
    would make the line negative: refused, and none of the scenario's other rows is written."""
    digest, _ = create(db_engine, people["analyst"], "卢龙减550", [Override("exit_run_months", "3", D(2019, 1, 1)),
                                                                  Override(LINE_ADD, "-550", D(2019, 1, 1), places=(LULONG,))])
    rows = real_policy(db_engine)[0]
    with transaction(db_engine) as s:
        params.save_lines(s, SYSTEM, [r | {"标准(元)": "500"} if r["区县"] == LULONG else r for r in rows], today=TODAY)
    before = real_policy(db_engine), count(db_engine, AuditLog)
    with pytest.raises(ValidationError) as refused:
        with transaction(db_engine) as s:
            scenarios.adopt(s, people["admin"], digest, TODAY)
    assert "-50.00 元" in refused.value.errors["1.value"]
    assert (real_policy(db_engine), count(db_engine, AuditLog)) == before


def test_an_adoption_the_line_grid_refuses_midway_leaves_the_parameters_unwritten(db_engine, people):
    """The parameters pass, the lines do not (a stored line the grid would refuse today, dated beyond next year): the
    parameter rows already saved in the transaction go with it."""
    with transaction(db_engine) as s:
        s.add(DibaoLine(place_code=LULONG, effective_from=D(2028, 6, 1), amount_fen=65000))
    digest, _ = create(db_engine, people["analyst"], "连续3月", RUN_3)
    with transaction(db_engine) as s:
        rows_before = s.scalar(select(func.count()).select_from(PolicyParameter))
    with pytest.raises(ValidationError):
        with transaction(db_engine) as s:
            scenarios.adopt(s, people["admin"], digest, TODAY)
    assert count(db_engine, PolicyParameter) == rows_before
    assert "adopt" not in [a for a, *_ in audit_rows(db_engine)]

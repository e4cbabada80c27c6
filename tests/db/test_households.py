"""Household files on SQLite and PostgreSQL: duplicates, scope, lost updates, filing, closing, reopening."""

import datetime as dt

import pytest
from sqlalchemy import select

from core.identity import id_check_char
from db import file_access, households as hh
from db.actor import Actor, system_actor
from db.audit import data_version
from db.engine import reading, transaction
from db.errors import Conflict, NotFound, OutOfScope, ValidationError
from db.models import AuditLog, DibaoLine, Household, IncomeMonth, Org

TODAY = dt.date(2026, 11, 29)


def pid(first17: str) -> str:
    return first17 + id_check_char(first17)


HEAD = pid("13030219700101101")
SPOUSE = pid("13030219720202202")
CHILD = pid("13030220050303303")


def staff(session, org_name="海港区总工会") -> Actor:
    org = session.scalar(select(Org).where(Org.name == org_name))
    return Actor(username=f"staff@{org.id}", display_name="业务员", role="staff", org_id=org.id, org_path=org.path, org_name=org.name)


def org_id(session, name="海港区总工会") -> int:
    return session.scalar(select(Org.id).where(Org.name == name))


def raw(**over):
    data = {
        "name": "王建华", "id_number": HEAD, "work_status": "laid_off", "mobile": "13912345678",
        "members": [
            {"name": "李秀兰", "relation": "spouse", "id_number": SPOUSE, "monthly_income": "800"},
            {"name": "王小明", "relation": "child", "id_number": CHILD, "identity": "student"},
        ],
        "causes": [{"cause": "3", "is_main": True}, {"cause": "9", "is_main": False}],
        "exclusions": [{"exclusion": code, "applies": False, "source": "入户调查"} for code in ("two_homes", "business", "private_school", "vehicle")],
    }
    data.update(over)
    return data


def create(engine, **over) -> tuple[int, str]:
    with transaction(engine) as s:
        h = hh.create_household(s, staff(s), org_id=org_id(s), raw=raw(**over), applied_on=dt.date(2026, 11, 1), today=TODAY)
        return h.id, h.file_no


def test_a_new_file_starts_as_applying_with_its_history_and_audit(db_engine):
    with transaction(db_engine) as s:
        before = data_version(s)
    hid, file_no = create(db_engine)
    assert file_no == "QHD-130302-000001"
    with reading(db_engine) as s:
        h = s.get(Household, hid)
        assert h.status == "applying" and h.place_code == "130302" and h.sex == "1" and h.birth_date == dt.date(1970, 1, 1)
        assert [m.name for m in h.members] == ["李秀兰", "王小明"] and h.members[0].monthly_income_fen == 80000
        assert [(c.cause, c.is_main) for c in h.causes] == [("3", True), ("9", False)]
        assert [c.to_status for c in hh.status_history(s, staff(s), hid)] == ["applying"]
        assert [st.step for st in hh.steps_of(s, staff(s), hid)] == ["apply"]
        entities = {r.entity for r in s.scalars(select(AuditLog))}
        assert {"household", "member", "household_cause", "exclusion_check"} <= entities
        assert data_version(s) > before
    _, second = create(db_engine, id_number=pid("13030219800101101"), members=[])
    assert second == "QHD-130302-000002"


def test_an_id_number_already_in_an_open_file_is_refused_with_the_file(db_engine):
    _, file_no = create(db_engine)
    with transaction(db_engine) as s:
        with pytest.raises(ValidationError) as err:
            hh.create_household(s, staff(s), org_id=org_id(s), raw=raw(id_number=SPOUSE, members=[]), today=TODAY)
    message = err.value.errors["id_number"]
    assert file_no in message and "作为家庭成员" in message and "](" not in message  # shown escaped: plain text
    # as a member of a file in another district: refused too, and the link is not offered outside the scope
    with transaction(db_engine) as s:
        with pytest.raises(ValidationError) as err:
            hh.create_household(s, staff(s, "昌黎县总工会"), org_id=org_id(s, "昌黎县总工会"), today=TODAY,
                                raw=raw(id_number=pid("13032219600101101"), members=[{"name": "王建华", "relation": "other", "id_number": HEAD}]))
    message = err.value.errors["members.0.id_number"]
    assert message == "已在其他工会的档案中，请联系市总工会"
    assert "海港区" not in message and "QHD-" not in message  # outside the scope: neither where nor which file
    with reading(db_engine) as s:
        assert s.scalar(select(Household.id).where(Household.id_number == pid("13032219600101101"))) is None


def test_a_closed_file_frees_the_id_number(db_engine):
    hid, _ = create(db_engine)
    with transaction(db_engine) as s:
        s.get(Household, hid).status = "withdrawn"
    create(db_engine)  # the same people may be filed again once the old file is closed


def test_staff_of_another_district_cannot_read_or_change_the_file(db_engine):
    hid, file_no = create(db_engine)
    with transaction(db_engine) as s:
        other = staff(s, "昌黎县总工会")
        with pytest.raises(NotFound):
            file_access.get_household(s, other, file_no=file_no)
        with pytest.raises(NotFound):
            hh.update_household(s, other, hid, expected_version=1, loaded=None, raw=raw(name="改名"), today=TODAY)
        with pytest.raises(OutOfScope):
            hh.create_household(s, other, org_id=org_id(s), raw=raw(id_number=pid("13030219900101101"), members=[]), today=TODAY)
        viewer = Actor(username="v", display_name="v", role="viewer", org_id=None, org_path="/")
        with pytest.raises(NotFound):
            file_access.get_household(s, viewer, household_id=hid)


def test_the_second_of_two_saves_is_refused_with_what_changed(db_engine):
    hid, _ = create(db_engine)
    with reading(db_engine) as s:
        h = s.get(Household, hid)
        version, loaded = h.version, hh.snapshot(h)
    with transaction(db_engine) as s:
        first = staff(s)
        hh.update_household(s, first, hid, expected_version=version, loaded=loaded, today=TODAY,
                            raw=raw(mobile="13700000000", members=raw()["members"][:1]))
    with transaction(db_engine) as s:
        with pytest.raises(Conflict) as err:
            hh.update_household(s, staff(s), hid, expected_version=version, loaded=loaded, raw=raw(name="王建国"), today=TODAY)
    changes = err.value.changes
    assert ("手机号码", "13912345678", "13700000000") in changes
    assert ("家庭成员", "王小明", "（已删除）") in changes
    assert "已修改并保存" in str(err.value)
    with reading(db_engine) as s:
        assert s.get(Household, hid).name == "王建华"


def test_changing_only_a_member_still_moves_the_files_version(db_engine):
    hid, _ = create(db_engine)
    with reading(db_engine) as s:
        h = s.get(Household, hid)
        version, loaded = h.version, hh.snapshot(h)
    members = raw()["members"]
    with reading(db_engine) as s:
        ids = [m.id for m in s.get(Household, hid).members]
    members = [dict(m, id=i) for m, i in zip(members, ids)]
    members[1]["school_or_employer"] = "秦皇岛市第一中学"
    with transaction(db_engine) as s:
        changed = hh.update_household(s, staff(s), hid, expected_version=version, loaded=loaded, raw=raw(members=members), today=TODAY)
    assert changed == ["members"]
    with reading(db_engine) as s:
        h = s.get(Household, hid)
        assert h.version > version and h.members[1].school_or_employer == "秦皇岛市第一中学"
        assert [m.id for m in h.members] == ids  # updated in place, not re-created


def test_switching_the_main_cause(db_engine):
    hid, _ = create(db_engine)
    with reading(db_engine) as s:
        h = s.get(Household, hid)
        version, loaded = h.version, hh.snapshot(h)
    with transaction(db_engine) as s:
        hh.update_household(s, staff(s), hid, expected_version=version, loaded=loaded, today=TODAY,
                            raw=raw(causes=[{"cause": "9", "is_main": True}, {"cause": "3", "is_main": False, "removed_on": "2026-10-01"}]))
    with reading(db_engine) as s:
        causes = {c.cause: (c.is_main, c.removed_on) for c in s.get(Household, hid).causes}
    assert causes == {"9": (True, None), "3": (False, dt.date(2026, 10, 1))}


def _lines_and_incomes(engine, hid, per_capita_fen: int, months: int = 6):
    with transaction(engine) as s:
        s.add(DibaoLine(place_code="130302", effective_from=dt.date(2026, 1, 1), amount_fen=70000))
        for i in range(months):
            s.add(IncomeMonth(household_id=hid, month=dt.date(2026, 5 + i, 1), income_fen=per_capita_fen * 3, persons=3))


def _file(engine, hid, until="filed"):
    days = {"survey": dt.date(2026, 11, 2), "publicity": dt.date(2026, 11, 3), "review": dt.date(2026, 11, 10), "filed": dt.date(2026, 11, 11)}
    for step, day in days.items():
        with transaction(engine) as s:
            version = s.get(Household, hid).version
            hh.record_step(s, staff(s), hid, expected_version=version, step=step, done_on=day, today=TODAY)
        if step == until:
            return


def test_filing_needs_the_steps_in_order_a_full_publicity_and_a_category(db_engine):
    hid, _ = create(db_engine)
    with transaction(db_engine) as s:
        version = s.get(Household, hid).version
        with pytest.raises(ValidationError, match="下一步应为“入户调查”"):
            hh.record_step(s, staff(s), hid, expected_version=version, step="publicity", done_on=dt.date(2026, 11, 2), today=TODAY)
    _file(db_engine, hid, until="publicity")
    with transaction(db_engine) as s:
        version = s.get(Household, hid).version
        with pytest.raises(ValidationError, match="公示期为 5 个工作日"):
            hh.record_step(s, staff(s), hid, expected_version=version, step="review", done_on=dt.date(2026, 11, 9), today=TODAY)
        hh.record_step(s, staff(s), hid, expected_version=version, step="review", done_on=dt.date(2026, 11, 10), today=TODAY)
    with transaction(db_engine) as s:  # no income yet: no category, so it stays 申请中
        version = s.get(Household, hid).version
        with pytest.raises(ValidationError, match="请先录入月收入"):
            hh.record_step(s, staff(s), hid, expected_version=version, step="filed", done_on=dt.date(2026, 11, 11), today=TODAY)
    _lines_and_incomes(db_engine, hid, 60000)
    with transaction(db_engine) as s:
        version = s.get(Household, hid).version
        hh.record_step(s, staff(s), hid, expected_version=version, step="filed", done_on=dt.date(2026, 11, 11), today=TODAY)
    with reading(db_engine) as s:
        h = s.get(Household, hid)
        assert (h.status, h.category, h.filed_on, h.category_rule_set) == ("active", "dibao", dt.date(2026, 11, 11), "national_2016")
        assert "连续 6 个月人均收入低于当月低保标准" in h.category_explanation


def test_an_exclusion_keeps_the_file_applying(db_engine):
    checks = [{"exclusion": c, "applies": c == "two_homes", "source": "不动产登记查询"} for c in ("two_homes", "business", "private_school", "vehicle")]
    hid, _ = create(db_engine, exclusions=checks)
    _lines_and_incomes(db_engine, hid, 60000)
    _file(db_engine, hid, until="review")
    with transaction(db_engine) as s:
        version = s.get(Household, hid).version
        with pytest.raises(ValidationError, match="拥有两套及以上住房"):
            hh.record_step(s, staff(s), hid, expected_version=version, step="filed", done_on=dt.date(2026, 11, 11), today=TODAY)


def test_close_and_reopen_keep_the_history(db_engine):
    hid, _ = create(db_engine)
    _lines_and_incomes(db_engine, hid, 60000)
    _file(db_engine, hid)
    with transaction(db_engine) as s:
        version = s.get(Household, hid).version
        with pytest.raises(ValidationError) as err:
            hh.close_household(s, staff(s), hid, expected_version=version, to_status="withdrawn", reason=None, effective_on=dt.date(2026, 11, 20), today=TODAY)
        assert "reason" in err.value.errors
        with pytest.raises(ValidationError) as err:
            hh.close_household(s, staff(s), hid, expected_version=version, to_status="exited", effective_on=dt.date(2026, 12, 20), today=TODAY)
        assert "effective_on" in err.value.errors
        hh.close_household(s, staff(s), hid, expected_version=version, to_status="exited", effective_on=dt.date(2026, 11, 20), note="连续6个月超线", today=TODAY)
    with transaction(db_engine) as s:
        version = s.get(Household, hid).version
        with pytest.raises(ValidationError, match="请写明返困原因"):
            hh.reopen_household(s, staff(s), hid, expected_version=version, effective_on=dt.date(2026, 11, 25), note=" ", today=TODAY)
        hh.reopen_household(s, staff(s), hid, expected_version=version, effective_on=dt.date(2026, 11, 25), note="配偶患病", today=TODAY)
    with reading(db_engine) as s:
        history = [(c.from_status, c.to_status, c.reason) for c in hh.status_history(s, staff(s), hid)]
        assert history == [(None, "applying", None), ("applying", "active", None), ("active", "exited", None), ("exited", "active", "reopened")]
        assert s.get(Household, hid).status == "active"
        actions = [r.action for r in s.scalars(select(AuditLog).where(AuditLog.entity == "household", AuditLog.field == "status"))]
        assert "close" in actions and "reopen" in actions


def test_home_figures_stay_within_the_scope(db_engine):
    from db.queries import home_figures

    hid, _ = create(db_engine)
    with transaction(db_engine) as s:
        s.add(DibaoLine(place_code="130302", effective_from=dt.date(2026, 1, 1), amount_fen=70000))
    with reading(db_engine) as s:
        hg = home_figures(s, staff(s), TODAY)
        cl = home_figures(s, staff(s, "昌黎县总工会"), TODAY)
        city = home_figures(s, system_actor("t"), TODAY)
    assert hg["counts"]["applying"] == 1 and cl["counts"]["applying"] == 0
    assert hg["missing"] == [] and cl["missing"] == ["昌黎县"]  # each sees only its own districts' missing lines
    assert "海港区" not in city["missing"] and "昌黎县" in city["missing"]


def test_reopening_is_refused_when_a_member_is_now_in_another_open_file(db_engine):
    hid, _ = create(db_engine)
    _lines_and_incomes(db_engine, hid, 60000)
    _file(db_engine, hid)
    with transaction(db_engine) as s:
        hh.close_household(s, staff(s), hid, expected_version=s.get(Household, hid).version, to_status="withdrawn",
                           reason="transferred", effective_on=dt.date(2026, 11, 20), today=TODAY)
    create(db_engine, id_number=SPOUSE, members=[])  # the spouse now heads a file of her own
    with transaction(db_engine) as s:
        with pytest.raises(ValidationError) as err:
            hh.reopen_household(s, staff(s), hid, expected_version=s.get(Household, hid).version,
                                effective_on=dt.date(2026, 11, 25), note="搬回", today=TODAY)
    assert "一人只能在一个未关闭的档案中" in " ".join(err.value.errors.values())
    with reading(db_engine) as s:
        assert s.get(Household, hid).status == "withdrawn"


def test_an_application_turned_down_is_withdrawn_and_frees_the_numbers(db_engine):
    hid, _ = create(db_engine)
    with transaction(db_engine) as s:
        with pytest.raises(ValidationError, match="只有“在档”的档案可以关闭为脱困或解困"):
            hh.close_household(s, staff(s), hid, expected_version=s.get(Household, hid).version, to_status="exited",
                               effective_on=TODAY, note="x", today=TODAY)
        hh.close_household(s, staff(s), hid, expected_version=s.get(Household, hid).version, to_status="withdrawn",
                           reason="misidentified", effective_on=TODAY, today=TODAY)
    create(db_engine)  # the same people can be filed again


def test_closing_as_exited_against_the_engine_needs_a_written_reason(db_engine):
    hid, _ = create(db_engine)
    _lines_and_incomes(db_engine, hid, 60000)  # below the 700 line: not out
    _file(db_engine, hid)
    with transaction(db_engine) as s:
        with pytest.raises(ValidationError) as err:
            hh.close_household(s, staff(s), hid, expected_version=s.get(Household, hid).version, to_status="exited",
                               effective_on=TODAY, today=TODAY)
        assert "尚不符合脱困条件" in err.value.errors["note"]


def test_filing_needs_all_four_exclusions_checked(db_engine):
    hid, _ = create(db_engine, exclusions=[{"exclusion": "two_homes", "applies": False, "source": "入户调查"}])
    _lines_and_incomes(db_engine, hid, 60000)
    _file(db_engine, hid, until="review")
    with transaction(db_engine) as s:
        with pytest.raises(ValidationError, match="尚未核查.*经营商铺或雇佣他人"):
            hh.record_step(s, staff(s), hid, expected_version=s.get(Household, hid).version, step="filed",
                           done_on=dt.date(2026, 11, 11), today=TODAY)


def test_a_15_digit_number_finds_the_file(db_engine):
    from db.queries import FileFilter, search_households

    create(db_engine)
    legacy = HEAD[:6] + HEAD[8:17]  # the same person's old 15-digit number
    with reading(db_engine) as s:
        assert search_households(s, staff(s), FileFilter(text=legacy))[1] == 1


def test_a_closed_file_cannot_be_edited(db_engine):
    hid, _ = create(db_engine)
    with transaction(db_engine) as s:
        hh.close_household(s, staff(s), hid, expected_version=s.get(Household, hid).version, to_status="withdrawn",
                           reason="misidentified", effective_on=TODAY, today=TODAY)
    with transaction(db_engine) as s:
        h = s.get(Household, hid)
        with pytest.raises(ValidationError, match="已关闭的档案不能修改"):
            hh.update_household(s, staff(s), hid, expected_version=h.version, loaded=hh.snapshot(h), raw=raw(name="改名"), today=TODAY)

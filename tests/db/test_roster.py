"""The civil-affairs roster against the files, on SQLite and PostgreSQL: marked, reported, scope, audit, versions."""

import datetime as dt

import pytest
from sqlalchemy import select

from core.identity import id_check_char
from core.roster import read_roster
from core.workbook import read_xlsx, write_csv
from db import audit
from db.engine import reading, transaction
from db.errors import Conflict, OutOfScope
from db.evaluation import evaluate_files, load_inputs
from db.models import AssistanceRecord, AuditLog, DibaoLine, Household, IncomeMonth, Measure, Member
from db.roster import REASON, apply_roster, match_roster, report_rows, report_xlsx
from tests.db.support import actor_of, add_file

TODAY = dt.date(2026, 11, 29)


def pid(first17: str) -> str:
    return first17 + id_check_char(first17)


SPOUSE = pid("13030219720202202")
CHILD = pid("13030220050303303")
STRANGER = pid("13030219800404404")  # on the roster, in no file


def roster(*lines: tuple, headers=("身份证号", "救助类型", "纳入日期", "姓名")):
    """A roster as the office sends it: a CSV read back the way the page reads the upload."""
    return read_roster(write_csv(list(headers), [list(line) for line in lines]), "民政低保名单.csv", today=TODAY)


def match(session, actor, read):
    return match_roster(session, actor, read.entries, today=TODAY, problems=read.problems)


def file_state(engine, household_id):
    """(programme, from) of the file's open 低保/特困 record (None, None without one), and the file's version."""
    with reading(engine) as s:
        h = s.get(Household, household_id)
        open_ = [r for r in s.scalars(select(AssistanceRecord).where(AssistanceRecord.household_id == household_id))
                 if r.to_on is None and r.programme in ("dibao", "tekun")]
        latest = max(open_, key=lambda r: r.from_on, default=None)
        return (latest.programme if latest else None), (latest.from_on if latest else None), h.version


def records_of(engine, household_id):
    with reading(engine) as s:
        return sorted((r.programme, r.from_on, r.to_on, r.source) for r in
                      s.scalars(select(AssistanceRecord).where(AssistanceRecord.household_id == household_id)))


def test_a_file_is_marked_when_its_head_or_a_member_is_on_the_roster(db_engine):
    with transaction(db_engine) as s:
        by_head = add_file(s, 1)
        by_member = add_file(s, 2)
        s.add(Member(household_id=by_member.id, name="配偶", relation="spouse", id_number=SPOUSE))
        head_number, ids = by_head.id_number, (by_head.id, by_member.id)
    read = roster((head_number, "低保", "2025-03-01", "户主1"), (SPOUSE, "特困", "2024-07", "配偶"), (STRANGER, "", "", "路人"))
    with transaction(db_engine) as s:
        result = match(s, actor_of(s), read)
        assert [(m.household_id, [whom for _, whom in m.lines]) for m in result.matched] == [
            (ids[0], ["户主"]), (ids[1], ["家庭成员 配偶"])]
        outcome = apply_roster(s, actor_of(s), result, today=TODAY)
    assert (outcome.marked, outcome.unchanged, outcome.unmatched, outcome.ambiguous, outcome.problems) == (2, 0, 1, 0, 0)
    assert file_state(db_engine, ids[0])[:2] == ("dibao", dt.date(2025, 3, 1))
    assert file_state(db_engine, ids[1])[:2] == ("tekun", dt.date(2024, 7, 1))


def test_a_line_without_a_date_marks_the_file_from_today_but_never_moves_an_existing_date(db_engine):
    with transaction(db_engine) as s:
        new = add_file(s, 1)
        known = add_file(s, 2, assistance=[("dibao", dt.date(2020, 5, 1))])
        lines = ((new.id_number, "", "", ""), (known.id_number, "", "", ""))
        ids = new.id, known.id
    with transaction(db_engine) as s:
        outcome = apply_roster(s, actor_of(s), match(s, actor_of(s), roster(*lines)), today=TODAY)
    assert (outcome.marked, outcome.unchanged) == (1, 1)
    assert file_state(db_engine, ids[0])[:2] == ("dibao", TODAY)
    assert file_state(db_engine, ids[1])[:2] == ("dibao", dt.date(2020, 5, 1))  # in the programme since 2020, still


def test_another_districts_file_reads_exactly_like_a_number_in_no_file(db_engine):
    with transaction(db_engine) as s:
        elsewhere = add_file(s, 1, org_name="昌黎县总工会")
        number, elsewhere_id = elsewhere.id_number, elsewhere.id
    read = roster((number, "低保", "2025-01-01", "外区"), (STRANGER, "低保", "2025-01-01", "路人"))
    with transaction(db_engine) as s:
        result = match(s, actor_of(s, "海港区总工会"), read)
        assert result.matched == [] and [u.entry.id_number for u in result.unmatched] == [number, STRANGER]
        assert result.unmatched[0].note == result.unmatched[1].note  # nothing hints at the other district's file
        rows = report_rows(result)
        assert not any(elsewhere.file_no in str(v) for row in rows for v in row.values())
        apply_roster(s, actor_of(s, "海港区总工会"), result, today=TODAY)
    assert file_state(db_engine, elsewhere_id)[:2] == (None, None)
    with transaction(db_engine) as s:  # the district that holds it does find it
        assert [m.household_id for m in match(s, actor_of(s, "昌黎县总工会"), read).matched] == [elsewhere_id]


def test_closed_files_are_not_marked_and_the_report_points_at_them(db_engine):
    with transaction(db_engine) as s:
        closed = add_file(s, 1, status="exited")
        number, closed_id, file_no = closed.id_number, closed.id, closed.file_no
    with transaction(db_engine) as s:
        result = match(s, actor_of(s), roster((number, "低保", "2025-01-01", "户主1")))
        assert result.matched == [] and len(result.unmatched) == 1
        assert f"{file_no}（已脱困）" in result.unmatched[0].note  # back on 低保 after 脱困: the staff should look (返困)
        apply_roster(s, actor_of(s), result, today=TODAY)
    assert file_state(db_engine, closed_id)[:2] == (None, None)


def test_a_number_in_two_open_files_is_ambiguous_and_neither_file_is_marked(db_engine):
    with transaction(db_engine) as s:
        first = add_file(s, 1)
        second = add_file(s, 2)
        s.add(Member(household_id=second.id, name="户主1", relation="sibling", id_number=first.id_number))  # messy data
        number, ids, file_nos = first.id_number, (first.id, second.id), (first.file_no, second.file_no)
    with transaction(db_engine) as s:
        result = match(s, actor_of(s), roster((number, "低保", "2025-01-01", "户主1")))
        assert result.matched == [] and [a.file_nos for a in result.ambiguous] == [tuple(sorted(file_nos))]
        outcome = apply_roster(s, actor_of(s), result, today=TODAY)
    assert (outcome.marked, outcome.ambiguous) == (0, 1)
    assert [file_state(db_engine, i)[:2] for i in ids] == [(None, None), (None, None)]


def test_one_household_named_with_two_programmes_is_not_guessed(db_engine):
    with transaction(db_engine) as s:
        h = add_file(s, 1)
        s.add(Member(household_id=h.id, name="子女", relation="child", id_number=CHILD))
        number, hid = h.id_number, h.id
    with transaction(db_engine) as s:
        result = match(s, actor_of(s), roster((number, "低保", "", ""), (CHILD, "特困", "", "")))
        assert result.matched == [] and [p.row for p in result.problems] == [2, 3]
        assert "救助类型不一致" in result.problems[0].message
        outcome = apply_roster(s, actor_of(s), result, today=TODAY)
    assert outcome.problems == 2 and file_state(db_engine, hid)[:2] == (None, None)


def test_two_members_of_one_household_mark_it_once_from_the_earliest_date(db_engine):
    with transaction(db_engine) as s:
        h = add_file(s, 1)
        s.add(Member(household_id=h.id, name="配偶", relation="spouse", id_number=SPOUSE))
        number, hid = h.id_number, h.id
    with transaction(db_engine) as s:
        result = match(s, actor_of(s), roster((number, "低保", "2025-06-01", ""), (SPOUSE, "低保", "2025-02-01", "")))
        outcome = apply_roster(s, actor_of(s), result, today=TODAY)
    with reading(db_engine) as s:  # audit rows are written when the transaction commits
        changes = s.scalars(select(AuditLog).where(AuditLog.household_id == hid, AuditLog.reason == REASON)).all()
    assert outcome.marked == 1 and len(changes) == 1  # one file, one record created
    assert file_state(db_engine, hid)[:2] == ("dibao", dt.date(2025, 2, 1))


def test_applying_writes_audited_records_per_programme_and_moves_the_data_version(db_engine):
    with transaction(db_engine) as s:
        h = add_file(s, 1, assistance=[("dibao", dt.date(2019, 1, 1))])
        other = add_file(s, 2, assistance=[("dibao", dt.date(2019, 1, 1))])
        number, hid, before = h.id_number, h.id, h.version
        data_before = audit.data_version(s)
    with transaction(db_engine) as s:
        actor = actor_of(s)
        read = roster((number, "特困", "2025-04-01", ""), (other.id_number, "低保", "2018-07-01", ""))
        apply_roster(s, actor, match(s, actor, read), today=TODAY)
    # a 特困 line adds a 特困供养 record beside the 低保 one; a 低保 line with another date corrects the 低保 record's date
    assert records_of(db_engine, hid) == [("dibao", dt.date(2019, 1, 1), None, "manual"),
                                          ("tekun", dt.date(2025, 4, 1), None, "roster")]
    assert records_of(db_engine, other.id) == [("dibao", dt.date(2018, 7, 1), None, "manual")]
    with reading(db_engine) as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.household_id.in_((hid, other.id))).order_by(AuditLog.id)).all()
        assert [(r.household_id, r.action, r.entity, r.field, r.old_value, r.reason, r.actor) for r in rows] == [
            (hid, "create", "assistance_record", None, None, REASON, actor.username),
            (other.id, "update", "assistance_record", "from_on", "2019-01-01", REASON, actor.username)]
        assert '"programme": "tekun"' in rows[0].new_value and '"from_on": "2025-04-01"' in rows[0].new_value
        assert audit.data_version(s) > data_before  # cached figures go stale
    assert file_state(db_engine, hid)[2] == before  # the file's own form is not in conflict with the roster


def test_a_file_changed_since_the_match_makes_the_whole_apply_write_nothing(db_engine):
    with transaction(db_engine) as s:
        first, second = add_file(s, 1), add_file(s, 2)
        lines = ((first.id_number, "低保", "2025-01-01", ""), (second.id_number, "低保", "2025-01-01", ""))
        ids = first.id, second.id
    with transaction(db_engine) as s:
        result = match(s, actor_of(s), roster(*lines))
    with transaction(db_engine) as s:  # someone records the second file's 低保 meanwhile
        s.add(AssistanceRecord(household_id=ids[1], programme="dibao", from_on=dt.date(2024, 1, 1), source="manual"))
    with pytest.raises(Conflict) as refused:
        with transaction(db_engine) as s:
            apply_roster(s, actor_of(s), result, today=TODAY)
    assert "本次没有标记任何档案" in str(refused.value)
    assert [file_state(db_engine, i)[:2] for i in ids] == [(None, None), ("dibao", dt.date(2024, 1, 1))]
    with reading(db_engine) as s:
        assert s.scalars(select(AuditLog).where(AuditLog.reason == REASON)).all() == []


def test_applying_the_same_roster_again_changes_nothing(db_engine):
    with transaction(db_engine) as s:
        h = add_file(s, 1)
        line, hid = (h.id_number, "低保", "2025-01-01", ""), h.id
    with transaction(db_engine) as s:
        first = match(s, actor_of(s), roster(line))
        apply_roster(s, actor_of(s), first, today=TODAY)
    version = file_state(db_engine, hid)[2]
    with transaction(db_engine) as s:
        again = match(s, actor_of(s), roster(line))
        outcome = apply_roster(s, actor_of(s), again, today=TODAY)
        assert [row["结果"] for row in report_rows(again, outcome)] == ["无变化"]
    assert (outcome.marked, outcome.unchanged) == (0, 1)
    assert file_state(db_engine, hid)[2] == version
    assert records_of(db_engine, hid) == [("dibao", dt.date(2025, 1, 1), None, "roster")]
    with reading(db_engine) as s:
        assert len(s.scalars(select(AuditLog).where(AuditLog.reason == REASON)).all()) == 1
    with pytest.raises(Conflict):  # the first result, applied twice, is stale now
        with transaction(db_engine) as s:
            apply_roster(s, actor_of(s), first, today=TODAY)


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_roles_that_only_read_can_neither_match_nor_apply(db_engine, role):
    with transaction(db_engine) as s:
        h = add_file(s, 1)
        line, hid = (h.id_number, "低保", "2025-01-01", ""), h.id
    with transaction(db_engine) as s:
        with pytest.raises(OutOfScope):
            match(s, actor_of(s, role=role), roster(line))
        result = match(s, actor_of(s), roster(line))  # computed by a staff member
    with pytest.raises(OutOfScope):
        with transaction(db_engine) as s:
            apply_roster(s, actor_of(s, role=role), result, today=TODAY)
    assert file_state(db_engine, hid)[:2] == (None, None)


def test_a_result_from_one_district_cannot_be_applied_by_another(db_engine):
    from db.errors import NotFound

    with transaction(db_engine) as s:
        h = add_file(s, 1)
        line, hid = (h.id_number, "低保", "2025-01-01", ""), h.id
    with transaction(db_engine) as s:
        result = match(s, actor_of(s), roster(line))
    with pytest.raises(NotFound):
        with transaction(db_engine) as s:
            apply_roster(s, actor_of(s, "昌黎县总工会"), result, today=TODAY)
    assert file_state(db_engine, hid)[:2] == (None, None)


def test_the_status_engine_sees_the_household_in_the_safety_net_from_the_rosters_date(db_engine):
    # 解困 needs 难以脱困 + 低保/特困 + an active measure + income at the line: only the roster is missing
    with transaction(db_engine) as s:
        s.add(DibaoLine(place_code="130302", effective_from=dt.date(2026, 1, 1), amount_fen=70000))
        h = add_file(s, 1, hard_to_exit=True)
        s.add(Measure(household_id=h.id, track="safety_net", cause="3", content="常态化帮扶", status="in_progress",
                      start_on=dt.date(2026, 2, 1)))
        for month in range(1, 11):
            s.add(IncomeMonth(household_id=h.id, month=dt.date(2026, month, 1), income_fen=70000 * 2, persons=2))
        line, hid = (h.id_number, "低保", "2026-06-15", ""), h.id
    as_of = dt.date(2026, 10, 31)
    with reading(db_engine) as s:
        assert evaluate_files(s, actor_of(s), as_of).set_index("household_id").at[hid, "suggestion"] == ""
    with transaction(db_engine) as s:
        apply_roster(s, actor_of(s), match(s, actor_of(s), roster(line)), today=TODAY)
    with reading(db_engine) as s:
        # in force in the month of its 纳入日期 (from ≤ the month's last day), not the month before
        _, before = load_inputs(s, actor_of(s), dt.date(2026, 5, 31))
        _, after = load_inputs(s, actor_of(s), dt.date(2026, 6, 1))
        assert not before.set_index("household_id").at[hid, "in_safety_net"]
        assert after.set_index("household_id").at[hid, "in_safety_net"]
        assert evaluate_files(s, actor_of(s), as_of).set_index("household_id").at[hid, "suggestion"] == "relief"


def test_the_report_lists_every_line_with_its_result_full_number_and_file_and_downloads(db_engine):
    with transaction(db_engine) as s:
        marked = add_file(s, 1)
        same = add_file(s, 2, assistance=[("dibao", dt.date(2025, 1, 1))])
        twice = add_file(s, 3)
        for household in (same, twice):  # one person in two open files: messy data
            s.add(Member(household_id=household.id, name="丁", relation="sibling", id_number=SPOUSE))
        numbers = marked.id_number, same.id_number
        file_nos = marked.file_no, same.file_no, twice.file_no
    bad = numbers[0][:17] + ("0" if numbers[0][17] != "0" else "1")
    read = roster((numbers[0], "低保", "2025-03-01", "甲"), (numbers[1], "低保", "2025-01-01", "乙"),
                  (STRANGER, "低保", "", "丙"), (SPOUSE, "低保", "", "丁"), (bad, "低保", "", "戊"))
    with transaction(db_engine) as s:
        result = match(s, actor_of(s), read)
        preview = report_rows(result)
        outcome = apply_roster(s, actor_of(s), result, today=TODAY)
    rows = report_rows(result, outcome)
    assert [(r["位置"], r["身份证号"], r["姓名"], r["结果"], r["档案编号"]) for r in rows] == [
        ("第 2 行", numbers[0], "甲", "已标记", file_nos[0]),
        ("第 3 行", numbers[1], "乙", "无变化", file_nos[1]),
        ("第 4 行", STRANGER, "丙", "未找到", ""),
        ("第 5 行", SPOUSE, "丁", "对应多户", "、".join(sorted(file_nos[1:]))),
        ("第 6 行", bad, "戊", "有误", ""),
    ]
    assert preview[0]["结果"] == "待标记" and "将改为低保（2025-03-01 起）" in preview[0]["说明"]
    assert rows[0]["说明"] == "户主；原为未纳入，已改为低保（2025-03-01 起）"
    assert rows[4]["说明"] == "“身份证号”列：校验位不符，请逐位核对"
    sheet = read_xlsx(report_xlsx(result, outcome))["比对结果"]
    assert sheet[0][:6] == ["位置", "身份证号", "姓名", "救助类型", "纳入日期", "结果"]
    assert [row[1] for row in sheet[1:]] == [r["身份证号"] for r in rows]  # numbers kept as text, in full


@pytest.mark.parametrize("records, line, expected", [
    # 救助类型 names any of the eight programmes: a record of that programme, beside the others
    ([("dibao", dt.date(2019, 1, 1))], ("医疗救助", "2025-08-01"),
     [("dibao", dt.date(2019, 1, 1), None, "manual"), ("medical", dt.date(2025, 8, 1), None, "roster")]),
    # an ended record that began on the roster's date: the office lists the household now, so it is open again
    ([("dibao", dt.date(2019, 1, 1), dt.date(2024, 6, 30))], ("低保", "2019-01-01"),
     [("dibao", dt.date(2019, 1, 1), None, "manual")]),
    # … or whose period holds the roster's date: reopened from that date (no second, overlapping record)
    ([("dibao", dt.date(2019, 1, 1), dt.date(2024, 6, 30))], ("低保", "2020-05-01"),
     [("dibao", dt.date(2020, 5, 1), None, "manual")]),
    # an ended record of another period stays as it was; the new period is a record of its own
    ([("dibao", dt.date(2019, 1, 1), dt.date(2024, 6, 30))], ("低保", "2025-03-01"),
     [("dibao", dt.date(2019, 1, 1), dt.date(2024, 6, 30), "manual"), ("dibao", dt.date(2025, 3, 1), None, "roster")]),
])
def test_the_roster_writes_the_record_of_its_programme(db_engine, records, line, expected):
    with transaction(db_engine) as s:
        h = add_file(s, 1, assistance=records)
        number, hid = h.id_number, h.id
    with transaction(db_engine) as s:
        outcome = apply_roster(s, actor_of(s), match(s, actor_of(s), roster((number, *line, ""))), today=TODAY)
    assert outcome.marked == 1 and records_of(db_engine, hid) == expected
    with transaction(db_engine) as s:  # and the same list again changes nothing
        again = apply_roster(s, actor_of(s), match(s, actor_of(s), roster((number, *line, ""))), today=TODAY)
    assert (again.marked, again.unchanged) == (0, 1) and records_of(db_engine, hid) == expected

"""Bulk writes take the ids the person saw and refuse, by name and as a whole, those no longer eligible."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from db import pairings, visits
from db.engine import reading, transaction
from db.errors import Conflict, ValidationError
from db.proposals import confirm
from db.models import DibaoLine, Household, Pairing, Visit
from tests.db.support import actor_of, add_file
from tests.db.test_evaluation import _active_with_incomes
from tests.db.test_households import TODAY, pid, staff

AS_OF = dt.date(2026, 10, 31)
HELPER = {"helper_name": "李离职", "helper_unit": "港务集团工会", "start_on": dt.date(2025, 1, 1)}


def _two_proposed(engine) -> tuple[tuple[int, str], tuple[int, str]]:
    with transaction(engine) as s:
        s.add(DibaoLine(place_code="130302", effective_from=dt.date(2026, 1, 1), amount_fen=70000))
    return _active_with_incomes(engine, 70001), _active_with_incomes(engine, 70001, id_number=pid("13030219910101101"))


def test_a_file_confirmed_meanwhile_is_refused_by_number_and_name_and_nothing_closes(db_engine):
    (first, first_no), (second, _) = _two_proposed(db_engine)
    with transaction(db_engine) as s:  # someone else confirms the first one after the list was shown
        assert confirm(s, staff(s), [first], kind="exit", as_of=AS_OF, effective_on=TODAY, today=TODAY) == 1
    with pytest.raises(ValidationError) as refused, transaction(db_engine) as s:
        confirm(s, staff(s), [first, second], kind="exit", as_of=AS_OF, effective_on=TODAY, today=TODAY)
    with reading(db_engine) as s:
        name = s.get(Household, first).name
        assert s.get(Household, second).status == "active"  # all or none
    message = refused.value.errors[first_no]
    assert message.startswith(f"{first_no} {name} 已不再符合脱困条件") and "本次没有关闭任何档案" in message


@pytest.mark.parametrize("ids, field, words", [
    (lambda a, b: [a, a], "household_ids", "同一档案被选了两次"),
    (lambda a, b: [a, 987654], "987654", "不存在或不在您的管辖范围内"),
    (lambda a, b: [], "household_ids", "请先在名单中勾选"),
])
def test_confirm_refuses_ids_it_cannot_vouch_for(db_engine, ids, field, words):
    (first, _), (second, _) = _two_proposed(db_engine)
    with pytest.raises(ValidationError) as refused, transaction(db_engine) as s:
        confirm(s, staff(s), ids(first, second), kind="exit", as_of=AS_OF, effective_on=TODAY, today=TODAY)
    assert words in refused.value.errors[field]
    with reading(db_engine) as s:
        assert {s.get(Household, first).status, s.get(Household, second).status} == {"active"}


def test_a_bulk_visit_refuses_a_file_withdrawn_since_the_queue_was_shown(db_engine):
    with transaction(db_engine) as s:
        kept = add_file(s, 1).id
        gone = add_file(s, 2, status="withdrawn")
        gone_id, gone_no = gone.id, gone.file_no
    visit = {"visited_on": TODAY, "visitor": "张帮扶", "kind": "phone", "notes": "电话回访"}
    with pytest.raises(ValidationError) as refused, transaction(db_engine) as s:
        visits.record_visits(s, actor_of(s), [kept, gone_id], visit, today=TODAY, statuses=pairings.PAIRABLE)
    assert refused.value.errors["household_ids"].startswith(f"{gone_no} 户主2 现为“已退出”")
    with pytest.raises(ValidationError, match="同一档案被选了两次"), transaction(db_engine) as s:
        visits.record_visits(s, actor_of(s), [kept, kept], visit, today=TODAY)
    with reading(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(Visit)) == 0


def test_a_bulk_helper_refuses_a_file_paired_meanwhile_by_its_number(db_engine):
    with transaction(db_engine) as s:
        ids = [add_file(s, n).id for n in (1, 2)]
        taken_no = s.get(Household, ids[1]).file_no
        pairings.assign_helper(s, actor_of(s), [ids[1]], HELPER, expected={ids[1]: None}, today=TODAY)  # someone else, meanwhile
    with pytest.raises(Conflict, match=f"{taken_no} 的结对刚刚被他人修改"), transaction(db_engine) as s:
        pairings.assign_helper(s, actor_of(s), ids, {**HELPER, "helper_name": "王帮扶"}, expected={i: None for i in ids}, today=TODAY)
    with pytest.raises(ValidationError, match="同一档案被选了两次"), transaction(db_engine) as s:
        pairings.assign_helper(s, actor_of(s), [ids[0], ids[0]], HELPER, expected={ids[0]: None}, today=TODAY)
    with reading(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(Pairing).where(Pairing.helper_name == "王帮扶")) == 0


def test_a_helper_move_on_a_changed_caseload_names_the_files_that_changed(db_engine):
    with transaction(db_engine) as s:
        ids = [add_file(s, n).id for n in (1, 2, 3)]
        pairings.assign_helper(s, actor_of(s), ids[:2], HELPER, expected={i: None for i in ids[:2]}, today=TODAY)
    with reading(db_engine) as s:
        shown = pairings.helper_files(s, actor_of(s), "李离职", "港务集团工会")
        seen = dict(zip(shown["pairing_id"].astype(int), shown["version"].astype(int)))
    with transaction(db_engine) as s:  # a third file is given to the same helper after the list was shown
        pairings.assign_helper(s, actor_of(s), [ids[2]], HELPER, expected={ids[2]: None}, today=TODAY)
        added_no = s.get(Household, ids[2]).file_no
    with pytest.raises(Conflict) as refused, transaction(db_engine) as s:
        pairings.reassign_helper(s, actor_of(s), "李离职", "港务集团工会", {**HELPER, "helper_name": "王接任", "start_on": TODAY},
                                 pairing_versions=seen, today=TODAY)
    assert f"有变化的：{added_no} 户主3" in str(refused.value) and "本次没有移交任何档案" in str(refused.value)
    with reading(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(Pairing).where(Pairing.helper_name == "王接任")) == 0

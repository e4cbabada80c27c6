"""工作台 under AppTest: a bulk action acts on exactly the files ticked, and the ticks never outlive the rows."""

import datetime as dt

from sqlalchemy import select

from db.engine import reading, transaction
from db.models import Household, Pairing, Visit
from tests.db.support import add_file
from tests.screens.conftest import app_as, assert_ok, make_user
from tests.screens.ticks import tick, ticked

TODAY = dt.date.today()


def _texts(at) -> str:
    kinds = ("title", "markdown", "caption", "error", "warning", "success", "info")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def _files(app_db, count: int) -> list[str]:
    with transaction(app_db) as s:
        return [add_file(s, n, causes=("6", "3"), filed_on=TODAY - dt.timedelta(days=400)).file_no for n in range(1, count + 1)]


def _visited(app_db) -> set[str]:
    with reading(app_db) as s:
        return set(s.scalars(select(Household.file_no).join(Visit, Visit.household_id == Household.id)))


def _queue_files(at) -> list[str]:
    return list(at.dataframe[0].value["档案编号"])


def _record_visit(at, notes: str) -> None:
    at.text_area(key="wl_v_notes").input(notes)
    at.button(key="FormSubmitter:wl_visit-登记走访").click().run()
    assert_ok(at)


def test_a_bulk_visit_goes_to_exactly_the_files_ticked_and_the_ticks_do_not_move_onto_others(app_db):
    make_user(app_db, "hgstaff", "staff", "海港区总工会")
    _files(app_db, 6)
    at = app_as("hgstaff").run()
    at.switch_page("screens/worklist.py").run()
    at.radio(key="wl_queue").set_value("visit_overdue").run()
    assert_ok(at)
    queue = _queue_files(at)
    assert len(queue) == 6

    tick(at, "wl_table", [0, 1])
    assert "已勾选 **2** 户，将登记走访：" in _texts(at) and f"{queue[0]} 户主" in _texts(at)  # named above the button
    _record_visit(at, "电话了解近况")
    assert "已为 2 户登记" in _texts(at)
    assert _visited(app_db) == set(queue[:2])

    # the two left the queue; the rows now at positions 0 and 1 are other files, and nothing is ticked
    assert _queue_files(at) == queue[2:]
    assert ticked(at, "wl_table") == []
    assert not [m for m in at.markdown if "为选中的" in str(m.value)]  # no bulk form without a tick

    tick(at, "wl_table", [2])
    assert "为选中的 1 户登记走访" in _texts(at)
    _record_visit(at, "入户走访")
    assert "已为 1 户登记" in _texts(at)
    assert _visited(app_db) == {queue[0], queue[1], queue[4]}
    assert _queue_files(at) == [queue[2], queue[3], queue[5]]


def test_assigning_a_helper_to_ticked_files_names_them_and_changes_only_them(app_db):
    make_user(app_db, "hgstaff", "staff", "海港区总工会")
    _files(app_db, 4)
    at = app_as("hgstaff").run()
    at.switch_page("screens/worklist.py").run()
    at.radio(key="wl_queue").set_value("no_helper").run()
    queue = _queue_files(at)
    tick(at, "wl_table", [1, 3])
    assert f"已勾选 **2** 户，将指定帮扶责任人：{queue[1]} 户主" in _texts(at)
    at.text_input(key="wl_h_name").input("张帮扶")
    at.text_input(key="wl_h_unit").input("港务集团工会")
    at.button(key="FormSubmitter:wl_helper-保存").click().run()
    assert_ok(at)
    assert "已为 2 户指定帮扶责任人 张帮扶" in _texts(at)
    with reading(app_db) as s:
        paired = set(s.scalars(select(Household.file_no).join(Pairing, Pairing.household_id == Household.id)))
    assert paired == {queue[1], queue[3]}
    assert _queue_files(at) == [queue[0], queue[2]] and ticked(at, "wl_table") == []


def test_the_ticks_are_let_go_when_the_queue_changes_under_them(app_db):
    make_user(app_db, "hgstaff", "staff", "海港区总工会")
    _files(app_db, 3)
    at = app_as("hgstaff").run()
    at.switch_page("screens/worklist.py").run()
    at.radio(key="wl_queue").set_value("visit_overdue").run()
    queue = _queue_files(at)
    tick(at, "wl_table", [1])
    with transaction(app_db) as s:  # someone else visits the first file meanwhile: the rows shift up
        from db import visits
        from tests.db.support import actor_of
        first = s.scalar(select(Household.id).where(Household.file_no == queue[0]))
        visits.record_visits(s, actor_of(s), [first], {"visited_on": TODAY, "visitor": "李", "kind": "phone", "notes": "电话"}, today=TODAY)
    at.run()
    assert _queue_files(at) == queue[1:]
    assert ticked(at, "wl_table") == []  # position 1 would now be another file: nothing is ticked
    assert any("原来的勾选已清除" in str(w.value) for w in at.warning)

"""可脱困名单 under AppTest: confirmations close exactly the files ticked, and the figures change at once."""

import datetime as dt

from sqlalchemy import select

from db import proposals
from demo import load_demo
from db.engine import reading, transaction
from db.models import Household
from db.users import actor_for
from tests.screens.conftest import app_as, assert_ok, make_user
from tests.screens.ticks import tick, ticked
from ui.markdown import escape_markdown


def _texts(at) -> str:
    kinds = ("title", "markdown", "caption", "error", "warning", "success", "info")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def _statuses(engine, files) -> dict[str, str]:
    with reading(engine) as s:
        return dict(s.execute(select(Household.file_no, Household.status).where(Household.file_no.in_(list(files)))).all())


def _exit_list(at) -> list[str]:
    return list(at.dataframe[0].value["档案编号"])


def _open_proposals(app_db):
    load_demo(app_db, households=900, seed=11)
    make_user(app_db, "hgstaff", "staff", "海港区总工会")
    at = app_as("hgstaff").run()
    at.switch_page("screens/proposals.py").run()
    at.date_input(key="pp_as_of").set_value(dt.date(2018, 12, 31)).run()
    assert_ok(at)
    assert at.tabs[0].label.startswith("可脱困（")
    return at


def _confirm_exit(at) -> None:
    at.button(key="FormSubmitter:pp_confirm_exit-确认脱困").click().run()
    assert_ok(at)


def test_confirm_five_exits_from_the_list(app_db):
    load_demo(app_db, households=900, seed=11)
    make_user(app_db, "hgstaff", "staff", "海港区总工会")
    at = app_as("hgstaff").run()
    at.switch_page("screens/home.py").run()
    exited_before = int(next(m for m in at.metric if m.label == "已脱困").value.replace(",", ""))

    at.switch_page("screens/proposals.py").run()
    at.date_input(key="pp_as_of").set_value(dt.date(2018, 12, 31)).run()
    assert_ok(at)
    files = _exit_list(at)
    assert len(files) >= 5, files
    tick(at, "pp_table_exit", [0, 1, 2, 3, 4])
    assert "已勾选 **5** 户" in _texts(at)
    _confirm_exit(at)
    assert "已确认脱困 5 户" in _texts(at)
    assert set(_statuses(app_db, files[:5]).values()) == {"exited"}

    at.switch_page("screens/home.py").run()
    exited_after = int(next(m for m in at.metric if m.label == "已脱困").value.replace(",", ""))
    assert exited_after == exited_before + 5


def test_after_a_confirmation_nothing_is_ticked_and_the_next_one_closes_only_the_file_ticked(app_db):
    at = _open_proposals(app_db)
    files = _exit_list(at)
    assert len(files) >= 6, files

    shown = at.dataframe[0].value
    tick(at, "pp_table_exit", [0, 1])
    named = "、".join(f"{escape_markdown(n)} {escape_markdown(p)}" for n, p in zip(shown["档案编号"][:2], shown["户主"][:2]))
    assert f"已勾选 **2** 户，将确认脱困：{named}" in _texts(at)  # number and name of each, right above the button
    _confirm_exit(at)
    assert "已确认脱困 2 户" in _texts(at)
    assert set(_statuses(app_db, files[:2]).values()) == {"exited"}

    # the refreshed list: the two are gone, the rows now at positions 0 and 1 are other files, and none is ticked
    assert _exit_list(at) == files[2:]
    assert ticked(at, "pp_table_exit") == []
    assert "已勾选 **0** 户" in _texts(at)
    assert "已勾选 **2** 户" not in _texts(at)

    tick(at, "pp_table_exit", [3])  # “row 5” of the list first shown
    assert "已勾选 **1** 户" in _texts(at)
    _confirm_exit(at)
    assert "已确认脱困 1 户" in _texts(at)
    after = _statuses(app_db, files)
    assert {f for f, status in after.items() if status == "exited"} == {files[0], files[1], files[5]}
    assert _exit_list(at) == [f for f in files if f not in (files[0], files[1], files[5])]


def test_ticks_on_a_list_that_changed_meanwhile_close_nothing(app_db):
    at = _open_proposals(app_db)
    files = _exit_list(at)
    tick(at, "pp_table_exit", [0, 1])
    with transaction(app_db) as s:  # another person confirms the first file between the tick and the click
        household = s.scalar(select(Household).where(Household.file_no == files[0]))
        proposals.confirm(s, actor_for(s, "hgstaff"), [household.id], kind="exit", as_of=dt.date(2018, 12, 31),
                           effective_on=dt.date.today())
    _confirm_exit(at)
    assert any("原来的勾选已清除" in str(e.value) and "本次没有关闭任何档案" in str(e.value) for e in at.error), _texts(at)
    assert _statuses(app_db, files[:3]) == {files[0]: "exited", files[1]: "active", files[2]: "active"}
    assert _exit_list(at) == files[1:]
    assert "已勾选 **0** 户" in _texts(at)

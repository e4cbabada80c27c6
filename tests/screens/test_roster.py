"""低保名单比对 under AppTest: the files the button will mark are named above it, and only they are marked."""

from db.engine import transaction
from tests.db.support import add_file
from tests.screens.conftest import app_as, assert_ok, make_user


def _texts(at) -> str:
    kinds = ("markdown", "caption", "error", "warning", "success", "info")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def test_the_files_to_mark_are_named_above_the_button(app_db):
    make_user(app_db, "hgstaff", "staff", "海港区总工会")
    with transaction(app_db) as s:
        on_list = add_file(s, 1)
        add_file(s, 2)
        number, file_no = on_list.id_number, on_list.file_no
    at = app_as("hgstaff").run()
    at.switch_page("screens/excel.py").run()
    at.file_uploader(key="ro_file").set_value(("低保名单.csv", f"身份证号\n{number}\n".encode(), "text/csv")).run()
    assert_ok(at)
    assert f"将标记的 **1** 户：{file_no} 户主1" in _texts(at)
    at.button(key="ro_apply").click().run()
    assert_ok(at)
    assert "已标记 1 户，0 户原已标记无变化" in _texts(at)  # exactly the file named (the store's form is db.roster's business)

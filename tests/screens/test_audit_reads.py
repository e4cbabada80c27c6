"""一户一档 leaves a trace: who opened which file, once a day (AppTest on a real database)."""

from sqlalchemy import select

from db.audit import verify_chain
from db.engine import reading, transaction
from db.models import AuditLog
from tests.db.support import add_file
from tests.screens.conftest import app_as, assert_ok, make_user


def _open(username: str, file_no: str):
    at = app_as(username).run()
    at.switch_page("screens/household.py")
    at.query_params["file"] = file_no
    at.run()
    assert_ok(at)
    return at


def test_opening_a_file_writes_one_read_row_per_user_and_day(app_db):
    with transaction(app_db) as s:
        file = add_file(s, 1)
        file_id, file_no, name = file.id, file.file_no, file.name
    make_user(app_db, "hgstaff", "staff", "海港区总工会")
    make_user(app_db, "clstaff", "staff", "昌黎县总工会")
    at = _open("hgstaff", file_no)
    assert at.title[0].value == name
    at.run()  # a rerun of the same page
    _open("hgstaff", file_no)  # and a new session the same day
    refused = _open("clstaff", file_no)  # outside the scope: nothing was read
    assert all(name not in str(t.value) for t in refused.title)
    with reading(app_db) as s:
        reads = s.scalars(select(AuditLog).where(AuditLog.action == "read")).all()
        assert [(r.actor, r.household_id, r.entity_id) for r in reads] == [("hgstaff", file_id, str(file_id))]
        assert verify_chain(s)[1] is None

"""Migration 0010 on a database of the schema before it: a file left with several current pairings keeps its latest
(the others end), the index then allows one; the ID numbers of open files get their lock rows; models match."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from core.identity import id_check_char
from db.engine import transaction
from db.errors import Conflict
from db.migrate import alembic_config
from db.models import Base


def pid(first17: str) -> str:
    return first17 + id_check_char(first17)


OPEN_HEAD, OPEN_MEMBER, CLOSED_HEAD = pid("13030219700101101"), pid("13030219720202202"), pid("13030219600303303")


def _household(c, hid, status, number):
    c.execute(text(
        "INSERT INTO household (id, file_no, org_id, place_code, status, hard_to_exit, casualty, name, id_number, single_parent, "
        "zero_employment, self_help_ability, created_at, updated_at, version) VALUES (:id, :no, 1, '130302', :st, false, false, "
        ":name, :num, false, false, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"),
        {"id": hid, "no": f"QHD-130302-{hid:06d}", "st": status, "name": f"户主{hid}", "num": number})


def _pairing(c, pid_, hid, name, start):
    c.execute(text("INSERT INTO pairing (id, household_id, helper_name, helper_unit, start_on, version) "
                   "VALUES (:id, :h, :n, '港务集团工会', :s, 1)"), {"id": pid_, "h": hid, "n": name, "s": start})


def test_doubled_pairings_end_but_the_latest_and_open_numbers_get_lock_rows(engine_at_0005):
    engine, url = engine_at_0005
    command.upgrade(alembic_config(url), "0009")
    with engine.begin() as c:
        _household(c, 1, "active", OPEN_HEAD)
        _household(c, 2, "exited", CLOSED_HEAD)
        c.execute(text("INSERT INTO member (id, household_id, name, relation, id_number, monthly_income_fen, able_to_work, version) "
                       "VALUES (1, 1, '配偶', 'spouse', :n, 0, false, 1)"), {"n": OPEN_MEMBER})
        # what the race left: three current pairings on file 1, two of them from the same day
        _pairing(c, 1, 1, "甲", dt.date(2026, 3, 1))
        _pairing(c, 2, 1, "乙", dt.date(2026, 3, 1))
        _pairing(c, 3, 1, "丙", dt.date(2026, 5, 10))
        _pairing(c, 4, 2, "丁", dt.date(2026, 1, 1))  # another file's one pairing is left alone
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as c:
        pairings = {r.id: (r.end_on, r.version) for r in c.execute(text("SELECT id, end_on, version FROM pairing"))}
        locks = set(c.execute(text("SELECT id_number FROM identity_lock")).scalars())
        differences = compare_metadata(MigrationContext.configure(c), Base.metadata)
    as_date = lambda v: v if v is None or isinstance(v, dt.date) else dt.date.fromisoformat(str(v))  # noqa: E731
    assert {k: (as_date(e), v) for k, (e, v) in pairings.items()} == {
        1: (dt.date(2026, 3, 1), 2), 2: (dt.date(2026, 5, 9), 2), 3: (None, 1), 4: (None, 1)}
    assert locks == {OPEN_HEAD, OPEN_MEMBER}  # the closed file's head holds no open file
    assert differences == []

    # from now on the database itself refuses a second current pairing
    with pytest.raises(Conflict):
        with transaction(engine) as s:
            s.execute(text("INSERT INTO pairing (household_id, helper_name, helper_unit, start_on, version) "
                           "VALUES (1, '戊', '港务集团工会', '2026-06-01', 1)"))

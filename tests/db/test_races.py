"""Writers racing on one rule, on SQLite and PostgreSQL: 2 and 20 at once, each with its own connection.

Every writer starts at one barrier and saves through the service in a transaction of its own. Afterwards the rule
holds in the store (one current pairing, one payment, one open file per person, one income row per month, distinct
file numbers), and every writer that did not win got a refusal in Chinese — never another exception.
"""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import func, select

from core.identity import id_check_char
from core.workbook import write_xlsx
from db import households as hh
from db import importer, incomes, measures, pairings
from db.engine import make_engine, reading, transaction
from db.errors import Conflict, ServiceError, ValidationError
from db.models import AidPayment, Household, IncomeMonth, Member, Pairing
from tests.db.support import actor_of, add_file

TODAY = dt.date(2026, 11, 29)
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def pid(first17: str) -> str:
    return first17 + id_check_char(first17)


@pytest.fixture
def wide(db_engine):
    """A second engine on the same database with a connection for each of 20 writers (the default pool has fewer)."""
    engine = make_engine(db_engine.url.render_as_string(hide_password=False), pool_size=25, max_overflow=5)
    yield engine
    engine.dispose()


def race(engine, n: int, write) -> tuple[list, list]:
    """Run write(session, k) for k in 0..n-1 in n threads that start together; (results of winners, refusals).
    Anything but a refusal (ServiceError) fails the test with what it was."""
    barrier = threading.Barrier(n)
    won, refused, broken = [], [], []

    def one(k: int) -> None:
        barrier.wait()
        try:
            with transaction(engine) as session:
                won.append(write(session, k))
        except ServiceError as exc:  # Conflict, ValidationError, an import refused
            refused.append(exc)
        except BaseException as exc:  # noqa: BLE001 - the test reports whatever got through
            broken.append(exc)

    threads = [threading.Thread(target=one, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    assert not broken, f"{len(broken)} writers failed with other errors: {[repr(e) for e in broken[:3]]}"
    for exc in refused:
        assert isinstance(exc, ServiceError) and CHINESE.search(str(exc)), f"refusal without a Chinese message: {exc!r}"
    return won, refused


N = pytest.mark.parametrize("n", [2, 20])


@N
def test_one_current_pairing_when_many_assign_a_helper_at_once(db_engine, wide, n):
    with transaction(db_engine) as s:
        hid = add_file(s, 1).id

    def assign(session, k):
        return pairings.assign_helper(session, actor_of(session), [hid],
                                      {"helper_name": f"帮扶人{k}", "helper_unit": "港务集团工会", "start_on": dt.date(2026, 2, 1)},
                                      expected={hid: None}, today=TODAY)

    won, refused = race(wide, n, assign)
    with reading(db_engine) as s:
        current = s.scalars(select(Pairing).where(Pairing.household_id == hid, Pairing.end_on.is_(None))).all()
    assert len(current) == 1
    assert len(won) == 1 and len(refused) == n - 1
    assert all(isinstance(e, Conflict) for e in refused)


@N
def test_one_payment_when_many_save_the_same_payment_at_once(db_engine, wide, n):
    with transaction(db_engine) as s:
        hid = add_file(s, 1).id
    payment = {"amount": "500", "fund_source": "union", "paid_on": dt.date(2026, 11, 20)}

    def pay(session, k):
        return measures.add_payment(session, actor_of(session), hid, dict(payment), today=TODAY).id

    won, refused = race(wide, n, pay)
    with reading(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(AidPayment).where(AidPayment.household_id == hid)) == 1
    assert len(won) == 1 and len(refused) == n - 1
    assert all(isinstance(e, ValidationError) and "相同金额" in str(e) for e in refused)  # told why: it is a twin


def _file(k: int, member_id: str | None) -> dict:
    head = pid(f"1303021970{k // 28 % 12 + 1:02d}{k % 28 + 1:02d}{500 + k:03d}")
    members = [{"name": "李共同", "relation": "other", "id_number": member_id}] if member_id else []
    return {
        "name": f"户主{k}", "id_number": head, "work_status": "laid_off", "mobile": "13912345678", "members": members,
        "causes": [{"cause": "3", "is_main": True}],
        "exclusions": [{"exclusion": c, "applies": False, "source": "入户调查"} for c in ("two_homes", "business", "private_school", "vehicle")],
    }


def _create(raw, district=lambda k: "海港区总工会"):
    def write(session, k):
        org = actor_of(session, district(k))
        return hh.create_household(session, org, org_id=org.org_id, raw=raw(k), applied_on=TODAY, today=TODAY).file_no
    return write


@N
def test_one_open_file_per_member_when_many_files_take_one_person_at_once(db_engine, wide, n):
    shared = pid("13030219800505555")
    won, refused = race(wide, n, _create(lambda k: _file(k, shared)))
    with reading(db_engine) as s:
        holders = s.scalar(select(func.count()).select_from(Member).join(Household, Household.id == Member.household_id)
                           .where(Member.id_number == shared, Household.status.in_(("applying", "active"))))
    assert holders == 1
    assert len(won) == 1 and len(refused) == n - 1
    assert all(isinstance(e, ValidationError) and "一人只能在一个未关闭的档案中" in str(e) for e in refused)


def test_a_member_and_a_head_of_one_person_saved_at_once_make_one_open_file(db_engine, wide):
    """One file names the person as its head, the other as a member: only one of them is kept."""
    person = pid("13030219800606666")

    def raw(k):
        data = _file(k, None if k == 0 else person)
        if k == 0:
            data["id_number"] = person
        return data

    # in two districts, so that nothing but the person links the two saves
    won, refused = race(wide, 2, _create(raw, lambda k: ["海港区总工会", "昌黎县总工会"][k]))
    with reading(db_engine) as s:
        heads = s.scalar(select(func.count()).select_from(Household).where(Household.id_number == person))
        members = s.scalar(select(func.count()).select_from(Member).where(Member.id_number == person))
    assert heads + members == 1
    assert len(won) == 1 and len(refused) == 1


@N
def test_one_open_file_per_member_when_an_import_and_form_saves_take_one_person_at_once(db_engine, wide, n):
    """The import is a path too: its check and its write are one step against the form's saves."""
    shared = pid("13030219800707777")
    head = pid("13030219650808888")
    data = write_xlsx({
        "家庭档案": [{"file_no": "HG-0900", "name": "户主导入", "id_number": head, "place": "海港区", "filed_on": "2026-11-01",
                  "main_cause": "下岗失业", "mobile": "13900000000", "hard_to_exit": "否"}],
        "家庭成员": [{"file_no": "HG-0900", "name": "李共同", "relation": "配偶", "id_number": shared}],
    }, template=True)
    by_form = _create(lambda k: _file(k, shared))

    def write(session, k):
        if k == 0:
            return importer.run(session, actor_of(session), data, "档案.xlsx", today=TODAY).batch_id
        return by_form(session, k)

    won, refused = race(wide, n, write)
    with reading(db_engine) as s:
        holders = s.scalar(select(func.count()).select_from(Member).join(Household, Household.id == Member.household_id)
                           .where(Member.id_number == shared, Household.status.in_(("applying", "active"))))
    assert holders == 1
    assert len(won) == 1 and len(refused) == n - 1


@N
def test_files_created_at_once_in_one_district_all_get_their_own_number(db_engine, wide, n):
    won, refused = race(wide, n, _create(lambda k: _file(k, None)))
    assert not refused
    assert len(won) == n and len(set(won)) == n
    with reading(db_engine) as s:
        numbers = s.scalars(select(Household.file_no)).all()
    assert sorted(numbers) == sorted(won) and all(f.startswith("QHD-130302-") for f in numbers)


@N
def test_one_income_row_when_many_enter_the_same_new_month_at_once(db_engine, wide, n):
    with transaction(db_engine) as s:
        hid = add_file(s, 1).id
    month = dt.date(2026, 10, 1)

    def enter(session, k):
        return incomes.save_month(session, actor_of(session), month, [incomes.IncomeRow(hid, income=str(1000 + k), persons=3)],
                                  today=TODAY)

    won, refused = race(wide, n, enter)
    with reading(db_engine) as s:
        rows = s.scalars(select(IncomeMonth).where(IncomeMonth.household_id == hid, IncomeMonth.month == month)).all()
    assert len(rows) == 1 and len(won) == 1 and len(refused) == n - 1
    # each of the others is told that this month was entered by someone else, not only that a save collided
    assert all("已由他人录入" in str(e) for e in refused), [str(e) for e in refused]

"""Every service that takes an id checks scope and role itself: 海港区 staff passing a 山海关区 id are refused, and
nothing in the store changes (no screen or menu is trusted to hide the id)."""

import datetime as dt
import re

import pytest
from sqlalchemy import select

from core.roster import FileMatch, RosterEntry, RosterResult
from db import (assistance, file_access, file_view, households, importer, incomes, measures, orgs, pairings, params, queries, roster, users,
                visits)
from db.engine import reading, transaction
from db.errors import Conflict, NotFound, OutOfScope, ValidationError
from db.proposals import confirm
from db.models import (AidPayment, AssistanceRecord, Base, DibaoLine, Household, ImportBatch, IncomeMonth, Measure, Org, Pairing, User,
                       Visit, now)
from tests.db.support import actor_of, add_file

TODAY = dt.date(2026, 11, 29)
OTHER = "山海关区总工会"
HELPER = {"helper_name": "王帮扶", "helper_unit": "山海关船厂工会", "start_on": dt.date(2026, 2, 1)}
LOVE_CARD = {"track": "medical", "programme": "love_card", "cause": "6", "content": "办理工会爱心卡，按月发放医疗救助金",
             "status": "in_progress", "start_on": dt.date(2026, 6, 1), "end_on": None, "responsible": "王帮扶",
             "amount": "200", "fund_source": "union", "pay_every": "monthly", "first_pay_on": dt.date(2026, 6, 15),
             "pay_count": 12}
PAYMENT = {"paid_on": dt.date(2026, 9, 1), "amount": "500", "fund_source": "union", "note": "慰问金"}
RECORD = {"programme": "dibao", "from_on": dt.date(2026, 3, 1), "to_on": None, "source": "manual", "note": ""}
VISIT = {"visited_on": dt.date(2026, 11, 1), "visitor": "王帮扶", "kind": "home", "notes": "入户走访", "needs": ""}
FILE_FORM = {"name": "改名", "id_number": "", "phone": "13800000000"}


def _other_district(engine) -> dict:
    """A 山海关区 file with something of every kind an id can name, and the 山海关区 union, user and import batch."""
    with transaction(engine) as s:
        admin = actor_of(s, OTHER)
        file = add_file(s, 1, org_name=OTHER, causes=("6",))
        closed = add_file(s, 2, org_name=OTHER, status="exited")
        measure, _ = measures.add_measure(s, admin, file.id, LOVE_CARD, today=TODAY)
        payment = measures.add_payment(s, admin, file.id, PAYMENT, today=TODAY)
        record = assistance.add_record(s, admin, file.id, RECORD, today=TODAY)
        pairings.assign_helper(s, admin, [file.id], HELPER, expected={file.id: None}, today=TODAY)
        visits.record_visits(s, admin, [file.id], VISIT, today=TODAY)
        s.add(IncomeMonth(household_id=file.id, month=dt.date(2026, 10, 1), income_fen=100000, persons=3))
        org = s.scalar(select(Org).where(Org.name == OTHER))
        user = User(username="shg", display_name="山海关区业务员", password_hash="x", role="staff", org_id=org.id)
        batch = ImportBatch(at=now(), actor="shg", org_path=org.path, filename="山海关.xlsx", counts="{}")
        line = DibaoLine(place_code="130303", effective_from=dt.date(2026, 1, 1), amount_fen=70000, note="山海关区标准")
        s.add_all([user, batch, line])
        s.flush()
        pairing = s.scalar(select(Pairing).where(Pairing.household_id == file.id))
        return {"file": file.id, "file_no": file.file_no, "version": file.version, "closed": closed.id,
                "closed_version": closed.version, "measure": measure.id, "measure_version": measure.version,
                "payment": payment.id, "payment_version": payment.version, "record": record.id,
                "record_version": record.version, "pairing": pairing.id, "pairing_version": pairing.version,
                "org": org.id, "org_version": org.version, "user": user.id, "user_version": user.version,
                "batch": batch.id, "batch_version": batch.version, "line": line.id, "line_version": line.version,
                "planned_payment": s.scalar(select(AidPayment.id).where(AidPayment.measure_id == measure.id,
                                                                        AidPayment.paid_on > TODAY).limit(1))}


def _match(ids: dict) -> RosterResult:
    entry = RosterEntry(row=2, id_number="130302197001010010", programme="dibao", since=None, name="户主1")
    return RosterResult(matched=[FileMatch(household_id=ids["file"], file_no=ids["file_no"], head_name="户主1",
                                           version=ids["version"], lines=((entry, "户主"),), programme="dibao", since=None,
                                           current_programme=None, current_since=None)])


# (name, call(session, actor, ids)): every service of db/ that is given the id of a file, a row of a file, a union,
# a user or an import batch
CALLS = {
    "file_access.get_household(id)": lambda s, a, i: file_access.get_household(s, a, household_id=i["file"]),
    "file_access.get_household(file_no)": lambda s, a, i: file_access.get_household(s, a, file_no=i["file_no"]),
    "households.create_household(org_id)": lambda s, a, i: households.create_household(
        s, a, org_id=i["org"], raw=FILE_FORM, today=TODAY),
    "households.update_household": lambda s, a, i: households.update_household(
        s, a, i["file"], expected_version=i["version"], loaded=None, raw=FILE_FORM, today=TODAY),
    "households.reassess": lambda s, a, i: households.reassess(s, a, i["file"], expected_version=i["version"], on=TODAY),
    "households.record_step": lambda s, a, i: households.record_step(
        s, a, i["file"], expected_version=i["version"], step="survey", done_on=TODAY, today=TODAY),
    "households.close_household": lambda s, a, i: households.close_household(
        s, a, i["file"], expected_version=i["version"], to_status="withdrawn", reason="death", effective_on=TODAY,
        today=TODAY),
    "households.reopen_household": lambda s, a, i: households.reopen_household(
        s, a, i["closed"], expected_version=i["closed_version"], effective_on=TODAY, note="返困", today=TODAY),
    "measures.add_measure": lambda s, a, i: measures.add_measure(s, a, i["file"], LOVE_CARD, today=TODAY),
    "measures.update_measure": lambda s, a, i: measures.update_measure(
        s, a, i["measure"], LOVE_CARD | {"amount": "300"}, expected_version=i["measure_version"], today=TODAY),
    "measures.add_payment": lambda s, a, i: measures.add_payment(s, a, i["file"], PAYMENT | {"amount": "600"}, today=TODAY),
    "measures.update_payment": lambda s, a, i: measures.update_payment(
        s, a, i["payment"], PAYMENT | {"amount": "600"}, expected_version=i["payment_version"], today=TODAY),
    "measures.delete_payment": lambda s, a, i: measures.delete_payment(
        s, a, i["payment"], expected_version=i["payment_version"], reason="录入错误"),
    "measures.stop_future_payments": lambda s, a, i: measures.stop_future_payments(s, a, i["file"], TODAY, "停止发放"),
    "assistance.add_record": lambda s, a, i: assistance.add_record(
        s, a, i["file"], RECORD | {"programme": "tekun", "from_on": dt.date(2026, 5, 1)}, today=TODAY),
    "assistance.end_record": lambda s, a, i: assistance.end_record(
        s, a, i["record"], TODAY, expected_version=i["record_version"], today=TODAY),
    "assistance.correct_record": lambda s, a, i: assistance.correct_record(
        s, a, i["record"], RECORD | {"from_on": dt.date(2026, 4, 1)}, expected_version=i["record_version"],
        reason="录入错误", today=TODAY),
    "pairings.assign_helper": lambda s, a, i: pairings.assign_helper(
        s, a, [i["file"]], HELPER | {"helper_name": "李新", "start_on": dt.date(2026, 11, 1)},
        expected={i["file"]: i["pairing_version"]}, today=TODAY),
    "pairings.reassign_helper": lambda s, a, i: pairings.reassign_helper(
        s, a, HELPER["helper_name"], HELPER["helper_unit"], HELPER | {"helper_name": "李新", "start_on": dt.date(2026, 11, 1)},
        pairing_versions={i["pairing"]: i["pairing_version"]}, today=TODAY),
    "visits.record_visits": lambda s, a, i: visits.record_visits(s, a, [i["file"]], VISIT, today=TODAY),
    "visits.set_visit_interval": lambda s, a, i: visits.set_visit_interval(
        s, a, i["file"], 1, expected_version=i["version"]),
    "proposals.confirm": lambda s, a, i: confirm(
        s, a, [i["file"]], kind="exit", as_of=dt.date(2026, 10, 31), effective_on=TODAY, today=TODAY),
    "incomes.grid(org_id)": lambda s, a, i: incomes.grid(s, a, dt.date(2026, 10, 1), org_id=i["org"]),
    "incomes.save_month": lambda s, a, i: incomes.save_month(
        s, a, dt.date(2026, 10, 1), [incomes.IncomeRow(household_id=i["file"], income="2000", persons=3, version=1)],
        today=TODAY),
    "queries.search_households(org_id)": lambda s, a, i: queries.search_households(
        s, a, queries.FileFilter(org_id=i["org"])),
    "roster.apply_roster": lambda s, a, i: roster.apply_roster(s, a, _match(i), today=TODAY),
    "importer.undo": lambda s, a, i: importer.undo(s, a, i["batch"], expected_version=i["batch_version"]),
    "orgs.update_org": lambda s, a, i: orgs.update_org(
        s, a, i["org"], expected_version=i["org_version"], name="改名工会", place_code="130303", active=True),
    "orgs.create_org(parent_id)": lambda s, a, i: orgs.create_org(
        s, a, name="山海关区某工会", kind="grassroots", parent_id=i["org"], place_code="130303"),
    "users.update_user": lambda s, a, i: users.update_user(
        s, a, i["user"], expected_version=i["user_version"], display_name="改名", role="admin", org_id=i["org"],
        active=True),
    "users.create_user(org_id)": lambda s, a, i: users.create_user(
        s, a, username="shg2", display_name="山海关区新用户", password="Abcdef123456", password_repeat="Abcdef123456",
        role="staff", org_id=i["org"]),
    "params.save_lines(id)": lambda s, a, i: params.save_lines(
        s, a, [{"id": i["line"], "version": i["line_version"], "区县": "130303", "生效日期": dt.date(2026, 1, 1),
                "标准(元)": "1", "依据": "改低"}], today=TODAY),
    "users.reset_password": lambda s, a, i: users.reset_password(
        s, a, i["user"], expected_version=i["user_version"], password="Abcdef123456", password_repeat="Abcdef123456"),
}

# the readers of one file (the one-household view and its panels): given a file's id, or the file itself
READERS = {
    "households.steps_of": lambda s, a, i: households.steps_of(s, a, i["file"]),
    "households.status_history": lambda s, a, i: households.status_history(s, a, i["file"]),
    "households.exclusions_of": lambda s, a, i: households.exclusions_of(s, a, i["file"]),
    "file_view.support_records": lambda s, a, i: file_view.support_records(s, a, i["file"], TODAY),
    "file_view.file_audit": lambda s, a, i: file_view.file_audit(s, a, s.get(Household, i["file"])),
    "assistance.records_of": lambda s, a, i: assistance.records_of(s, a, i["file"]),
    "assistance.records_frame": lambda s, a, i: assistance.records_frame(s, a, i["file"], TODAY),
    "assistance.summary": lambda s, a, i: assistance.summary(s, a, i["file"], TODAY),
    "pairings.current_pairing": lambda s, a, i: pairings.current_pairing(s, a, i["file"]),
    "pairings.pairing_history": lambda s, a, i: pairings.pairing_history(s, a, i["file"]),
    "visits.visits_frame": lambda s, a, i: visits.visits_frame(s, a, i["file"]),
    "visits.next_visit": lambda s, a, i: visits.next_visit(s, a, s.get(Household, i["file"]), TODAY),
    "measures.plan_of": lambda s, a, i: measures.plan_of(s, a, s.get(Household, i["file"]), TODAY),
    "measures.file_facts": lambda s, a, i: measures.file_facts(s, a, s.get(Household, i["file"]), TODAY),
}
CALLS |= READERS


def _store(engine) -> dict[str, list[tuple]]:
    """Every row of every table, as text: what a refused call must leave exactly as it was."""
    with reading(engine) as s:
        return {table.name: sorted(tuple(str(v) for v in row) for row in s.execute(table.select()))
                for table in Base.metadata.sorted_tables}


@pytest.mark.parametrize("name", list(CALLS))
def test_an_id_of_another_district_is_refused_and_nothing_changes(db_engine, name):
    ids = _other_district(db_engine)
    before = _store(db_engine)
    with pytest.raises((NotFound, OutOfScope, ValidationError)) as refused:
        with transaction(db_engine) as s:
            CALLS[name](s, actor_of(s, "海港区总工会"), ids)
    message = str(refused.value)
    assert not isinstance(refused.value, Conflict)
    assert re.search(r"管辖范围|管理员", message), message  # says why, in Chinese, without naming the other file
    assert ids["file_no"] not in message and "户主1" not in message
    assert _store(db_engine) == before


def test_the_other_district_can_do_what_its_neighbour_was_refused(db_engine):
    """The calls above are refused for the scope, not for being malformed: 山海关区's own staff stop its payments."""
    ids = _other_district(db_engine)
    with transaction(db_engine) as s:
        assert measures.stop_future_payments(s, actor_of(s, OTHER), ids["file"], TODAY, "停止发放") == 6
    with reading(db_engine) as s:
        assert s.get(AidPayment, ids["planned_payment"]) is None
        assert s.get(Measure, ids["measure"]) is not None
        assert s.get(AssistanceRecord, ids["record"]) is not None and s.get(Visit, 1) is not None


@pytest.mark.parametrize("name", list(READERS))
def test_the_readers_of_a_file_answer_its_own_district(db_engine, name):
    """The readers are refused for the scope, not for being malformed: 山海关区's own staff read the file's rows."""
    ids = _other_district(db_engine)
    with reading(db_engine) as s:
        answer = READERS[name](s, actor_of(s, OTHER), ids)
    assert answer is not None
    if name == "file_view.support_records":
        assert len(answer["measures"]) == 1 and len(answer["pairings"]) == 1 and len(answer["visits"]) == 1
        assert len(answer["payments"]) == 13 and answer["assistance_now"].startswith("低保")
    elif name == "measures.plan_of":
        assert len(answer.measures) == 1 and len(answer.payments) == 13
    elif name == "measures.file_facts":
        assert answer.safety_net == ("dibao",)
    elif name == "visits.next_visit":
        assert "走访" in answer
    elif name == "assistance.summary":
        assert answer.startswith("低保")
    elif name == "pairings.current_pairing":
        assert answer.helper_name == HELPER["helper_name"]
    elif name not in ("households.steps_of", "households.exclusions_of"):  # the test file has no steps or checks
        assert len(answer) >= 1, answer

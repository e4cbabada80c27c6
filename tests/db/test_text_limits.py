"""Text a column cannot hold, through every service that writes free text, on SQLite and PostgreSQL.

Before the limits, PostgreSQL refused such text with DataError (an error page) and SQLite stored it past the declared
length. Each case below types, into one field, text one character over its limit, a 1 MB text, a NUL and U+0001: each is
refused with ValidationError under that field's key, with the same message on both databases, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from core.identity import id_check_char
from core.typed import CONTROL_MESSAGE, REASON, TEXT_FIELDS
from db import (assistance, file_access, households as hh, measures, orgs, pairings, params, queries, scenarios, users, visits,
                workdays)
from db.actor import system_actor
from db.audit import data_version
from db.engine import reading, transaction
from db.errors import ValidationError
from db.models import Base, LoginFailure, Org
from tests.db.support import actor_of, add_file

TODAY = dt.date(2026, 11, 29)
ADMIN = system_actor("test")
MEGABYTE = "工" * 1_000_000


def pid(first17: str) -> str:
    return first17 + id_check_char(first17)


EXCLUSIONS = [{"exclusion": code, "applies": False, "source": "入户调查"} for code in ("two_homes", "business", "private_school", "vehicle")]


def file_raw(**over) -> dict:
    data = {"name": "王建华", "id_number": pid("13030219700101101"), "work_status": "laid_off",
            "members": [{"name": "李秀兰", "relation": "spouse", "id_number": pid("13030219720202202")}],
            "causes": [{"cause": "3", "is_main": True}], "exclusions": [dict(e) for e in EXCLUSIONS]}
    data.update(over)
    return data


def member(**over) -> dict:
    return {"name": "李秀兰", "relation": "spouse", "id_number": pid("13030219720202202")} | over


def exclusion_source(text: str) -> list[dict]:
    rows = [dict(e) for e in EXCLUSIONS]
    rows[0]["source"] = text
    return rows


def org_id(s, name="海港区总工会") -> int:
    return s.scalar(select(Org.id).where(Org.name == name))


def new_file(s, text: str, field: str) -> None:
    hh.create_household(s, actor_of(s), org_id=org_id(s), raw=file_raw(**{field: text}), today=TODAY)


def measure(**over) -> dict:
    return {"track": "employment", "cause": "3", "content": "推荐就业", "status": "in_progress", "start_on": dt.date(2026, 6, 1),
            "responsible": "张帮扶"} | over


def visit(**over) -> dict:
    return {"visited_on": TODAY, "visitor": "张帮扶", "kind": "home", "notes": "入户了解情况"} | over


def helper(**over) -> dict:
    return {"helper_name": "张帮扶", "helper_unit": "港务集团工会", "start_on": TODAY} | over


def applying_file(s) -> tuple[int, int]:
    household = hh.create_household(s, actor_of(s), org_id=org_id(s), raw=file_raw(), today=TODAY)
    return household.id, household.version


def payment(s, household_id: int) -> tuple[int, int]:
    row = measures.add_payment(s, actor_of(s), household_id, {"amount": "100", "fund_source": "union", "paid_on": TODAY}, today=TODAY)
    return row.id, row.version


def record(s, household_id: int) -> tuple[int, int]:
    row = assistance.add_record(s, actor_of(s), household_id, {"programme": "低保", "from_on": "2026-03-15", "source": "入户调查"},
                                today=TODAY)
    return row.id, row.version


@dataclass(frozen=True)
class Case:
    key: str                                        # the field's key in ValidationError.errors
    limit: int                                      # the field's limit in characters
    call: Callable[[Any, Any, str], Any]            # (session, what prepare gave, the text typed)
    prepare: Callable[[Any], Any] = lambda s: None  # rows the case needs, committed before the attempts


def limit(field: str) -> int:
    return TEXT_FIELDS[field].limit


CASES = {
    "file: address": Case("address", 255, lambda s, _, t: new_file(s, t, "address")),
    "file: employer": Case("employer", 128, lambda s, _, t: new_file(s, t, "employer")),
    "file: head's name": Case("name", 64, lambda s, _, t: new_file(s, t, "name")),
    "file: worker number": Case("worker_no", 32, lambda s, _, t: new_file(s, t, "worker_no")),
    "file: hukou division": Case("hukou_division", 16, lambda s, _, t: new_file(s, t, "hukou_division")),
    "file: bank name": Case("bank_name", 64, lambda s, _, t: new_file(s, t, "bank_name")),
    "file: member's name": Case("members.0.name", 64, lambda s, _, t: hh.create_household(
        s, actor_of(s), org_id=org_id(s), raw=file_raw(members=[member(name=t)]), today=TODAY)),
    "file: member's school": Case("members.0.school_or_employer", 128, lambda s, _, t: hh.create_household(
        s, actor_of(s), org_id=org_id(s), raw=file_raw(members=[member(school_or_employer=t)]), today=TODAY)),
    "file: exclusion source": Case("exclusions.two_homes.source", 255, lambda s, _, t: hh.create_household(
        s, actor_of(s), org_id=org_id(s), raw=file_raw(exclusions=exclusion_source(t)), today=TODAY)),
    "file corrected: address": Case("address", 255, lambda s, f, t: hh.update_household(
        s, actor_of(s), f[0], expected_version=f[1], loaded=None, raw=file_raw(address=t), today=TODAY), applying_file),
    "file corrected: reason": Case("reason", REASON.limit, lambda s, f, t: hh.update_household(
        s, actor_of(s), f[0], expected_version=f[1], loaded=None, raw=file_raw(address="文化路1号"), reason=t, today=TODAY),
        applying_file),
    "filing step: note": Case("note", limit("process_step.note"), lambda s, f, t: hh.record_step(
        s, actor_of(s), f[0], expected_version=f[1], step="survey", done_on=TODAY, note=t, today=TODAY), applying_file),
    "status change: withdrawal note": Case("note", limit("status_change.note"), lambda s, f, t: hh.close_household(
        s, actor_of(s), f[0], expected_version=f[1], to_status="withdrawn", effective_on=TODAY, reason="other", note=t,
        today=TODAY), applying_file),
    "measure: content": Case("content", limit("measure.content"), lambda s, f, t: measures.add_measure(
        s, actor_of(s), f, measure(content=t), today=TODAY), lambda s: add_file(s, 1).id),
    "measure: responsible": Case("responsible", 64, lambda s, f, t: measures.add_measure(
        s, actor_of(s), f, measure(responsible=t), today=TODAY), lambda s: add_file(s, 1).id),
    "payment: note": Case("note", 255, lambda s, f, t: measures.add_payment(
        s, actor_of(s), f, {"amount": "100", "fund_source": "union", "paid_on": TODAY, "note": t}, today=TODAY),
        lambda s: add_file(s, 1).id),
    "payment deleted: reason": Case("reason", REASON.limit, lambda s, p, t: measures.delete_payment(
        s, actor_of(s), p[0], expected_version=p[1], reason=t), lambda s: payment(s, add_file(s, 1).id)),
    "visit: visitor": Case("visitor", 64, lambda s, f, t: visits.record_visits(s, actor_of(s), [f], visit(visitor=t), today=TODAY),
                           lambda s: add_file(s, 1).id),
    "visit: notes": Case("notes", limit("visit.notes"), lambda s, f, t: visits.record_visits(
        s, actor_of(s), [f], visit(notes=t), today=TODAY), lambda s: add_file(s, 1).id),
    "visit: needs": Case("needs", limit("visit.needs"), lambda s, f, t: visits.record_visits(
        s, actor_of(s), [f], visit(needs=t), today=TODAY), lambda s: add_file(s, 1).id),
    "pairing: helper's name": Case("helper_name", 64, lambda s, f, t: pairings.assign_helper(
        s, actor_of(s), [f], helper(helper_name=t), expected={f: None}, today=TODAY), lambda s: add_file(s, 1).id),
    "pairing: helper's unit": Case("helper_unit", 128, lambda s, f, t: pairings.assign_helper(
        s, actor_of(s), [f], helper(helper_unit=t), expected={f: None}, today=TODAY), lambda s: add_file(s, 1).id),
    "assistance record: note": Case("note", 255, lambda s, f, t: assistance.add_record(
        s, actor_of(s), f, {"programme": "低保", "from_on": "2026-03-15", "source": "入户调查", "note": t}, today=TODAY),
        lambda s: add_file(s, 1).id),
    "assistance record corrected: reason": Case("reason", REASON.limit, lambda s, r, t: assistance.correct_record(
        s, actor_of(s), r[0], {"programme": "低保", "from_on": "2026-03-01", "source": "入户调查"}, expected_version=r[1],
        reason=t, today=TODAY), lambda s: record(s, add_file(s, 1).id)),
    "user: display name": Case("display_name", 64, lambda s, _, t: users.create_user(
        s, ADMIN, username="staff1", display_name=t, password="staff-pass-1", role="staff", org_id=org_id(s))),
    "union: name": Case("name", 128, lambda s, _, t: orgs.create_org(
        s, ADMIN, name=t, kind="grassroots", parent_id=org_id(s), place_code="130302")),
    "dibao line: note": Case("第 1 行", 255, lambda s, _, t: params.save_lines(
        s, ADMIN, [{"区县": "130302", "生效日期": dt.date(2026, 1, 1), "标准(元)": "760", "依据": t}], today=TODAY)),
    "parameter: note": Case("第 1 行", 255, lambda s, _, t: params.save_parameters(
        s, ADMIN, [r | {"说明": t} if i == 0 else r for i, r in enumerate(params.parameter_rows(s).to_dict("records"))],
        today=TODAY)),
    "scenario: name": Case("name", limit("policy_scenario.name"), lambda s, _, t: scenarios.create(
        s, users.actor_for(s, "analyst1"), t, [{"key": "exit_run_months", "value": "3", "start": "2019-01-01"}], today=TODAY),
        lambda s: users.create_user(s, ADMIN, username="analyst1", display_name="分析员", password="analyst-pass-1",
                                    role="analyst", org_id=org_id(s, "秦皇岛市总工会"))),
    "calendar year: source": Case("source", 255, lambda s, _, t: workdays.save_calendar_year(
        s, ADMIN, year="2031", holidays="2031-01-01", workdays="", source=t)),
}


def rows_in_store(engine) -> dict[str, int]:
    with reading(engine) as s:
        counts = {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
        counts["data_version"] = data_version(s)
    return counts


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_text_a_field_cannot_hold_is_refused_under_the_field_and_nothing_is_written(db_engine, case):
    with transaction(db_engine) as s:
        prepared = case.prepare(s)
    before = rows_in_store(db_engine)
    hostile = {"one character over the limit": ("长" * (case.limit + 1), f"不能超过 {case.limit} 个字"),
               "1 MB": (MEGABYTE, f"不能超过 {case.limit} 个字"),
               "a NUL byte": ("张\x00三", CONTROL_MESSAGE),
               "U+0001": ("张\x01三", CONTROL_MESSAGE)}
    for what, (text, message) in hostile.items():
        with pytest.raises(ValidationError) as refused:
            with transaction(db_engine) as s:
                case.call(s, prepared, text)
        assert case.key in refused.value.errors, f"{what}: {refused.value.errors}"
        assert message in refused.value.errors[case.key], what
        assert rows_in_store(db_engine) == before, f"{what}: something was written"


def test_text_up_to_the_column_length_and_a_multi_line_note_are_stored_as_typed(db_engine):
    address, employer = "路" * 255, "厂" * 128
    notes = "第一次入户：\n\t家中三口人。\r\n需要助学金。"
    with transaction(db_engine) as s:
        household = hh.create_household(s, actor_of(s), org_id=org_id(s), raw=file_raw(address=address, employer=employer), today=TODAY)
        visits.record_visits(s, actor_of(s), [household.id], visit(notes=notes), today=TODAY)
    with reading(db_engine) as s:
        stored = file_access.get_household(s, actor_of(s), household_id=household.id)
        assert (stored.address, stored.employer) == (address, employer)
        assert visits.visits_frame(s, actor_of(s), household.id)["情况记录"].tolist() == ["第一次入户：\n\t家中三口人。\n需要助学金。"]


def test_a_write_no_service_checked_is_still_refused_before_the_database(db_engine):
    """The last check (db.textguard) catches text that reaches a flush unchecked: here a union renamed straight on its row."""
    with pytest.raises(ValidationError) as refused:
        with transaction(db_engine) as s:
            s.get(Org, org_id(s)).name = "工会\x00"
    assert CONTROL_MESSAGE in refused.value.errors["name"]
    with reading(db_engine) as s:
        assert s.get(Org, org_id(s)).name == "海港区总工会"


@pytest.mark.parametrize("typed,found", [("户主\x001", 1), ("王\x00", 0), (MEGABYTE, 0), ("\x01\x02", 1), ("\ud800", 1),
                                         ("QHD-\x00-1", 0), ("T-130302\x00", 1), ("1303021970010110\x001", 0)])
def test_the_file_list_search_box_takes_any_text(db_engine, typed, found):
    """The search drops what no name or number holds (a pasted NUL, a lone surrogate) and is cut to 100 characters,
    so no text typed into the 档案列表 box reaches PostgreSQL as something it refuses."""
    with transaction(db_engine) as s:
        add_file(s, 1)
    with reading(db_engine) as s:
        frame, total = queries.search_households(s, actor_of(s), queries.FileFilter(text=typed))
    assert total == len(frame) == found


def test_a_failed_login_with_any_name_is_counted(db_engine):
    """A name of any length, with a NUL, typed at the login form is counted as a failure, never a DataError."""
    result = users.authenticate(db_engine, "adm\x00in" + "x" * 1000, "wrong", client="127.0.0.1\x00")
    assert result.actor is None
    with reading(db_engine) as s:
        names = set(s.scalars(select(LoginFailure.username)))
        clients = set(s.scalars(select(LoginFailure.client)))
    assert any(n.startswith("admin") and len(n) <= 64 for n in names)
    assert clients == {"127.0.0.1"}


# --- the limits are the columns' lengths ---------------------------------------------------------

# String columns that hold codes, numbers checked by their own parsers, or what the system writes — never free text.
NOT_FREE_TEXT = {
    "identity_lock.id_number", "login_failure.client", "login_failure.username", "audit_log.prev_hash", "audit_log.row_hash",
    "login_session.id",
    "app_setting.key", "app_setting.value", "place.code", "place.name", "place.kind", "place.parent_code", "policy_parameter.key",
    "org.kind", "org.place_code", "org.path", "app_user.password_hash", "app_user.role", "audit_log.actor", "audit_log.action",
    "audit_log.entity", "audit_log.entity_id", "audit_log.field", "audit_log.old_value", "audit_log.new_value", "import_batch.actor",
    "import_batch.org_path", "import_batch.counts", "import_batch.undone_by", "dibao_line.place_code", "household.file_no",
    "household.place_code", "household.status", "household.category", "household.category_rule_set",
    "household.category_explanation", "household.key_group", "household.ethnicity", "household.sex", "household.political_status",
    "household.id_number", "household.health", "household.disability_kind", "household.disability_grade", "household.work_status",
    "household.model_worker", "household.housing", "household.mobile", "household.employer_kind", "household.employer_uscc",
    "household.industry", "household.marital", "household.hukou", "household.medical_insurance", "household.updated_by",
    "import_change.entity", "import_change.before", "assistance_record.programme", "assistance_record.source",
    "exclusion_check.exclusion", "household_cause.cause", "measure.track", "measure.programme", "measure.cause", "measure.status",
    "measure.fund_source", "measure.pay_every", "member.relation", "member.sex", "member.id_number", "member.health", "member.identity",
    "member.medical_insurance", "pairing.helper_phone", "process_step.step", "process_step.done_by", "status_change.from_status",
    "status_change.to_status", "status_change.reason", "status_change.recorded_by", "visit.kind", "aid_payment.track",
    "aid_payment.programme", "aid_payment.fund_source", "measure_status_change.from_status", "measure_status_change.to_status",
    "measure_status_change.recorded_by", "policy_scenario.hash", "policy_scenario.overrides",
}
KNOWN_TABLES = {t.name for t in Base.metadata.sorted_tables}  # every table: a new String column must be classified


def test_each_fields_limit_is_its_columns_declared_length_and_every_text_column_is_classified():
    from sqlalchemy import String

    columns = {f"{t.name}.{c.name}": c for t in Base.metadata.sorted_tables for c in t.columns}
    for name, field in TEXT_FIELDS.items():
        assert name in columns, f"{name} is not a column"
        length = columns[name].type.length
        assert length is None or length == field.limit, f"{name}: the model says {length}, the limit {field.limit}"
    unclassified = [name for name, c in columns.items() if isinstance(c.type, String) and name.split(".")[0] in KNOWN_TABLES
                    and name not in TEXT_FIELDS and name not in NOT_FREE_TEXT]
    assert not unclassified, f"free text or not? add each to core.typed.TEXT_FIELDS or to NOT_FREE_TEXT: {unclassified}"


# --- exports write what is stored ----------------------------------------------------------------


def test_an_old_row_holding_a_control_character_exports_escaped_instead_of_breaking_every_export(db_engine):
    """A name stored before input refused control characters (put in here without the services) used to make
    every export of the whole scope fail with IllegalCharacterError. Now each is written as the visible text \\x01."""
    import io

    from openpyxl import load_workbook
    from sqlalchemy import update

    from db import exporter
    from db.models import AidPayment, Household, Member

    with transaction(db_engine) as s:
        household = add_file(s, 1)
        s.add(Member(household_id=household.id, name="李秀兰", relation="spouse"))
        measures.add_payment(s, actor_of(s), household.id, {"amount": "100", "fund_source": "union", "paid_on": TODAY}, today=TODAY)
        s.flush()
        s.execute(update(Household).where(Household.id == household.id).values(name="王\x01建华", address="文化路\x0b1号"))
        s.execute(update(Member).where(Member.household_id == household.id).values(name="李\x1f秀兰"))
        s.execute(update(AidPayment).where(AidPayment.household_id == household.id).values(note="慰问\x00金" if db_engine.dialect.name
                                                                                            == "sqlite" else "慰问\x02金"))
    with transaction(db_engine) as s:
        actor = actor_of(s)
        books = {"档案数据": exporter.export_workbook(s, actor)}
        for title, ledger in exporter.LEDGERS.items():
            books[title] = exporter.ledger_xlsx(title, ledger(s, actor))
    cells = {title: [c.value for ws in load_workbook(io.BytesIO(data)) for row in ws.iter_rows() for c in row if c.value]
             for title, data in books.items()}
    assert "王\\x01建华" in cells["档案数据"] and "文化路\\x0b1号" in cells["档案数据"] and "李\\x1f秀兰" in cells["档案数据"]
    assert "王\\x01建华" in cells["困难职工档案台账"]
    with transaction(db_engine) as s:
        csv = exporter.ledger_csv(exporter.LEDGERS["困难职工档案台账"](s, actor_of(s))).decode("utf-8-sig")
    assert "王\\x01建华" in csv and "\x01" not in csv
    assert ("慰问\\x00金" if db_engine.dialect.name == "sqlite" else "慰问\\x02金") in cells["资金发放台账"]


# --- the import takes the same limits ------------------------------------------------------------


def test_an_import_with_text_a_field_cannot_hold_is_refused_at_its_cell_and_writes_nothing(db_engine):
    from core.workbook import SHEETS
    from db import importer
    from tests.db.test_import import book, family, run

    before = rows_in_store(db_engine)
    with pytest.raises(importer.ImportRefused) as refused:
        run(db_engine, book([family(1, address="长" * 300), family(2, employer="厂" * 1_000_000)]))
    cells = {(p.sheet, p.column): p.message for p in refused.value.problems}
    assert "不能超过 255 个字" in cells[("家庭档案", "家庭住址")] and "不能超过 128 个字" in cells[("家庭档案", "工作单位")]
    # a control character cannot be in an .xlsx cell at all (the writer escapes it as text), so it comes by CSV
    spec = SHEETS["家庭档案"]
    row = family(3, name="王\x00建华")
    csv = ",".join(c.header for c in spec.columns) + "\n" + ",".join(str(row.get(c.key, "")) for c in spec.columns) + "\n"
    csv = csv.encode("utf-8")
    with pytest.raises(importer.ImportRefused) as refused:
        run(db_engine, csv, name="家庭档案.csv", sheet="家庭档案")
    assert [(p.column, CONTROL_MESSAGE in p.message) for p in refused.value.problems] == [("户主姓名", True)]
    assert rows_in_store(db_engine) == before


@pytest.mark.parametrize("typed,found", [("te\x00st", 1), ("\ud800", 1), (MEGABYTE, 0), ("王\x00", 0)])
def test_the_audit_log_who_box_takes_any_text(db_engine, typed, found):
    with transaction(db_engine) as s:
        orgs.create_org(s, ADMIN, name="海港区文化路街道工会", kind="grassroots", parent_id=org_id(s), place_code="130302")
    with reading(db_engine) as s:
        frame, total = queries.audit_page(s, ADMIN, who=typed)
    assert total == len(frame) == found  # the NUL and the surrogate dropped: the system actor "test" is found

"""The demo's output checked with the app's own rules: what the services would have refused, the demo must not write.

One demo city per database (SQLite and PostgreSQL), read back and put through the functions the form, the import and
the services call: `core.intake.check_household` for every file, `db.workdays.publicity_refusal` and the order of the
filing steps (`db.households.record_step`), the measures and their payments (`core.plan.check_measure`,
`payment_dates`, `db.measures`), the status changes (`db.households`: create, record_step, close, reopen), visits,
pairings and assistance records (`core.plan`, `core.assistance`), and the audit chain (`db.audit.verify_chain`).
"""

import datetime as dt
from collections import defaultdict

import pytest
from sqlalchemy import select

from core import codes
from core.assistance import check_record, overlapping
from core.incomes import file_refusal, month_refusal
from core.intake import IntakeErrors, check_household
from core.money import InvalidAmount, persons_count, yuan_to_fen
from core.plan import PlanErrors, check_helper, check_measure, check_payment, check_visit, payment_dates
from db.audit import verify_chain
from db.engine import reading
from db.households import STEP_ORDER, assess_household
from db.measures import OPEN_FILE
from db.pairings import PAIRABLE
from db.models import (
    AidPayment,
    AssistanceRecord,
    ExclusionCheck,
    Household,
    HouseholdCause,
    IncomeMonth,
    Measure,
    Member,
    Pairing,
    ProcessStep,
    StatusChange,
    Visit,
)
from db.queries import parameter_on
from db.workdays import publicity_refusal
from demo import load_demo
from tests.conftest import _engine_for, empty_database

HOUSEHOLDS = 300
TODAY = dt.date(2020, 12, 31)  # the demo's "now"

# Every change of a file's status a service writes (db.households and db.importer):
ALLOWED_TRANSITIONS = {
    (None, "applying"),  # create_household, and the import of a new file
    (None, "active"),  # the import of a file already 在档 in another system
    ("applying", "active"),  # record_step: 在档
    ("applying", "withdrawn"),  # close_household: an application turned down
    ("active", "exited"), ("active", "relieved"), ("active", "withdrawn"),  # close_household
    ("exited", "active"), ("relieved", "active"), ("withdrawn", "active"),  # reopen_household (返困)
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def city(request):
    """A demo of HOUSEHOLDS files, loaded once per database for every check of this module."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    engine = _engine_for(url)
    empty_database(engine)
    load_demo(engine, households=HOUSEHOLDS)
    yield engine
    empty_database(engine)


def _by_household(session, model, order):
    rows = defaultdict(list)
    for row in session.scalars(select(model).order_by(*order)):
        rows[row.household_id].append(row)
    return rows


def _date(day: dt.date | None) -> str:
    return f"{day:%Y-%m-%d}" if day else ""


def _yuan(fen: int | None) -> str:
    return "" if fen is None else f"{fen / 100:.2f}"


def _form_of(household: Household, members: list[Member], causes: list[HouseholdCause],
             exclusions: list[ExclusionCheck]) -> dict:
    """The file as the form (or an import row) would hand it to core.intake: text, codes, yuan, dates."""
    raw = {key: getattr(household, key) for key in (
        "name", "id_number", "sex", "ethnicity", "political_status", "health", "disability_kind", "disability_grade",
        "work_status", "model_worker", "housing", "employer_kind", "industry", "marital", "hukou", "medical_insurance",
        "key_group", "worker_no", "employer", "address", "hukou_division", "bank_name", "single_parent",
        "zero_employment", "self_help_ability", "hard_to_exit", "casualty", "mobile", "employer_uscc", "bank_account")}
    raw.update(birth_date=_date(household.birth_date), union_member_since=_date(household.union_member_since),
               labour_relation_since=_date(household.labour_relation_since),
               floor_area="" if household.floor_area_dm2 is None else f"{household.floor_area_dm2 / 100:g}")
    raw["members"] = [dict(name=m.name, id_number=m.id_number, sex=m.sex, birth_date=_date(m.birth_date),
                           relation=m.relation, health=m.health, identity=m.identity,
                           medical_insurance=m.medical_insurance, monthly_income=_yuan(m.monthly_income_fen),
                           able_to_work=m.able_to_work, school_or_employer=m.school_or_employer) for m in members]
    raw["causes"] = [dict(cause=c.cause, is_main=c.is_main, removed_on=_date(c.removed_on)) for c in causes]
    raw["exclusions"] = [dict(exclusion=e.exclusion, applies=e.applies, source=e.source, checked_on=_date(e.checked_on))
                         for e in exclusions]
    return raw


def test_every_file_passes_the_checks_of_the_form_and_the_import(city):
    """core.intake.check_household takes every file as it stands, and what it would store is what the demo stored."""
    refused, differs = {}, []
    with reading(city) as s:
        members = _by_household(s, Member, (Member.id,))
        causes = _by_household(s, HouseholdCause, (HouseholdCause.id,))
        exclusions = _by_household(s, ExclusionCheck, (ExclusionCheck.id,))
        households = s.scalars(select(Household).order_by(Household.id)).all()
        for h in households:
            try:
                clean = check_household(_form_of(h, members[h.id], causes[h.id], exclusions[h.id]), TODAY)
            except IntakeErrors as exc:
                refused[h.file_no] = exc.errors
                continue
            differs += [(h.file_no, key, value, getattr(h, key)) for key, value in clean.head.items()
                        if value != getattr(h, key)]
            for m, cm in zip(members[h.id], clean.members, strict=True):
                differs += [(h.file_no, f"member.{key}", value, getattr(m, key)) for key, value in cm.items()
                            if key not in ("id", "version") and value != getattr(m, key)]
    assert len(households) == HOUSEHOLDS
    assert refused == {}
    assert differs == []


def test_every_filing_went_through_the_steps_with_a_full_publicity(city):
    """record_step: the steps in order, on non-decreasing dates, none after today; the 审核 after a full 公示 of the
    working days in force; 在档 only with all four exclusions checked by then and the category the rule gives."""
    problems = []
    with reading(city) as s:
        steps = _by_household(s, ProcessStep, (ProcessStep.id,))
        exclusions = _by_household(s, ExclusionCheck, (ExclusionCheck.id,))
        reviewed = 0
        for h in s.scalars(select(Household).order_by(Household.id)):
            done = [st.step for st in steps[h.id]]
            days = [st.done_on for st in steps[h.id]]
            if done != list(STEP_ORDER[:len(done)]) or not done:
                problems.append((h.file_no, "steps out of order", done))
            if days != sorted(days) or days[-1] > TODAY:
                problems.append((h.file_no, "step dates", days))
            on = dict(zip(done, days, strict=True))
            if "review" in on:
                reviewed += 1
                working_days = int(parameter_on(s, "publicity_working_days", on["review"]))
                refusal = publicity_refusal(s, on["publicity"], on["review"], working_days)
                if refusal:
                    problems.append((h.file_no, refusal))
            if h.status == "applying":
                if "filed" in on or h.filed_on is not None:
                    problems.append((h.file_no, "applying but filed"))
                continue
            if on.get("filed") != h.filed_on:
                problems.append((h.file_no, "filed step", on.get("filed"), h.filed_on))
            checked = {e.exclusion for e in exclusions[h.id] if e.checked_on <= h.filed_on and not e.applies}
            if checked != set(codes.EXCLUSION):
                problems.append((h.file_no, "exclusions unchecked at filing", checked))
            assessment = assess_household(s, h, h.category_assessed_on)
            if not assessment.may_file or assessment.category != h.category:
                problems.append((h.file_no, "category", h.category, assessment.category))
    assert reviewed > HOUSEHOLDS * 0.9
    assert problems == []


def _measure_form(m: Measure) -> dict:
    return dict(track=m.track, programme=m.programme, cause=m.cause, content=m.content, status=m.status,
                start_on=_date(m.start_on), end_on=_date(m.end_on), responsible=m.responsible,
                amount=_yuan(m.amount_fen), fund_source=m.fund_source, pay_every=m.pay_every,
                first_pay_on=_date(m.first_pay_on), pay_count="" if m.pay_count is None else str(m.pay_count))


def _status_on(history: list[StatusChange], day: dt.date) -> str | None:
    status = None
    for change in history:
        if change.effective_on <= day:
            status = change.to_status
    return status


def test_every_measure_passes_the_plan_form_and_every_payment_follows_its_schedule(city):
    """check_measure takes every measure (its cause one of the file's); a measure's payments are exactly the dates of
    its schedule up to its end, with its amount and fund; every payment passes check_payment, none is before its
    measure's start or after today, and each was made while the file could take one (申请中, 在档 or 解困)."""
    problems = []
    with reading(city) as s:
        causes = _by_household(s, HouseholdCause, (HouseholdCause.id,))
        history = _by_household(s, StatusChange, (StatusChange.effective_on, StatusChange.id))
        paid = defaultdict(list)
        payments = s.scalars(select(AidPayment).order_by(AidPayment.paid_on, AidPayment.id)).all()
        for p in payments:
            paid[p.measure_id].append(p)
        measures = s.scalars(select(Measure).order_by(Measure.id)).all()
        for m in measures:
            try:
                clean = check_measure(_measure_form(m), file_causes={c.cause for c in causes[m.household_id]}, today=TODAY)
            except PlanErrors as exc:
                problems.append((m.id, "measure", exc.errors))
                continue
            if clean.pay_every:
                wanted = payment_dates(clean.first_pay_on, clean.pay_every, clean.pay_count, until=clean.end_on)
                rows = paid[m.id]
                if clean.pay_count != m.pay_count or [p.paid_on for p in rows] != wanted:
                    problems.append((m.id, "schedule", m.pay_count, clean.pay_count, [p.paid_on for p in rows], wanted))
                if any((p.amount_fen, p.fund_source, p.track, p.programme) != (m.amount_fen, m.fund_source, m.track,
                                                                               m.programme) for p in rows):
                    problems.append((m.id, "payment differs from its measure"))
            if _status_on(history[m.household_id], min(m.start_on, TODAY)) not in OPEN_FILE:
                problems.append((m.id, "measure started on a file that could take none", m.start_on))
        starts = {m.id: m.start_on for m in measures}
        for p in payments:
            try:
                check_payment(dict(amount=_yuan(p.amount_fen), fund_source=p.fund_source, paid_on=_date(p.paid_on),
                                   note=p.note), today=TODAY)
            except PlanErrors as exc:
                problems.append((p.id, "payment", exc.errors))
            if p.measure_id is not None and p.paid_on < starts[p.measure_id]:
                problems.append((p.id, "paid before its measure started"))
            if p.paid_on > TODAY or _status_on(history[p.household_id], p.paid_on) not in OPEN_FILE:
                problems.append((p.id, "paid to a file that could take none", p.paid_on))
    assert len(measures) > HOUSEHOLDS and len(payments) > HOUSEHOLDS
    assert problems == []


def test_every_status_change_is_one_a_service_makes(city):
    """A file's history is the chain of changes the services write: opened as 申请中 on its 申请 day, then only
    allowed transitions, each from the status the previous one left, on non-decreasing dates up to today, a 退出
    with its reason, a 返困 with its note; it ends at the file's status."""
    problems = []
    with reading(city) as s:
        history = _by_household(s, StatusChange, (StatusChange.effective_on, StatusChange.id))
        steps = _by_household(s, ProcessStep, (ProcessStep.id,))
        for h in s.scalars(select(Household).order_by(Household.id)):
            changes = history[h.id]
            if not changes:
                problems.append((h.file_no, "no history"))
                continue
            first = changes[0]
            if (first.from_status, first.to_status, first.effective_on) != (None, "applying", steps[h.id][0].done_on):
                problems.append((h.file_no, "not opened as 申请中 on its 申请 day", first.from_status, first.to_status))
            for before, after in zip(changes, changes[1:]):
                if after.from_status != before.to_status or after.effective_on < before.effective_on:
                    problems.append((h.file_no, "chain", before.to_status, after.from_status))
            for change in changes:
                if (change.from_status, change.to_status) not in ALLOWED_TRANSITIONS:
                    problems.append((h.file_no, "transition", change.from_status, change.to_status))
                if change.effective_on > TODAY:
                    problems.append((h.file_no, "in the future", change.effective_on))
                if change.to_status == "withdrawn" and change.reason not in codes.WITHDRAW_REASON:
                    problems.append((h.file_no, "withdrawn without a reason"))
                if change.from_status in ("exited", "relieved", "withdrawn") and not (
                        change.reason == "reopened" and (change.note or "").strip()):
                    problems.append((h.file_no, "reopened without its note"))
                if change.to_status == "active" and change.from_status == "applying" and change.effective_on != h.filed_on:
                    problems.append((h.file_no, "filed on another day"))
            if changes[-1].to_status != h.status:
                problems.append((h.file_no, "history ends elsewhere", changes[-1].to_status, h.status))
    assert problems == []


def _could_take_an_income(history: list[StatusChange], month: dt.date) -> bool:
    """Was the file, on some day from the month's first to today, of a status that takes incomes (core.incomes)?"""
    for change, following in zip(history, [*history[1:], None]):
        until = following.effective_on if following else TODAY + dt.timedelta(days=1)
        if file_refusal(change.to_status) is None and until > month and change.effective_on <= TODAY:
            return True
    return False


def test_every_income_month_is_one_the_income_screen_would_take(city):
    """core.incomes: no month in the future or before 2010, and only while the file was open (申请中 or 在档) on
    some day from that month on: a file closed as 脱困, 解困 or 退出 takes no more incomes."""
    problems = []
    with reading(city) as s:
        history = _by_household(s, StatusChange, (StatusChange.effective_on, StatusChange.id))
        incomes = s.scalars(select(IncomeMonth).order_by(IncomeMonth.household_id, IncomeMonth.month)).all()
        for row in incomes:
            refusal = month_refusal(row.month, TODAY)
            if refusal:
                problems.append((row.household_id, row.month, refusal))
            elif not _could_take_an_income(history[row.household_id], row.month):
                problems.append((row.household_id, row.month, "closed"))
            # the amounts as the 月收入 grid reads them (db.incomes.save_month): yuan to the fen, persons 1–30,
            # transfers part of the income
            amounts = (row.income_fen, row.transfer_fen, row.special_spending_fen, row.accident_spending_fen)
            try:
                typed = [yuan_to_fen(_yuan(fen)) for fen in amounts]
            except InvalidAmount as exc:
                typed = [str(exc)]
            if typed != list(amounts) or persons_count(str(row.persons)) != row.persons or row.transfer_fen > row.income_fen:
                problems.append((row.household_id, row.month, "amounts", amounts, row.persons))
    assert len(incomes) > HOUSEHOLDS * 12
    assert problems == []


def test_visits_pairings_and_assistance_records_pass_their_forms(city):
    """check_visit, check_helper and check_record take every row; one current pairing per file, periods in order,
    each begun while the file could be paired, and a withdrawn file's pairing ended on its withdrawal (db.pairings,
    db.households.close_household)."""
    problems = []
    with reading(city) as s:
        history = _by_household(s, StatusChange, (StatusChange.effective_on, StatusChange.id))
        for v in s.scalars(select(Visit)):
            try:
                check_visit(dict(visited_on=_date(v.visited_on), visitor=v.visitor, kind=v.kind, notes=v.notes,
                                 needs=v.needs), today=TODAY)
            except PlanErrors as exc:
                problems.append(("visit", v.id, exc.errors))
        pairings = _by_household(s, Pairing, (Pairing.start_on, Pairing.id))
        for household_id, rows in pairings.items():
            for p in rows:
                try:
                    check_helper(dict(helper_name=p.helper_name, helper_unit=p.helper_unit, helper_phone=p.helper_phone,
                                      start_on=_date(p.start_on)), today=TODAY)
                except PlanErrors as exc:
                    problems.append(("pairing", p.id, exc.errors))
            if [p.end_on is None for p in rows].count(True) > 1:
                problems.append(("pairing", household_id, "two current pairings"))
            for before, after in zip(rows, rows[1:]):
                if before.end_on is None or before.end_on >= after.start_on:
                    problems.append(("pairing", household_id, "periods overlap"))
            for p in rows:  # assign_helper: only a file that may be paired
                if _status_on(history[household_id], p.start_on) not in PAIRABLE:
                    problems.append(("pairing", p.id, "paired a file that may not be", p.start_on))
            last = history[household_id][-1]
            if last.to_status == "withdrawn" and rows[-1].end_on != last.effective_on:
                # close_household: a withdrawn file leaves the caseload, its pairing ends that day
                problems.append(("pairing", household_id, "withdrawn, still paired", rows[-1].end_on, last.effective_on))
        seen = defaultdict(list)
        for r in s.scalars(select(AssistanceRecord).order_by(AssistanceRecord.id)):
            try:
                check_record(dict(programme=r.programme, from_on=_date(r.from_on), to_on=_date(r.to_on),
                                  source=r.source, note=r.note), today=TODAY)
            except ValueError as exc:
                problems.append(("assistance", r.id, getattr(exc, "errors", exc)))
            values = {"programme": r.programme, "from_on": r.from_on, "to_on": r.to_on}
            if overlapping(values, seen[r.household_id]):  # db.assistance: one programme once at a time
                problems.append(("assistance", r.id, "overlaps another record of its programme"))
            seen[r.household_id].append(values)
    assert problems == []


def test_the_audit_chain_of_a_demo_verifies(city):
    with reading(city) as s:
        checked, broken = verify_chain(s)
    assert broken is None
    assert checked >= 1  # the load's own row

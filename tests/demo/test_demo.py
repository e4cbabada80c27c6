"""The demo-data generator, on SQLite and PostgreSQL: deterministic, refuses a database that has
files, and tells the policy's story truthfully (valid identifiers, codes, lines, exits by the rule)."""

import datetime as dt
import hashlib
import random
from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select

from core import codes
from core.category import Exclusion, MonthFigures, assess
from core.assistance import in_force
from core.dibao import line_on
from core.identity import parse_id_number, parse_mobile, parse_uscc
from core.places import DISTRICTS
from core.plan import payment_dates
from db.households import STEP_ORDER
from db.audit import data_version
from demo import DEMO_NOTE, DISTRICT_SPECS, TABLES, DemoCity, Pending, Story, load_demo, with_column_defaults, write_rows
from db.engine import reading, transaction
from db.errors import ServiceError
from db.models import (
    AssistanceRecord,
    AidPayment,
    AuditLog,
    DibaoLine,
    ExclusionCheck,
    Household,
    HouseholdCause,
    IncomeMonth,
    Measure,
    Member,
    Org,
    Pairing,
    ProcessStep,
    StatusChange,
    Visit,
)
from db.reference import add_org
from tests.conftest import empty_database

HOUSEHOLDS = 120
TODAY = dt.date(2020, 12, 31)
DEMO_TABLES = (Org, DibaoLine, Household, Member, HouseholdCause, ExclusionCheck, ProcessStep, StatusChange,
               IncomeMonth, Measure, AidPayment, Pairing, Visit, AssistanceRecord)
URBAN = {"130302", "130303", "130304", "ZONE-ETDZ", "ZONE-BDHNA"}
FIRST_ASSESSMENT = dt.date(2017, 6, 30)  # incomes start 2017-01: the first day with six months of them


@pytest.fixture
def demo(db_engine):
    steps = []
    summary = load_demo(db_engine, households=HOUSEHOLDS, progress=lambda f, text: steps.append((f, text)))
    return db_engine, summary, steps


def _rows(session, model):
    return session.scalars(select(model).order_by(model.id)).all()


def _counts(engine) -> dict[str, int]:
    with reading(engine) as s:
        counts = {m.__tablename__: s.scalar(select(func.count()).select_from(m)) for m in (*DEMO_TABLES, AuditLog)}
        counts["data_version"] = data_version(s)
    return counts


def _fingerprint(engine) -> str:
    digest = hashlib.sha256()
    with reading(engine) as s:
        for model in DEMO_TABLES:
            table = model.__table__
            for row in s.execute(select(table).order_by(table.c.id)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _months(first: dt.date, last: dt.date):
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        yield dt.date(year, month, 1)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _lines_by_place(session) -> dict[str, list[tuple[dt.date, int]]]:
    lines = defaultdict(list)
    for line in _rows(session, DibaoLine):
        lines[line.place_code].append((line.effective_from, line.amount_fen))
    return lines


# --- loading -----------------------------------------------------------------------------------


def test_same_seed_gives_identical_rows_and_another_seed_does_not(db_engine):
    load_demo(db_engine, households=HOUSEHOLDS)
    first = _fingerprint(db_engine)
    empty_database(db_engine)
    load_demo(db_engine, households=HOUSEHOLDS)
    assert _fingerprint(db_engine) == first
    empty_database(db_engine)
    load_demo(db_engine, households=HOUSEHOLDS, seed=7)
    assert _fingerprint(db_engine) != first


def test_summary_counts_the_rows_and_one_audit_row_records_the_load(demo):
    engine, summary, steps = demo
    counts = _counts(engine)
    assert summary == {
        "households": HOUSEHOLDS, "members": counts["member"], "income_months": counts["income_month"],
        "measures": counts["measure"], "payments": counts["aid_payment"], "pairings": counts["pairing"],
        "visits": counts["visit"], "dibao_lines": counts["dibao_line"], "orgs": counts["org"] - 1 - len(DISTRICTS),
        "assistance_records": counts["assistance_record"],
    }
    assert counts["household"] == HOUSEHOLDS and counts["data_version"] == 1
    with reading(engine) as s:
        audit = s.scalars(select(AuditLog)).all()
    assert len(audit) == 1
    assert (audit[0].actor, audit[0].action, audit[0].entity) == ("system:demo", "create", "demo")
    assert audit[0].reason == "载入示例数据（虚构）" and '"households": 120' in audit[0].new_value
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and all(0 <= f <= 1 for f in fractions)
    assert all(text for _, text in steps)


def test_a_second_load_is_refused_and_writes_nothing(demo):
    engine, _, _ = demo
    before = _counts(engine)
    with pytest.raises(ServiceError, match="数据库中已有档案"):
        load_demo(engine, households=10)
    assert _counts(engine) == before


def test_a_database_with_real_dibao_lines_is_refused(db_engine):
    with transaction(db_engine) as s:
        s.add(DibaoLine(place_code="130302", effective_from=dt.date(2019, 1, 1), amount_fen=70000, note="真实标准"))
    with pytest.raises(ServiceError, match="低保标准"):
        load_demo(db_engine, households=10)
    with reading(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(Household)) == 0
        assert s.scalar(select(func.count()).select_from(Org)) == 1 + len(DISTRICTS)


def test_the_app_can_insert_rows_after_the_load(demo):
    """Ids were set by the loader; on PostgreSQL this checks that the sequences moved past them."""
    engine, _, _ = demo
    with reading(engine) as s:
        highest = {m: s.scalar(select(func.max(m.id))) for m in DEMO_TABLES}
    with transaction(engine) as s:
        district = s.scalar(select(Org).where(Org.kind == "district", Org.place_code == "130302"))
        org = add_org(s, "测试新建基层工会", "grassroots", district, "130302")
        household = Household(file_no="TEST-000001", org_id=org.id, place_code="130302", name="测试户",
                              id_number="11010519491231002X")
        s.add(household)
        s.flush()
        new = [
            DibaoLine(place_code="130302", effective_from=dt.date(2030, 1, 1), amount_fen=90000),
            Member(household_id=household.id, name="测试成员", relation="spouse"),
            HouseholdCause(household_id=household.id, cause="3", is_main=True),
            ExclusionCheck(household_id=household.id, exclusion="vehicle", applies=False, source="入户调查",
                           checked_on=TODAY),
            ProcessStep(household_id=household.id, step="apply", done_on=TODAY, done_by="测试"),
            StatusChange(household_id=household.id, to_status="applying", effective_on=TODAY, recorded_by="test"),
            IncomeMonth(household_id=household.id, month=dt.date(2020, 12, 1), income_fen=100000, persons=2),
            Measure(household_id=household.id, track="employment", start_on=TODAY),
            Pairing(household_id=household.id, helper_name="测试", helper_unit="测试单位", start_on=TODAY),
            Visit(household_id=household.id, visited_on=TODAY, visitor="测试", kind="home"),
        ]
        s.add_all(new)
        s.flush()
        payment = AidPayment(household_id=household.id, measure_id=new[7].id, track="employment", amount_fen=100,
                             fund_source="union", paid_on=TODAY)
        s.add(payment)
        s.flush()
        for row in [org, household, *new, payment]:
            assert row.id > highest[type(row)]
        assert org.path == f"{district.path}{org.id}/"


# --- what the rows say -------------------------------------------------------------------------


def test_every_id_number_is_valid_unique_and_matches_birth_date_and_sex(demo):
    engine, _, _ = demo
    with reading(engine) as s:
        heads = _rows(s, Household)
        members = _rows(s, Member)
    seen = Counter()
    for person in [*heads, *members]:
        assert person.id_number
        parsed = parse_id_number(person.id_number, today=TODAY)
        assert parsed.number == person.id_number
        assert parsed.birth_date == person.birth_date
        assert parsed.sex == person.sex
        seen[person.id_number] += 1
    assert max(seen.values()) == 1
    for head in heads:
        allowed = {"130302"} if head.place_code.startswith("ZONE-") else {head.place_code}
        if head.place_code == "130306":
            allowed.add("130323")  # born in the old 抚宁县
        assert head.id_number[:6] in allowed
        if head.mobile:
            assert parse_mobile(head.mobile) == head.mobile
        if head.employer_uscc:
            assert parse_uscc(head.employer_uscc) == head.employer_uscc
        assert head.file_no.startswith("QHD-")


def test_each_file_has_one_main_cause_and_at_most_three_others(demo):
    engine, _, _ = demo
    with reading(engine) as s:
        causes = _rows(s, HouseholdCause)
        household_ids = s.scalars(select(Household.id)).all()
    by_household = defaultdict(list)
    for cause in causes:
        by_household[cause.household_id].append(cause)
    assert sorted(by_household) == sorted(household_ids)
    for rows in by_household.values():
        assert sum(c.is_main for c in rows) == 1
        assert sum(not c.is_main for c in rows) <= codes.MAX_SECONDARY_CAUSES
        assert len({c.cause for c in rows}) == len(rows)


def test_dibao_lines_are_flagged_demo_and_cover_every_month(demo):
    engine, _, _ = demo
    with reading(engine) as s:
        rows = _rows(s, DibaoLine)
        lines = _lines_by_place(s)
    assert rows and all(r.is_demo and r.note == DEMO_NOTE and r.amount_fen > 0 for r in rows)
    assert all(isinstance(r.amount_fen, int) for r in rows)
    assert sorted(lines) == sorted(p.code for p in DISTRICTS)
    for place in DISTRICTS:
        history = sorted(lines[place.code])
        assert history[0][0] == dt.date(2016, 1, 1) and history[-1][0].year == 2021
        assert [a for _, a in history] == sorted(a for _, a in history)  # lines only rise
        for month in _months(dt.date(2017, 1, 1), dt.date(2020, 12, 1)):
            line_on(history, month, place.name)  # raises when no line is in force
        in_2017 = line_on(history, dt.date(2017, 6, 1), place.name)
        low, high = (60000, 75000) if place.code in URBAN else (45000, 60000)
        assert low <= in_2017 <= high, (place.name, in_2017)


def test_incomes_are_whole_fen_with_transfers_within_and_persons_the_family_size(demo):
    engine, _, _ = demo
    with reading(engine) as s:
        incomes = _rows(s, IncomeMonth)
        households = {h.id: h for h in _rows(s, Household)}
        family = Counter(m.household_id for m in _rows(s, Member))
    months = defaultdict(list)
    for row in incomes:
        for amount in (row.income_fen, row.transfer_fen, row.special_spending_fen, row.accident_spending_fen):
            assert isinstance(amount, int) and amount >= 0
        assert row.transfer_fen <= row.income_fen
        assert row.persons == 1 + family[row.household_id]
        assert row.month.day == 1 and dt.date(2017, 1, 1) <= row.month <= dt.date(2020, 12, 1)
        months[row.household_id].append(row.month)
    assert set(months) == set(households)  # every file has incomes
    for household_id, recorded in months.items():
        assert len(recorded) == len(set(recorded))
        household = households[household_id]
        if household.filed_on:
            # from the (up to) six months before the category's assessment day, every one of them recorded
            assessed = _month_index(household.category_assessed_on)
            first = max(_month_index(dt.date(2017, 1, 1)), assessed - 5)
            assert _month_index(min(recorded)) == first, household.file_no
            assert {_month_index(m) for m in recorded} >= set(range(first, assessed + 1)), household.file_no
        else:  # still applying: from the application on
            assert min(recorded) >= household.created_at.date().replace(day=1)


def test_code_columns_hold_only_codes(demo):
    engine, _, _ = demo
    columns = {
        Household: {"status": codes.HOUSEHOLD_STATUS, "category": codes.CATEGORY, "category_rule_set": codes.RULE_SET,
                    "key_group": codes.KEY_GROUP, "ethnicity": codes.ETHNICITY,
                    "sex": codes.SEX, "political_status": codes.POLITICAL_STATUS, "health": codes.HEALTH,
                    "disability_kind": codes.DISABILITY_KIND, "disability_grade": codes.DISABILITY_GRADE,
                    "work_status": codes.WORK_STATUS, "model_worker": codes.MODEL_WORKER, "housing": codes.HOUSING,
                    "employer_kind": codes.EMPLOYER_KIND, "industry": codes.INDUSTRY, "marital": codes.MARITAL,
                    "hukou": codes.HUKOU, "medical_insurance": codes.MEDICAL_INSURANCE},
        Member: {"relation": codes.RELATION, "sex": codes.SEX, "health": codes.HEALTH,
                 "identity": codes.MEMBER_IDENTITY, "medical_insurance": codes.MEDICAL_INSURANCE},
        HouseholdCause: {"cause": codes.CAUSE},
        ExclusionCheck: {"exclusion": codes.EXCLUSION},
        ProcessStep: {"step": codes.PROCESS_STEP},
        StatusChange: {"from_status": codes.HOUSEHOLD_STATUS, "to_status": codes.HOUSEHOLD_STATUS,
                       "reason": codes.STATUS_REASON},
        Measure: {"track": codes.TRACK, "programme": codes.PROGRAMME, "cause": codes.CAUSE,
                  "status": codes.MEASURE_STATUS, "fund_source": codes.FUND_SOURCE, "pay_every": codes.PAY_EVERY},
        AidPayment: {"track": codes.TRACK, "programme": codes.PROGRAMME, "fund_source": codes.FUND_SOURCE},
        Visit: {"kind": codes.VISIT_KIND},
        Org: {"kind": codes.ORG_KIND},
        AssistanceRecord: {"programme": codes.ASSISTANCE_PROGRAMME, "source": codes.ASSISTANCE_SOURCE},
    }
    with reading(engine) as s:
        for model, checks in columns.items():
            for column, code_list in checks.items():
                values = set(s.scalars(select(getattr(model, column)).distinct()))
                assert values - {None} <= set(code_list), (model.__tablename__, column, values - set(code_list))
        # the file's own required codes are always there
        assert s.scalar(select(func.count()).where(Household.sex.is_(None) | Household.ethnicity.is_(None))) == 0


def test_money_measures_carry_the_schedule_their_payments_follow(demo):
    """A measure's amount is each payment's amount and its count the payments made under it (as the app writes them)."""
    engine, _, _ = demo
    with reading(engine) as s:
        scheduled = s.scalars(select(Measure).where(Measure.pay_every.is_not(None))).all()
        paid = {}
        for p in s.scalars(select(AidPayment).where(AidPayment.measure_id.is_not(None))):
            paid.setdefault(p.measure_id, []).append(p)
    assert scheduled
    for m in scheduled:
        rows = paid.get(m.id, [])
        assert m.amount_fen and m.fund_source and m.first_pay_on and m.pay_count >= 1, m.id
        assert {p.amount_fen for p in rows} <= {m.amount_fen} and {p.fund_source for p in rows} <= {m.fund_source}
        assert rows and m.status != "planned", m.id
        assert sorted(p.paid_on for p in rows) == payment_dates(m.first_pay_on, m.pay_every, m.pay_count), m.id


def test_new_unions_sit_under_their_parents(demo):
    engine, _, _ = demo
    with reading(engine) as s:
        orgs = {o.id: o for o in _rows(s, Org)}
    children = defaultdict(list)
    for org in orgs.values():
        if org.parent_id:
            parent = orgs[org.parent_id]
            assert org.path == f"{parent.path}{org.id}/"
            assert org.path.startswith(parent.path)
            children[parent.id].append(org)
    city = next(o for o in orgs.values() if o.kind == "city")
    industry = [o for o in children[city.id] if o.kind == "industry"]
    assert len(industry) == 2
    for union in industry:
        assert len(children[union.id]) == 2
        assert all(c.kind == "grassroots" and c.place_code in {p.code for p in DISTRICTS} for c in children[union.id])
    for district in (o for o in orgs.values() if o.kind == "district"):
        own = children[district.id]
        assert 3 <= len(own) <= 6 and all(c.kind == "grassroots" and c.place_code == district.place_code for c in own)


def test_files_belong_to_a_grassroots_union_of_their_district(demo):
    engine, _, _ = demo
    with reading(engine) as s:
        orgs = {o.id: o for o in _rows(s, Org)}
        for household in _rows(s, Household):
            org = orgs[household.org_id]
            assert org.kind == "grassroots" and org.place_code == household.place_code


def test_status_history_matches_the_status(demo):
    engine, _, _ = demo
    with reading(engine) as s:
        households = _rows(s, Household)
        changes = defaultdict(list)
        for change in _rows(s, StatusChange):
            changes[change.household_id].append(change)
        steps = defaultdict(dict)
        for step in _rows(s, ProcessStep):
            steps[step.household_id][step.step] = step.done_on
        pairings = Counter(p.household_id for p in _rows(s, Pairing) if p.end_on is None)
    for household in households:
        history = sorted(changes[household.id], key=lambda c: (c.effective_on, c.id))
        # opened as 申请中 on the 申请 day, as create_household writes it
        assert (history[0].from_status, history[0].to_status, history[0].effective_on) == (None, "applying", steps[household.id]["apply"])
        if household.status == "applying":
            assert household.filed_on is None and len(history) == 1 and household.category is None
            assert household.category_rule_set is None and household.category_explanation is None
            continue
        assert (history[1].from_status, history[1].to_status, history[1].effective_on, history[1].reason) == (
            "applying", "active", household.filed_on, None)
        assert history[-1].to_status == household.status
        assert all(c.recorded_by == "system:demo" and c.effective_on <= TODAY for c in history)
        for before, after in zip(history, history[1:]):
            assert after.from_status == before.to_status and after.effective_on >= before.effective_on
        for change in history:
            if change.to_status == "withdrawn":
                assert change.reason in codes.WITHDRAW_REASON and change.note
            if change.reason == "reopened":
                assert change.from_status == "exited" and change.note
        assert list(steps[household.id]) == list(STEP_ORDER)  # the demo imports nothing: every file went through the filing here
        dates = [steps[household.id][k] for k in STEP_ORDER]
        assert dates == sorted(dates) and dates[-1] == household.filed_on
        assert household.category in ("dibao", "dibao_edge", "accident")
        assert household.category_rule_set == "national_2016"
        assert household.category_assessed_on == max(household.filed_on, FIRST_ASSESSMENT)
        assert pairings[household.id] == (household.status != "withdrawn")  # one current 一帮一 pairing, none once withdrawn


def test_exits_came_after_six_months_strictly_above_the_line(demo):
    """Checked plainly against the rule in DOMAIN.md, independent of the generator's own code."""
    engine, _, _ = demo
    with reading(engine) as s:
        lines = _lines_by_place(s)
        households = {h.id: h for h in _rows(s, Household)}
        incomes = defaultdict(dict)
        for row in _rows(s, IncomeMonth):
            incomes[row.household_id][row.month] = row
        causes = defaultdict(list)
        for cause in _rows(s, HouseholdCause):
            causes[cause.household_id].append(cause)
        exits = s.scalars(select(StatusChange).where(StatusChange.to_status == "exited")).all()
        reopened = defaultdict(list)
        for change in s.scalars(select(StatusChange).where(StatusChange.reason == "reopened")):
            reopened[change.household_id].append(change.effective_on)
    assert len(exits) >= 10
    for change in exits:
        household = households[change.household_id]
        place = household.place_code
        recorded = incomes[household.id]
        before_exit = [m for m in _months(dt.date(2017, 1, 1), change.effective_on) if m < change.effective_on.replace(day=1)]
        run = best = 0
        for month in before_exit:
            row = recorded.get(month)  # a month with no record breaks the run
            if row is not None and row.income_fen // row.persons > line_on(lines[place], month, place):
                run += 1
                best = max(best, run)
            else:
                run = 0
        assert best >= 6, (household.file_no, change.effective_on)
        # every cause on the file was marked removed, on or before the exit (not just the main one) …
        still_open = [c for c in causes[household.id] if c.removed_on is None or c.removed_on > change.effective_on]
        if any(day > change.effective_on for day in reopened[household.id]):
            # … except the one cause recorded when the file reopened (返困) after this exit, which is open now
            assert len(still_open) <= 1, (household.file_no, [c.cause for c in still_open])
            assert all(not c.is_main and c.removed_on is None for c in still_open), household.file_no
        else:
            assert not still_open, (household.file_no, change.effective_on, [(c.cause, c.removed_on) for c in still_open])
        assert sum(c.is_main for c in causes[household.id]) == 1
        assert all(c.removed_on is not None for c in causes[household.id] if c.is_main)


def test_each_filed_category_is_what_the_rule_gives_on_its_assessment_day(demo):
    """Recomputed plainly with core.category.assess from the stored incomes, lines and exclusions up to
    category_assessed_on (as 重新认定 in the app does): the same category and the same explanation."""
    engine, _, _ = demo
    with reading(engine) as s:
        lines = _lines_by_place(s)
        households = _rows(s, Household)
        incomes = defaultdict(list)
        for row in _rows(s, IncomeMonth):
            incomes[row.household_id].append(row)
        exclusions = defaultdict(list)
        for check in _rows(s, ExclusionCheck):
            exclusions[check.household_id].append(Exclusion(check.exclusion, check.applies, check.source))
    names = {p.code: p.name for p in DISTRICTS}
    filed = [h for h in households if h.filed_on]
    assert filed
    for household in filed:
        on = household.category_assessed_on
        assert household.category_rule_set == "national_2016" and on == max(household.filed_on, FIRST_ASSESSMENT)
        place = household.place_code
        figures = [
            MonthFigures(r.month, r.income_fen, r.persons, line_on(lines[place], r.month, names[place]),
                         r.special_spending_fen, r.accident_spending_fen)
            for r in incomes[household.id] if r.month <= on
        ]
        assert figures and max(f.month for f in figures) == on.replace(day=1), household.file_no
        result = assess(
            "national_2016", figures, exclusions=exclusions[household.id], casualty=household.casualty,
            migrant=household.work_status == "migrant", labour_relation_since=household.labour_relation_since,
            union_member=household.union_member_since is not None, on=on,
        )
        assert result.may_file, (household.file_no, result.explanation())
        assert household.category == result.category, (household.file_no, household.category, result.explanation())
        assert household.category_explanation == result.explanation(), household.file_no


def test_a_household_whose_incomes_give_no_category_is_reshaped_not_mislabelled():
    """The generator's safety net: months that the rule would not file are made six months below the line."""
    city = DemoCity(random.Random(1), Pending({model: 1 for model in TABLES}), None, {})
    city.dibao_lines()
    spec = DISTRICT_SPECS["130302"]
    on = dt.date(2018, 5, 14)
    line = city.lines[spec.code][_month_index(on)]
    story = Story(incomes=[  # above the line, no spending, and March missing: no category as it stands
        dict(month=m, income_fen=2 * line * 2, persons=2, transfer_fen=0, special_spending_fen=0,
             accident_spending_fen=0)
        for m in _months(dt.date(2017, 12, 1), dt.date(2018, 8, 1)) if m.month != 3
    ])
    assert assess("national_2016", city.month_figures(spec, story, on)).category is None
    result = city.assessment(spec, story, "employed", [], None, dt.date(2010, 1, 1), on)
    assert result.category == "dibao" and result.may_file
    assert [r["month"] for r in story.incomes] == list(_months(dt.date(2017, 12, 1), dt.date(2018, 8, 1)))
    assert story.incomes[-1]["income_fen"] == 4 * line  # the months after the assessment are left alone


def test_rows_of_one_batch_must_have_the_same_columns():
    """The bulk paths take the column list from the first row: a row with a key more or less is refused."""
    table = DibaoLine.__table__
    row = dict(id=1, place_code="130302", effective_from=dt.date(2016, 1, 1), amount_fen=60000, is_demo=True,
               note=DEMO_NOTE)
    assert with_column_defaults(table, [row, dict(row, id=2)])[1]["version"] == 1
    with pytest.raises(ValueError, match="extra"):
        with_column_defaults(table, [row, dict(row, id=2, version=3)])
    with pytest.raises(ValueError, match="missing"):
        with_column_defaults(table, [row, {k: v for k, v in row.items() if k != "note"}])
    with pytest.raises(ValueError, match="no such columns"):
        with_column_defaults(table, [dict(row, colour="red")])


def test_a_batch_with_mismatched_rows_writes_nothing(db_engine):
    row = dict(id=1, place_code="130302", effective_from=dt.date(2016, 1, 1), amount_fen=60000, is_demo=True,
               note=DEMO_NOTE)
    rows = {model: [] for model in TABLES}
    rows[DibaoLine] = [row, {k: v for k, v in dict(row, id=2).items() if k != "is_demo"}]
    with pytest.raises(ValueError, match="missing"):
        with transaction(db_engine) as s:
            write_rows(s, rows)
    with reading(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(DibaoLine)) == 0


def test_relief_came_to_hard_cases_in_the_safety_net_at_the_line(demo):
    engine, _, _ = demo
    with reading(engine) as s:
        lines = _lines_by_place(s)
        households = {h.id: h for h in _rows(s, Household)}
        measures = defaultdict(list)
        for measure in _rows(s, Measure):
            measures[measure.household_id].append(measure)
        incomes = defaultdict(list)
        for row in _rows(s, IncomeMonth):
            incomes[row.household_id].append(row)
        records = defaultdict(list)
        for record in _rows(s, AssistanceRecord):
            records[record.household_id].append(record)
        reliefs = s.scalars(select(StatusChange).where(StatusChange.to_status == "relieved")).all()
    assert reliefs
    for change in reliefs:
        household = households[change.household_id]
        assert household.hard_to_exit
        # in 低保 or 特困供养 when confirmed, by a dated record
        assert any(r.programme in ("dibao", "tekun") and r.from_on <= change.effective_on
                   and in_force(r.from_on, r.to_on, change.effective_on) for r in records[household.id])
        latest = max((r for r in incomes[household.id] if r.month < change.effective_on.replace(day=1)),
                     key=lambda r: r.month)
        place = household.place_code
        assert latest.income_fen // latest.persons >= line_on(lines[place], latest.month, place)
        assert any(m.status == "in_progress" and m.start_on <= change.effective_on for m in measures[household.id])


def test_climbers_causes_are_removed_and_still_open_files_stay_below_or_wait(demo):
    engine, _, _ = demo
    with reading(engine) as s:
        removed = s.scalars(select(HouseholdCause.removed_on).where(HouseholdCause.removed_on.is_not(None))).all()
        measures = _rows(s, Measure)
        payments = _rows(s, AidPayment)
        visits = _rows(s, Visit)
    assert removed and all(dt.date(2018, 1, 1) <= d <= TODAY for d in removed)
    by_id = {m.id: m for m in measures}
    for payment in payments:
        assert payment.amount_fen > 0 and payment.paid_on <= TODAY
        if payment.measure_id:
            measure = by_id[payment.measure_id]
            assert measure.household_id == payment.household_id and measure.track == payment.track
    for measure in measures:
        assert measure.content and measure.responsible
        assert measure.status == "planned" or measure.start_on <= TODAY
        assert (measure.end_on is not None) == (measure.status == "done")
        assert measure.amount_fen is None or measure.fund_source in codes.FUND_SOURCE
    assert all(v.visitor and v.notes for v in visits)


def test_a_city_sized_load_tells_the_policy_story(sqlite_engine):
    """A larger load on SQLite only: shares and shapes the dashboards rely on."""
    load_demo(sqlite_engine, households=1500)
    with reading(sqlite_engine) as s:
        households = _rows(s, Household)
        statuses = Counter(h.status for h in households)
        places = Counter(h.place_code for h in households)
        closes = {c.household_id: c for c in _rows(s, StatusChange) if c.to_status in ("exited", "relieved")}
        reopened = s.scalar(select(func.count()).where(StatusChange.reason == "reopened"))
        caseload = Counter(p.helper_name for p in _rows(s, Pairing) if p.end_on is None)
        last_visit = {}
        for visit in _rows(s, Visit):
            last_visit[visit.household_id] = max(visit.visited_on, last_visit.get(visit.household_id, visit.visited_on))
        earlier_pairings = s.scalar(select(func.count()).where(Pairing.end_on.is_not(None)))
    cohort = [h for h in households if h.filed_on and h.filed_on <= dt.date(2017, 12, 31)]
    assert 0.8 <= len(cohort) / len(households) <= 0.9
    categories = Counter(h.category for h in households if h.filed_on)
    filed = sum(categories.values())
    assert set(categories) == {"dibao", "dibao_edge", "accident"}
    assert categories["dibao"] / filed >= 0.65  # mostly 低保户; some 边缘户 and 意外致困户
    assert 0.05 <= categories["dibao_edge"] / filed <= 0.25 and 0.02 <= categories["accident"] / filed <= 0.12
    out_2018 = sum(1 for h in cohort if h.id in closes and closes[h.id].effective_on.year <= 2018)
    assert 0.35 <= out_2018 / len(cohort) <= 0.6
    assert all(statuses[s] for s in codes.HOUSEHOLD_STATUS) and reopened > 0
    assert places.most_common(1)[0][0] == "130302"
    assert 0.15 <= sum(h.hard_to_exit for h in households) / len(households) <= 0.35
    assert max(caseload.values()) >= 40
    assert 0.08 <= earlier_pairings / len(cohort) <= 0.25
    open_files = [h for h in households if h.status == "active"]
    overdue = [h for h in open_files if last_visit.get(h.id, dt.date.min) < dt.date(2020, 6, 30)]
    assert 0 < len(overdue) < len(open_files) / 2

"""The demo city: one generator that builds every row in memory from one seeded random generator.

Each part of it lives in the module of what it generates; `DemoCity` puts them together and builds one
household at a time, drawing every choice in the same fixed order. The parts share the state set up in
`DemoCity.__init__` (the generator, the pending rows, the lines, unions, helpers and identifiers used so far)."""

from __future__ import annotations

import datetime as dt
import random

from core.category import DIBAO_RUN_MONTHS
from db.models import Household, IncomeMonth, Member, Org

from demo.base import FIRST_INCOME_MONTH, RULE_SET, FilePlan, Helper, UnionOrg, assessment_day, days_after, month_of
from demo.households import HouseholdParts
from demo.incomes import IncomeParts
from demo.measures import MeasureParts
from demo.people import IdentityParts
from demo.process import ProcessParts
from demo.rows import Pending
from demo.unions import UnionParts
from demo.visits import VisitParts


class DemoCity(UnionParts, IdentityParts, HouseholdParts, IncomeParts, ProcessParts, MeasureParts, VisitParts):
    """Builds the rows of the demo city in memory, drawing every choice from one seeded generator."""

    def __init__(self, rng: random.Random, pending: Pending, city_org: Org, district_orgs: dict[str, Org]):
        self.rng = rng
        self.rows = pending
        self.city_org = city_org
        self.district_orgs = district_orgs
        self.used_ids: set[str] = set()  # 身份证号 of everyone, heads and members alike
        self.used_mobiles: set[str] = set()
        self.uscc_by_employer: dict[str, str] = {}
        self.file_counters: dict[str, int] = {}
        self.lines: dict[str, dict[int, int]] = {}  # place → month → line in fen
        self.unions: dict[str, list[UnionOrg]] = {}  # place → its 基层工会
        self.helpers: dict[str, list[tuple[Helper, float]]] = {}
        self.staff: dict[str, list[str]] = {}

    # -- one household -------------------------------------------------------------------------

    def household(self, plan: FilePlan) -> None:
        rng = self.rng
        spec = plan.district
        union = self.choose_union(spec)
        employer = self.choose_employer(plan, spec, union)
        head, head_fields = self.head(plan, spec, employer)
        members = self.family(plan, spec, head, head_fields)
        persons = 1 + len(members)
        main_cause, secondary = self.causes(plan, head, head_fields, members)
        all_causes = [main_cause, *secondary]
        profile = self.profile(plan, head_fields, main_cause, all_causes, members)

        # a filed household's incomes begin with the months its category is assessed on (up to six
        # before the assessment day); a still-applying one's with its application
        assessed_on = assessment_day(plan.filed_on) if plan.filed_on else None
        if assessed_on:
            start_month = max(FIRST_INCOME_MONTH, month_of(assessed_on) - (DIBAO_RUN_MONTHS - 1))
        else:
            start_month = max(FIRST_INCOME_MONTH, month_of(plan.apply_on))
        withdraw = self.withdrawal(plan, head)
        story = self.story(plan, spec, persons, start_month, assessed_on, all_causes, profile, withdraw)
        self.reopen_if_fallen_back(plan, spec, story, persons, all_causes, secondary)

        survey_on = self.process_steps(plan, spec)
        exclusions = self.exclusion_checks(plan, survey_on) if survey_on else []
        labour_since = (days_after(plan.filed_on or plan.apply_on, -rng.randint(400, 2500))
                        if head_fields["work_status"] == "migrant" else None)
        union_since = self.union_member_since(plan, head)
        assessment = None
        if assessed_on:
            assessment = self.assessment(spec, story, head_fields["work_status"], exclusions, labour_since,
                                         union_since, assessed_on)

        self.set_member_incomes(members, head_fields, story.incomes)
        for member in members:
            self.rows.add(Member, household_id=plan.id, **member)
        self.add_causes(plan, main_cause, all_causes, story)
        self.status_history(plan, story)
        for row in story.incomes:
            if story.takes_income(row["month"]):
                self.rows.add(IncomeMonth, household_id=plan.id, **row)
        if plan.filed_on:
            helpers = self.pairings(plan, spec, story)
            payment_days = self.measures_and_payments(plan, spec, story, all_causes, members, profile, helpers)
            self.visits(plan, story, helpers, payment_days)

        if story.closed_on and not story.reopened_on:
            status = story.closed_as
        else:
            status = "applying" if plan.applying else "active"
        last_change = max(d for d in (plan.apply_on, plan.filed_on, story.closed_on, story.reopened_on) if d)
        self.rows.add(
            Household, id=plan.id, file_no=self.file_no(spec), org_id=union.id, place_code=spec.code, status=status,
            filed_on=plan.filed_on,
            category=assessment.category if assessment else None,
            category_rule_set=RULE_SET if assessment else None,
            category_assessed_on=assessed_on,
            category_explanation=assessment.explanation() if assessment else None,
            key_group=profile["key_group"], hard_to_exit=plan.path == "hard",
            worker_no=f"{spec.id_divisions[0]}{plan.id:07d}",
            **head_fields,
            union_member_since=union_since,
            labour_relation_since=labour_since,
            created_at=dt.datetime.combine(plan.apply_on, dt.time(9, rng.randrange(60))),
            updated_at=dt.datetime.combine(last_change, dt.time(16, rng.randrange(60))),
        )

        self.assistance_records(plan, profile, all_causes, members, story)

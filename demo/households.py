"""Households and members: which files open when, the head, the family, the causes and the profile."""

from __future__ import annotations

import datetime as dt

from core import codes
from core.places import DISTRICTS, PLACE_BY_CODE
from db.models import Household, HouseholdCause

from demo.base import TODAY, FilePlan, Person, Story, age_on, days_after, month_start, pick, weekday_on_or_before
from demo.people import BANKS, COMMUNITIES, SCHOOLS_COLLEGE, VILLAGES
from demo.places import DISTRICT_SPECS, MIGRANT_EMPLOYERS, RESTRUCTURED_EMPLOYERS, RESTRUCTURED_NAMES, DistrictSpec, Employer


class HouseholdParts:
    """Which files, when, which way; the head, the family, the causes and the profile."""

    # -- which files, when, which way --------------------------------------------------------

    def file_plans(self, households: int) -> list[FilePlan]:
        """Where and when each file opens and how it goes; ids follow the order of filing."""
        weights = [(DISTRICT_SPECS[p.code], DISTRICT_SPECS[p.code].share) for p in DISTRICTS]
        plans = []
        for _ in range(households):
            district = pick(self.rng, weights)
            path = pick(self.rng, [("climber", 0.55), ("hard", 0.25), ("stuck", 0.20)])
            if self.rng.random() < 0.01:
                apply_on = weekday_on_or_before(days_after(dt.date(2020, 9, 1), self.rng.randint(0, 110)))
                plans.append(FilePlan(district, path, True, apply_on, None))
                continue
            if self.rng.random() < 0.85:  # the baseline cohort, on file by 2017-12-31
                year = pick(self.rng, [(2014, 0.45), (2015, 0.2), (2016, 0.15), (2017, 0.2)])
            else:  # 新增
                year = pick(self.rng, [(2018, 0.5), (2019, 0.3), (2020, 0.2)])
            last_day = 330 if year == 2020 else 360
            filed_on = weekday_on_or_before(days_after(dt.date(year, 1, 1), self.rng.randint(40, last_day)))
            # apply_on is a placeholder here: process_steps() dates the steps back from filed_on
            plans.append(FilePlan(district, path, False, filed_on - dt.timedelta(days=35), filed_on))
        order = sorted(range(len(plans)), key=lambda i: (plans[i].filed_on or plans[i].apply_on, i))
        ordered = [plans[i] for i in order]
        for plan in ordered:
            plan.id = self.rows.new_id(Household)
        return ordered

    def head(self, plan: FilePlan, spec: DistrictSpec, employer: Employer | None) -> tuple[Person, dict]:
        rng = self.rng
        work_status = self.work_status(plan, employer)
        if work_status == "retired":
            birth_year = rng.randint(1950, 1962)
        elif work_status == "early_retired":
            birth_year = rng.randint(1960, 1968)
        elif plan.path == "hard":
            birth_year = rng.randint(1955, 1985)
        else:
            birth_year = rng.randint(1960, 1990)
        birth = days_after(dt.date(birth_year, 1, 1), rng.randint(0, 364))
        sex = "1" if rng.random() < 0.58 else "2"
        manchu = spec.code == "130321"
        division = rng.choice(spec.id_divisions)
        if division == "130306" and birth_year < 1990 and rng.random() < 0.6:
            division = "130323"  # born in the old 抚宁县
        health = self.head_health(plan)
        disability_kind = disability_grade = None
        if health == "disabled":
            disability_kind = rng.choice(list(codes.DISABILITY_KIND))
            disability_grade = rng.choice(("1", "2")) if plan.path == "hard" else rng.choice(("3", "4"))
        person = Person(self.full_name(sex, manchu=manchu), sex, birth, self.id_number(division, birth, sex), health)

        if manchu:
            ethnicity = pick(rng, [("11", 0.55), ("01", 0.42), ("02", 0.02), ("03", 0.01)])
        else:
            ethnicity = pick(rng, [("01", 0.92), ("11", 0.06), ("03", 0.015), ("02", 0.005)])
        age = age_on(birth, plan.filed_on or plan.apply_on)
        marital = pick(rng, [("married", 0.66), ("divorced", 0.14), ("widowed", 0.1 if age > 45 else 0.02),
                             ("single", 0.12 if age < 40 else 0.03)])
        if work_status == "migrant":
            hukou = "rural"
        elif spec.urban:
            hukou = pick(rng, [("urban", 0.8), ("rural_to_urban", 0.1), ("rural", 0.1)])
        else:
            hukou = pick(rng, [("rural", 0.45), ("urban", 0.4), ("rural_to_urban", 0.15)])
        housing = pick(rng, [("unit_public", 0.15), ("low_rent", 0.15), ("owned", 0.3), ("none", 0.04),
                             ("rented", 0.2), ("self_built", 0.16 if not spec.urban else 0.03), ("other", 0.02)])
        has_job = work_status in ("employed", "migrant", "laid_off", "sick_leave", "early_retired", "retired")
        employer = employer if has_job or (employer and rng.random() < 0.3) else None
        if work_status in ("employed", "retired", "early_retired", "sick_leave", "laid_off"):
            insurance = pick(rng, [("employee", 0.8), ("resident", 0.15), ("none", 0.05)])
        else:
            insurance = pick(rng, [("resident", 0.65), ("none", 0.25), ("employee", 0.1)])
        hukou_division = "130306" if division == "130323" else division
        fields = dict(
            name=person.name, ethnicity=ethnicity, sex=sex,
            political_status=pick(rng, [("13", 0.84), ("01", 0.12), ("03", 0.04 if age < 28 else 0.0)]),
            id_number=person.id_number, birth_date=birth, health=health,
            disability_kind=disability_kind, disability_grade=disability_grade, work_status=work_status,
            model_worker=pick(rng, [("none", 0.985), ("municipal", 0.012), ("provincial", 0.003)]),
            housing=housing,
            floor_area_dm2=None if housing == "none" else rng.randint(2800, 9500),
            mobile=None if plan.path == "hard" and rng.random() < 0.05 else self.mobile(),
            employer=employer.name if employer else None,
            employer_kind=employer.kind if employer else None,
            employer_uscc=self.uscc(employer, spec.id_divisions[0]) if employer and rng.random() < 0.6 else None,
            industry=employer.industry if employer else None,
            marital=marital, hukou=hukou, address=self.address(spec), hukou_division=hukou_division,
            medical_insurance=insurance,
            single_parent=False, zero_employment=False,  # set once the family is known
            self_help_ability=plan.path != "hard",
            bank_name=None, bank_account=None,
        )
        if rng.random() < 0.8:
            fields["bank_name"] = rng.choice(BANKS)
            fields["bank_account"] = "62" + "".join(str(rng.randrange(10)) for _ in range(17))
        return person, fields

    def work_status(self, plan: FilePlan, employer: Employer | None) -> str:
        if employer in MIGRANT_EMPLOYERS:
            return "migrant"
        if employer in RESTRUCTURED_EMPLOYERS:
            return pick(self.rng, [("laid_off", 0.6), ("early_retired", 0.25), ("unemployed", 0.15)])
        if plan.path == "climber":
            options = [("unemployed", 0.3), ("laid_off", 0.25), ("employed", 0.3), ("early_retired", 0.15)]
        elif plan.path == "hard":
            options = [("sick_leave", 0.35), ("retired", 0.2), ("unemployed", 0.25), ("early_retired", 0.2)]
        else:
            options = [("employed", 0.3), ("laid_off", 0.2), ("unemployed", 0.2), ("sick_leave", 0.15),
                       ("retired", 0.15)]
        return pick(self.rng, options)

    def head_health(self, plan: FilePlan) -> str:
        if plan.path == "hard":
            return pick(self.rng, [("serious", 0.45), ("disabled", 0.3), ("unable", 0.15), ("chronic", 0.1)])
        if plan.path == "climber":
            return pick(self.rng, [("healthy", 0.7), ("chronic", 0.25), ("disabled", 0.05)])
        return pick(self.rng, [("healthy", 0.35), ("chronic", 0.35), ("serious", 0.15), ("disabled", 0.15)])

    def address(self, spec: DistrictSpec) -> str:
        rng = self.rng
        place = PLACE_BY_CODE[spec.code].name
        town = rng.choice([u.town for u in spec.unions if u.town] + list(spec.towns))
        if town.endswith(("镇", "乡")) and rng.random() < 0.7:
            return f"{place}{town}{rng.choice(VILLAGES)}村{rng.randint(1, 260)}号"
        return (f"{place}{town}{rng.choice(COMMUNITIES)}小区{rng.randint(1, 40)}号楼{rng.randint(1, 6)}单元"
                f"{rng.randint(1, 7)}{rng.randint(1, 4):02d}室")

    def union_member_since(self, plan: FilePlan, head: Person) -> dt.date:
        opened = plan.filed_on or plan.apply_on
        earliest = days_after(head.birth, 18 * 366)
        joined = days_after(opened, -self.rng.randint(400, 20 * 365))
        return max(joined, min(earliest, days_after(opened, -400)))

    # -- the family ----------------------------------------------------------------------------

    def family(self, plan: FilePlan, spec: DistrictSpec, head: Person, head_fields: dict) -> list[dict]:
        """Spouse, children born to the head at 22–38, sometimes a parent: 0–4 members in all."""
        rng = self.rng
        on = plan.filed_on or plan.apply_on
        head_age = age_on(head.birth, on)
        members: list[dict] = []
        spouse_surname = None
        if head_fields["marital"] == "married" and rng.random() < 0.97:
            sex = "2" if head.sex == "1" else "1"
            birth = days_after(head.birth, rng.randint(-6 * 365, 4 * 365))
            spouse = self.member(plan, spec, "spouse", sex, birth, on, None)
            members.append(spouse)
            spouse_surname = spouse["name"][0]
        if head_age >= 24 and head_fields["marital"] != "single":
            children = pick(rng, [(0, 0.15), (1, 0.6), (2, 0.25)])
            father_surname = head.name[0] if head.sex == "1" else spouse_surname or head.name[0]
            for _ in range(children):
                birth = days_after(head.birth, rng.randint(22 * 365, 38 * 365))
                if birth >= on:
                    continue
                members.append(self.member(plan, spec, "child", rng.choice("12"), birth, on, father_surname))
        if head_age < 55 and rng.random() < 0.12:
            birth = days_after(head.birth, -rng.randint(22 * 365, 35 * 365))
            relation = "parent" if rng.random() < 0.7 else "parent_in_law"
            members.append(self.member(plan, spec, relation, rng.choice("12"), birth, on,
                                       head.name[0] if relation == "parent" else None))
        members = members[:4]
        minors = any(m["relation"] == "child" and age_on(m["birth_date"], on) < 18 for m in members)
        head_fields["single_parent"] = head_fields["marital"] in ("divorced", "widowed") and minors
        working = head_fields["work_status"] in ("employed", "migrant")
        head_fields["zero_employment"] = not working and not any(m["identity"] == "employed" for m in members)
        return members

    def member(self, plan: FilePlan, spec: DistrictSpec, relation: str, sex: str, birth: dt.date, on: dt.date,
               surname: str | None) -> dict:
        rng = self.rng
        age = age_on(birth, on)
        if relation in ("parent", "parent_in_law"):
            health = pick(rng, [("chronic", 0.5), ("healthy", 0.2), ("serious", 0.15), ("unable", 0.15)])
            identity = pick(rng, [("retired", 0.4), ("unable", 0.35), ("farmer", 0.25 if not spec.urban else 0.05)])
        elif age < 6:
            health, identity = "healthy", "preschool"
        elif age < 18 or (age <= 22 and rng.random() < 0.7):
            health, identity = pick(rng, [("healthy", 0.95), ("chronic", 0.05)]), "student"
        else:
            if plan.path == "hard":
                health = pick(rng, [("healthy", 0.4), ("chronic", 0.3), ("serious", 0.15), ("unable", 0.15)])
            else:
                health = pick(rng, [("healthy", 0.75), ("chronic", 0.2), ("serious", 0.05)])
            if health in ("serious", "unable"):
                identity = "unable"
            elif plan.path == "hard":
                identity = pick(rng, [("unemployed", 0.5), ("unable", 0.2), ("other", 0.3)])
            else:
                identity = pick(rng, [("employed", 0.4), ("unemployed", 0.4),
                                      ("farmer", 0.1 if not spec.urban else 0.02), ("other", 0.1)])
        able = 16 <= age < 60 and health in ("healthy", "chronic") and identity not in ("student", "unable", "retired")
        if identity == "student" and age >= 18:
            school = rng.choice(SCHOOLS_COLLEGE)
        elif identity == "student":
            school = f"{PLACE_BY_CODE[spec.code].name}第{rng.randint(1, 12)}{'中学' if age >= 12 else '小学'}"
        elif identity == "employed":
            school = rng.choice(spec.employers).name
        else:
            school = None
        division = rng.choice(spec.id_divisions)
        name = self.full_name(sex, surname=surname)
        return dict(
            name=name, relation=relation, sex=sex, id_number=self.id_number(division, birth, sex), birth_date=birth,
            health=health, monthly_income_fen=0, identity=identity, able_to_work=able,
            medical_insurance=("employee" if identity in ("employed", "retired")
                               else pick(rng, [("resident", 0.9), ("none", 0.1)])),
            school_or_employer=school,
        )

    def set_member_incomes(self, members: list[dict], head_fields: dict, incomes: list[dict]) -> None:
        """Members' own incomes, as recorded at filing: shares of the first month's earned income."""
        if not incomes:
            return
        earned = incomes[0]["income_fen"] - incomes[0]["transfer_fen"]
        earners = [m for m in members if m["identity"] in ("employed", "retired", "farmer")]
        head_share = 1.0 if head_fields["work_status"] in ("employed", "migrant", "retired", "early_retired") else 0.0
        shares = [self.rng.uniform(0.6, 1.4) for _ in earners]
        total = sum(shares) + head_share or 1.0
        for member, share in zip(earners, shares, strict=True):
            member["monthly_income_fen"] = int(earned * share / total) // 100 * 100

    # -- causes, category, target group, safety net ---------------------------------------------

    def causes(self, plan: FilePlan, head: Person, head_fields: dict, members: list[dict]) -> tuple[str, list[str]]:
        """One main cause that fits the household, and up to three other fitting ones."""
        rng = self.rng
        work = head_fields["work_status"]
        students = any(m["identity"] == "student" for m in members)
        ill = head.health == "serious" or any(m["health"] == "serious" for m in members)
        if plan.path == "hard":
            main = {"serious": "6", "disabled": "1", "unable": "1"}.get(head.health) or rng.choice("16")
        elif rng.random() < 0.08:
            main = pick(rng, [("8", 0.75), ("7", 0.25)])  # an accident or a disaster (意外致困)
        elif work in ("unemployed", "laid_off"):
            main = "3" if work == "laid_off" or rng.random() < 0.6 else "2"
        elif work == "migrant":
            main = pick(rng, [("5", 0.4), ("4", 0.3), ("2", 0.3)])
        elif work == "early_retired":
            main = pick(rng, [("5", 0.5), ("3", 0.5)])
        elif ill:
            main = "6"
        elif students:
            main = "9"
        else:
            main = pick(rng, [("4", 0.35), ("5", 0.25), ("10", 0.4)])
        fitting = []
        if students:
            fitting.append("9")
        if ill or head.health == "chronic":
            fitting.append("6")
        if head_fields["medical_insurance"] == "none":
            fitting.append("4")
        if any(m["identity"] == "unemployed" for m in members):
            fitting.append(rng.choice("23"))
        if head.health in ("disabled", "unable") or any(m["identity"] == "unable" for m in members):
            fitting.append("1")
        if rng.random() < 0.1:
            fitting.append("10")
        secondary = []
        for cause in fitting:
            if cause != main and cause not in secondary and rng.random() < 0.75:
                secondary.append(cause)
        return main, secondary[: codes.MAX_SECONDARY_CAUSES]

    def profile(self, plan: FilePlan, head_fields: dict, main: str, causes: list[str], members: list[dict]) -> dict:
        """Safety net, target group, and `shape`: the category the incomes before the assessment are
        shaped for ("dibao": six months below the line; "dibao_edge": above it, but not after the
        spending on illness/schooling/disability; "accident": not after the accident or disaster)."""
        rng = self.rng
        spending = "6" in causes or "9" in causes or head_fields["health"] == "disabled"
        safety_net = since = None
        opened = plan.filed_on or plan.apply_on
        if plan.path == "hard":
            safety_net = "tekun" if not members and rng.random() < 0.6 else "dibao"
        elif rng.random() < 0.1:
            safety_net = "dibao"  # on 低保 though able to work (低保范围内未充分就业)
        if safety_net:
            # mostly on 低保/特困 already when the file opened; some got there with the union's help
            shift = -rng.randint(30, 900) if rng.random() < 0.7 else rng.randint(20, 150)
            since = min(days_after(opened, shift), TODAY)
        if main in ("7", "8"):
            shape = "accident"
        elif spending and not safety_net and rng.random() < 0.35:
            shape = "dibao_edge"  # above the line, kept poor by its spending (and so not on 低保)
        else:
            shape = "dibao"
        if head_fields["work_status"] == "migrant":
            key_group = "migrant_worker"
        elif safety_net and plan.path != "hard":
            key_group = "dibao_underemployed"
        elif head_fields["employer"] in RESTRUCTURED_NAMES:
            key_group = "supply_side_reform"
        elif shape == "accident" or main == "6":
            key_group = "spending_hardship"
        elif not safety_net and rng.random() < 0.5:
            key_group = "below_line_not_covered"
        else:
            key_group = None
        return {"shape": shape, "key_group": key_group, "safety_net": safety_net, "safety_net_since": since,
                "special": spending}

    def add_causes(self, plan: FilePlan, main: str, causes: list[str], story: Story) -> None:
        """Climbers' causes are marked removed about when their income rises (before any exit)."""
        removed_on = None
        if story.climb_month is not None and month_start(story.climb_month) <= TODAY:
            removed_on = days_after(month_start(story.climb_month), self.rng.randint(0, 40))
            if story.closed_on and story.closed_as == "exited":
                removed_on = min(removed_on, story.closed_on)
            removed_on = min(removed_on, TODAY)
        for cause in causes:
            recurred = story.reopened_on is not None and cause == causes[-1]  # the cause of the 返困
            self.rows.add(HouseholdCause, household_id=plan.id, cause=cause, is_main=cause == main,
                          removed_on=None if recurred else removed_on)

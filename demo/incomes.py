"""The 低保 lines and each file's monthly incomes, its category as assessed, and how it closes or reopens."""

from __future__ import annotations

import datetime as dt

from core.category import DIBAO_RUN_MONTHS, Assessment, Exclusion, MonthFigures, assess
from core.places import DISTRICTS
from db.models import DibaoLine

from demo.base import (
    BASELINE, DEMO_NOTE, EXIT_RUN_MONTHS, FIRST_INCOME_MONTH, LAST_INCOME_MONTH, LINES_FROM_YEAR, LINES_TO_YEAR, RULE_SET,
    TODAY, FilePlan, Person, Story, age_on, assessment_day, days_after, month_of, month_start, pick, weekday_on_or_before,
    yuan,
)
from demo.places import DISTRICT_SPECS, DistrictSpec


class IncomeParts:
    """Lines, incomes, the assessment, and the closing or reopening they lead to."""

    # -- 低保 lines ---------------------------------------------------------------------------

    def dibao_lines(self) -> None:
        """Invented lines, 2016–2021: raised each January, sometimes in two steps (January and July)."""
        for place in DISTRICTS:
            spec = DISTRICT_SPECS[place.code]
            amount = spec.line_2016_yuan
            changes = [(dt.date(LINES_FROM_YEAR, 1, 1), amount)]
            for year in range(LINES_FROM_YEAR + 1, LINES_TO_YEAR + 1):
                target = amount * (1 + self.rng.uniform(0.03, 0.07))
                if self.rng.random() < 0.4:
                    halfway = amount + (target - amount) / 2
                    changes.append((dt.date(year, 1, 1), round(halfway / 5) * 5))
                    changes.append((dt.date(year, 7, 1), round(target / 5) * 5))
                else:
                    changes.append((dt.date(year, 1, 1), round(target / 5) * 5))
                amount = changes[-1][1]
            by_month: dict[int, int] = {}
            for start, yuan_amount in changes:
                self.rows.add(DibaoLine, place_code=place.code, effective_from=start, amount_fen=yuan_amount * 100,
                              is_demo=True, note=DEMO_NOTE)
            for month in range(month_of(changes[0][0]), month_of(dt.date(LINES_TO_YEAR, 12, 1)) + 1):
                by_month[month] = max((s, a) for s, a in changes if s <= month_start(month))[1] * 100
            self.lines[place.code] = by_month

    # -- income over time and what follows from it -----------------------------------------------

    def withdrawal(self, plan: FilePlan, head: Person) -> tuple[dt.date, str] | None:
        """~2% of files leave the programme (退出): death, misidentification, moving away, other."""
        if plan.applying or plan.path == "climber" or self.rng.random() >= 0.05:
            return None
        # after the assessment month, so that the months the category rests on are all recorded
        earliest = max(days_after(plan.filed_on, 120), days_after(assessment_day(plan.filed_on), 1))
        latest = dt.date(2020, 11, 30)
        if earliest >= latest:
            return None
        day = weekday_on_or_before(days_after(earliest, self.rng.randint(0, (latest - earliest).days)))
        old_or_ill = age_on(head.birth, day) >= 50 or head.health in ("serious", "unable")
        reason = pick(self.rng, [("death", 0.35 if old_or_ill else 0.05), ("transferred", 0.3),
                                 ("misidentified", 0.2), ("other", 0.15)])
        return day, reason

    def story(self, plan: FilePlan, spec: DistrictSpec, persons: int, start: int, assessed_on: dt.date | None,
              causes: list[str], profile: dict, withdraw: tuple[dt.date, str] | None) -> Story:
        """The monthly incomes from `start`, and how the file closes.

        Up to the assessment month every month is recorded (no gaps there) and below the line, except
        for 低保边缘户/意外致困户 (`profile["shape"]`): their last one to three months up to the assessment
        are above the line, per-capita ≤ 1.5 × line (边缘) or between 1.5 and 3 × line (意外), with
        spending that takes what is left per person down to the line. Afterwards the path decides."""
        rng = self.rng
        story = Story(incomes=[])
        end = LAST_INCOME_MONTH if withdraw is None else month_of(withdraw[0])
        lines = self.lines[spec.code]
        assess_month = month_of(assessed_on) if assessed_on else None
        opened = assess_month if assess_month is not None else start
        if plan.path == "climber":
            story.climb_month = self.climb_month(plan, opened)
        elif plan.path == "hard":
            story.reach_month = self.reach_month(plan, opened)
        below = rng.uniform(0.5, 0.9) if plan.path != "hard" else rng.uniform(0.72, 0.93)
        above = rng.uniform(1.08, 1.35)
        transfer_share = self.transfer_share(plan, profile)
        special_base = yuan(rng, 150, 1200, 10) if profile["special"] else 0
        shape = profile["shape"]
        band_from = assess_month - rng.randint(0, 2) if assess_month is not None and shape != "dibao" else None
        if shape == "accident":
            accident_from = band_from if band_from is not None else start
            accident_to = opened + rng.randint(0, 5)
        else:
            accident_from, accident_to = 1, 0
        for month in range(start, end + 1):
            line = lines[month]
            in_band = band_from is not None and band_from <= month <= assess_month
            if story.climb_month is not None and month >= story.climb_month:
                months_up = month - story.climb_month
                per_capita = int(line * min(1.8, above * (1 + 0.006 * months_up)) * rng.uniform(0.95, 1.05))
                per_capita = max(per_capita, line + rng.randint(100, 2000))  # strictly above, for good
                transfers = 0 if rng.random() < 0.7 else rng.randint(0, 5000)
            elif story.reach_month is not None and month >= story.reach_month:
                per_capita = max(line, int(line * rng.uniform(1.0, 1.08)))  # reaches the line with transfers
                transfers = int(per_capita * persons * transfer_share * rng.uniform(0.95, 1.05))
            else:
                if in_band and shape == "dibao_edge":  # above the line, at most 1.5 × line
                    per_capita = min(max(int(line * rng.uniform(1.03, 1.45)), line + 1), line * 3 // 2)
                elif in_band:  # 意外: above 1.5 × line (so not 边缘), at most 3 × line
                    per_capita = min(max(int(line * rng.uniform(1.6, 2.6)), line * 3 // 2 + 1), line * 3)
                else:
                    per_capita = int(line * below * rng.uniform(0.94, 1.06))
                    if per_capita >= line:
                        per_capita = line - rng.randint(100, 3000)
                transfers = int(per_capita * persons * transfer_share * rng.uniform(0.9, 1.1))
            unrecorded = rng.random() < 0.01
            if unrecorded and (assess_month is None or month > assess_month):
                continue  # a month nobody recorded: it breaks a run (never before the assessment)
            income = per_capita * persons + rng.randrange(persons)  # so that income // persons == per_capita
            special = int(special_base * rng.uniform(0.8, 1.2)) // 100 * 100
            accident = yuan(rng, 2000, 15000, 100) if accident_from <= month <= accident_to else 0
            if in_band:
                # what is left per person after the spending is at most the line (whole yuan, rounded up)
                excess = income - line * persons + yuan(rng, 0, 300)
                if shape == "dibao_edge":
                    special = max(special, -(-excess // 100) * 100)
                else:
                    accident = max(accident, -(-excess // 10000) * 10000)
            story.incomes.append(dict(
                month=month_start(month), income_fen=income, persons=persons,
                transfer_fen=min(income, max(0, transfers)),
                special_spending_fen=special, accident_spending_fen=accident,
            ))
        if withdraw:
            story.closed_on, story.withdraw_reason, story.closed_as = withdraw[0], withdraw[1], "withdrawn"
        elif plan.path == "climber" and not plan.applying:
            self.exit_when_run_completes(plan, spec, story)
        elif plan.path == "hard" and not plan.applying and rng.random() < 0.68:
            self.relieve_when_line_reached(plan, spec, story)
        return story

    def climb_month(self, plan: FilePlan, start: int) -> int:
        """When a climber's income first goes above the line: mostly early 2018 for the cohort."""
        rng = self.rng
        if plan.filed_on and plan.filed_on <= BASELINE:
            first = month_of(dt.date(2018, 1, 1))
            offset = pick(rng, [(rng.randint(0, 3), 0.75), (rng.randint(4, 17), 0.2), (rng.randint(18, 32), 0.05)])
            return first + offset
        return start + rng.randint(6, 30)  # may lie beyond 2020: still below at the end

    def reach_month(self, plan: FilePlan, start: int) -> int:
        rng = self.rng
        if plan.filed_on and plan.filed_on <= BASELINE:
            first = month_of(dt.date(2018, 1, 1))
            offset = pick(rng, [(rng.randint(0, 8), 0.55), (rng.randint(9, 20), 0.35), (rng.randint(21, 32), 0.1)])
            return first + offset
        return start + rng.randint(4, 24)

    def transfer_share(self, plan: FilePlan, profile: dict) -> float:
        """The part of income that is transfers (低保金, 补贴): large under the safety net."""
        if plan.path == "hard":
            return self.rng.uniform(0.45, 0.85)
        if profile["safety_net"]:
            return self.rng.uniform(0.15, 0.4)
        return self.rng.uniform(0.02, 0.12) if self.rng.random() < 0.3 else 0.0

    def exit_when_run_completes(self, plan: FilePlan, spec: DistrictSpec, story: Story) -> None:
        """脱困: confirmed shortly after the 6th consecutive recorded month strictly above the line."""
        run_end = first_run_end(story.incomes, self.lines[spec.code], EXIT_RUN_MONTHS)
        if run_end is None or run_end >= LAST_INCOME_MONTH or self.rng.random() < 0.05:
            return  # no full run yet, or a proposal nobody has confirmed yet: still 在档
        lag = pick(self.rng, [(0, 0.6), (1, 0.3), (2, 0.1)])
        exit_on = days_after(month_start(run_end + 1 + lag), self.rng.randint(4, 27))
        if exit_on <= TODAY:
            story.closed_on, story.closed_as = weekday_on_or_before(exit_on), "exited"

    def relieve_when_line_reached(self, plan: FilePlan, spec: DistrictSpec, story: Story) -> None:
        """解困: after the first recorded month at the line (with transfers), as the rule reads it."""
        lines = self.lines[spec.code]
        reached = [month_of(r["month"]) for r in story.incomes
                   if story.reach_month is not None and month_of(r["month"]) >= story.reach_month
                   and r["income_fen"] // r["persons"] >= lines[month_of(r["month"])]]
        if not reached:
            return
        lag = pick(self.rng, [(0, 0.5), (1, 0.3), (2, 0.15), (4, 0.05)])
        relief_on = weekday_on_or_before(days_after(month_start(reached[0] + 1 + lag), self.rng.randint(4, 27)))
        if relief_on <= TODAY:
            story.closed_on, story.closed_as = relief_on, "relieved"

    def assessment(self, spec: DistrictSpec, story: Story, work_status: str, exclusions: list[Exclusion],
                   labour_since: dt.date | None, union_since: dt.date | None, on: dt.date) -> Assessment:
        """The file's 困难类别 as the app assesses it on `on` (db.households.assess_household): the rule set
        over the months recorded up to that day, each with its district's line of that month.

        An active file must meet a category: should the shaped incomes not give one, the months the
        assessment rests on are made six months below the line (a 低保户), never a category stored
        that the rule does not give."""
        options = dict(exclusions=exclusions, migrant=work_status == "migrant", labour_relation_since=labour_since,
                       union_member=union_since is not None, on=on)
        result = assess(RULE_SET, self.month_figures(spec, story, on), **options)
        if not result.may_file:
            self.shape_as_dibao(spec, story, on)
            result = assess(RULE_SET, self.month_figures(spec, story, on), **options)
        if not result.may_file:
            raise RuntimeError(f"示例数据生成错误：档案不符合困难类别（{spec.code}，{on}）：{result.explanation()}")
        return result

    def month_figures(self, spec: DistrictSpec, story: Story, on: dt.date) -> list[MonthFigures]:
        """The recorded months up to `on` (as IncomeMonth.month <= on), each with the line of that month."""
        lines = self.lines[spec.code]
        return [MonthFigures(row["month"], row["income_fen"], row["persons"], lines[month_of(row["month"])],
                             row["special_spending_fen"], row["accident_spending_fen"])
                for row in story.incomes if row["month"] <= on]

    def shape_as_dibao(self, spec: DistrictSpec, story: Story, on: dt.date) -> None:
        """Make the (up to) six months ending with the assessment month recorded and below the line."""
        rng = self.rng
        lines = self.lines[spec.code]
        last = month_of(on)
        window = range(max(FIRST_INCOME_MONTH, last - (DIBAO_RUN_MONTHS - 1)), last + 1)
        persons = story.incomes[0]["persons"]
        recorded = {month_of(row["month"]): row for row in story.incomes}
        for month in window:
            row = recorded.get(month)
            if row is None:
                row = dict(month=month_start(month), income_fen=0, persons=persons, transfer_fen=0,
                           special_spending_fen=0, accident_spending_fen=0)
                story.incomes.append(row)
            per_capita = int(lines[month] * rng.uniform(0.6, 0.9))
            row["income_fen"] = per_capita * row["persons"] + rng.randrange(row["persons"])
            row["transfer_fen"] = min(row["transfer_fen"], row["income_fen"])
        story.incomes.sort(key=lambda row: row["month"])

    def reopen_if_fallen_back(self, plan: FilePlan, spec: DistrictSpec, story: Story, persons: int,
                              causes: list[str], secondary: list[str]) -> None:
        """返困 for a few exited files: income falls below the line again (illness or accident)."""
        rng = self.rng
        if story.closed_as != "exited" or story.closed_on > dt.date(2020, 8, 31) or len(secondary) >= 3:
            return
        if rng.random() >= 0.025:
            return
        new_cause = next((c for c in ("6", "8", "10") if c not in causes), None)
        if new_cause is None:
            return
        fall_month = month_of(story.closed_on) + rng.randint(2, 4)
        reopened_on = weekday_on_or_before(days_after(month_start(fall_month + 1), rng.randint(3, 25)))
        if fall_month > LAST_INCOME_MONTH - 1 or reopened_on > TODAY:
            return
        lines = self.lines[spec.code]
        below = rng.uniform(0.55, 0.85)
        for row in story.incomes:
            month = month_of(row["month"])
            if month >= fall_month:
                per_capita = min(int(lines[month] * below * rng.uniform(0.95, 1.05)), lines[month] - 100)
                row["income_fen"] = per_capita * persons + rng.randrange(persons)
                row["transfer_fen"] = min(row["transfer_fen"], row["income_fen"])
                if new_cause == "8" and month - fall_month < 3:
                    row["accident_spending_fen"] = yuan(rng, 3000, 20000, 100)
                elif new_cause == "6":
                    row["special_spending_fen"] = yuan(rng, 800, 3000, 10)
        story.reopened_on = reopened_on
        secondary.append(new_cause)
        causes.append(new_cause)


def first_run_end(incomes: list[dict], lines: dict[int, int], run_months: int) -> int | None:
    """The month that completes the first run of `run_months` consecutive recorded months with
    per-capita income strictly above the line; a month with no record breaks the run."""
    run, previous = 0, None
    for row in incomes:
        month = month_of(row["month"])
        above = row["income_fen"] // row["persons"] > lines[month]
        if not above:
            run = 0
        else:
            run = run + 1 if previous == month - 1 else 1
        previous = month
        if run >= run_months:
            return month
    return None

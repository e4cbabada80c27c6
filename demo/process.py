"""The filing process (申请 → 入户调查 → 公示 → 审核 → 在档), the exclusion checks, the status history and the
纳入政府救助体系 records."""

from __future__ import annotations

import datetime as dt
import random

from core import codes
from core.category import Exclusion
from core.workdays import latest_publicity_start, working_day_on_or_before
from db.models import AssistanceRecord, ExclusionCheck, ProcessStep, StatusChange

from demo.base import (
    DEMO_PUBLICITY_DAYS, EXIT_RUN_MONTHS, OFFICIAL_CALENDAR, RECORDED_BY, TODAY, FilePlan, Story, days_after,
    weekday_on_or_before,
)
from demo.places import DistrictSpec


class ProcessParts:
    """The steps, the exclusion checks, the status history and the assistance records."""

    # -- the process and the status history ---------------------------------------------------

    def process_steps(self, plan: FilePlan, spec: DistrictSpec) -> dt.date | None:
        """申请 → 入户调查 → 公示 → 审核 → 在档 in the weeks before filing; returns the survey day."""
        rng = self.rng
        staff = self.staff[spec.code]
        if plan.filed_on:
            filed = plan.filed_on
            # official working days (法定节假日, 调休): the 公示 of 5 working days is over by the 审核
            review = working_day_on_or_before(days_after(filed, -rng.randint(0, 3)), OFFICIAL_CALENDAR)
            latest = latest_publicity_start(review, DEMO_PUBLICITY_DAYS, OFFICIAL_CALENDAR)
            publicity = working_day_on_or_before(days_after(latest, -rng.randint(0, 2)), OFFICIAL_CALENDAR)
            survey = weekday_on_or_before(days_after(publicity, -rng.randint(2, 8)))
            apply = weekday_on_or_before(days_after(survey, -rng.randint(3, 12)))
            plan.apply_on = apply
            steps = [("apply", apply, "本人提出书面申请"), ("survey", survey, "入户核查家庭收入、财产和住房情况"),
                     ("publicity", publicity, "在单位和社区公示5个工作日，无异议"), ("review", review, "区县工会审核通过"),
                     ("filed", filed, "建档立卡")]
        else:
            survey = weekday_on_or_before(days_after(plan.apply_on, rng.randint(5, 15)))
            steps = [("apply", plan.apply_on, "本人提出书面申请")]
            if survey <= TODAY:
                steps.append(("survey", survey, "入户核查家庭收入、财产和住房情况"))
            else:
                survey = None
        for step, day, note in steps:
            self.rows.add(ProcessStep, household_id=plan.id, step=step, done_on=day, done_by=rng.choice(staff), note=note)
        return survey

    def exclusion_checks(self, plan: FilePlan, survey_on: dt.date) -> list[Exclusion]:
        """The four exclusions, checked at the 入户调查 and found not to apply; returns them for the assessment."""
        sources = {"two_homes": "不动产登记查询", "business": "市场监管部门登记查询", "private_school": "入户调查",
                   "vehicle": "车辆登记查询及入户调查"}
        facts = []
        for exclusion in codes.EXCLUSION:
            self.rows.add(ExclusionCheck, household_id=plan.id, exclusion=exclusion, applies=False,
                          source=sources[exclusion], checked_on=survey_on)
            facts.append(Exclusion(exclusion, False, sources[exclusion]))
        return facts

    def status_history(self, plan: FilePlan, story: Story) -> None:
        """The changes the services write: opened as 申请中 on the 申请 day (create_household), 在档 on filing,
        then any close and 返困."""
        # the opening's time is fixed rather than drawn, so that the draws after it are those of every other row
        self.rows.add(StatusChange, household_id=plan.id, from_status=None, to_status="applying",
                      effective_on=plan.apply_on, reason=None, note=None, recorded_by=RECORDED_BY,
                      recorded_at=dt.datetime.combine(plan.apply_on, dt.time(9, 0)))
        if not plan.filed_on:
            return
        self.status_change(plan, "applying", "active", plan.filed_on, None, None)
        if not story.closed_on:
            return
        notes = {
            "exited": f"连续{EXIT_RUN_MONTHS}个月家庭人均收入超过当地低保标准，致困原因已消除，核实后脱困",
            "relieved": "难以脱困户，已纳入低保/特困兜底并常态化帮扶，人均收入（含转移性收入）达到低保标准，认定解困",
        }
        withdraw_notes = {
            "death": "户主病故，按规定撤档", "transferred": "户主调离本市，转出管理",
            "misidentified": "复核发现家庭经常使用机动车辆，不符合建档条件", "other": "本人申请退出帮扶",
        }
        note = withdraw_notes[story.withdraw_reason] if story.closed_as == "withdrawn" else notes[story.closed_as]
        self.status_change(plan, "active", story.closed_as, story.closed_on, story.withdraw_reason, note)
        if story.reopened_on:
            self.status_change(plan, story.closed_as, "active", story.reopened_on, "reopened",
                               "脱困后因病/意外致家庭人均收入再次低于低保标准，返困重新纳入在档管理")

    def status_change(self, plan: FilePlan, from_status: str, to_status: str, on: dt.date,
                      reason: str | None, note: str | None) -> None:
        self.rows.add(StatusChange, household_id=plan.id, from_status=from_status, to_status=to_status,
                      effective_on=on, reason=reason, note=note, recorded_by=RECORDED_BY,
                      recorded_at=dt.datetime.combine(on, dt.time(10, self.rng.randrange(60))))

    def assistance_records(self, plan: FilePlan, profile: dict, causes: list[str], members: list[dict], story: Story) -> None:
        """纳入政府救助体系: the 低保/特困 record of the profile (ended at 脱困 for those who left it), and some others the
        causes point to — 医疗救助 for illness, 临时救助 after a disaster or accident, 教育救助 for pupils. Drawn from a
        generator of the file's own, so the rest of the demo (incomes, exits) is the same as without them."""
        rng = random.Random(plan.id * 7919 + 17)
        opened = plan.filed_on or plan.apply_on

        def add(programme: str, start: dt.date, end: dt.date | None, source: str) -> None:
            if start > TODAY:
                return
            end = end if end is not None and end <= TODAY and end >= start else None
            self.rows.add(AssistanceRecord, household_id=plan.id, programme=programme, from_on=start, to_on=end, source=source,
                          note=None, version=1)

        if profile["safety_net"]:
            left = (days_after(story.closed_on, -1) if story.closed_as == "exited" and plan.path != "hard"
                    and story.closed_on and story.closed_on > profile["safety_net_since"] else None)
            add(profile["safety_net"], profile["safety_net_since"], left, "roster" if rng.random() < 0.6 else "survey")
        if "6" in causes and rng.random() < 0.4:
            start = days_after(opened, rng.randint(15, 400))
            add("medical", start, days_after(start, rng.randint(60, 365)) if rng.random() < 0.6 else None, "survey")
        if ("7" in causes or "8" in causes) and rng.random() < 0.7:
            start = days_after(opened, rng.randint(0, 60))
            add("temporary", start, days_after(start, rng.randint(0, 90)), "manual")
        if "9" in causes and any(m["identity"] == "student" for m in members) and rng.random() < 0.3:
            add("education", days_after(opened, rng.randint(0, 240)), None, "survey")

"""一帮一 pairings and the visits of the helpers."""

from __future__ import annotations

import datetime as dt
import random

from db.models import Pairing, Visit

from demo.base import TODAY, FilePlan, Helper, Story, days_after, pick
from demo.places import DistrictSpec


class VisitParts:
    """Pairings and visits."""

    # -- 一帮一, measures, money, visits --------------------------------------------------------

    def pairings(self, plan: FilePlan, spec: DistrictSpec, story: Story) -> list[tuple[dt.date, Helper]]:
        """One current pairing per file but a withdrawn one; about one in seven changed helper once (history kept)."""
        rng = self.rng
        pool = self.helpers[spec.code]
        first = pick(rng, pool)
        periods = [(plan.filed_on, first)]
        latest_change = dt.date(2020, 6, 30)
        if rng.random() < 0.15 and days_after(plan.filed_on, 180) < latest_change:
            changed = days_after(plan.filed_on, rng.randint(180, (latest_change - plan.filed_on).days))
            periods.append((changed, pick(rng, [(h, w) for h, w in pool if h != first])))
        # a withdrawn file leaves the caseload (close_household ends its pairing that day); it is paired no more
        withdrawn_on = story.closed_on if story.closed_as == "withdrawn" and not story.reopened_on else None
        if withdrawn_on:
            periods = [(start, helper) for start, helper in periods if start < withdrawn_on]
        for index, (start, helper) in enumerate(periods):
            end = days_after(periods[index + 1][0], -1) if index + 1 < len(periods) else withdrawn_on
            self.rows.add(Pairing, household_id=plan.id, helper_name=helper.name, helper_unit=helper.unit,
                          helper_phone=helper.phone, start_on=start, end_on=end)
        return periods

    def visits(self, plan: FilePlan, story: Story, helpers: list[tuple[dt.date, Helper]],
               warmth_days: list[dt.date]) -> None:
        """A visit every 4–8 months while helped, a 回访 after 脱困, the 送温暖 visits; some files overdue."""
        rng = self.rng
        stop = TODAY
        if story.open_on(plan.filed_on, TODAY) and rng.random() < 0.08:
            stop = days_after(dt.date(2019, 11, 1), rng.randint(0, 210))  # nobody has been since: overdue
        visits = []
        day = days_after(plan.filed_on, rng.randint(10, 60))
        while day <= stop:
            if story.helped_on(plan.filed_on, day):
                kind = pick(rng, [("home", 0.7), ("phone", 0.2), ("other", 0.1)])
                notes, needs = visit_text(rng, kind)
                visits.append((day, kind, notes, needs))
            day = days_after(day, rng.randint(120, 240))
        if story.closed_as == "exited":  # 回访 in the months after 脱困
            follow = days_after(story.closed_on, rng.randint(60, 170))
            if follow <= TODAY:
                visits.append((follow, "phone", "脱困后回访：家庭收入稳定，暂无返困风险", None))
        for day, amount in ((d, None) for d in warmth_days if d <= stop):
            visits.append((day, "warmth", "春节送温暖：入户慰问，送去慰问金和米面油", amount))
        for day, kind, notes, needs in sorted(visits, key=lambda v: (v[0], v[1])):
            self.rows.add(Visit, household_id=plan.id, visited_on=day, visitor=helper_on(helpers, day).name, kind=kind,
                          notes=notes, needs=needs)


VISIT_NOTES = {
    "home": ("入户了解家庭收入和就业情况，生活基本稳定", "户主病情稳定，按时复查", "子女学习情况良好，学费已落实",
             "家中冬季取暖有困难，已联系社区协调", "配偶已在附近超市打零工", "住房老旧、屋顶漏雨，已反映至社区",
             "核实低保金按月足额到账", "宣传职工大病医疗互助和工会爱心卡政策"),
    "phone": ("电话回访，了解近期收入变化", "电话询问户主病情和就医情况", "电话通知参加工会组织的招聘会"),
    "other": ("在社区服务站约谈，核对家庭收入材料", "陪同到医保中心办理报销"),
}
VISIT_NEEDS = ("希望帮助配偶找到稳定工作", "需要慢性病门诊报销指导", "希望申请金秋助学", "冬季取暖费有困难",
               "希望参加技能培训", "希望协调廉租住房")


def visit_text(rng: random.Random, kind: str) -> tuple[str, str | None]:
    return rng.choice(VISIT_NOTES[kind]), rng.choice(VISIT_NEEDS) if rng.random() < 0.35 else None


def helper_on(periods: list[tuple[dt.date, Helper]], day: dt.date) -> Helper:
    """The helper paired with the file on that day (the first one before the pairing began)."""
    current = periods[0][1]
    for start, helper in periods:
        if start <= day:
            current = helper
    return current

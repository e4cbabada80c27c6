"""一户一计划: the measures that fit a file's causes, and the money paid under them on their schedules."""

from __future__ import annotations

import datetime as dt

from core.plan import payment_dates
from db.models import AidPayment, Measure

from demo.base import TODAY, FilePlan, Helper, Story, age_on, days_after, month_of, month_start, pick, weekday_on_or_before, yuan
from demo.places import DistrictSpec
from demo.visits import helper_on


PROGRAMME_AMOUNTS_YUAN = {
    "golden_autumn": (2000, 3000, 5000),
    "love_card": (100, 150, 200, 300),
    "dialysis": (5000, 8000, 10000),
}


class MeasureParts:
    """Measures and payments, and the 送温暖 days."""

    def measures_and_payments(self, plan: FilePlan, spec: DistrictSpec, story: Story, causes: list[str],
                              members: list[dict], profile: dict,
                              helpers: list[tuple[dt.date, Helper]]) -> list[dt.date]:
        """一户一计划: 1–3 measures that fit the causes, and the money paid; returns the 送温暖 days."""
        rng = self.rng
        drafts = [self.measure_for(causes[0], plan, spec, story, members, profile, ongoing=plan.path == "hard")]
        for cause in causes[1:]:
            draft = self.measure_for(cause, plan, spec, story, members, profile, ongoing=False)
            if draft["track"] not in {d["track"] for d in drafts} and rng.random() < 0.5:
                drafts.append(draft)
                break
        if story.open_on(plan.filed_on, TODAY) and len(drafts) < 3 and rng.random() < 0.08:
            drafts.append(self.planned_measure(causes[0]))
        for draft in drafts:
            self.add_measure(plan, story, draft, members, helpers)

        warmth_days = self.warmth_days(plan, story)
        if warmth_days:
            warmth_id = None
            if len(drafts) < 3 and rng.random() < 0.5:
                warmth_id = self.rows.new_id(Measure)
            paid = []
            for day in warmth_days:
                amount = rng.choice((500, 800, 1000, 1000, 1500, 2000)) * 100
                fund = "union" if rng.random() < 0.85 else "donation"
                paid.append((amount, fund))
                self.rows.add(AidPayment, household_id=plan.id, measure_id=warmth_id, track="warmth", programme=None,
                              amount_fen=amount, fund_source=fund, paid_on=day, note=f"{day.year}年春节送温暖慰问金")
            if warmth_id:
                closed_for_good = story.closed_as in ("exited", "withdrawn") and not story.reopened_on
                ended = story.closed_on if closed_for_good else None
                self.rows.add(Measure, id=warmth_id, household_id=plan.id, track="warmth", programme=None, cause=None,
                              content="春节送温暖：每年春节前入户慰问并发放慰问金",
                              status="done" if ended else "in_progress", start_on=warmth_days[0], end_on=ended,
                              responsible=helper_on(helpers, warmth_days[0]).name,  # 慰问金 differ each year: paid one by one
                              amount_fen=None, fund_source=None, pay_every=None, first_pay_on=None, pay_count=None)
        return warmth_days

    def measure_for(self, cause: str, plan: FilePlan, spec: DistrictSpec, story: Story, members: list[dict],
                    profile: dict, *, ongoing: bool) -> dict:
        """A measure on the track the cause suggests (2/3 就业, 4/5 社保, 6 医疗, others 兜底)."""
        rng = self.rng
        draft = dict(cause=cause, programme=None, pay=None, amount=None, fund=None, ongoing=ongoing, done_by_climb=False)
        if cause in ("2", "3"):
            job = rng.choice(spec.employers).name
            content, pay = rng.choice([
                (f"推荐到{job}就业", None), ("参加工会组织的家政服务技能培训并推荐上岗", None),
                ("参加电工、焊工技能培训，取得职业资格证书后推荐就业", None), ("推荐公益性岗位（社区保洁、治安巡逻）", None),
                ("创业扶持：协助办理创业担保贷款，发放一次性创业补贴", "once"),
            ])
            draft.update(track="employment", content=content, pay=pay, done_by_climb=True)
            if pay:
                draft.update(amount=yuan(rng, 3000, 10000, 500), fund="fiscal")
        elif cause in ("4", "5"):
            content = rng.choice(("协调原单位补缴养老保险欠费", "帮助办理城乡居民基本医疗保险参保",
                                  "协助申领失业保险金", "协调落实工伤保险待遇"))
            draft.update(track="insurance", content=content)
        elif cause == "6":
            options = [("serious_illness_mutual", 0.4), ("love_card", 0.3), (None, 0.2)]
            if ongoing:
                options = [("love_card", 0.7), ("dialysis", 0.3)]
            programme = pick(rng, options)
            content, pay = {
                "serious_illness_mutual": ("申请职工大病医疗互助金", "once"),
                "love_card": ("办理工会爱心卡，按月发放医疗救助金", "monthly"),
                "dialysis": ("尿毒症肾透析专项救助，每年发放救助金", "yearly"),
                None: (rng.choice(("协调大病保险二次报销", "联系定点医院减免部分治疗费用")), None),
            }[programme]
            draft.update(track="medical", programme=programme, content=content, pay=pay,
                         ongoing=ongoing or pay in ("monthly", "yearly"))
            if programme == "serious_illness_mutual":
                draft.update(amount=yuan(rng, 3000, 30000, 100), fund="union")
            elif programme in PROGRAMME_AMOUNTS_YUAN:
                draft.update(amount=rng.choice(PROGRAMME_AMOUNTS_YUAN[programme]) * 100, fund="union")
        elif cause == "9" and college_years(plan, members):
            draft.update(track="safety_net", programme="golden_autumn", content="金秋助学：资助子女上大学",
                         pay="september", amount=rng.choice(PROGRAMME_AMOUNTS_YUAN["golden_autumn"]) * 100,
                         fund="union" if rng.random() < 0.7 else "donation", ongoing=True)
        elif cause in ("7", "8", "10"):
            draft.update(track="safety_net", content="临时救助：发放一次性救助金", pay="once",
                         amount=yuan(rng, 1000, 5000, 100), fund="fiscal")
        else:  # 1 无劳动能力, or 9 without a student in the family
            if cause == "9":
                content = "教育救助：协调学校减免学杂费"
            elif profile["safety_net"] == "tekun":
                content = "协助落实特困供养，纳入常态化帮扶"
            else:
                content = "协助申请并落实城市低保，纳入常态化帮扶"
            draft.update(track="safety_net", content=content)
        return draft

    def planned_measure(self, cause: str) -> dict:
        track = "employment" if cause in ("2", "3") else "medical" if cause == "6" else "safety_net"
        content = {"employment": "计划2021年春季组织参加职业技能培训", "medical": "计划协调2021年大病保险二次报销",
                   "safety_net": "计划协助申请2021年临时救助"}[track]
        return dict(cause=cause, track=track, programme=None, content=content, pay=None, amount=None, fund=None,
                    ongoing=False, done_by_climb=False, planned=True)

    def add_measure(self, plan: FilePlan, story: Story, draft: dict, members: list[dict],
                    helpers: list[tuple[dt.date, Helper]]) -> None:
        rng = self.rng
        closed = story.closed_on if story.closed_as in ("exited", "withdrawn") else None
        if draft.get("planned"):
            start = days_after(dt.date(2021, 1, 4), rng.randint(0, 80))
            end = None
        else:
            latest = min(closed or TODAY, TODAY)
            start = min(days_after(plan.filed_on, rng.randint(10, 120)), latest)
            climb = month_start(story.climb_month) if story.climb_month is not None else None
            if draft["done_by_climb"] and climb and climb <= TODAY:
                # the job that lifted the income: found in the months before it rose
                start = min(max(start, days_after(climb, -rng.randint(60, 240))), days_after(climb, -21))
            start = max(start, plan.filed_on)
            if draft["ongoing"]:
                end = closed
            elif draft["done_by_climb"] and climb and climb <= TODAY and days_after(climb, -20) > start:
                end = days_after(climb, -rng.randint(0, 20))
            else:
                end = days_after(start, rng.randint(30, 240))
                if closed and end > closed:
                    end = closed
        measure_id = self.rows.new_id(Measure)
        payments = self.payment_days(draft, plan, story, start, end, members)
        for day in payments:
            self.rows.add(AidPayment, household_id=plan.id, measure_id=measure_id, track=draft["track"],
                          programme=draft["programme"], amount_fen=draft["amount"], fund_source=draft["fund"],
                          paid_on=day, note=payment_note(draft, day))
        if draft["pay"] == "once" and payments:
            end = max(end or payments[0], payments[0])
        if draft["pay"] == "september" and payments and (closed or payments[-1].year < 2020):
            end = closed or payments[-1]  # the child finished college
        if end is not None and end > TODAY:
            end = None
        status = "planned" if start > TODAY else ("done" if end else "in_progress")
        # money measures carry the amount of each payment and the schedule the payments follow
        money = draft["amount"] if draft["amount"] and (payments or status == "planned") else None
        every = {"september": "yearly"}.get(draft["pay"], draft["pay"]) if money else None
        self.rows.add(Measure, id=measure_id, household_id=plan.id, track=draft["track"], programme=draft["programme"],
                      cause=draft["cause"], content=draft["content"], status=status, start_on=start, end_on=end,
                      responsible=helper_on(helpers, min(start, TODAY)).name, amount_fen=money,
                      fund_source=draft["fund"] if money else None, pay_every=every,
                      first_pay_on=(payments[0] if payments else start) if money else None,
                      pay_count=(len(payments) or 1) if money else None)

    def payment_days(self, draft: dict, plan: FilePlan, story: Story, start: dt.date, end: dt.date | None,
                     members: list[dict]) -> list[dt.date]:
        """When money is paid under a measure: once, monthly (爱心卡), yearly (透析), each September (金秋)."""
        rng = self.rng
        last = min(end or TODAY, TODAY)
        days: list[dt.date] = []
        if draft["pay"] == "once":
            days = [max(start, min(last, weekday_on_or_before(days_after(start, rng.randint(10, 40)))))]
        elif draft["pay"] == "monthly":
            months = range(month_of(start) + 1, month_of(last) + 1)
            days = [weekday_on_or_before(days_after(month_start(m), 9)) for m in months]
        elif draft["pay"] == "yearly":
            days = [weekday_on_or_before(dt.date(y, 12, 10)) for y in range(start.year, last.year + 1)]
        elif draft["pay"] == "september":
            students = [m["birth_date"] for m in members if m["identity"] == "student"]
            for year in range(start.year, last.year + 1):
                day = weekday_on_or_before(dt.date(year, 9, 10))
                if any(18 <= age_on(birth, day) <= 22 for birth in students):
                    days.append(day)
        days = [d for d in days if start <= d <= last and story.helped_on(plan.filed_on, d)]
        if draft["pay"] in ("monthly", "yearly", "september") and days:
            # as the app writes a schedule: the first day's date every month (or year), stopping at the first gap
            regular = payment_dates(days[0], "monthly" if draft["pay"] == "monthly" else "yearly", len(days))
            kept = []
            for day in regular:
                if not (start <= day <= last and story.helped_on(plan.filed_on, day)):
                    break
                kept.append(day)
            days = kept
        return days

    def warmth_days(self, plan: FilePlan, story: Story) -> list[dt.date]:
        """送温暖 before each Spring Festival, to most open files (all the more the hard cases)."""
        share = 0.6 if plan.path == "climber" else 0.9
        days = []
        for year in range(2015, 2021):
            day = weekday_on_or_before(dt.date(year, 1, self.rng.randint(8, 28)))
            if day > plan.filed_on and story.helped_on(plan.filed_on, day) and self.rng.random() < share:
                days.append(day)
        return days


def college_years(plan: FilePlan, members: list[dict]) -> bool:
    """Will a child of the family be at college (18–22) in some September while the file is open?"""
    births = [m["birth_date"] for m in members if m["relation"] == "child"]
    return any(18 <= year - birth.year <= 22 for birth in births for year in range(plan.filed_on.year, 2021))


def payment_note(draft: dict, day: dt.date) -> str:
    return {
        "golden_autumn": f"{day.year}年金秋助学金",
        "love_card": f"工会爱心卡{day:%Y年%m月}医疗救助金",
        "dialysis": f"{day.year}年度尿毒症肾透析专项救助金",
        "serious_illness_mutual": "职工大病医疗互助金",
    }.get(draft["programme"], "一次性创业补贴" if draft["track"] == "employment" else "临时救助金")

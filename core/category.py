"""困难类别: which category a household falls in, by a versioned rule set, and why.

Two rule sets (DOMAIN.md), each result stored with the rule set that produced it:

- "national_2016" (the default, in force when the policy was written):
  低保户      per-capita income below the 低保 line for 6+ consecutive months (each month against that month's line);
  低保边缘户  per-capita ≤ 1.5 × line AND (income − special spending on illness/schooling/disability) / persons ≤ line;
  意外致困户  per-capita ≤ 3 × line AND (income − accident/disaster spending) / persons ≤ line.
  The last two use the latest recorded month.
- "deep_relative_2019" (later years), over the 12 months ending at the latest recorded month:
  x = (annual income − rigid spending) / 12 / persons;  x < line → 深度困难;  x < m × line → 相对困难;
  hardship spending > 80 % of annual income, or a member injured or killed in a disaster or accident → 意外致困.
  A year with months missing is scaled up from the months recorded, and the explanation says so.

Money is integer fen; per-capita figures are rounded down to the fen; thresholds like 1.5 × line are
compared exactly (no floating point).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from core.codes import CATEGORY, EXCLUSION, RULE_SET
from core.money import fen_to_yuan, per_capita_fen

DIBAO_RUN_MONTHS = 6
EDGE_MULTIPLE = Fraction(3, 2)
ACCIDENT_MULTIPLE = Fraction(3)
HARDSHIP_SHARE = Fraction(4, 5)  # spending above 80 % of annual income
MIGRANT_MIN_YEARS = 1


@dataclass(frozen=True)
class MonthFigures:
    """One recorded month of a household, with the 低保 line in force that month (fen)."""

    month: dt.date  # first day of the month
    income_fen: int
    persons: int
    line_fen: int
    special_spending_fen: int = 0  # illness, schooling, disability
    accident_spending_fen: int = 0  # disaster, accident

    @property
    def per_capita_fen(self) -> int:
        return per_capita_fen(self.income_fen, self.persons)


@dataclass(frozen=True)
class Exclusion:
    code: str  # codes.EXCLUSION
    applies: bool
    source: str


@dataclass(frozen=True)
class Assessment:
    """The outcome: a category (or None), the rule set, and the reasons in plain Chinese."""

    rule_set: str
    category: str | None
    reasons: tuple[str, ...]
    excluded_by: tuple[str, ...] = ()  # Chinese descriptions of the exclusions that apply
    problems: tuple[str, ...] = field(default=())  # data that stops an assessment

    @property
    def may_file(self) -> bool:
        """Only a household with a category and no exclusion may be 在档; others stay 申请中."""
        return self.category is not None and not self.excluded_by and not self.problems

    @property
    def label(self) -> str:
        return CATEGORY.get(self.category, "不符合困难类别") if self.category else "不符合困难类别"

    def explanation(self) -> str:
        lines = [f"认定规则：{RULE_SET[self.rule_set]}"]
        lines += list(self.problems) + list(self.reasons)
        lines += [f"排除情形：{text}" for text in self.excluded_by]
        lines.append(f"结论：{self.label}" + ("（但存在排除情形，不能建档）" if self.category and self.excluded_by else ""))
        return "\n".join(lines)


def _yuan(fen: int | Fraction) -> str:
    return fen_to_yuan(int(fen)) + " 元"


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def run_below_line(months: list[MonthFigures]) -> list[MonthFigures]:
    """The consecutive months, ending at the latest one, whose per-capita income is below that month's line.

    A calendar month with no record breaks the run.
    """
    run: list[MonthFigures] = []
    for figures in sorted(months, key=lambda m: m.month, reverse=True):
        if run and _month_index(run[-1].month) - _month_index(figures.month) != 1:
            break
        if figures.per_capita_fen >= figures.line_fen:
            break
        run.append(figures)
    return list(reversed(run))


def assess_national_2016(months: list[MonthFigures]) -> tuple[str | None, list[str]]:
    latest = max(months, key=lambda m: m.month)
    line = latest.line_fen
    pc = latest.per_capita_fen
    reasons = [
        f"最近月份 {latest.month:%Y年%m月}：家庭收入 {_yuan(latest.income_fen)}，{latest.persons} 人，"
        f"人均 {_yuan(pc)}；当月低保标准 {_yuan(line)}。"
    ]
    run = run_below_line(months)
    if len(run) >= DIBAO_RUN_MONTHS:
        reasons.append(
            f"自 {run[0].month:%Y年%m月} 起连续 {len(run)} 个月人均收入低于当月低保标准（需 {DIBAO_RUN_MONTHS} 个月及以上）→ 低保户。"
        )
        return "dibao", reasons
    reasons.append(f"人均收入连续低于低保标准的月数为 {len(run)} 个月，不足 {DIBAO_RUN_MONTHS} 个月，不是低保户。")

    after_special = per_capita_fen(max(latest.income_fen - latest.special_spending_fen, 0), latest.persons)
    edge_limit = line * EDGE_MULTIPLE
    if pc <= edge_limit and after_special <= line:
        reasons.append(
            f"人均 {_yuan(pc)} ≤ 1.5 倍低保标准 {_yuan(edge_limit)}，且扣除因病、因学、因残刚性支出 "
            f"{_yuan(latest.special_spending_fen)} 后人均 {_yuan(after_special)} ≤ 低保标准 → 低保边缘户。"
        )
        return "dibao_edge", reasons
    reasons.append(
        f"低保边缘户：人均 {_yuan(pc)}（上限 {_yuan(edge_limit)}），扣除刚性支出后人均 {_yuan(after_special)}"
        f"（上限 {_yuan(line)}），不同时满足。"
    )

    after_accident = per_capita_fen(max(latest.income_fen - latest.accident_spending_fen, 0), latest.persons)
    accident_limit = line * ACCIDENT_MULTIPLE
    if pc <= accident_limit and after_accident <= line:
        reasons.append(
            f"人均 {_yuan(pc)} ≤ 3 倍低保标准 {_yuan(accident_limit)}，且扣除灾害、意外支出 "
            f"{_yuan(latest.accident_spending_fen)} 后人均 {_yuan(after_accident)} ≤ 低保标准 → 意外致困户。"
        )
        return "accident", reasons
    reasons.append(
        f"意外致困户：人均 {_yuan(pc)}（上限 {_yuan(accident_limit)}），扣除灾害、意外支出后人均 "
        f"{_yuan(after_accident)}（上限 {_yuan(line)}），不同时满足。"
    )
    return None, reasons


def assess_deep_relative(months: list[MonthFigures], multiplier: Decimal, casualty: bool) -> tuple[str | None, list[str]]:
    latest = max(months, key=lambda m: m.month)
    window = [m for m in months if 0 <= _month_index(latest.month) - _month_index(m.month) < 12]
    scale = Fraction(12, len(window))
    annual_income = sum(m.income_fen for m in window) * scale
    rigid = sum(m.special_spending_fen for m in window) * scale
    hardship = sum(m.special_spending_fen + m.accident_spending_fen for m in window) * scale
    line = latest.line_fen
    persons = latest.persons
    x = int((max(annual_income - rigid, 0)) / 12 / persons)  # rounded down to the fen
    m = Fraction(multiplier)
    reasons = []
    if len(window) < 12:
        reasons.append(f"近 12 个月只有 {len(window)} 个月有收入记录，按这些月份折算全年。")
    reasons.append(
        f"全年收入 {_yuan(annual_income)}，刚性支出 {_yuan(rigid)}，{persons} 人："
        f"（全年收入 − 刚性支出）÷ 12 ÷ 人数 = {_yuan(x)}；{latest.month:%Y年%m月} 低保标准 {_yuan(line)}。"
    )
    if x < line:
        reasons.append(f"{_yuan(x)} < 低保标准 {_yuan(line)} → 深度困难。")
        return "deep", reasons
    if x < line * m:
        reasons.append(f"{_yuan(x)} < {multiplier} 倍低保标准 {_yuan(line * m)} → 相对困难。")
        return "relative", reasons
    reasons.append(f"{_yuan(x)} 不低于 {multiplier} 倍低保标准 {_yuan(line * m)}，不是深度或相对困难。")
    if annual_income and hardship > annual_income * HARDSHIP_SHARE:
        reasons.append(f"全年因病、因灾、意外等支出 {_yuan(hardship)} 超过全年收入的 80%（{_yuan(annual_income * HARDSHIP_SHARE)}）→ 意外致困。")
        return "accident_2019", reasons
    if casualty:
        reasons.append("家庭成员在灾害或意外事故中伤亡 → 意外致困。")
        return "accident_2019", reasons
    reasons.append("支出未超过全年收入的 80%，也没有成员在灾害或意外事故中伤亡，不是意外致困。")
    return None, reasons


def assess(
    rule_set: str,
    months: list[MonthFigures],
    *,
    exclusions: list[Exclusion] = (),
    multiplier: Decimal = Decimal("1.5"),
    casualty: bool = False,
    migrant: bool = False,
    labour_relation_since: dt.date | None = None,
    union_member: bool = True,
    on: dt.date | None = None,
) -> Assessment:
    """Assess a household under `rule_set` from its recorded months (each with the line of that month)."""
    if rule_set not in RULE_SET:
        raise ValueError(f"unknown rule set {rule_set}")
    excluded = [f"{EXCLUSION[e.code]}（来源：{e.source or '未注明'}）" for e in exclusions if e.applies]
    problems = []
    if migrant:
        on = on or dt.date.today()
        if labour_relation_since is None or _years_between(labour_relation_since, on) < MIGRANT_MIN_YEARS:
            problems.append("农民工须与用人单位建立劳动关系满 1 年：请填写劳动关系起始日期，且须满 1 年。")
        if not union_member:
            problems.append("农民工须为工会会员：请填写入会日期。")
    if not months:
        problems.append("没有收入记录，无法认定困难类别：请先录入月收入。")
        return Assessment(rule_set, None, (), tuple(excluded), tuple(problems))
    if rule_set == "national_2016":
        category, reasons = assess_national_2016(months)
    else:
        category, reasons = assess_deep_relative(months, multiplier, casualty)
    return Assessment(rule_set, category, tuple(reasons), tuple(excluded), tuple(problems))


def _years_between(start: dt.date, end: dt.date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))

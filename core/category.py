"""困难类别: which category a household falls in, by a versioned rule set, and why.

Two rule sets (DOMAIN.md), each result stored with the rule set that produced it:

- "national_2016" (the default, in force when the policy was written):
  低保户      per-capita income below the 低保 line for 6+ consecutive months (each month against that month's line);
  低保边缘户  per-capita ≤ 1.5 × line AND (income − special spending on illness/schooling/disability) / persons ≤ line;
  意外致困户  per-capita ≤ 3 × line AND (income − accident/disaster spending) / persons ≤ line.
  The last two use the latest recorded month; 1.5 and 3 are the dated parameters edge_multiplier and
  accident_multiplier (the policy's figures are the defaults).
- "deep_relative_2019" (later years), over the 12 months ending at the latest recorded month:
  x = (annual income − rigid spending) / 12 / persons;  x < line → 深度困难;  x < m × line → 相对困难;
  hardship spending > 80 % of annual income, or a member injured or killed in a disaster or accident → 意外致困.
  A year with months missing is scaled up from the months recorded, and the explanation says so.

Money is integer fen; per-capita figures are rounded down to the fen; thresholds like 1.5 × line are
compared exactly (no floating point).

`assess` judges one household and explains why; `assess_many` applies the same rules to many households at once
(numpy, for the policy lab) and is tested against `assess`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

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


def multiple_text(multiple: Fraction | Decimal | int) -> str:
    """A multiple as a person reads it: 3/2 -> "1.5", 3 -> "3" (a fraction with no finite decimal stays a fraction)."""
    m = Fraction(multiple)
    places, scaled = 0, m
    while scaled.denominator != 1 and places < 12:
        places, scaled = places + 1, scaled * 10
    if scaled.denominator != 1:
        return f"{m.numerator}/{m.denominator}"
    whole, rest = divmod(abs(scaled.numerator), 10**places)
    text = str(whole) + (f".{rest:0{places}d}".rstrip("0") if places else "")
    return ("-" if m < 0 else "") + text


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


def assess_national_2016(
    months: list[MonthFigures], edge_multiple: Fraction | Decimal = EDGE_MULTIPLE, accident_multiple: Fraction | Decimal = ACCIDENT_MULTIPLE
) -> tuple[str | None, list[str]]:
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
    edge_limit = line * Fraction(edge_multiple)
    if pc <= edge_limit and after_special <= line:
        reasons.append(
            f"人均 {_yuan(pc)} ≤ {multiple_text(edge_multiple)} 倍低保标准 {_yuan(edge_limit)}，且扣除因病、因学、因残刚性支出 "
            f"{_yuan(latest.special_spending_fen)} 后人均 {_yuan(after_special)} ≤ 低保标准 → 低保边缘户。"
        )
        return "dibao_edge", reasons
    reasons.append(
        f"低保边缘户：人均 {_yuan(pc)}（上限 {multiple_text(edge_multiple)} 倍低保标准 {_yuan(edge_limit)}），扣除刚性支出后人均 {_yuan(after_special)}"
        f"（上限 {_yuan(line)}），不同时满足。"
    )

    after_accident = per_capita_fen(max(latest.income_fen - latest.accident_spending_fen, 0), latest.persons)
    accident_limit = line * Fraction(accident_multiple)
    if pc <= accident_limit and after_accident <= line:
        reasons.append(
            f"人均 {_yuan(pc)} ≤ {multiple_text(accident_multiple)} 倍低保标准 {_yuan(accident_limit)}，且扣除灾害、意外支出 "
            f"{_yuan(latest.accident_spending_fen)} 后人均 {_yuan(after_accident)} ≤ 低保标准 → 意外致困户。"
        )
        return "accident", reasons
    reasons.append(
        f"意外致困户：人均 {_yuan(pc)}（上限 {multiple_text(accident_multiple)} 倍低保标准 {_yuan(accident_limit)}），扣除灾害、意外支出后人均 "
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
        reasons.append(f"{_yuan(x)} < {multiple_text(multiplier)} 倍低保标准 {_yuan(line * m)} → 相对困难。")
        return "relative", reasons
    reasons.append(f"{_yuan(x)} 不低于 {multiple_text(multiplier)} 倍低保标准 {_yuan(line * m)}，不是深度或相对困难。")
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
    edge_multiple: Fraction | Decimal = EDGE_MULTIPLE,
    accident_multiple: Fraction | Decimal = ACCIDENT_MULTIPLE,
    casualty: bool = False,
    migrant: bool = False,
    labour_relation_since: dt.date | None = None,
    union_member: bool = True,
    on: dt.date | None = None,
) -> Assessment:
    """Assess a household under `rule_set` from its recorded months (each with the line of that month).

    `multiplier` is m of 相对困难 (2019); `edge_multiple` and `accident_multiple` are the 2016 limits of 低保边缘户 and
    意外致困户 as multiples of the line (the parameters edge_multiplier / accident_multiplier on the assessment day).
    """
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
        category, reasons = assess_national_2016(months, edge_multiple, accident_multiple)
    else:
        category, reasons = assess_deep_relative(months, multiplier, casualty)
    return Assessment(rule_set, category, tuple(reasons), tuple(excluded), tuple(problems))


def _years_between(start: dt.date, end: dt.date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


# --- many households at once (the policy lab) ------------------------------------------------------

MANY_COLUMNS = ("household_id", "month_index", "income_fen", "persons", "special_spending_fen", "accident_spending_fen", "line_fen")
_INT64_SAFE = 2**62


def _against(value: np.ndarray, line: np.ndarray, multiple: Fraction, *, strictly: bool) -> np.ndarray:
    """value < (or ≤) multiple × line, exactly: value × q against line × p for multiple = p / q, in Python integers
    when int64 could overflow (a multiple with many decimals)."""
    p, q = multiple.numerator, multiple.denominator
    bound = max(int(np.abs(value).max(initial=0)) * q, int(np.abs(line).max(initial=0)) * abs(p))
    if bound >= _INT64_SAFE:
        value, line = value.astype(object), line.astype(object)
    return np.asarray(value * q < line * p if strictly else value * q <= line * p, dtype=bool)


def _household_month_order(hid: np.ndarray, month: np.ndarray) -> np.ndarray:
    """The row order by household, then month: one integer key when the ids are integers (2–3× faster than lexsort)."""
    if np.issubdtype(hid.dtype, np.integer) and len(hid):
        low, span = int(hid.min()), int(month.max()) - int(month.min()) + 1
        if (int(hid.max()) - low + 1) * span < _INT64_SAFE:
            return np.argsort((hid.astype(np.int64) - low) * span + (month - int(month.min())))
    return np.lexsort((month, hid))


def assess_many(
    months: pd.DataFrame,
    rule_set: str,
    *,
    edge_multiple: Fraction = EDGE_MULTIPLE,
    accident_multiple: Fraction = ACCIDENT_MULTIPLE,
    relative_multiple: Fraction = Fraction(3, 2),
    casualty: pd.Series | None = None,
) -> pd.Series:
    """The category code (or None) of every household in `months`, each judged on its own latest month, exactly as
    `assess` judges it from the same months (exclusions and the migrant checks are not part of it).

    `months` has MANY_COLUMNS, one row per household and month (month_index = year × 12 + month − 1), only the rows
    to be judged; persons ≥ 1. `casualty` (bool by household_id; missing: False) is read by deep_relative_2019 only.
    """
    if rule_set not in RULE_SET:
        raise ValueError(f"unknown rule set {rule_set}")
    missing = [c for c in MANY_COLUMNS if c not in months.columns]
    if missing:
        raise ValueError(f"months lacks columns {missing}")
    if months.empty:
        return pd.Series([], index=pd.Index([], name="household_id"), dtype=object, name="category")
    columns = {c: months[c].to_numpy() for c in MANY_COLUMNS}
    hid, month = columns["household_id"], columns["month_index"].astype(np.int64, copy=False)
    if not bool(np.all((hid[1:] > hid[:-1]) | ((hid[1:] == hid[:-1]) & (month[1:] > month[:-1])))):
        order = _household_month_order(hid, month)  # callers usually pass rows in order already; sort only when not
        columns = {c: v[order] for c, v in columns.items()}
        hid, month = columns["household_id"], month[order]
    income, persons, line = (columns[c].astype(np.int64, copy=False) for c in ("income_fen", "persons", "line_fen"))
    if (persons < 1).any():
        raise ValueError("persons must be at least 1")

    n = len(hid)
    first = np.ones(n, dtype=bool)  # the first (earliest) row of its household
    first[1:] = hid[1:] != hid[:-1]
    if (~first[1:] & (month[1:] == month[:-1])).any():
        raise ValueError("one row per household and month")
    last = np.ones(n, dtype=bool)  # the latest row: the month the household is judged on
    last[:-1] = first[1:]
    ends = np.flatnonzero(last)
    codes = np.full(len(ends), None, dtype=object)

    if rule_set == "national_2016":
        special = columns["special_spending_fen"][ends].astype(np.int64, copy=False)
        accident = columns["accident_spending_fen"][ends].astype(np.int64, copy=False)
        below = income < line * persons  # ⇔ income // persons < line, with no division over every row
        # a run of months below the line starts where the previous row is another household, a month earlier than
        # the calendar month before, or not below its line; its length at the latest row is the 低保 run
        follows = np.zeros(n, dtype=bool)
        follows[1:] = ~first[1:] & (month[1:] - month[:-1] == 1) & below[:-1]
        rows = np.arange(n)
        run_start = np.maximum.accumulate(np.where(below & ~follows, rows, 0))[ends]
        run = np.where(below[ends], ends - run_start + 1, 0)
        income_l, persons_l, line_l = income[ends], persons[ends], line[ends]
        pc = income_l // persons_l
        after_special = np.maximum(income_l - special, 0) // persons_l
        after_accident = np.maximum(income_l - accident, 0) // persons_l
        dibao = run >= DIBAO_RUN_MONTHS
        edge = ~dibao & _against(pc, line_l, Fraction(edge_multiple), strictly=False) & (after_special <= line_l)
        hit = ~dibao & ~edge & _against(pc, line_l, Fraction(accident_multiple), strictly=False) & (after_accident <= line_l)
        codes[dibao], codes[edge], codes[hit] = "dibao", "dibao_edge", "accident"
    else:
        special = columns["special_spending_fen"].astype(np.int64, copy=False)
        accident = columns["accident_spending_fen"].astype(np.int64, copy=False)
        # the 12 months ending at the latest: in sorted rows, each household's window is a run of rows ending at its
        # latest one, found by searching (household number, month) for (its number, latest month − 11)
        group = np.cumsum(first) - 1
        span = int(month.max()) - int(month.min()) + 12
        key = group * span + (month - int(month.min()))
        window_start = np.searchsorted(key, key[ends] - 11, side="left")
        count = ends - window_start + 1

        def window_sum(values: np.ndarray) -> np.ndarray:
            total = np.concatenate(([0], np.cumsum(values)))
            return total[ends + 1] - total[window_start]

        income_sum = window_sum(income)
        special_sum = window_sum(special)
        hardship_sum = special_sum + window_sum(accident)
        persons_l, line_l = persons[ends], line[ends]
        # x = (annual − rigid) / 12 / persons with annual = sum × 12 / months recorded: the 12s cancel
        x = np.maximum(income_sum - special_sum, 0) // (count * persons_l)
        deep = x < line_l
        relative = ~deep & _against(x, line_l, Fraction(relative_multiple), strictly=True)
        hard = (income_sum != 0) & (5 * hardship_sum > 4 * income_sum)  # hardship > 80 % of annual income
        hurt = np.zeros(len(ends), dtype=bool)
        if casualty is not None:
            hurt = casualty.astype(bool).reindex(hid[ends], fill_value=False).to_numpy(bool)
        hit = ~deep & ~relative & (hard | hurt)
        codes[deep], codes[relative], codes[hit] = "deep", "relative", "accident_2019"
    return pd.Series(codes, index=pd.Index(hid[ends], name="household_id"), dtype=object, name="category")

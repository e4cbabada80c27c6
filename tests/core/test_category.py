"""困难类别 by rule set, each boundary from DOMAIN.md written as a table."""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from core.category import Exclusion, MonthFigures, assess, multiple_text, run_below_line

LINE = 60000  # 600.00 yuan per person per month


def months(per_capita: list[int], persons: int = 2, line: int = LINE, start=dt.date(2017, 1, 1), **spending) -> list[MonthFigures]:
    out = []
    for i, pc in enumerate(per_capita):
        index = start.year * 12 + start.month - 1 + i
        out.append(MonthFigures(dt.date(index // 12, index % 12 + 1, 1), pc * persons, persons, line, **spending))
    return out


@pytest.mark.parametrize(
    "per_capita,category",
    [
        ([59999] * 6, "dibao"),              # 6 months below the line: 低保户
        ([59999] * 5, "dibao_edge"),         # 5 months is not enough (599.99 ≤ 1.5 × line and ≤ line: edge)
        ([70000] + [59999] * 6, "dibao"),    # the run is the one ending at the latest month
        ([59999] * 5 + [60000], "dibao_edge"),  # a month equal to the line is not below it: the run is 0
    ],
)
def test_national_2016_dibao_run(per_capita, category):
    assert assess("national_2016", months(per_capita)).category == category


def test_a_missing_month_breaks_the_dibao_run():
    figures = months([59999] * 7)
    del figures[3]
    assert len(run_below_line(figures)) == 3
    assert assess("national_2016", figures).category == "dibao_edge"


def test_the_line_of_each_month_counts():
    # 620.00 per head: below a 650 line in the last 6 months, above the 600 line before
    figures = months([62000] * 3, line=60000) + months([62000] * 6, line=65000, start=dt.date(2017, 4, 1))
    result = assess("national_2016", figures)
    assert result.category == "dibao"
    assert "自 2017年04月 起连续 6 个月" in result.explanation()


@pytest.mark.parametrize(
    "per_capita,special,category",
    [
        (90000, 60000 * 2, "dibao_edge"),    # exactly 1.5 × line, and after 1,200 of special spending: 300 ≤ line
        (90001, 60000 * 2, "accident"),      # 1 fen above 1.5 × line: not edge (accident needs accident spending)
        (90000, 30000 * 2 - 2, None),        # after spending 600.01 per head > line: not edge
    ],
)
def test_national_2016_edge_boundaries(per_capita, special, category):
    accident = 10**9 if category == "accident" else 0
    result = assess("national_2016", months([per_capita], special_spending_fen=special, accident_spending_fen=accident))
    assert result.category == category


@pytest.mark.parametrize(
    "per_capita,accident,category",
    [
        (180000, 240000, "accident"),   # exactly 3 × line; after 2,400 of spending: 600 per head = the line
        (180001, 10**9, None),          # 1 fen above 3 × line
        (180000, 239998, None),         # after spending: 600.01 per head
    ],
)
def test_national_2016_accident_boundaries(per_capita, accident, category):
    assert assess("national_2016", months([per_capita], accident_spending_fen=accident)).category == category


def test_an_exclusion_blocks_filing_but_keeps_the_category_and_says_why():
    result = assess("national_2016", months([50000] * 6), exclusions=[
        Exclusion("two_homes", True, "不动产登记查询"), Exclusion("vehicle", False, "入户调查")])
    assert result.category == "dibao" and not result.may_file
    assert "拥有两套及以上住房（来源：不动产登记查询）" in result.explanation()
    assert "不能建档" in result.explanation()


def test_no_income_records_is_a_problem_not_a_category():
    result = assess("national_2016", [])
    assert result.category is None and not result.may_file
    assert "请先录入月收入" in result.explanation()


@pytest.mark.parametrize(
    "since,ok",
    [(dt.date(2019, 6, 30), True), (dt.date(2019, 7, 1), False), (None, False)],
)
def test_migrant_workers_need_a_year_of_labour_relation(since, ok):
    result = assess("national_2016", months([50000] * 6), migrant=True, labour_relation_since=since, on=dt.date(2020, 6, 30))
    assert result.may_file is ok


@pytest.mark.parametrize(
    "per_capita,multiplier,category",
    [
        (59999, "1.5", "deep"),
        (60000, "1.5", "relative"),   # equal to the line: not deep
        (89999, "1.5", "relative"),
        (90000, "1.5", None),         # equal to m × line: not relative
        (90000, "2", "relative"),
    ],
)
def test_deep_relative_thresholds(per_capita, multiplier, category):
    result = assess("deep_relative_2019", months([per_capita] * 12), multiplier=Decimal(multiplier))
    assert result.category == category, result.explanation()


def test_deep_relative_subtracts_rigid_spending_and_scales_a_short_year():
    # 6 months recorded at 800/head with 250/head special spending: (800 − 250) = 550 < 600 → deep
    result = assess("deep_relative_2019", months([80000] * 6, special_spending_fen=50000))
    assert result.category == "deep"
    assert "只有 6 个月有收入记录" in result.explanation()


@pytest.mark.parametrize(
    "accident,casualty,category",
    [(int(200000 * 2 * 0.8) + 1, False, "accident_2019"), (int(200000 * 2 * 0.8), False, None), (0, True, "accident_2019")],
)
def test_deep_relative_accident(accident, casualty, category):
    result = assess("deep_relative_2019", months([200000] * 12, accident_spending_fen=accident), casualty=casualty)
    assert result.category == category


@pytest.mark.parametrize(
    "per_capita,edge,accident,category,says",
    [
        # the 2016 limits are parameters: exactly at a lower limit still qualifies, 1 fen above does not
        (78000, Decimal("1.3"), Decimal("3"), "dibao_edge", "≤ 1.3 倍低保标准 780.00 元"),
        (78001, Decimal("1.3"), Decimal("3"), "accident", "上限 1.3 倍低保标准 780.00 元"),
        (78001, Decimal("1.3"), Decimal("1.25"), None, "意外致困户：人均 780.01 元（上限 1.25 倍低保标准 750.00 元）"),
        (120000, Decimal("1.5"), Decimal("2"), "accident", "≤ 2 倍低保标准 1,200.00 元"),
        (120001, Decimal("1.5"), Decimal("2"), None, "上限 2 倍低保标准 1,200.00 元"),
    ],
)
def test_national_2016_limits_are_the_multiples_given_and_the_explanation_says_which(per_capita, edge, accident, category, says):
    # spending brings the per-capita to the line after either deduction, so only the limits decide
    spending = (per_capita - LINE) * 2
    result = assess("national_2016", months([per_capita], special_spending_fen=spending, accident_spending_fen=spending),
                    edge_multiple=edge, accident_multiple=accident)
    assert result.category == category
    assert says in result.explanation()
    assert "1.5 倍" not in result.explanation() or edge == Decimal("1.5")


def test_the_default_limits_are_the_policys_and_are_printed():
    result = assess("national_2016", months([90001], special_spending_fen=60002, accident_spending_fen=60002))
    assert result.category == "accident"
    assert "上限 1.5 倍低保标准 900.00 元" in result.explanation() and "≤ 3 倍低保标准 1,800.00 元" in result.explanation()


@pytest.mark.parametrize(
    "multiple,text",
    [(Fraction(3, 2), "1.5"), (Decimal("3"), "3"), (Decimal("1.50"), "1.5"), (Decimal("1.25"), "1.25"), (Fraction(4, 3), "4/3")],
)
def test_a_multiple_reads_as_people_write_it(multiple, text):
    assert multiple_text(multiple) == text

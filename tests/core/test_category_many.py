"""assess_many judges many households at once for the policy lab; core.category.assess is its oracle.

Households are drawn with per-capita figures, spending and yearly sums placed on and around every limit (the line,
the 2016 edge and accident limits, m × line, 80 % of the annual income), with missing months, changing lines and
household sizes, and rows in any order."""

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from math import ceil, floor

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from core.category import MonthFigures, assess, assess_many

LINES = (60000, 65000, 70001)
MULTIPLES = [  # (edge, accident, relative): the policy's figures, a limit below the line, awkward decimals
    (Fraction(3, 2), Fraction(3), Fraction(3, 2)),
    (Fraction(6, 5), Fraction(2), Fraction(2)),
    (Fraction(Decimal("1.35")), Fraction(Decimal("2.75")), Fraction(Decimal("1.3"))),
    (Fraction(Decimal("0.9")), Fraction(Decimal("1.1")), Fraction(Decimal("1.05"))),
    # so many decimals that multiple × line no longer fits 64-bit integers: compared in Python integers
    (Fraction(Decimal("1.4999999999999999")), Fraction(Decimal("3.0000000000000001")), Fraction(Decimal("1.5000000000000001"))),
]


def _month(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def _targets(line: int, multiples) -> list[int]:
    """Per-capita figures on and beside each limit."""
    out = []
    for m in (Fraction(1), *multiples):
        limit = line * m
        out += [floor(limit) - 1, floor(limit), ceil(limit), ceil(limit) + 1]
    return [max(v, 0) for v in out]


def _household(rng: np.random.Generator, multiples) -> tuple[list[MonthFigures], bool]:
    count = int(rng.integers(1, 16))
    index = int(rng.integers(2018 * 12, 2018 * 12 + 6))  # close starts: one file's months often follow the previous one's
    mode = rng.choice(["steady", "poor", "mixed"], p=[0.35, 0.3, 0.35])
    steady = mode == "steady"  # same figures every month: the 2019 x lands exactly where it is aimed
    persons = int(rng.integers(1, 6))
    line = int(rng.choice(LINES))
    pc = int(rng.choice(_targets(line, multiples)))
    spending = [0, 0]
    figures = []
    for _ in range(count):
        if not steady:
            persons = int(rng.integers(1, 6)) if rng.random() < 0.2 else persons
            line = int(rng.choice(LINES)) if rng.random() < 0.2 else line
            if mode == "poor":  # below the line, now and then at it: runs of 低保 months of every length
                pc = line if rng.random() < 0.08 else line - 1 - int(rng.integers(0, 3)) * int(rng.integers(0, 5000))
            else:
                pc = int(rng.choice(_targets(line, multiples))) if rng.random() < 0.5 else int(rng.integers(0, 4 * line))
        if not steady or not figures:
            income = pc * persons + int(rng.integers(0, persons))  # the remainder is rounded away
        for k in (0, 1):
            if not steady or not figures:
                spending[k] = int(rng.choice([
                    0,
                    max(income - line * persons, 0),  # after the deduction: exactly the line per head
                    max(income - line * persons + 1, 0),
                    max(income - line * persons - persons, 0),
                    int(rng.integers(0, 2 * income + 2)),
                    income * 4 // 10,  # special + accident at 80 % of income when both are chosen so
                    max(income * 4 // 5 - spending[0], 0),  # special + accident at 80 % of income
                ]))
        figures.append(MonthFigures(_month(index), income, persons, line, *spending))
        index += 1 + (int(rng.integers(1, 3)) if rng.random() < 0.08 else 0)  # now and then a month missing
    return figures, bool(rng.random() < 0.2)


def _frame(households: dict[int, list[MonthFigures]], rng: np.random.Generator) -> pd.DataFrame:
    rows = [
        (hid, f.month.year * 12 + f.month.month - 1, f.income_fen, f.persons, f.special_spending_fen, f.accident_spending_fen, f.line_fen)
        for hid, figures in households.items() for f in figures
    ]
    frame = pd.DataFrame(rows, columns=["household_id", "month_index", "income_fen", "persons", "special_spending_fen",
                                        "accident_spending_fen", "line_fen"])
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)  # callers need not sort


def _oracle(rule_set, figures, casualty, multiples) -> str | None:
    edge, accident, relative = multiples
    return assess(rule_set, figures, multiplier=Decimal(relative.numerator) / relative.denominator, edge_multiple=edge,
                  accident_multiple=accident, casualty=casualty).category


def _many(rule_set, frame, casualty, multiples) -> pd.Series:
    edge, accident, relative = multiples
    return assess_many(frame, rule_set, edge_multiple=edge, accident_multiple=accident, relative_multiple=relative,
                       casualty=casualty)


@pytest.mark.parametrize("rule_set", ["national_2016", "deep_relative_2019"])
@pytest.mark.parametrize("multiples", MULTIPLES, ids=lambda m: "/".join(str(float(x)) for x in m))
def test_assess_many_agrees_with_assess_for_every_household(rule_set, multiples):
    rng = np.random.default_rng(20260 + MULTIPLES.index(multiples))
    drawn = {hid: _household(rng, multiples) for hid in range(1, 1501)}
    households = {hid: figures for hid, (figures, _) in drawn.items()}
    casualty = pd.Series({hid: hurt for hid, (_, hurt) in drawn.items()})
    got = _many(rule_set, _frame(households, rng), casualty, multiples)
    expected = {hid: _oracle(rule_set, figures, casualty[hid], multiples) for hid, figures in households.items()}
    assert sorted(got.index) == sorted(expected)
    wrong = {hid: (got[hid], want) for hid, want in expected.items() if got[hid] != want}
    assert not wrong, list(wrong.items())[:5]
    assert len(set(expected.values())) >= 3  # the draw reaches several categories, not only None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), which=st.sampled_from(range(len(MULTIPLES))), size=st.integers(1, 8))
def test_assess_many_agrees_with_assess_on_small_random_sets(seed, which, size):
    rng = np.random.default_rng(seed)
    multiples = MULTIPLES[which]
    drawn = {hid: _household(rng, multiples) for hid in rng.choice(10**6, size, replace=False).tolist()}
    households = {hid: figures for hid, (figures, _) in drawn.items()}
    casualty = pd.Series({hid: hurt for hid, (_, hurt) in drawn.items()})
    frame = _frame(households, rng)
    for rule_set in ("national_2016", "deep_relative_2019"):
        got = _many(rule_set, frame, casualty, multiples)
        for hid, figures in households.items():
            assert got[hid] == _oracle(rule_set, figures, casualty[hid], multiples), (rule_set, hid, figures)


def _rows(per_capita: list[int | None], line: int = 60000, persons: int = 2, hid: int = 7, **spending) -> pd.DataFrame:
    """One household's months from 2017-01 (None: a month not recorded)."""
    start = 2017 * 12
    rows = [{"household_id": hid, "month_index": start + i, "income_fen": pc * persons, "persons": persons, "line_fen": line,
             "special_spending_fen": spending.get("special", 0), "accident_spending_fen": spending.get("accident", 0)}
            for i, pc in enumerate(per_capita) if pc is not None]
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    "per_capita,category",
    [
        ([59999] * 6, "dibao"),
        ([59999] * 3 + [None] + [59999] * 3, "dibao_edge"),  # a missing month breaks the run
        ([59999] * 6 + [60000], "dibao_edge"),  # the run must end at the latest month
        ([60000] + [59999] * 6, "dibao"),
    ],
)
def test_the_dibao_run_ends_at_the_latest_month_and_a_gap_breaks_it(per_capita, category):
    assert assess_many(_rows(per_capita), "national_2016").to_dict() == {7: category}


def test_a_run_never_carries_over_from_the_previous_household():
    # household 1's months run 2017-01..06 and household 2's 2017-07..09, all below the line
    frame = pd.concat([_rows([59999] * 6, hid=1), _rows([None] * 6 + [59999] * 3, hid=2)])
    assert assess_many(frame, "national_2016").to_dict() == {1: "dibao", 2: "dibao_edge"}


@pytest.mark.parametrize("accident,category", [(320000, None), (320001, "accident_2019")])
def test_2019_hardship_must_exceed_80_percent_of_the_income(accident, category):
    # 2,000.00 per head × 2 a month; 3,200.00 of spending is exactly 80 %
    assert assess_many(_rows([200000] * 12, accident=accident), "deep_relative_2019").to_dict() == {7: category}


def test_each_household_is_judged_on_its_own_latest_month_among_the_rows_given():
    frame = pd.concat([_rows([59999] * 6, hid=1), _rows([59999] * 7 + [200000], hid=2)])
    assert assess_many(frame, "national_2016").to_dict() == {1: "dibao", 2: None}
    earlier = frame[frame["month_index"] < 2017 * 12 + 7]  # an as-of before household 2's last month
    assert assess_many(earlier, "national_2016").to_dict() == {1: "dibao", 2: "dibao"}


def test_casualty_counts_only_under_the_2019_rules_and_a_household_missing_from_it_is_unhurt():
    frame = pd.concat([_rows([200000] * 12, hid=1), _rows([200000] * 12, hid=2)])
    hurt = pd.Series({1: True})
    assert assess_many(frame, "deep_relative_2019", casualty=hurt).to_dict() == {1: "accident_2019", 2: None}
    assert assess_many(frame, "national_2016", casualty=hurt).to_dict() == {1: None, 2: None}


def test_no_rows_judge_no_household_and_an_unknown_rule_set_is_refused():
    assert assess_many(_rows([]).reindex(columns=_rows([1]).columns), "national_2016").empty
    with pytest.raises(ValueError):
        assess_many(_rows([59999]), "national_2030")


def test_rows_in_any_order_and_ids_of_any_kind_give_the_same_result():
    frame = pd.concat([_rows([59999] * 6, hid=1), _rows([59999] * 4 + [60000], hid=2), _rows([200000] * 3, hid=3)])
    expected = {1: "dibao", 2: "dibao_edge", 3: None}
    assert assess_many(frame.iloc[::-1], "national_2016").to_dict() == expected
    named = frame.assign(household_id=frame["household_id"].map({1: "甲", 2: "乙", 3: "丙"}))
    assert assess_many(named.iloc[::-1], "national_2016").to_dict() == {"甲": "dibao", "乙": "dibao_edge", "丙": None}


def test_two_rows_for_one_household_month_are_refused():
    frame = pd.concat([_rows([59999] * 6), _rows([59999])])
    with pytest.raises(ValueError, match="one row per household and month"):
        assess_many(frame, "national_2016")

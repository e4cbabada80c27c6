#!/usr/bin/env python3
"""How fast core.category.assess_many judges every household for the policy lab (200,000 households × 48 months,
target well under 1–2 s), against core.category.assess called once per household in the same run.

  .venv/bin/python bench/category_many.py                      # 200,000 households × 48 months
  .venv/bin/python bench/category_many.py --households 20000

assess (one household at a time, with its explanation) is timed on a sample (--sample households) and assess_many on
the same sample, so the ratio compares like with like; assess_many is then timed on the full set, with its rows in
order (as the lab passes them) and shuffled (it sorts them first). Every sampled household is also checked to get
the same category from both.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.category import MonthFigures, assess, assess_many  # noqa: E402

RULE_SETS = ("national_2016", "deep_relative_2019")
MULTIPLES = {"edge_multiple": Fraction(3, 2), "accident_multiple": Fraction(3), "relative_multiple": Fraction(3, 2)}


def synthetic(households: int, months: int = 48, seed: int = 1) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    hid = np.repeat(np.arange(1, households + 1), months)
    month_index = np.tile(np.arange(2017 * 12, 2017 * 12 + months), households)
    persons = np.repeat(rng.integers(1, 6, households), months)
    level = np.repeat(rng.integers(40000, 160000, households), months)
    frame = pd.DataFrame({
        "household_id": hid, "month_index": month_index, "income_fen": (level + rng.integers(-8000, 8000, len(hid))) * persons,
        "persons": persons, "special_spending_fen": rng.integers(0, 3, len(hid)) * rng.integers(0, 60000, len(hid)),
        "accident_spending_fen": rng.integers(0, 2, len(hid)) * rng.integers(0, 90000, len(hid)),
        "line_fen": np.where(month_index < 2019 * 12, 70000, 76000),
    })
    frame = frame[rng.random(len(frame)) > 0.02].reset_index(drop=True)  # about 2 % of months missing
    casualty = pd.Series(rng.random(households) < 0.03, index=np.arange(1, households + 1))
    return frame, casualty


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--months", type=int, default=48)
    parser.add_argument("--sample", type=int, default=2_000)
    args = parser.parse_args()
    frame, casualty = synthetic(args.households, args.months)
    sample = frame[frame["household_id"] <= args.sample]
    print(f"{args.households:,} households, {len(frame):,} household-months; sample {args.sample:,} households")
    for rule_set in RULE_SETS:
        figures = {hid: [MonthFigures(_date(r.month_index), r.income_fen, r.persons, r.line_fen, r.special_spending_fen,
                                      r.accident_spending_fen) for r in rows.itertuples()]
                   for hid, rows in sample.groupby("household_id")}
        slow, expected = timed(lambda: {hid: assess(rule_set, months, multiplier=MULTIPLES["relative_multiple"],
                                                    edge_multiple=MULTIPLES["edge_multiple"], accident_multiple=MULTIPLES["accident_multiple"],
                                                    casualty=bool(casualty[hid])).category for hid, months in figures.items()}, repeat=1)
        fast_sample, got = timed(lambda: assess_many(sample, rule_set, casualty=casualty, **MULTIPLES))
        assert got.to_dict() == expected, "assess_many and assess disagree"
        ordered, result = timed(lambda: assess_many(frame, rule_set, casualty=casualty, **MULTIPLES))
        shuffled_frame = frame.sample(frac=1, random_state=2)
        shuffled, _ = timed(lambda: assess_many(shuffled_frame, rule_set, casualty=casualty, **MULTIPLES))
        counts = result.value_counts(dropna=False).to_dict()
        print(f"{rule_set}: sample assess {slow:.2f} s, assess_many {fast_sample * 1000:.1f} ms ({slow / fast_sample:,.0f}×); "
              f"all households {ordered:.3f} s in order, {shuffled:.3f} s shuffled; {counts}")


def _date(month_index: int) -> dt.date:
    return dt.date(month_index // 12, month_index % 12 + 1, 1)


if __name__ == "__main__":
    main()

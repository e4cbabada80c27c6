#!/usr/bin/env python3
"""How fast the status engine evaluates every household-month (issue: 200,000 × 48 in under 1 s, ≥ 10× a
straightforward per-household groupby().apply() of the same rule, both measured in this run).

  .venv/bin/python bench/status_engine.py                      # 200,000 households × 48 months
  .venv/bin/python bench/status_engine.py --households 20000   # the short form the tests run

The baseline walks each household's months in Python; it is timed on a sample (--sample households)
and the engine on the same sample too, so the ratio compares like with like; the engine is then timed
on the full set. Both runs use one core (numpy's element-wise work here is single-threaded).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.status_engine import Inputs, evaluate, evaluate_slow  # noqa: E402

PLACES = ["130302", "130303", "130304", "130306", "130321", "130322", "130324", "ZONE-ETDZ", "ZONE-BDHNA"]


def synthetic(households: int, months: int = 48, seed: int = 1, month_index: bool = True) -> Inputs:
    rng = np.random.default_rng(seed)
    hid = np.repeat(np.arange(1, households + 1), months)
    month_numbers = np.tile(np.arange(months), households)
    month = pd.to_datetime({"year": 2017 + month_numbers // 12, "month": month_numbers % 12 + 1, "day": 1})
    persons = np.repeat(rng.integers(1, 6, households), months)
    level = np.repeat(rng.integers(40000, 80000, households), months) + month_numbers * rng.integers(0, 400, len(hid))
    income = (level + rng.integers(-6000, 6000, len(hid))) * persons
    keep = rng.random(len(hid)) > 0.01  # about 1% of months missing
    keep &= ~((month_numbers == months - 1) & (rng.random(len(hid)) < 0.3))  # a third of the last month not entered yet
    incomes = pd.DataFrame({"household_id": hid[keep], "month": month[keep], "income_fen": income[keep],
                            "persons": persons[keep], "transfer_fen": np.zeros(keep.sum(), dtype=np.int64)})
    if month_index:  # as the store hands them to the engine: months as integers (year * 12 + month − 1)
        incomes["month_index"] = (2017 * 12 + month_numbers)[keep]
    households_frame = pd.DataFrame({
        "household_id": np.arange(1, households + 1), "place_code": rng.choice(PLACES, households),
        "hard_to_exit": rng.random(households) < 0.25, "in_safety_net": rng.random(households) < 0.4,
        "has_active_measure": rng.random(households) < 0.8, "has_measure_carried_out": rng.random(households) < 0.9,
    })
    removed = pd.Series(pd.to_datetime("2018-06-01") + pd.to_timedelta(rng.integers(0, 900, households), unit="D"))
    causes = pd.DataFrame({"household_id": np.arange(1, households + 1), "removed_on": removed.where(rng.random(households) < 0.8)})
    lines = pd.DataFrame([{"place_code": p, "effective_from": dt.date(y, 1, 1), "amount_fen": 55000 + 3000 * (y - 2016) + 500 * i}
                          for i, p in enumerate(PLACES) for y in range(2016, 2022)])
    return Inputs(incomes, households_frame, causes, lines, {p: p for p in PLACES})


def best_of(runs: int, action) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--sample", type=int, default=2_000, help="households for the engine-vs-baseline ratio")
    args = parser.parse_args()
    as_of = dt.date(2020, 12, 31)

    sample = synthetic(min(args.sample, args.households), seed=2, month_index=False)
    fast_sample = best_of(3, lambda: evaluate(sample, as_of, 6, income_lag_months=1))
    slow_sample = best_of(1, lambda: evaluate_slow(sample, as_of, 6, income_lag_months=1))
    full = synthetic(args.households)
    rows = len(full.incomes)
    fast_full = best_of(3, lambda: evaluate(full, as_of, 6, income_lag_months=1))
    result = evaluate(full, as_of, 6, income_lag_months=1)

    print(f"sample: {len(sample.households):,} households, {len(sample.incomes):,} household-months")
    print(f"  baseline groupby().apply(): {slow_sample:8.3f} s")
    print(f"  engine (vectorised):        {fast_sample:8.3f} s")
    print(f"  ratio:                      {slow_sample / fast_sample:8.1f} x")
    print(f"full: {args.households:,} households, {rows:,} household-months")
    print(f"  engine (vectorised):        {fast_full:8.3f} s   (target: under 1 s for 200,000 x 48)")
    print(f"  proposals: {int(result['exit_met'].sum()):,} 可脱困, {int(result['relief_met'].sum()):,} 可解困, "
          f"{int(result['near_exit'].sum()):,} 即将脱困, {int(result['unhelped'].sum()):,} 收入已达标、未记录帮扶, "
          f"{int(result['missing_recent'].sum()):,} 缺近期收入")
    return 0


if __name__ == "__main__":
    sys.exit(main())

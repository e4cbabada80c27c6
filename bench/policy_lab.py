#!/usr/bin/env python3
"""How fast the policy lab (政策模拟) recomputes a comparison when a value changes (issue 13: < 200 ms on the
3,500-household demo, < 2 s at 200,000 households × 48 months), and the ratio against re-evaluating every month
separately with the existing per-date evaluation (core.status_engine.evaluate), in the same run.

  .venv/bin/python bench/policy_lab.py                       # the demo (SQLite) and 200,000 synthetic households
  .venv/bin/python bench/policy_lab.py --households 3000 --no-demo   # the short form the tests run

The scenario is the issue's question: the 低保 line × 1.2 from 2019-01-01 and a run of 3 months instead of 6, as of
2019-12-31. "Recompute" is what the page does when a value changes: the scenario's simulation (the baseline's is
kept) and the comparison of the two. The data is loaded and prepared once before (once per data version in the app).
The per-date baseline is given the same prepared flags and the same lines; it judges each month-end from the first
file's filing on, with income_lag_months = 0, so its first months out can be checked against the lab's with no lag
(printed as "agree").
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import policy_lab, scenario  # noqa: E402
from core.parameters import SEED_DATE, SPECS, value_on  # noqa: E402
from core.status_engine import Inputs, evaluate, month_index  # noqa: E402

AS_OF = dt.date(2019, 12, 31)
PLACES = ["130302", "130303", "130304", "130306", "130321", "130322", "130324", "ZONE-ETDZ", "ZONE-BDHNA"]
QUESTION = (scenario.Override("line_scale", "1.2", dt.date(2019, 1, 1)),
            scenario.Override("exit_run_months", "3", dt.date(2019, 1, 1)))


def synthetic(households: int, months: int = 48, seed: int = 1) -> tuple[policy_lab.LabData, scenario.DatedTables]:
    """Files filed in 2017 (the cohort), incomes 2017-01 … over `months`, one measure each, a third in assistance."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, households + 1)
    hid = np.repeat(ids, months)
    step = np.tile(np.arange(months), households)
    persons = np.repeat(rng.integers(1, 5, households), months)
    level = np.repeat(rng.integers(40_000, 80_000, households), months) + step * rng.integers(0, 500, len(hid))
    income = (level + rng.integers(-8_000, 8_000, len(hid))) * persons
    keep = rng.random(len(hid)) > 0.01
    incomes = pd.DataFrame({"household_id": hid[keep], "month_index": (2017 * 12 + step)[keep], "income_fen": income[keep],
                            "persons": persons[keep], "special_spending_fen": 0, "accident_spending_fen": 0})
    place = rng.choice(PLACES, households)
    filed = pd.to_datetime("2017-01-01") + pd.to_timedelta(rng.integers(0, 330, households), unit="D")
    exited = rng.random(households) < 0.3
    exit_on = pd.to_datetime("2018-03-01") + pd.to_timedelta(rng.integers(0, 700, households), unit="D")
    changes = pd.concat([
        pd.DataFrame({"id": ids, "household_id": ids, "effective_on": filed.date, "to_status": "active", "reason": "filed"}),
        pd.DataFrame({"id": households + ids[exited], "household_id": ids[exited], "effective_on": exit_on[exited].date,
                      "to_status": "exited", "reason": "exit"}),
    ], ignore_index=True)
    start = pd.to_datetime("2017-03-01") + pd.to_timedelta(rng.integers(0, 400, households), unit="D")
    data = policy_lab.LabData(
        households=pd.DataFrame({"household_id": ids, "place_code": place, "place_name": place,
                                 "hard_to_exit": rng.random(households) < 0.2, "casualty": False,
                                 "category": rng.choice(["dibao", "dibao_edge", "accident"], households),
                                 "main_cause": rng.choice(["unemployed", "illness", "disability"], households)}),
        incomes=incomes,
        causes=pd.DataFrame({"household_id": ids, "removed_on": pd.Series(
            (pd.to_datetime("2017-06-01") + pd.to_timedelta(rng.integers(0, 700, households), unit="D")).date)
            .where(rng.random(households) < 0.85, None)}),
        measures=pd.DataFrame({"measure_id": ids, "household_id": ids, "status": "in_progress", "start_on": start.date,
                               "end_on": None, "track": rng.choice(["employment", "medical", "relief"], households)}),
        measure_history=pd.DataFrame(columns=["measure_id", "to_status", "effective_on", "id"]),
        assistance=pd.DataFrame({"household_id": ids[: households // 3], "from_on": dt.date(2017, 1, 1), "to_on": None}),
        changes=changes,
        payments=pd.DataFrame({"household_id": ids[::4], "paid_on": dt.date(2019, 6, 1), "amount_fen": 50_000}),
        place_names={p: p for p in PLACES}, today=dt.date(2021, 1, 15))
    lines = pd.DataFrame([{"place_code": p, "effective_from": dt.date(y, 1, 1), "amount_fen": 55_000 + 3_000 * (y - 2016) + 500 * i}
                          for i, p in enumerate(PLACES) for y in range(2016, 2022)])
    params = {s.key: [(SEED_DATE, s.default)] for s in SPECS}
    return data, scenario.DatedTables(lines, params)


def demo() -> tuple[policy_lab.LabData, scenario.DatedTables]:
    """The 3,500-household demo in a fresh SQLite file, loaded as the page loads it."""
    from db import engine as store
    from db import policy_lab as source
    from db.actor import system_actor
    from db.migrate import prepare
    from demo import load_demo

    folder = tempfile.mkdtemp()
    engine = store.make_engine(f"sqlite:///{folder}/bench.db")
    prepare(engine)
    load_demo(engine)
    with store.reading(engine) as session:
        return source.load(session, system_actor("bench"), dt.date.today()), source.baseline_tables(session)


def per_date(p: policy_lab.Prepared, tables: scenario.DatedTables) -> tuple[np.ndarray, float]:
    """The simple way: evaluate every month-end separately with the engine and keep each file's first month met."""
    started = time.perf_counter()
    count = len(p.inputs.households)
    first_out = np.full(count, -1, dtype=np.int64)
    inputs = Inputs(p.inputs.incomes, p.inputs.households, p.inputs.causes, tables.lines, p.inputs.place_names)
    for index in range(int(p.first_active.min()), month_index(AS_OF) + 1):
        day = dt.date(index // 12 + (index % 12 == 11), (index + 1) % 12 + 1, 1) - dt.timedelta(days=1)
        c = p.column(index)
        flags = inputs.households.assign(has_measure_carried_out=p.helped[:, c], has_active_measure=p.going_on[:, c],
                                         in_safety_net=p.assisted[:, c])
        result = evaluate(Inputs(inputs.incomes, flags, inputs.causes, inputs.lines, inputs.place_names), day,
                          int(value_on(tables.params["exit_run_months"], "exit_run_months", day)), income_lag_months=0)
        met = (result["exit_met"] | result["relief_met"]).to_numpy() & (p.first_active <= index)
        met &= ~p.status_withdrawn[:, c]
        first_out = np.where((first_out < 0) & met, index, first_out)
    return first_out, time.perf_counter() - started


def measure(name: str, data: policy_lab.LabData, base_tables: scenario.DatedTables, runs: int) -> None:
    started = time.perf_counter()
    prepared = policy_lab.prepare(data)
    prepare_s = time.perf_counter() - started
    scen_tables = scenario.resolve(base_tables, QUESTION)
    base = policy_lab.simulate(prepared, base_tables, AS_OF)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        outcome = policy_lab.simulate(prepared, scen_tables, AS_OF)
        comparison = policy_lab.compare(prepared, base, outcome)
        times.append(time.perf_counter() - started)
    lab_s = statistics.median(times)
    print(f"{name}: {len(data.households):,} households, {len(data.incomes):,} household-months")
    print(f"  load once per data version: prepare {prepare_s:.2f} s")
    print(f"  recompute after a change (scenario simulation + comparison, median of {runs}): {lab_s * 1000:,.0f} ms")
    h = comparison.headline
    print(f"  as of {AS_OF}: 可脱困 {h['exit_base']:,} → {h['exit_scen']:,}, 可解困 {h['relief_base']:,} → {h['relief_scen']:,}, "
          f"{h['changed']:,} of {h['households']:,} households change; {h['year']} attainment "
          f"{h['rate_base']}% → {h['rate_scen']}%")
    slow, slow_s = per_date(prepared, scen_tables)
    lagless = policy_lab.simulate(prepared, scenario.resolve(base_tables, QUESTION + (
        scenario.Override("income_lag_months", "0", dt.date(2000, 1, 1)),)), AS_OF)
    agree = int((lagless.first_out == slow).sum())
    print(f"  baseline: evaluate() per month-end, {len(range(int(prepared.first_active.min()), month_index(AS_OF) + 1))} "
          f"runs: {slow_s:.2f} s; ratio {slow_s / lab_s:,.0f}x; first months out agree for {agree:,} of {len(slow):,} households")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--no-demo", action="store_true", help="skip the 3,500-household demo")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not args.no_demo:
        measure("demo (SQLite)", *demo(), runs=args.runs)
    measure("synthetic", *synthetic(args.households), runs=args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())

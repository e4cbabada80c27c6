"""The status engine, case by case from the policy text, and against the straightforward version."""

import datetime as dt
import random

import pandas as pd
import pytest

from core.status_engine import Inputs, evaluate, evaluate_slow, status_as_of

LINE = 60000  # 600.00 yuan
AS_OF = dt.date(2020, 6, 30)


def _months_back(n: int, end=dt.date(2020, 6, 1)) -> dt.date:
    index = end.year * 12 + end.month - 1 - n
    return dt.date(index // 12, index % 12 + 1, 1)


def inputs(per_capita: list[int | None], *, persons=3, lines=None, removed=(dt.date(2019, 1, 1),), hard=False,
           net=False, measure=False, helped=True, transfer=0) -> Inputs:
    """One household whose months end in June 2020; None is a month with no record."""
    rows = []
    for i, pc in enumerate(reversed(per_capita)):
        if pc is not None:
            rows.append({"household_id": 1, "month": _months_back(i), "income_fen": pc * persons, "persons": persons, "transfer_fen": transfer})
    return Inputs(
        incomes=pd.DataFrame(rows, columns=["household_id", "month", "income_fen", "persons", "transfer_fen"]),
        households=pd.DataFrame([{"household_id": 1, "place_code": "130302", "hard_to_exit": hard, "in_safety_net": net,
                                    "has_measure_carried_out": helped or measure, "has_active_measure": measure}]),
        causes=pd.DataFrame([{"household_id": 1, "removed_on": r} for r in removed], columns=["household_id", "removed_on"]),
        lines=pd.DataFrame(lines or [{"place_code": "130302", "effective_from": dt.date(2016, 1, 1), "amount_fen": LINE}]),
        place_names={"130302": "海港区"},
    )


def one(data: Inputs, n: int = 6, lag: int = 1, as_of: dt.date = AS_OF) -> dict:
    return evaluate(data, as_of, n, income_lag_months=lag).iloc[0].to_dict()


@pytest.mark.parametrize(
    "per_capita,run,exit_met",
    [
        ([60001] * 6, 6, True),                    # exactly 6 months strictly above: 脱困
        ([60001] * 5, 5, False),                   # 5 months: not yet
        ([60001] * 3 + [60000] + [60001] * 6, 6, True),   # a month equal to the line breaks the run; then 6 again
        ([60001] * 5 + [60000], 0, False),         # equal to the line in the last month: run 0
        ([60001] * 3 + [None] + [60001] * 3, 3, False),   # a missing month breaks the run
        ([60001] * 6 + [None], 0, False),          # the as-of month itself not recorded (no lag): no run ending there
    ],
)
def test_the_run_of_months_strictly_above_the_line(per_capita, run, exit_met):
    result = one(inputs(per_capita), lag=0)
    assert (result["run_months"], result["exit_met"]) == (run, exit_met)


def test_the_line_rising_mid_run_is_applied_month_by_month():
    lines = [{"place_code": "130302", "effective_from": dt.date(2016, 1, 1), "amount_fen": 60000},
             {"place_code": "130302", "effective_from": dt.date(2020, 4, 1), "amount_fen": 65000}]
    assert one(inputs([62000] * 6, lines=lines))["run_months"] == 0  # above 600 until March, not above 650 since April
    assert one(inputs([66000] * 6, lines=lines))["exit_met"]
    # a line effective on the 15th applies from the next month
    mid = [{"place_code": "130302", "effective_from": dt.date(2016, 1, 1), "amount_fen": 60000},
           {"place_code": "130302", "effective_from": dt.date(2020, 6, 15), "amount_fen": 70000}]
    assert one(inputs([65000] * 6, lines=mid))["exit_met"]


def test_a_cause_not_yet_removed_stops_the_exit():
    result = one(inputs([70000] * 6, removed=(dt.date(2019, 1, 1), None)))
    assert result["run_months"] == 6 and result["open_causes"] == 1 and not result["exit_met"]
    later = one(inputs([70000] * 6, removed=(dt.date(2020, 7, 1),)))  # removed after the as-of date
    assert not later["exit_met"]


@pytest.mark.parametrize(
    "income,persons,line,above,reaches,shown",
    [
        (210002, 3, 70000, True, True, 70000),    # 2,100.02 元 / 3 persons is 700.0066… a head: above 700 (shown 700.00)
        (210000, 3, 70000, False, True, 70000),   # exactly the line × persons: not above (超过), but reaches (达到)
        (209999, 3, 70000, False, False, 69999),  # 1 fen short for the household: neither
        (180001, 3, 60000, True, True, 60000),    # 1 fen over for the household is over
        (60000, 1, 60000, False, True, 60000),
    ],
)
def test_above_and_reaches_are_compared_exactly_in_fen_never_on_the_rounded_per_capita(income, persons, line, above, reaches, shown):
    data = inputs([0] * 6, persons=persons, lines=[{"place_code": "130302", "effective_from": dt.date(2016, 1, 1), "amount_fen": line}],
                  hard=True, net=True, measure=True)
    data.incomes["income_fen"] = income
    result = one(data)
    assert result["per_capita_fen"] == shown  # shown rounded down to the fen
    assert (result["run_months"] == 6, result["exit_met"]) == (above, above)
    assert result["relief_met"] == (reaches and not above)  # 解困 is proposed where 脱困 is not


@pytest.mark.parametrize(
    "per_capita,hard,net,measure,relief",
    [
        (60000, True, True, True, True),     # exactly at the line (including transfers): 解困
        (59999, True, True, True, False),    # 1 fen below
        (60000, False, True, True, False),   # not 难以脱困
        (60000, True, False, True, False),   # not in the safety net
        (60000, True, True, False, False),   # no active union measure
    ],
)
def test_relief(per_capita, hard, net, measure, relief):
    result = one(inputs([50000] * 5 + [per_capita], hard=hard, net=net, measure=measure, transfer=30000))
    assert bool(result["relief_met"]) == relief


def test_a_month_without_a_line_is_a_problem_naming_the_district_and_month():
    lines = [{"place_code": "130302", "effective_from": dt.date(2020, 3, 1), "amount_fen": LINE}]
    result = one(inputs([70000] * 6, lines=lines))
    assert result["problem"] == "海港区 2020年01月 没有生效的低保标准"
    assert result["run_months"] == 4  # the months without a line never count as above it


def test_near_exit_is_four_or_five_months_into_a_run():
    assert one(inputs([70000] * 4))["near_exit"] and one(inputs([70000] * 5))["near_exit"]
    assert not one(inputs([70000] * 3))["near_exit"] and not one(inputs([70000] * 6))["near_exit"]


def test_the_status_as_of_a_date_ignores_later_changes():
    changes = pd.DataFrame([
        {"id": 1, "household_id": 1, "effective_on": dt.date(2017, 3, 1), "to_status": "active"},
        {"id": 2, "household_id": 1, "effective_on": dt.date(2018, 11, 20), "to_status": "exited"},
        {"id": 3, "household_id": 2, "effective_on": dt.date(2017, 5, 1), "to_status": "active"},
        {"id": 9, "household_id": 2, "effective_on": dt.date(2018, 12, 10), "to_status": "exited"},  # recorded later, dated back
        {"id": 4, "household_id": 3, "effective_on": dt.date(2019, 2, 1), "to_status": "active"},  # not on record yet
    ])
    on = status_as_of(changes, dt.date(2018, 12, 31))
    assert on.to_dict() == {1: "exited", 2: "exited"}
    assert status_as_of(changes[changes["id"] != 9], dt.date(2018, 12, 31)).to_dict() == {1: "exited", 2: "active"}
    assert status_as_of(changes, dt.date(2018, 6, 30)).to_dict() == {1: "active", 2: "active"}


def test_the_vectorised_engine_agrees_with_the_straightforward_one():
    rng = random.Random(7)
    incomes, households, causes = [], [], []
    for hid in range(1, 201):
        place = rng.choice(["130302", "130322"])
        households.append({"household_id": hid, "place_code": place, "hard_to_exit": rng.random() < 0.3,
                           "in_safety_net": rng.random() < 0.5, "has_active_measure": rng.random() < 0.7,
                           "has_measure_carried_out": rng.random() < 0.6})
        causes.append({"household_id": hid, "removed_on": rng.choice([None, dt.date(2018, 5, 1), dt.date(2021, 1, 1)])})
        level = rng.randint(45000, 75000)
        stop = rng.choice([30, 30, 29, 28, 17])  # some files' incomes end early
        for m in range(stop):
            if rng.random() < 0.05:
                continue
            month = dt.date(2018 + m // 12, m % 12 + 1, 1)
            persons = rng.randint(1, 5)
            incomes.append({"household_id": hid, "month": month, "income_fen": (level + rng.randint(-8000, 8000)) * persons,
                            "persons": persons, "transfer_fen": 0})
    lines = pd.DataFrame([
        {"place_code": "130302", "effective_from": dt.date(2016, 1, 1), "amount_fen": 60000},
        {"place_code": "130302", "effective_from": dt.date(2019, 7, 1), "amount_fen": 63000},
        {"place_code": "130322", "effective_from": dt.date(2016, 1, 1), "amount_fen": 52000},
        {"place_code": "130322", "effective_from": dt.date(2020, 1, 15), "amount_fen": 56000},
    ])
    data = Inputs(pd.DataFrame(incomes), pd.DataFrame(households), pd.DataFrame(causes), lines, {"130302": "海港区", "130322": "昌黎县"})
    seen = set()
    for as_of in (dt.date(2019, 12, 31), dt.date(2020, 6, 30)):
        for lag in (0, 1, 2):
            fast = evaluate(data, as_of, 6, income_lag_months=lag).set_index("household_id")
            slow = evaluate_slow(data, as_of, 6, income_lag_months=lag)
            for column in ("judged_month", "run_months", "exit_met", "relief_met", "unhelped", "missing_recent"):
                assert (fast[column].astype(int) == slow[column].astype(int).reindex(fast.index)).all(), column
            seen |= {column for column in ("exit_met", "relief_met", "unhelped", "missing_recent") if fast[column].any()}
    assert seen == {"exit_met", "relief_met", "unhelped", "missing_recent"}  # every outcome was exercised


# --- the month judged, per file (income_lag_months) -----------------------------------------------------------

@pytest.mark.parametrize(
    "per_capita,lag,judged,run,exit_met,missing",
    [
        ([70000] * 6, 1, "2020-06", 6, True, False),                 # June recorded: judged on June
        ([70000] * 8 + [None], 1, "2020-05", 8, True, False),        # 8 months above, June not entered yet: judged on May
        ([70000] * 8 + [None], 0, None, 0, False, True),             # without a lag it cannot be judged
        ([70000] * 8 + [None, None], 1, None, 0, False, True),       # neither June nor May: 缺近期收入, no proposal
        ([70000] * 8 + [None, None], 2, "2020-04", 8, True, False),  # a lag of 2 reaches April
        ([70000] * 5 + [None], 1, "2020-05", 5, False, False),       # judged on May: 5 months, 即将脱困
    ],
)
def test_each_file_is_judged_on_its_own_latest_month_within_the_lag(per_capita, lag, judged, run, exit_met, missing):
    result = one(inputs(per_capita), lag=lag)
    month = f"{result['judged_month'] // 12}-{result['judged_month'] % 12 + 1:02d}" if result["judged_month"] >= 0 else None
    assert (month, result["run_months"], bool(result["exit_met"]), bool(result["missing_recent"])) == (judged, run, exit_met, missing)
    if missing:
        assert result["suggestion"] == "" and not result["near_exit"] and not result["unhelped"]
        assert result["lacking_month"] == 2020 * 12 + 5 - lag  # the earliest month of the window it lacks


def test_relief_is_judged_on_the_judged_month_never_on_an_old_one():
    # the only income is 2017-01: on 2020-12-31 the file is 缺近期收入, not 可解困
    data = inputs([60000], hard=True, net=True, measure=True)
    data.incomes["month"] = dt.date(2017, 1, 1)
    result = one(data, as_of=dt.date(2020, 12, 31))
    assert result["suggestion"] == "" and result["missing_recent"] and not result["relief_met"]
    assert one(data, as_of=dt.date(2017, 1, 31))["suggestion"] == "relief"
    assert one(data, as_of=dt.date(2017, 2, 28))["suggestion"] == "relief"  # January is within the lag on 2017-02-28
    assert one(data, as_of=dt.date(2017, 3, 31))["missing_recent"]


def test_files_in_one_scope_are_judged_each_on_their_own_months():
    data = inputs([70000] * 8 + [None])  # May is this file's last month
    other = data.incomes.iloc[[-1]].assign(household_id=2, month=dt.date(2020, 6, 1))  # another file has June already
    data = Inputs(pd.concat([data.incomes, other], ignore_index=True),
                  pd.concat([data.households, data.households.assign(household_id=2)], ignore_index=True),
                  data.causes, data.lines, data.place_names)
    result = evaluate(data, AS_OF, 6, income_lag_months=1).set_index("household_id")
    assert result.at[1, "exit_met"] and result.at[1, "judged_month"] == 2020 * 12 + 4  # still judged on its own May
    assert result.at[2, "judged_month"] == 2020 * 12 + 5 and result.at[2, "run_months"] == 1


# --- 经精准帮扶后 ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "removed,helped,exit_met,unhelped,near",
    [
        ((dt.date(2019, 1, 1),), True, True, False, False),   # income, causes and a measure carried out: 可脱困
        ((dt.date(2019, 1, 1),), False, False, True, False),  # no measure carried out: 收入已达标、未记录帮扶, not proposed
        ((None,), False, False, False, True),                 # a cause still open: 即将脱困 (only the cause is missing)
    ],
)
def test_exit_needs_a_measure_carried_out(removed, helped, exit_met, unhelped, near):
    result = one(inputs([70000] * 6, removed=removed, helped=helped))
    assert (bool(result["exit_met"]), bool(result["unhelped"]), bool(result["near_exit"])) == (exit_met, unhelped, near)
    assert result["suggestion"] == ("exit" if exit_met else "")


def test_eight_months_above_with_december_not_entered_is_an_exit_judged_on_november():
    # the example: on 2020-12-31 a household 8 months above the line whose December is not entered yet
    data = inputs([70000] * 8)
    data.incomes["month"] = [dt.date(2020, m, 1) for m in range(4, 12)]  # April–November
    result = one(data, as_of=dt.date(2020, 12, 31), lag=1)
    assert result["suggestion"] == "exit" and result["run_months"] == 8 and result["judged_month"] == 2020 * 12 + 10
    assert one(data, as_of=dt.date(2020, 12, 31), lag=0)["missing_recent"]  # without the lag: 缺近期收入, not judged

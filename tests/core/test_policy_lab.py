"""The policy lab's simulation on hand-made households: the five groups, the money gap, a scenario equal to the
baseline, and the baseline tables left as they were."""

import copy
import datetime as dt

import pandas as pd
import pytest

from core import policy_lab
from core.parameters import SEED_DATE, SPECS
from core.scenario import DatedTables

AS_OF = dt.date(2018, 12, 31)
LINE = 50_000  # 500 yuan per person and month


def tables(line_from_2018: int = LINE, run_from_2018: int = 6) -> DatedTables:
    params = {s.key: [(SEED_DATE, s.default)] for s in SPECS}
    params["baseline_date"] = [(SEED_DATE, "2017-12-31")]
    if run_from_2018 != 6:
        params["exit_run_months"] = [(SEED_DATE, "6"), (dt.date(2018, 1, 1), str(run_from_2018))]
    lines = [("P", dt.date(2016, 1, 1), LINE)]
    if line_from_2018 != LINE:
        lines.append(("P", dt.date(2018, 1, 1), line_from_2018))
    return DatedTables(pd.DataFrame(lines, columns=["place_code", "effective_from", "amount_fen"]), params)


SCENARIO = tables(line_from_2018=60_000, run_from_2018=3)  # the line ×1.2 and a run of 3 months, from 2018


def lab(incomes: dict[int, list[int]], *, hard: set[int] = frozenset(), persons: dict[int, int] | None = None,
        open_cause: set[int] = frozenset(), withdrawn: dict[int, dt.date] | None = None) -> policy_lab.Prepared:
    """Households filed on 2017-12-01 (in the 2017 cohort), a measure going on and the cause removed from 2018-01-01,
    assistance in force throughout; incomes[h] = income (fen) of January… of 2018."""
    ids = sorted(incomes)
    persons = persons or {}
    withdrawn = withdrawn or {}
    income_rows = [(h, 2018 * 12 + i, fen, persons.get(h, 1), 0, 0) for h in ids for i, fen in enumerate(incomes[h])]
    changes = [(2 * h, h, dt.date(2017, 12, 1), "active", "filed") for h in ids]
    changes += [(2 * h + 1, h, day, "withdrawn", "other") for h, day in withdrawn.items()]
    data = policy_lab.LabData(
        households=pd.DataFrame({"household_id": ids, "file_no": [f"F{h}" for h in ids], "name": [f"户主{h}" for h in ids],
                                 "place_code": "P", "place_name": "甲区", "hard_to_exit": [h in hard for h in ids],
                                 "casualty": False, "category": "dibao", "main_cause": "unemployed"}),
        incomes=pd.DataFrame(income_rows, columns=["household_id", "month_index", "income_fen", "persons",
                                                   "special_spending_fen", "accident_spending_fen"]),
        causes=pd.DataFrame({"household_id": ids, "removed_on": [None if h in open_cause else dt.date(2018, 1, 1) for h in ids]}),
        measures=pd.DataFrame({"measure_id": ids, "household_id": ids, "status": "in_progress",
                               "start_on": dt.date(2018, 1, 1), "end_on": None, "track": "employment"}),
        measure_history=pd.DataFrame(columns=["measure_id", "to_status", "effective_on", "id"]),
        assistance=pd.DataFrame({"household_id": ids, "from_on": dt.date(2017, 1, 1), "to_on": None}),
        changes=pd.DataFrame(changes, columns=["id", "household_id", "effective_on", "to_status", "reason"]),
        payments=pd.DataFrame({"household_id": [ids[0]], "paid_on": [dt.date(2018, 6, 1)], "amount_fen": [123_400]}),
        place_names={"P": "甲区"}, today=dt.date(2019, 1, 15))
    return policy_lab.prepare(data)


def run(prepared, base=None, scen=SCENARIO):
    base = base or tables()
    return policy_lab.compare(prepared, policy_lab.simulate(prepared, base, AS_OF), policy_lab.simulate(prepared, scen, AS_OF))


def by_file(comparison) -> dict[str, tuple]:
    return {r["档案编号"]: (r["分组"], r["基线月份"], r["方案月份"]) for r in comparison.outcomes.to_dict("records")}


def test_the_five_groups_with_their_months():
    above_both, between, below = 65_000, 55_000, 40_000  # above 1.2 × the line; above the line only; below it
    prepared = lab({
        1: [above_both] * 4 + [below] * 8,          # a run of 4: out only when 3 months suffice
        2: [above_both] * 12,                       # out after 3 months instead of 6
        3: [below] * 12,                            # never out
        4: [between] * 12,                          # out on the line, not on 1.2 × the line
        5: [between] * 7 + [above_both] * 5,        # out in June; under the scenario only from August, in October
    })
    result = run(prepared)
    assert by_file(result) == {
        "F1": ("新增解困脱困", "", "2018年03月"),
        "F2": ("提前", "2018年06月", "2018年03月"),
        "F4": ("不再解困脱困", "2018年06月", ""),
        "F5": ("推后", "2018年06月", "2018年10月"),
    }
    groups = result.groups.set_index("区县")
    assert groups.loc["合计"].to_dict() == {"新增解困脱困": 1, "不再解困脱困": 1, "提前": 1, "推后": 1, "不变": 1}
    assert result.headline["changed"] == 4 and result.headline["households"] == 5


def test_a_withdrawn_file_is_not_out_after_it_left():
    prepared = lab({1: [65_000] * 12}, withdrawn={1: dt.date(2018, 4, 20)})
    # the baseline's run of 6 ends in June, after the withdrawal; the scenario's run of 3 ends in March, before it
    assert by_file(run(prepared)) == {"F1": ("新增解困脱困", "", "2018年03月")}


def test_a_scenario_equal_to_the_baseline_changes_nothing():
    prepared = lab({1: [65_000] * 12, 2: [55_000] * 6 + [40_000] * 6, 3: [50_000] * 12}, hard={3}, open_cause={3})
    result = run(prepared, scen=tables())
    assert result.outcomes.empty and result.headline["changed"] == 0
    for frame in result.counts.values():
        assert (frame[[c for c in frame.columns if c.endswith("·差异")]] == 0).all().all()
    assert (result.attainment["累计完成户数·差异"].dropna() == 0).all()
    assert (result.money["月缺口(元)·差异"] == 0).all()
    curves = result.curves.pivot(index="月份", columns="系列", values="累计完成%")
    assert (curves["基线（模拟）"] == curves["方案（模拟）"]).all()


def test_the_money_gap_of_the_hard_to_exit_files():
    # 3: one person at the line exactly (解困 reaches it); 4: two persons far below it; 5: not 难以脱困 (no gap counted)
    prepared = lab({3: [50_000] * 12, 4: [30_000] * 12, 5: [10_000] * 12}, hard={3, 4}, open_cause={3, 4, 5},
                   persons={4: 2})
    money = run(prepared).money.set_index("区县")
    total = money.loc["合计"]
    assert total["难以脱困户数"] == 2
    assert total["月缺口(元)·基线"] == (0 + (2 * 50_000 - 30_000)) / 100
    assert total["月缺口(元)·方案"] == ((60_000 - 50_000) + (2 * 60_000 - 30_000)) / 100
    assert total["全年缺口(元)·方案"] == 12 * total["月缺口(元)·方案"]
    assert total["当年已发放(元)"] == 1234.0
    # 3 meets 解困 under the baseline (income reaches the line), not under a line 1.2 × as high
    assert by_file(run(prepared))["F3"] == ("不再解困脱困", "2018年01月", "")


def test_the_counts_as_of_the_day_follow_the_scenario():
    prepared = lab({1: [65_000] * 12, 2: [55_000] * 12, 3: [60_000] * 10 + [65_000] * 2})
    total = run(prepared).counts["区县"].set_index("分组").loc["合计"]
    # as of December: 1 and 2 have a run of 12 above the line; under ×1.2 only 1 has (3: a run of 2 of the 3 needed)
    assert (total["可脱困·基线"], total["可脱困·方案"]) == (3, 1)
    assert (total["即将脱困·基线"], total["即将脱困·方案"]) == (0, 1)


def test_the_baseline_tables_are_not_changed():
    base, scen = tables(), SCENARIO
    before = (copy.deepcopy(base.params), base.lines.copy(), copy.deepcopy(scen.params), scen.lines.copy())
    prepared = lab({1: [65_000] * 12, 2: [55_000] * 12})
    run(prepared, base=base, scen=scen)
    assert base.params == before[0] and scen.params == before[2]
    pd.testing.assert_frame_equal(base.lines, before[1])
    pd.testing.assert_frame_equal(scen.lines, before[3])


@pytest.mark.parametrize("income, multiple, out", [(55_001, "1.1", "2018年06月"), (55_000, "1.1", ""), (55_001, "1.3", "")])
def test_an_exit_multiple_is_compared_exactly(income, multiple, out):
    # 55,000 fen against 50,000 × 1.1 = 55,000: not strictly above; 55,001 is
    prepared = lab({1: [income] * 12})
    scen = tables()
    scen.params["exit_multiple"] = [(SEED_DATE, "1"), (dt.date(2018, 1, 1), multiple)]
    assert by_file(run(prepared, scen=scen)).get("F1", ("不变", "2018年06月", "2018年06月"))[2] == out

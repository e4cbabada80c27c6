"""The plan rules: payment schedules, measures as typed, suggested tracks, coverage, the work queues, the ledger."""

import datetime as dt

import pandas as pd
import pytest

from core.ledger import TOTAL, totals
from core.plan import (MAX_PAYMENTS, FileFacts, MeasureFact, PlanErrors, check_helper, check_measure, check_visit, coverage,
                       payment_dates, suggest_tracks)
from core.worklist import work_queues

D = dt.date
TODAY = D(2026, 11, 29)


@pytest.mark.parametrize("first, every, count, until, expected", [
    (D(2026, 1, 31), "monthly", 4, None, [D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30)]),
    (D(2024, 2, 29), "yearly", 3, None, [D(2024, 2, 29), D(2025, 2, 28), D(2026, 2, 28)]),
    (D(2026, 11, 30), "quarterly", 3, None, [D(2026, 11, 30), D(2027, 2, 28), D(2027, 5, 30)]),
    (D(2026, 7, 10), "half_yearly", 2, None, [D(2026, 7, 10), D(2027, 1, 10)]),
    (D(2026, 3, 5), "once", 9, None, [D(2026, 3, 5)]),  # a one-off payment is one payment, whatever the count says
    (D(2026, 1, 15), "monthly", 12, D(2026, 4, 14), [D(2026, 1, 15), D(2026, 2, 15), D(2026, 3, 15)]),  # none after the end
])
def test_payment_schedules(first, every, count, until, expected):
    assert payment_dates(first, every, count, until=until) == expected


def measure(**over) -> dict:
    raw = {"track": "medical", "programme": "love_card", "cause": "6", "content": "工会爱心卡", "status": "in_progress",
           "start_on": D(2026, 1, 1), "end_on": None, "responsible": "张帮扶", "amount": "200", "fund_source": "union",
           "pay_every": "monthly", "first_pay_on": D(2026, 1, 15), "pay_count": 12}
    raw.update(over)
    return raw


def errors_of(**over) -> dict:
    with pytest.raises(PlanErrors) as caught:
        check_measure(measure(**over), file_causes={"6", "9"}, today=TODAY)
    return caught.value.errors


def test_a_good_measure_and_its_payments():
    clean = check_measure(measure(), file_causes={"6"}, today=TODAY)
    assert clean.amount_fen == 20000 and clean.pay_count == 12 and len(clean.payment_dates()) == 12
    plain = check_measure(measure(track="warmth", programme=None, cause=None, amount="", fund_source=None), file_causes=set(), today=TODAY)
    assert plain.amount_fen is None and plain.pay_every is None and plain.payment_dates() == []


@pytest.mark.parametrize("over, field, words", [
    ({"track": None}, "track", "措施类别"),
    ({"programme": "golden_autumn"}, "programme", "社会救助兜底"),  # 金秋助学 is 教育救助, not 医疗
    ({"cause": None}, "cause", "致困原因"),
    ({"cause": "3"}, "cause", "下岗失业"),  # not a cause of this file
    ({"content": "  "}, "content", "帮扶内容"),
    ({"status": "in_progress", "start_on": TODAY + dt.timedelta(days=1)}, "status", "计划"),
    ({"status": "done"}, "end_on", "结束日期"),
    ({"status": "done", "end_on": TODAY + dt.timedelta(days=3)}, "end_on", "不能晚于今天"),
    ({"end_on": D(2025, 12, 31)}, "end_on", "早于开始日期"),
    ({"amount": "12.345"}, "amount", "两位小数"),
    ({"amount": "0"}, "amount", "大于0"),
    ({"amount": "", "fund_source": "union"}, "amount", "金额"),
    ({"fund_source": None}, "fund_source", "资金来源"),
    ({"pay_count": 0}, "pay_count", str(MAX_PAYMENTS)),
    ({"pay_count": MAX_PAYMENTS + 1}, "pay_count", str(MAX_PAYMENTS)),
    ({"first_pay_on": D(2025, 12, 1)}, "first_pay_on", "早于措施开始日期"),
    ({"first_pay_on": None}, "first_pay_on", "发放日期"),
])
def test_a_bad_measure_is_refused_at_its_field(over, field, words):
    errors = errors_of(**over)
    assert field in errors and words in errors[field]


def test_warmth_needs_no_cause_but_the_four_tracks_do():
    check_measure(measure(track="warmth", programme=None, cause=None), file_causes=set(), today=TODAY)
    assert "cause" in errors_of(track="safety_net", programme=None, cause=None)


def test_visits_and_helpers_as_typed():
    with pytest.raises(PlanErrors) as caught:
        check_visit({"visited_on": TODAY + dt.timedelta(days=1), "visitor": "", "kind": "home", "notes": ""}, today=TODAY)
    assert set(caught.value.errors) == {"visited_on", "visitor", "notes"}
    with pytest.raises(PlanErrors) as caught:
        check_helper({"helper_name": "张三", "helper_unit": "", "helper_phone": "2345", "start_on": TODAY}, today=TODAY)
    assert set(caught.value.errors) == {"helper_unit", "helper_phone"}
    assert check_helper({"helper_name": " 张三 ", "helper_unit": "港务集团工会", "helper_phone": "138 0000 1111", "start_on": TODAY},
                        today=TODAY)["helper_phone"] == "13800001111"


def tracks(**facts) -> dict[str, tuple[str, ...]]:
    base = {"open_causes": (), "able_to_work": 1, "zero_employment": False}
    return {s.track: s.reasons for s in suggest_tracks(FileFacts(**(base | facts)))}


@pytest.mark.parametrize("causes, expected", [
    (("2",), {"employment"}), (("3",), {"employment"}), (("4",), {"insurance"}), (("5",), {"insurance"}),
    (("6",), {"medical"}), (("1",), {"safety_net"}), (("9",), {"safety_net"}), (("7", "8"), {"safety_net"}),
    (("3", "6", "4"), {"employment", "medical", "insurance"}), ((), set()), (("10",), set()),
])
def test_the_causes_suggest_the_domains_tracks(causes, expected):
    assert set(tracks(open_causes=causes)) == expected


def test_the_other_facts_suggest_tracks_with_their_reasons():
    # below the line with no one able to work → 兜底, even with no cause saying so
    assert any("无人有劳动能力" in r for r in tracks(below_line=True, able_to_work=0, safety_net=("dibao",))["safety_net"])
    # below the line but able to work and already in 低保: not a 兜底 case on that ground
    assert "safety_net" not in tracks(below_line=True, able_to_work=2, safety_net=("dibao",))
    assert "safety_net" not in tracks(below_line=True, able_to_work=2, safety_net=("tekun", "medical"))
    # 临时救助 or 医疗救助 alone is no subsistence income: still help to apply for 低保
    assert any("尚未纳入低保" in r for r in tracks(below_line=True, able_to_work=2, safety_net=("temporary", "medical"))["safety_net"])
    assert any("尚未纳入低保" in r for r in tracks(below_line=True, able_to_work=2)["safety_net"])
    assert any("零就业" in r for r in tracks(zero_employment=True)["employment"])
    assert any("王琳" in r for r in tracks(uninsured=("王琳",))["insurance"])
    assert any("核实" in r for r in tracks(open_causes=("2",), able_to_work=0)["employment"])


def test_coverage_flags_causes_with_no_measure_in_hand():
    facts = FileFacts(open_causes=("3", "6", "9"), able_to_work=1, zero_employment=False)
    result = coverage(facts, [MeasureFact("3", "in_progress", "employment"), MeasureFact("6", "done", "medical"),
                              MeasureFact(None, "in_progress", "warmth")])
    assert result.uncovered_causes == ["6", "9"] and result.finished_only == {"6"}
    assert result.tracks_without_measure == ["medical", "safety_net"]


def facts_row(**over) -> dict:
    row = {"household_id": 1, "status": "active", "filed_on": D(2025, 1, 1), "closed_on": None, "has_helper": True,
           "open_measures": 1, "uncovered_causes": 0, "last_visit": D(2026, 10, 1), "visited_since_close": False,
           "has_last_month_income": True, "run_months": 0, "open_causes": 1, "near_exit": False,
           "last_activity": D(2026, 11, 1), "helped": True, "unhelped": False, "missing_recent": False, "lacking_month": -1,
           "income_lag_months": 1,
           "historical_import": False, "unchecked_exclusions": "", "category": "dibao"}
    row.update(over)
    return row


def queues_of(**over) -> dict[str, str]:
    frame = pd.DataFrame([facts_row(**over)])
    found = work_queues(frame, TODAY, visit_interval_months=6, followup_months=6, exit_run_months=6)
    return dict(zip(found["queue"], found["detail"]))


@pytest.mark.parametrize("over, queue, expected", [
    ({}, None, None),  # a file in order is in no queue
    ({"has_helper": False}, "no_helper", True),
    ({"open_measures": 0}, "no_plan", True),
    ({"uncovered_causes": 2}, "uncovered_cause", True),
    ({"last_visit": D(2026, 5, 29)}, "visit_overdue", False),  # exactly six months ago: due today, not late
    ({"last_visit": D(2026, 5, 28)}, "visit_overdue", True),
    ({"last_visit": None, "filed_on": D(2026, 6, 1)}, "visit_overdue", False),  # filed less than six months ago
    ({"last_visit": None, "filed_on": D(2026, 5, 1)}, "visit_overdue", True),
    ({"has_last_month_income": False}, "income_missing", True),
    ({"has_last_month_income": False, "filed_on": D(2026, 11, 2)}, "income_missing", False),  # filed after October
    ({"has_last_month_income": False, "filed_on": D(2026, 10, 1)}, "income_missing", True),  # on file all October
    ({"last_visit": D(2026, 10, 28), "visit_interval": 1}, "visit_overdue", True),  # this file is visited monthly
    ({"last_visit": D(2026, 10, 29), "visit_interval": 1}, "visit_overdue", False),
    ({"near_exit": True, "run_months": 5}, "near_exit", True),
    ({"unhelped": True, "run_months": 7, "open_causes": 0}, "exit_unhelped", True),  # 经精准帮扶后 is missing
    ({"missing_recent": True, "lacking_month": 2026 * 12 + 8}, "income_not_recent", True),
    ({"missing_recent": True, "lacking_month": 2026 * 12 + 8, "status": "exited", "closed_on": D(2026, 11, 1)},
     "income_not_recent", False),  # closed files are not judged
    ({"last_activity": D(2025, 11, 28)}, "untouched", True),
    ({"last_activity": D(2025, 11, 29)}, "untouched", False),
    ({"helped": False}, "never_helped", True),
    ({"status": "exited", "closed_on": D(2026, 6, 1)}, "followup_due", True),
    ({"status": "relieved", "closed_on": D(2026, 6, 1), "visited_since_close": True}, "followup_due", False),
    ({"status": "exited", "closed_on": D(2026, 5, 28)}, "followup_due", False),  # the follow-up period is over
    ({"status": "withdrawn", "closed_on": D(2026, 11, 1), "has_helper": False}, "no_helper", False),
    # 待补核查: a file brought in 在档 from another system whose exclusions nobody has checked, or with no category
    ({"historical_import": True, "unchecked_exclusions": "拥有两套及以上住房、经营商铺或雇佣他人"}, "checks_missing", True),
    ({"historical_import": True, "category": None}, "checks_missing", True),
    ({"historical_import": True}, "checks_missing", False),  # all four checked, a category: done
    ({"unchecked_exclusions": "经常使用机动车辆（非工作需要）"}, "checks_missing", False),  # filed here: checked before 在档
    ({"category": None}, "checks_missing", False),  # a file filed here got its category at 在档 (or was reassessed)
    ({"status": "applying", "historical_import": True, "unchecked_exclusions": "拥有两套及以上住房"}, "checks_missing", False),
])
def test_work_queue_rules(over, queue, expected):
    found = queues_of(**over)
    if queue is None:
        assert found == {}
    else:
        assert (queue in found) is expected


def test_a_visit_is_late_the_day_after_it_was_due_even_at_a_months_end():
    frame = pd.DataFrame([facts_row(last_visit=D(2026, 2, 28))])
    for today, late in ((D(2026, 8, 28), False), (D(2026, 8, 29), True), (D(2026, 8, 31), True)):
        found = work_queues(frame, today, visit_interval_months=6, followup_months=6, exit_run_months=6)
        assert ("visit_overdue" in set(found["queue"])) is late, today
    assert "应于 2026-08-28 前走访" in dict(zip(found["queue"], found["detail"]))["visit_overdue"]


def test_a_schedule_stops_at_the_measures_end_and_a_plan_pays_nothing_yet():
    clean = check_measure(measure(end_on=D(2026, 3, 31)), file_causes={"6"}, today=TODAY)
    assert clean.pay_count == 3 and len(clean.payment_dates()) == 3  # the stored count is what will be paid
    assert "first_pay_on" in errors_of(status="planned", start_on=D(2026, 1, 1), first_pay_on=D(2026, 1, 15))
    planned = check_measure(measure(status="planned", start_on=TODAY, first_pay_on=D(2027, 1, 15)), file_causes={"6"}, today=TODAY)
    assert planned.payment_dates()[0] == D(2027, 1, 15)


def test_income_not_recent_names_the_months_it_lacks():
    detail = queues_of(missing_recent=True, lacking_month=2026 * 12 + 8, income_lag_months=1)["income_not_recent"]
    assert detail.startswith("2026年09月至2026年10月没有收入记录")


def test_checks_missing_says_what_is_missing():
    text = queues_of(historical_import=True, unchecked_exclusions="拥有两套及以上住房", category=None)["checks_missing"]
    assert text == "导入的历史档案，尚未核查：拥有两套及以上住房；按导入的收入未能认定困难类别（见档案的认定理由）"


def test_near_exit_says_what_is_missing():
    assert "5 个月" in queues_of(near_exit=True, run_months=5)["near_exit"]
    assert "致困原因未消除" in queues_of(near_exit=True, run_months=9, open_causes=1)["near_exit"]


def test_ledger_totals_add_up_to_the_rows():
    rows = pd.DataFrame({"区县": ["海港区", "海港区", "昌黎县", "昌黎县"], "资金来源": ["工会经费", "社会捐赠", "工会经费", "工会经费"],
                         "amount_fen": [12345, 1, 99999, 7], "household_id": [1, 1, 2, 3]})
    table = totals(rows, "区县", "资金来源")
    assert table.at[TOTAL, TOTAL] == rows["amount_fen"].sum()
    assert table.at["昌黎县", "工会经费"] == 100006 and table.at["海港区", TOTAL] == 12346
    assert table.at[TOTAL, "社会捐赠"] == 1 and str(table.dtypes.iloc[0]) == "int64"
    assert totals(rows, "资金来源").at[TOTAL, TOTAL] == 112352
    assert totals(rows.iloc[0:0], "区县", "资金来源").at[TOTAL, TOTAL] == 0

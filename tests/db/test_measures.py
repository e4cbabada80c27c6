"""Measures, payment schedules, pairing, visits, the work queues and the ledger, on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.ledger import TOTAL, totals
from db import households as hh
from db import ledger, measures, pairings, visits, worklist
from db.engine import reading, transaction
from db.errors import Conflict, NotFound, ValidationError
from db.models import AidPayment, AuditLog, Measure, Pairing, Visit
from tests.db.support import actor_of, add_file

TODAY = dt.date(2026, 11, 29)


def love_card(**over) -> dict:
    """工会爱心卡: 200 yuan a month, 12 payments from 15 June 2026 (six of them still to come)."""
    raw = {"track": "medical", "programme": "love_card", "cause": "6", "content": "办理工会爱心卡，按月发放医疗救助金",
           "status": "in_progress", "start_on": dt.date(2026, 6, 1), "end_on": None, "responsible": "张帮扶",
           "amount": "200", "fund_source": "union", "pay_every": "monthly", "first_pay_on": dt.date(2026, 6, 15), "pay_count": 12}
    raw.update(over)
    return raw


def job(**over) -> dict:
    """推荐就业: a measure with no money."""
    raw = love_card(cause="3", track="employment", programme=None, content="推荐到港务集团从事保洁工作", amount="", fund_source=None,
                    pay_every=None, first_pay_on=None, pay_count=None)
    raw.update(over)
    return raw


def test_a_monthly_schedule_produces_its_payments_and_the_audit(db_engine):
    with transaction(db_engine) as s:
        hid = add_file(s, 1, causes=("6",)).id
        measure, paid = measures.add_measure(s, actor_of(s), hid, love_card(), today=TODAY)
        mid = measure.id
    assert paid == 12
    with reading(db_engine) as s:
        rows = s.scalars(select(AidPayment).where(AidPayment.measure_id == mid).order_by(AidPayment.paid_on)).all()
        assert [r.paid_on for r in rows][:3] == [dt.date(2026, 6, 15), dt.date(2026, 7, 15), dt.date(2026, 8, 15)]
        assert rows[-1].paid_on == dt.date(2027, 5, 15)
        assert {(r.amount_fen, r.fund_source, r.track, r.programme) for r in rows} == {(20000, "union", "medical", "love_card")}
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "aid_payment")) == 12
        plan = measures.plan_of(s, actor_of(s), s.get(measures.Household, hid), TODAY)
        assert plan.paid_fen == 6 * 20000 and plan.planned_fen == 6 * 20000  # Jun–Nov paid, Dec–May to come


def test_changing_the_schedule_replaces_only_the_payments_still_to_come(db_engine):
    with transaction(db_engine) as s:
        hid = add_file(s, 1, causes=("6",)).id
        measure, _ = measures.add_measure(s, actor_of(s), hid, love_card(), today=TODAY)
        mid, version = measure.id, measure.version
    with transaction(db_engine) as s:
        changed, removed, added = measures.update_measure(s, actor_of(s), mid, love_card(amount="300"), expected_version=version,
                                                          today=TODAY)
    assert changed == ["amount_fen"] and removed == 6 and added == 6
    with reading(db_engine) as s:
        rows = s.execute(select(AidPayment.paid_on, AidPayment.amount_fen).where(AidPayment.measure_id == mid)
                         .order_by(AidPayment.paid_on)).all()
        assert [a for d, a in rows if d <= TODAY] == [20000] * 6  # what was paid stays as it was
        assert [a for d, a in rows if d > TODAY] == [30000] * 6
    # finishing the measure early drops the payments after its end
    with transaction(db_engine) as s:
        m = s.get(Measure, mid)
        measures.update_measure(s, actor_of(s), mid, love_card(amount="300", status="done", end_on=TODAY), expected_version=m.version,
                                today=TODAY)
    with reading(db_engine) as s:
        assert s.scalar(select(func.max(AidPayment.paid_on)).where(AidPayment.measure_id == mid)) <= TODAY


def test_a_stale_measure_or_another_districts_file_is_refused(db_engine):
    with transaction(db_engine) as s:
        hid = add_file(s, 1, causes=("6",)).id
        measure, _ = measures.add_measure(s, actor_of(s), hid, love_card(), today=TODAY)
        mid, version = measure.id, measure.version
    with transaction(db_engine) as s:
        measures.update_measure(s, actor_of(s), mid, love_card(content="改为：爱心卡按月发放"), expected_version=version, today=TODAY)
    with pytest.raises(Conflict), transaction(db_engine) as s:
        measures.update_measure(s, actor_of(s), mid, love_card(content="另一人的修改"), expected_version=version, today=TODAY)
    with pytest.raises(NotFound), transaction(db_engine) as s:
        measures.add_measure(s, actor_of(s, "山海关区总工会"), hid, love_card(), today=TODAY)
    with reading(db_engine) as s:
        assert s.get(Measure, mid).content == "改为：爱心卡按月发放"
        assert s.scalar(select(func.count()).select_from(Measure)) == 1


def test_a_bad_measure_writes_nothing_and_says_where(db_engine):
    with transaction(db_engine) as s:
        hid = add_file(s, 1, causes=("6",)).id
    with pytest.raises(ValidationError) as caught, transaction(db_engine) as s:
        measures.add_measure(s, actor_of(s), hid, love_card(cause="3", amount="两百"), today=TODAY)
    assert set(caught.value.errors) == {"cause", "amount"}
    with reading(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(Measure)) == 0
        assert s.scalar(select(func.count()).select_from(AidPayment)) == 0


def test_closing_as_exited_stops_the_planned_payments_but_relief_keeps_them(db_engine):
    with transaction(db_engine) as s:
        a, b = add_file(s, 1, causes=("6",)), add_file(s, 2, causes=("6",))
        for household in (a, b):
            measures.add_measure(s, actor_of(s), household.id, love_card(), today=TODAY)
        ids = {a.id: a.version, b.id: b.version}
    with transaction(db_engine) as s:
        for hid, to in zip(ids, ("exited", "relieved")):
            hh.close_household(s, actor_of(s), hid, expected_version=ids[hid], to_status=to, effective_on=TODAY,
                               note="测试：人工确认", today=TODAY)
    with reading(db_engine) as s:
        left = dict(s.execute(select(AidPayment.household_id, func.count()).where(AidPayment.paid_on > TODAY)
                              .group_by(AidPayment.household_id)).all())
    assert left == {b.id: 6}


def test_a_helper_leaving_moves_all_40_files_in_one_action(db_engine):
    start = dt.date(2025, 3, 1)
    with transaction(db_engine) as s:
        actor = actor_of(s)
        ids = [add_file(s, n).id for n in range(1, 41)]
        pairings.assign_helper(s, actor, ids, {"helper_name": "李离职", "helper_unit": "港务集团工会", "start_on": start},
                               expected={i: None for i in ids}, today=TODAY)
        other = add_file(s, 99, org_name="山海关区总工会").id  # same name, another district: not this user's to move
        pairings.assign_helper(s, actor_of(s, "山海关区总工会"), [other], {"helper_name": "李离职", "helper_unit": "港务集团工会",
                                                                         "start_on": start}, expected={other: None}, today=TODAY)
        measures.add_measure(s, actor, ids[0], job(responsible="李离职"), today=TODAY)
    with reading(db_engine) as s:
        shown = pairings.helper_files(s, actor, "李离职", "港务集团工会")
        seen = dict(zip(shown["pairing_id"].astype(int), shown["version"].astype(int)))
    assert len(seen) == 40
    with transaction(db_engine) as s:
        moved, moved_measures = pairings.reassign_helper(
            s, actor_of(s), "李离职", "港务集团工会", {"helper_name": "王接任", "helper_unit": "港务集团工会", "helper_phone": "13800001111",
                                                "start_on": TODAY}, pairing_versions=seen, today=TODAY)
    assert (moved, moved_measures) == (40, 1)
    with reading(db_engine) as s:
        current = {p.household_id: p.helper_name for p in s.scalars(select(Pairing).where(Pairing.end_on.is_(None)))}
        assert [current[i] for i in ids] == ["王接任"] * 40 and current[other] == "李离职"
        ended = s.scalars(select(Pairing).where(Pairing.helper_name == "李离职", Pairing.end_on.is_not(None))).all()
        assert len(ended) == 40 and {p.end_on for p in ended} == {TODAY - dt.timedelta(days=1)}
        assert s.scalar(select(Measure.responsible)) == "王接任"
        load = pairings.caseload(s, actor, TODAY).set_index("帮扶责任人")
        assert load.loc["王接任", "结对户数"] == 40 and "李离职" not in load.index


def test_a_reassignment_moves_every_file_or_none(db_engine):
    with transaction(db_engine) as s:
        actor = actor_of(s)
        ids = [add_file(s, n).id for n in range(1, 6)]
        pairings.assign_helper(s, actor, ids[:4], {"helper_name": "李离职", "helper_unit": "港务集团工会", "start_on": dt.date(2025, 1, 1)},
                               expected={i: None for i in ids[:4]}, today=TODAY)
        # the last file was paired with the same helper only today: a move dated today cannot end that pairing
        pairings.assign_helper(s, actor, ids[4:], {"helper_name": "李离职", "helper_unit": "港务集团工会", "start_on": TODAY},
                               expected={ids[4]: None}, today=TODAY)
    with reading(db_engine) as s:
        shown = pairings.helper_files(s, actor, "李离职", "港务集团工会")
        seen = dict(zip(shown["pairing_id"].astype(int), shown["version"].astype(int)))
    with pytest.raises(ValidationError), transaction(db_engine) as s:
        pairings.reassign_helper(s, actor, "李离职", "港务集团工会", {"helper_name": "王接任", "helper_unit": "港务集团工会", "start_on": TODAY},
                                 pairing_versions=seen, today=TODAY)
    with reading(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(Pairing).where(Pairing.helper_name == "王接任")) == 0
        assert s.scalar(select(func.count()).select_from(Pairing).where(Pairing.end_on.is_not(None))) == 0
    # a file added to the helper after the list was shown: the move is refused as a whole
    with transaction(db_engine) as s:
        extra = add_file(s, 77).id
        pairings.assign_helper(s, actor, [extra], {"helper_name": "李离职", "helper_unit": "港务集团工会", "start_on": dt.date(2025, 1, 1)},
                               expected={extra: None}, today=TODAY)
    with pytest.raises(Conflict), transaction(db_engine) as s:
        pairings.reassign_helper(s, actor, "李离职", "港务集团工会", {"helper_name": "王接任", "helper_unit": "港务集团工会",
                                                             "start_on": dt.date(2026, 11, 20)},
                                 pairing_versions=seen, today=TODAY)


def test_visits_for_several_files_are_written_together_or_not_at_all(db_engine):
    with transaction(db_engine) as s:
        mine = [add_file(s, n).id for n in (1, 2)]
        theirs = add_file(s, 3, org_name="山海关区总工会").id
    visit = {"visited_on": TODAY, "visitor": "张帮扶", "kind": "phone", "notes": "电话回访，收入稳定"}
    with pytest.raises(NotFound), transaction(db_engine) as s:
        visits.record_visits(s, actor_of(s), [*mine, theirs], visit, today=TODAY)
    with reading(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(Visit)) == 0
    with pytest.raises(ValidationError) as caught, transaction(db_engine) as s:
        visits.record_visits(s, actor_of(s), mine, {**visit, "visited_on": TODAY + dt.timedelta(days=1), "notes": ""}, today=TODAY)
    assert set(caught.value.errors) == {"visited_on", "notes"}
    with transaction(db_engine) as s:
        assert visits.record_visits(s, actor_of(s), mine, visit, today=TODAY) == 2


def test_the_work_queues_follow_the_files_and_empty_when_the_work_is_done(db_engine):
    with transaction(db_engine) as s:
        actor = actor_of(s)
        bare = add_file(s, 1, causes=("3", "6"), filed_on=dt.date(2025, 1, 10)).id
        closed = add_file(s, 2, status="exited", filed_on=dt.date(2024, 1, 10))
        s.add(hh.StatusChange(household_id=closed.id, from_status="active", to_status="exited", effective_on=dt.date(2026, 9, 30),
                              recorded_by="test"))
        add_file(s, 3, org_name="山海关区总工会")  # another district's file is not in this user's queues
    with reading(db_engine) as s:
        work = worklist.worklist(s, actor, TODAY)
    in_queue = {(r.household_id, r.queue) for r in work.queues.itertuples()}
    for queue in ("no_helper", "no_plan", "uncovered_cause", "visit_overdue", "income_missing", "income_not_recent", "never_helped"):
        assert (bare, queue) in in_queue
    assert (closed.id, "followup_due") in in_queue
    assert work.counts["no_helper"] == 1 and set(work.queues["household_id"]) == {bare, closed.id}

    with transaction(db_engine) as s:
        pairings.assign_helper(s, actor, [bare], {"helper_name": "张帮扶", "helper_unit": "港务集团工会", "start_on": TODAY},
                               expected={bare: None}, today=TODAY)
        visits.record_visits(s, actor, [bare, closed.id], {"visited_on": TODAY, "visitor": "张帮扶", "kind": "home", "notes": "入户"},
                             today=TODAY)
        measures.add_measure(s, actor, bare, job(), today=TODAY)
    with reading(db_engine) as s:
        work = worklist.worklist(s, actor, TODAY)
    left = {(r.household_id, r.queue) for r in work.queues.itertuples()}
    # cause 6 has no measure yet; no October income (nor September: it cannot be judged, 缺近期收入)
    assert left == {(bare, "uncovered_cause"), (bare, "income_missing"), (bare, "income_not_recent")}
    assert "1 项" in work.queues.set_index("queue").at["uncovered_cause", "detail"]


def test_the_ledger_totals_are_the_payment_rows_exactly(db_engine):
    with transaction(db_engine) as s:
        hg = add_file(s, 1, causes=("6",)).id
        shg = add_file(s, 2, causes=("6",), org_name="山海关区总工会").id
        measures.add_measure(s, actor_of(s), hg, love_card(amount="123.45"), today=TODAY)
        measures.add_measure(s, actor_of(s, "山海关区总工会"), shg, love_card(amount="0.07", fund_source="donation"), today=TODAY)
        measures.add_payment(s, actor_of(s), hg, {"amount": "1000", "fund_source": "donation", "paid_on": dt.date(2026, 1, 20),
                                                  "note": "春节送温暖"}, today=TODAY)
    with reading(db_engine) as s:
        city = actor_of(s, "秦皇岛市总工会", role="viewer")
        rows = ledger.summary(s, city, TODAY)
        district_rows = ledger.summary(s, actor_of(s), TODAY)
        raw_sum = s.scalar(select(func.sum(AidPayment.amount_fen)).where(AidPayment.paid_on <= TODAY))
        view = ledger.View(year=2026)
        detail = ledger.detail(s, actor_of(s, "秦皇岛市总工会", role="admin"), view, TODAY)  # the rows: staff and admins only
        assert ledger.households(s, city, view, TODAY) == 2
        assert ledger.households(s, city, ledger.View(year=2026, funds=("donation",), place="海港区"), TODAY) == 1
    table = totals(ledger.chosen(rows, view), "区县", "资金来源")
    assert int(table.at[TOTAL, TOTAL]) == raw_sum == int(detail["amount_fen"].sum()) == 6 * 12345 + 6 * 7 + 100000
    assert int(table.at["海港区", "工会经费"]) == 6 * 12345 and int(table.at["山海关区", "社会捐赠"]) == 6 * 7
    assert int(table.at["海港区", "社会捐赠"]) == 100000 and int(table.at["海港区", TOTAL]) == 6 * 12345 + 100000
    with_planned = totals(ledger.chosen(rows, ledger.View(planned=True)), "区县")
    assert int(with_planned.at[TOTAL, TOTAL]) == 12 * 12345 + 12 * 7 + 100000  # the six months still to come as well
    assert set(district_rows["区县"]) == {"海港区"}


def test_another_districts_measures_and_payments_cannot_be_touched(db_engine):
    with transaction(db_engine) as s:
        mine = add_file(s, 1, causes=("6",)).id
        theirs = add_file(s, 2, causes=("6",), org_name="山海关区总工会").id
        measure, _ = measures.add_measure(s, actor_of(s, "山海关区总工会"), theirs, love_card(), today=TODAY)
        payment = s.scalar(select(AidPayment).where(AidPayment.measure_id == measure.id).limit(1))
        ids = (measure.id, measure.version, payment.id, payment.version)
    mid, mversion, pid, pversion = ids
    for attempt in (
        lambda s: measures.update_measure(s, actor_of(s), mid, love_card(amount="1"), expected_version=mversion, today=TODAY),
        lambda s: measures.update_payment(s, actor_of(s), pid, {"amount": "1", "fund_source": "union", "paid_on": TODAY},
                                          expected_version=pversion, today=TODAY),
        lambda s: measures.delete_payment(s, actor_of(s), pid, expected_version=pversion, reason="试图删除"),
    ):
        with pytest.raises(NotFound) as caught, transaction(db_engine) as s:
            attempt(s)
        assert str(caught.value) == measures.NOT_FOUND  # the same answer as for an id that does not exist
    # a payment of my file cannot be hung on their measure
    with pytest.raises(ValidationError), transaction(db_engine) as s:
        measures.add_payment(s, actor_of(s), mine, {"amount": "10", "fund_source": "union", "paid_on": TODAY}, measure_id=mid,
                             today=TODAY)
    with reading(db_engine) as s:
        assert s.scalar(select(func.sum(AidPayment.amount_fen))) == 12 * 20000
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "delete")) == 0


def test_a_schedule_given_later_does_not_repeat_payments_already_recorded(db_engine):
    with transaction(db_engine) as s:
        hid = add_file(s, 1, causes=("6",)).id
        measure, paid = measures.add_measure(s, actor_of(s), hid, job(cause="6", track="medical", content="爱心卡"), today=TODAY)
        for day in (dt.date(2026, 6, 15), dt.date(2026, 7, 15)):
            measures.add_payment(s, actor_of(s), hid, {"amount": "200", "fund_source": "union", "paid_on": day},
                                 measure_id=measure.id, today=TODAY)
        mid, version = measure.id, measure.version
    assert paid == 0
    with transaction(db_engine) as s:
        _, removed, added = measures.update_measure(s, actor_of(s), mid, love_card(), expected_version=version, today=TODAY)
    assert (removed, added) == (0, 10)
    with reading(db_engine) as s:
        days = [d for (d,) in s.execute(select(AidPayment.paid_on).where(AidPayment.measure_id == mid).order_by(AidPayment.paid_on))]
    assert len(days) == len(set(days)) == 12
    # moving the schedule later keeps the total number of payments: those made count towards it
    with transaction(db_engine) as s:
        m = s.get(Measure, mid)
        measures.update_measure(s, actor_of(s), mid, love_card(first_pay_on=dt.date(2026, 6, 20)), expected_version=m.version,
                                today=TODAY)
    with reading(db_engine) as s:
        notes = s.scalars(select(AidPayment.note).where(AidPayment.measure_id == mid, AidPayment.paid_on > TODAY)
                          .order_by(AidPayment.paid_on)).all()
        assert s.scalar(select(func.count()).select_from(AidPayment).where(AidPayment.measure_id == mid)) == 12
    assert notes[0] == "每月发放 第7次"


def test_the_same_payment_twice_is_stopped_unless_confirmed(db_engine):
    with transaction(db_engine) as s:
        hid = add_file(s, 1).id
    payment = {"amount": "500元", "fund_source": "union", "paid_on": TODAY, "note": "送温暖"}
    with transaction(db_engine) as s:
        measures.add_payment(s, actor_of(s), hid, payment, today=TODAY)
    with pytest.raises(ValidationError) as caught, transaction(db_engine) as s:
        measures.add_payment(s, actor_of(s), hid, payment, today=TODAY)
    assert "已登记过一笔相同金额" in caught.value.errors["paid_on"]
    with transaction(db_engine) as s:
        measures.add_payment(s, actor_of(s), hid, payment, today=TODAY, confirm_twin=True)
    with reading(db_engine) as s:
        assert s.scalar(select(func.sum(AidPayment.amount_fen))) == 2 * 50000


def test_relief_keeps_helping_and_withdrawal_ends_the_pairing(db_engine):
    with transaction(db_engine) as s:
        relieved = add_file(s, 1, status="relieved").id
        leaving = add_file(s, 2)
        pairings.assign_helper(s, actor_of(s), [leaving.id], {"helper_name": "张帮扶", "helper_unit": "港务集团工会",
                                                              "start_on": dt.date(2026, 1, 1)}, expected={leaving.id: None}, today=TODAY)
        measures.add_payment(s, actor_of(s), relieved, {"amount": "300", "fund_source": "union", "paid_on": TODAY}, today=TODAY)
        leaving_id, leaving_version = leaving.id, leaving.version
    with transaction(db_engine) as s:
        hh.close_household(s, actor_of(s), leaving_id, expected_version=leaving_version, to_status="withdrawn", reason="death",
                           effective_on=TODAY, today=TODAY)
    with reading(db_engine) as s:
        assert s.scalar(select(Pairing.end_on).where(Pairing.household_id == leaving_id)) == TODAY
        assert pairings.caseload(s, actor_of(s), TODAY).empty


def test_a_viewer_cannot_move_files_and_a_file_can_have_its_own_visit_interval(db_engine):
    with transaction(db_engine) as s:
        hid = add_file(s, 1, filed_on=dt.date(2026, 1, 5)).id
        pairings.assign_helper(s, actor_of(s), [hid], {"helper_name": "李离职", "helper_unit": "港务集团工会",
                                                       "start_on": dt.date(2026, 1, 5)}, expected={hid: None}, today=TODAY)
        visits.record_visits(s, actor_of(s), [hid], {"visited_on": dt.date(2026, 10, 20), "visitor": "李离职", "kind": "home",
                                                      "notes": "入户"}, today=TODAY)
    with reading(db_engine) as s:
        seen = {int(r.pairing_id): int(r.version) for r in pairings.helper_files(s, actor_of(s), "李离职", "港务集团工会").itertuples()}
        assert not {q for q in worklist.worklist(s, actor_of(s), TODAY).queues["queue"]} & {"visit_overdue"}
    with pytest.raises(NotFound), transaction(db_engine) as s:
        pairings.reassign_helper(s, actor_of(s, role="viewer"), "李离职", "港务集团工会",
                                 {"helper_name": "王接任", "helper_unit": "港务集团工会", "start_on": TODAY}, pairing_versions=seen,
                                 today=TODAY)
    with transaction(db_engine) as s:
        version = s.get(measures.Household, hid).version
        assert visits.set_visit_interval(s, actor_of(s), hid, 1, expected_version=version)
    with reading(db_engine) as s:
        work = worklist.worklist(s, actor_of(s), TODAY)
        assert "每 1 个月" in work.queues.set_index("queue").at["visit_overdue", "detail"]
        assert pairings.caseload(s, actor_of(s), TODAY).at[0, "走访逾期"] == 1
        assert "每 1 个月至少走访一次" in visits.next_visit(s, actor_of(s), s.get(measures.Household, hid), TODAY)
    with pytest.raises(ValidationError), transaction(db_engine) as s:
        visits.set_visit_interval(s, actor_of(s), hid, 30, expected_version=version + 1)

"""The status engine's answer brought up to date file by file (db.snapshot.per_file): after each kind of save it equals
the answer computed on all files, while only the files written are evaluated again."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from db import assistance, evaluation, households, measures, params, proposals, snapshot
from db import worklist as worklist_service
from db.actor import system_actor
from db.engine import reading, transaction
from db.incomes import IncomeRow, save_month
from db.models import AssistanceRecord, Household, HouseholdCause, IncomeMonth, Org
from demo import load_demo
from tests.db.support import actor_of

AS_OF = dt.date(2020, 6, 30)
TODAY = dt.date(2020, 7, 20)
CITY = system_actor("test")


@pytest.fixture
def demo(db_engine):
    load_demo(db_engine, households=200, seed=5)
    return db_engine


def _haigang_files(session, status: str = "active") -> list[Household]:
    staff = actor_of(session)
    district = select(Org.id).where(Org.path.startswith(staff.org_path))
    return list(session.scalars(select(Household).where(Household.status == status, Household.org_id.in_(district))
                                .order_by(Household.id)))


def _income(session, household_id: int, amount: str) -> None:
    """June's income of a file set to `amount` (a correction of the row already there, at its version)."""
    month = dt.date(2020, 6, 1)
    version = session.scalar(select(IncomeMonth.version).where(IncomeMonth.household_id == household_id,
                                                                IncomeMonth.month == month))
    save_month(session, actor_of(session), month, [IncomeRow(household_id, amount, 1, version=version)], today=TODAY)


class Counted:
    """A figure computed per file, remembering how many files each call was given."""

    def __init__(self, compute):
        self.compute, self.calls = compute, []

    def __call__(self, snap):
        self.calls.append(len(snap.files))
        return self.compute(snap)


FIGURES = {
    "proposals": lambda snap: evaluation.evaluate_snapshot(snap, CITY, AS_OF),
    "worklist engine": lambda snap: worklist_service.engine_facts(snap, CITY, TODAY),
}


@pytest.mark.parametrize("figure", FIGURES)
def test_after_each_kind_of_save_the_figure_equals_a_whole_computation_and_only_the_files_written_are_evaluated(
        demo, figure):
    compute = Counted(FIGURES[figure])
    with reading(demo) as s:
        snap = snapshot.load(s)
    kept = snapshot.per_file(snap, snapshot.PARTS, compute)
    mark = snap.mark
    assert compute.calls == [len(snap.files)]
    assert kept["household_id"].is_monotonic_increasing

    with reading(demo) as s:
        answer = evaluation.evaluate_files(s, CITY, AS_OF).set_index("household_id")
        active = [h for h in _haigang_files(s) if h.id in answer.index and answer.at[h.id, "status"] == "active"]
        aided = set(s.scalars(select(AssistanceRecord.household_id)))
    exit_ids = [h.id for h in active if answer.at[h.id, "suggestion"] == "exit"]
    assert exit_ids, "the demo has files 可脱困 in 海港区"
    plain = [h for h in active if h.id not in exit_ids]
    unaided = next(h.id for h in plain[3:] if h.id not in aided)

    def income(s):
        _income(s, plain[0].id, "99999.00")

    def confirmed(s):
        proposals.confirm(s, actor_of(s), [exit_ids[0]], kind="exit", as_of=AS_OF, effective_on=dt.date(2020, 6, 30),
                          today=TODAY)

    def measure(s):
        cause = s.scalar(select(HouseholdCause.cause).where(HouseholdCause.household_id == plain[1].id).limit(1))
        measures.add_measure(s, actor_of(s), plain[1].id, {
            "track": "safety_net", "programme": None, "cause": cause, "content": "协助申请临时救助", "status": "in_progress",
            "start_on": dt.date(2020, 3, 1), "end_on": None, "responsible": "张帮扶", "amount": "", "fund_source": None,
            "pay_every": None, "first_pay_on": None, "pay_count": None}, today=TODAY)

    def record(s):
        assistance.add_record(s, actor_of(s), unaided, {"programme": "dibao", "from_on": "2020-01-01",
                                                           "source": "入户调查"}, today=TODAY)

    def closed(s):
        h = s.get(Household, plain[2].id)
        households.close_household(s, actor_of(s), h.id, expected_version=h.version, to_status="withdrawn",
                                   effective_on=dt.date(2020, 5, 31), reason="other", note="迁出本市", today=TODAY)

    for save, files in ((income, 1), (confirmed, 1), (measure, 1), (record, 1), (closed, 1)):
        with transaction(demo) as s:
            save(s)
        with reading(demo) as s:
            snap = snapshot.refresh(s, snap)
            whole = snapshot.load(s)
        compute.calls.clear()
        kept = snapshot.per_file(snap, snapshot.PARTS, compute, kept, mark)
        mark = snap.mark
        assert compute.calls == [files], save.__name__  # the file written, not all of them
        pd.testing.assert_frame_equal(kept, snapshot.per_file(whole, snapshot.PARTS, FIGURES[figure]), obj=save.__name__)
    gone = kept.set_index("household_id")
    if "status" in gone:
        assert plain[2].id not in gone.index or gone.at[plain[2].id, "status"] != "active"

    # two saves since the value was kept: both files again, in one call
    for hid in (plain[4].id, plain[5].id):
        with transaction(demo) as s:
            _income(s, hid, "1.00")
        with reading(demo) as s:
            snap = snapshot.refresh(s, snap)
    compute.calls.clear()
    kept = snapshot.per_file(snap, snapshot.PARTS, compute, kept, mark)
    mark = snap.mark
    assert compute.calls == [2]
    with reading(demo) as s:
        pd.testing.assert_frame_equal(kept, snapshot.per_file(snapshot.load(s), snapshot.PARTS, FIGURES[figure]))

    # a parameter changed: every file's figure may move, so all are evaluated
    with reading(demo) as s:
        rows = params.parameter_rows(s).to_dict("records")
    rows.append({"参数": "exit_run_months", "生效日期": dt.date(2020, 1, 1), "取值": "3", "说明": "试行"})
    with transaction(demo) as s:
        params.save_parameters(s, CITY, rows, today=TODAY)
    with reading(demo) as s:
        snap = snapshot.refresh(s, snap)
    compute.calls.clear()
    kept = snapshot.per_file(snap, snapshot.PARTS, compute, kept, mark)
    assert compute.calls == [len(snap.files)]


def test_a_value_from_another_whole_read_is_computed_again_in_full(demo):
    with reading(demo) as s:
        first = snapshot.load(s)
        second = snapshot.load(s)  # the same version, another whole read (as after a restore at the same number)
    assert first.version == second.version
    assert snapshot.files_changed_since(second, first.mark, snapshot.PARTS) is None
    assert snapshot.files_changed_since(second, second.mark, snapshot.PARTS) == frozenset()

"""The policy lab over the store: its baseline is the real engine's answer, its confirmed curve the dashboard's, and an
analyst's data carries no name or file number."""

import datetime as dt

import pytest

from core import policy_lab, progress
from db import policy_lab as source
from db.actor import Actor, system_actor
from db.engine import reading, transaction
from db.errors import OutOfScope
from db.evaluation import evaluate_files, evidence
from db.models import PolicyParameter
from demo import load_demo

TODAY = dt.date(2021, 3, 15)
MONTH_ENDS = [dt.date(2018, 6, 30), dt.date(2019, 3, 31), dt.date(2019, 12, 31), dt.date(2020, 9, 30)]


@pytest.fixture
def demo_engine(db_engine):
    load_demo(db_engine, households=300, seed=5)
    return db_engine


def _lab(engine, actor):
    with reading(engine) as session:
        data = source.load(session, actor, TODAY)
        baseline = source.baseline_tables(session)
    return policy_lab.prepare(data), baseline


def test_the_baseline_is_what_the_proposals_page_says(demo_engine):
    admin = system_actor("test")
    prepared, baseline = _lab(demo_engine, admin)
    for day in MONTH_ENDS:
        outcome = policy_lab.simulate(prepared, baseline, day)
        counts = policy_lab.compare(prepared, outcome, outcome).counts["区县"].set_index("分组").loc["合计"]
        with reading(demo_engine) as session:
            real = evaluate_files(session, admin, day)
        assert counts["可脱困·基线"] == (real["suggestion"] == "exit").sum(), day
        assert counts["可解困·基线"] == (real["suggestion"] == "relief").sum(), day
        assert counts["即将脱困·基线"] == real["near_exit"].sum(), day
        assert counts["可脱困·基线"] + counts["可解困·基线"] > 0


def test_a_dated_multiple_set_for_real_gives_what_the_lab_simulated(demo_engine):
    admin = system_actor("test")
    prepared, baseline = _lab(demo_engine, admin)
    day = dt.date(2019, 12, 31)
    params = dict(baseline.params, exit_multiple=[(dt.date(2000, 1, 1), "1"), (dt.date(2019, 1, 1), "1.3")],
                  relief_multiple=[(dt.date(2000, 1, 1), "1"), (dt.date(2019, 1, 1), "1.1")])
    simulated = policy_lab.simulate(prepared, policy_lab.DatedTables(baseline.lines, params), day)
    base = policy_lab.simulate(prepared, baseline, day)
    counts = policy_lab.compare(prepared, base, simulated).counts["区县"].set_index("分组").loc["合计"]
    assert counts["可脱困·方案"] < counts["可脱困·基线"] and counts["可解困·方案"] < counts["可解困·基线"]
    with transaction(demo_engine) as session:
        session.add_all([PolicyParameter(key="exit_multiple", effective_from=dt.date(2019, 1, 1), value="1.3"),
                         PolicyParameter(key="relief_multiple", effective_from=dt.date(2019, 1, 1), value="1.1")])
    with reading(demo_engine) as session:
        real = evaluate_files(session, admin, day)
    assert (counts["可脱困·方案"], counts["可解困·方案"]) == ((real["suggestion"] == "exit").sum(), (real["suggestion"] == "relief").sum())
    proposed = real[real["suggestion"] == "exit"]
    assert proposed.apply(evidence, axis=1).str.contains("×1.3 倍").all()


def test_the_confirmed_curve_is_the_dashboards(demo_engine):
    prepared, baseline = _lab(demo_engine, system_actor("test"))
    day = dt.date(2020, 12, 31)
    outcome = policy_lab.simulate(prepared, baseline, day)
    curves = policy_lab.compare(prepared, outcome, outcome).curves
    actual = curves[curves["系列"] == "实际确认"].reset_index(drop=True)
    expected = progress.monthly_share(prepared.data.changes, outcome.baseline_date, day)
    assert list(actual["累计完成%"]) == list(expected["累计完成%"])
    assert list(actual["月份"]) == list(expected["月份"])


def test_an_analyst_gets_figures_only_and_a_viewer_nothing(demo_engine):
    analyst = Actor("fx", "分析员", "analyst", None, "/")
    prepared, baseline = _lab(demo_engine, analyst)
    assert not {"file_no", "name"} & set(prepared.data.households.columns)
    outcome = policy_lab.simulate(prepared, baseline, dt.date(2019, 12, 31))
    stricter = policy_lab.DatedTables(baseline.lines.assign(amount_fen=baseline.lines["amount_fen"] * 2), baseline.params)
    full = policy_lab.compare(prepared, outcome, policy_lab.simulate(prepared, stricter, dt.date(2019, 12, 31)))
    assert full.headline["changed"] > 0
    shown = source.for_actor(full, analyst)
    assert shown.outcomes.empty and not {"档案编号", "户主姓名"} & set(shown.outcomes.columns)
    assert shown.groups.equals(full.groups)
    with reading(demo_engine) as session, pytest.raises(OutOfScope):
        source.load(session, Actor("kb", "看板", "viewer", None, "/"), TODAY)

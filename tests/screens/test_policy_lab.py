"""政策模拟 under AppTest on demo data: an analyst builds a scenario with the sliders and reads the same difference the
engine computes directly; a bad value is refused at its row and field and kept; an analyst's page names nobody;
staff open a shared link but cannot save or edit."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select

from core import policy_lab, scenario
from db import policy_lab as lab
from db.engine import reading
from db.models import Household
from db.users import actor_for
from demo import load_demo
from tests.screens.conftest import app_as, assert_ok, make_user

AS_OF = dt.date(2019, 12, 31)
FROM = dt.date(2019, 1, 1)
QUESTION = (scenario.Override(scenario.LINE_SCALE, "1.2", FROM), scenario.Override("exit_run_months", "3", FROM))


def _labelled(items, label):
    return next(item for item in items if item.label == label)


def _metric(at, label_start):
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def _texts(at) -> list[str]:
    """Every text the page shows, table cells included."""
    texts = [str(e.value) for kind in ("title", "subheader", "markdown", "caption", "code", "error", "warning", "info",
                                       "success") for e in getattr(at, kind)]
    texts += [f"{m.label} {m.value}" for m in at.metric]
    for frame in [*at.dataframe, *at.data_editor]:
        texts += [str(c) for c in frame.value.columns]
        texts += [str(v) for v in frame.value.astype(str).to_numpy().ravel()]
    return texts


def _build_the_question(at) -> None:
    """Line ×1.2 and a run of 3 months from 2019-01-01, as of December 2019, with the quick sliders."""
    _labelled(at.date_input, "自（起始日期）").set_value(FROM).run()
    _labelled(at.slider, "低保标准倍数 k").set_value(1.2).run()
    _labelled(at.slider, "脱困所需连续月数 N").set_value(3).run()
    _labelled(at.selectbox, "截至年份").set_value(2019).run()
    _labelled(at.selectbox, "截至月份").set_value(12).run()
    assert_ok(at)


def _direct(engine, username: str) -> policy_lab.Comparison:
    """The comparison computed straight from the engine, without the page or its caches."""
    with reading(engine) as session:
        actor = actor_for(session, username)
        data = lab.load(session, actor, dt.date.today())
        baseline = lab.baseline_tables(session)
    prepared = policy_lab.prepare(data)
    comparison = policy_lab.compare(prepared, policy_lab.simulate(prepared, baseline, AS_OF),
                                    policy_lab.simulate(prepared, scenario.resolve(baseline, QUESTION), AS_OF))
    return lab.for_actor(comparison, actor)


def test_an_analyst_builds_the_question_and_reads_the_engines_difference_without_any_name(app_db):
    load_demo(app_db, households=300, seed=5)
    make_user(app_db, "ana", "analyst")
    make_user(app_db, "boss", "admin")
    at = app_as("ana").run()
    at.switch_page("screens/policy_lab.py").run()
    assert_ok(at)
    _build_the_question(at)

    grid = at.data_editor[0].value
    assert [(row["参数"], row["取值"], row["起始日期"]) for row in grid.to_dict("records")] == [
        ("低保标准倍数", "1.2", FROM), ("脱困所需连续超线月数", "3", FROM)]
    assert "按截至 2019年12月31日 比较" in " ".join(_texts(at))

    expected = _direct(app_db, "ana")
    h = expected.headline
    assert h["exit_base"] != h["exit_scen"] or h["relief_base"] != h["relief_scen"] or h["changed"], "the question changes something"
    assert _metric(at, "可脱困") == f"{h['exit_base']:,} → {h['exit_scen']:,}"
    assert _metric(at, "可解困") == f"{h['relief_base']:,} → {h['relief_scen']:,}"
    assert _metric(at, "结果改变户数") == f"{h['changed']:,}"
    assert _metric(at, f"{h['year']}年目标完成率").count("→") == 1
    shown = [frame.value for frame in at.dataframe]
    for name in ("区县", "主要致困原因", "困难类别", "措施类别"):
        assert any(frame.equals(expected.counts[name]) for frame in shown), name
    for table in (expected.attainment, expected.groups, expected.eligibility, expected.money):
        assert any(frame.equals(table) for frame in shown), list(table.columns)
    district_total = expected.counts["区县"].iloc[0]
    assert district_total["分组"] == "合计" and district_total["可脱困·差异"] == h["exit_scen"] - h["exit_base"]

    # the analyst's page names nobody: no file number, no head of household, no ID number — not even of the households
    # whose outcome changes (an administrator's comparison lists those)
    changed = _direct(app_db, "boss").outcomes
    assert len(changed) == h["changed"] > 0
    with reading(app_db) as session:
        ids = session.scalars(select(Household.id_number)).all()
    personal = {*changed["档案编号"], *changed["户主姓名"], *ids}
    texts = _texts(at)
    assert not [p for p in personal if any(p in t for t in texts)]
    assert not any(label in texts for label in ("档案编号", "户主姓名"))
    assert not [b for b in at.get("download_button") if "档案名单" in str(b.proto.label)]


def test_a_bad_value_is_refused_at_its_row_and_field_and_kept(app_db):
    load_demo(app_db, households=120, seed=5)
    make_user(app_db, "ana", "analyst")
    at = app_as("ana").run()
    at.switch_page("screens/policy_lab.py").run()
    assert_ok(at)
    assert at.metric  # the empty scenario compares the baseline with itself
    grid_key = at.data_editor[0].key
    edits = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"参数": "脱困所需连续超线月数", "取值": "3", "起始日期": "2019-01-01"},
        {"参数": "低保标准倍数", "取值": "-1.2", "起始日期": "2019-01-01"}]}
    at.session_state[grid_key] = edits
    at.run()
    assert_ok(at)
    errors = " ".join(str(e.value) for e in at.error)
    assert "第 2 行 · 取值" in errors and "第 1 行" not in errors, errors
    assert not at.metric  # no comparison from a scenario that does not hold
    assert at.data_editor[0].key == grid_key and at.session_state[grid_key] == edits  # what was typed stays

    edits["added_rows"][1]["取值"] = "1.2"
    at.session_state[grid_key] = edits
    at.run()
    assert_ok(at)
    assert not at.error and at.metric


def test_a_saved_scenario_opens_by_link_for_staff_who_cannot_save_or_edit(app_db):
    load_demo(app_db, households=300, seed=5)
    make_user(app_db, "ana", "analyst")
    make_user(app_db, "hgstaff", "staff", "海港区总工会")
    at = app_as("ana").run()
    at.switch_page("screens/policy_lab.py").run()
    _build_the_question(at)
    at.button(key="FormSubmitter:lab_save_form-保存方案").click().run()  # no name yet
    assert_ok(at)
    assert any("未保存" in str(e.value) for e in at.error) and "scenario" not in at.query_params
    assert len(at.data_editor[0].value) == 2  # the scenario is still there to be named
    at.text_input(key="lab_name").input("低保1.2倍·连续3个月")
    at.button(key="FormSubmitter:lab_save_form-保存方案").click().run()
    assert_ok(at)
    link = at.query_params["scenario"]
    link = link[0] if isinstance(link, list) else link
    assert link == scenario.content_hash(QUESTION)
    assert any("已保存方案" in str(s.value) for s in at.success)
    assert any(f"?scenario={link}" in str(c.value) for c in at.code)
    assert _labelled(at.selectbox, "方案").value == link

    staff = app_as("hgstaff").run()
    staff.switch_page("screens/policy_lab.py").run()
    assert_ok(staff)
    assert any("请打开同事分享的方案链接" in str(i.value) for i in staff.info) and not staff.metric

    staff.query_params["scenario"] = link
    staff.run()
    assert_ok(staff)
    texts = " ".join(_texts(staff))
    assert "低保1.2倍·连续3个月" in texts and staff.metric
    assert not staff.data_editor and not staff.slider  # nothing to edit
    assert not [t for t in staff.text_input if t.label == "方案名称"]
    assert not [b for b in staff.button if "保存" in str(b.label) or "采用" in str(b.label)]
    shown = staff.dataframe[0].value
    assert list(shown["参数"]) == ["低保标准倍数", "脱困所需连续超线月数"]
    # staff see the households of their own district whose outcome changes
    districts = next(frame.value for frame in staff.dataframe if "分组" in frame.value.columns and "户主姓名" in frame.value.columns)
    assert set(districts["区县"]) <= {"海港区"}


def test_a_link_to_an_unknown_scenario_says_so(app_db):
    make_user(app_db, "ana", "analyst")
    at = app_as("ana").run()
    at.switch_page("screens/policy_lab.py")
    at.query_params["scenario"] = "0123456789abcdef"
    at.run()
    assert_ok(at)
    assert any("找不到方案" in str(w.value) for w in at.warning)


def test_the_author_renames_and_deletes_and_an_administrator_adopts(app_db):
    from db import scenarios
    from db.engine import transaction
    from db.models import DibaoLine, PolicyParameter

    load_demo(app_db, households=120, seed=5)
    make_user(app_db, "boss", "admin")
    with transaction(app_db) as session:
        boss = actor_for(session, "boss")
        kept = scenarios.create(session, boss, "保留", QUESTION).hash
        dropped = scenarios.create(session, boss, "待删除", QUESTION[:1]).hash
    def real_lines():
        with reading(app_db) as session:
            return {(line.place_code, line.effective_from, line.amount_fen) for line in session.scalars(select(DibaoLine))}

    lines_before = real_lines()

    at = app_as("boss").run()
    at.switch_page("screens/policy_lab.py")
    at.query_params["scenario"] = dropped
    at.run()
    assert_ok(at)
    at.checkbox(key="lab_delete_sure").check().run()
    at.button(key="lab_delete_go").click().run()
    assert_ok(at)
    assert any("已删除方案“待删除”" in str(s.value) for s in at.success)
    assert "scenario" not in at.query_params
    assert [o for o in _labelled(at.selectbox, "方案").options if "待删除" in o] == []

    at.query_params["scenario"] = kept
    at.run()
    at.text_input(key="lab_rename").input("低保1.2倍")
    at.button(key="lab_rename_go").click().run()
    assert_ok(at)
    assert any("已重命名为“低保1.2倍”" in str(s.value) for s in at.success)
    assert any("方案“低保1.2倍”" in str(h.value) for h in at.subheader)

    at.checkbox(key="lab_adopt_sure").check().run()
    at.button(key="lab_adopt_go").click().run()
    assert_ok(at)
    assert any("已采用方案“低保1.2倍”" in str(s.value) for s in at.success), [s.value for s in at.success]
    assert real_lines() != lines_before  # the ×1.2 lines from 2019 are real now
    with reading(app_db) as session:
        run = session.scalars(select(PolicyParameter.value).where(PolicyParameter.key == "exit_run_months",
                                                                 PolicyParameter.effective_from == FROM)).all()
    assert run == ["3"]


def test_a_scenario_name_is_shown_as_typed_never_as_a_link(app_db):
    from db import scenarios
    from db.engine import transaction

    make_user(app_db, "ana", "analyst")
    hostile = "[点我](http://evil.example)"
    with transaction(app_db) as session:
        link = scenarios.create(session, actor_for(session, "ana"), hostile, QUESTION[:1]).hash
    at = app_as("ana").run()
    at.switch_page("screens/policy_lab.py")
    at.query_params["scenario"] = link
    at.run()
    assert_ok(at)
    rendered = [str(e.value) for kind in ("markdown", "subheader", "success", "caption") for e in getattr(at, kind)]
    assert any("点我" in text for text in rendered)
    assert not [text for text in rendered if "[点我](" in text]  # escaped: Markdown makes no link of it

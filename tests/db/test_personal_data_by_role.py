"""Viewers (看板) and analysts (政策分析) get figures, never whom they are about: every service of db/ that returns names,
ID numbers, file numbers or helpers refuses those roles or returns the same rows without them — checked in the
service, as the scope is, not left to the screens."""

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from core.roster import RosterEntry
from db import dashboard, evaluation, exporter, file_access, id_duplicates, incomes, ledger, measures, pairings, proposals, queries
from db import roster, worklist
from db.engine import reading, transaction
from db.errors import NotFound, OutOfScope
from tests.db.support import actor_of, add_file

TODAY = dt.date(2026, 11, 29)
HELPER = {"helper_name": "王帮扶", "helper_unit": "港务集团工会", "helper_phone": "13911112222", "start_on": dt.date(2026, 2, 1)}
PAYMENT = {"paid_on": dt.date(2026, 9, 1), "amount": "500", "fund_source": "union", "note": "慰问金"}
FIGURES_ONLY = ("viewer", "analyst")


def _file(engine) -> dict:
    with transaction(engine) as s:
        staff = actor_of(s)
        file = add_file(s, 1, causes=("6",))
        measures.add_payment(s, staff, file.id, PAYMENT, today=TODAY)
        pairings.assign_helper(s, staff, [file.id], HELPER, expected={file.id: None}, today=TODAY)
        return {"id": file.id, "personal": (file.file_no, file.name, file.id_number, HELPER["helper_name"],
                                            HELPER["helper_phone"])}


def _texts(value):
    """Every piece of text in a service's answer (frames, dataclasses, dicts, lists), to look for a person in."""
    if isinstance(value, pd.DataFrame):
        for column in value.columns:
            yield str(column)
            for cell in value[column].tolist():
                yield from _texts(cell)
    elif isinstance(value, pd.Series):
        for cell in value.tolist():
            yield from _texts(cell)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _texts(getattr(value, field.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(key)
            yield from _texts(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _texts(item)
    else:
        yield str(value)


def _named(answer, personal: tuple[str, ...]) -> set[str]:
    texts = list(_texts(answer))
    return {p for p in personal if any(p in t for t in texts)}


# the services that answer with figures: the same rows for every role, the people left out for viewers and analysts
FIGURES = {
    "worklist.worklist": lambda s, a: worklist.worklist(s, a, TODAY),
    "worklist.facts": lambda s, a: worklist.facts(s, a, TODAY),
    "evaluation.evaluate_files": lambda s, a: evaluation.evaluate_files(s, a, dt.date(2026, 10, 31)),
    "evaluation.load_inputs": lambda s, a: evaluation.load_inputs(s, a, dt.date(2026, 10, 31)),
    "dashboard.load": lambda s, a: dashboard.load(s, a, TODAY),
}
# figures that never held a person (they stay so)
ALWAYS_FIGURES = {
    "dashboard.targets_summary": lambda s, a: dashboard.targets_summary(s, a, TODAY),
    "exporter.progress_table": lambda s, a: exporter.progress_table(s, a, TODAY),
    "ledger.summary": lambda s, a: ledger.summary(s, a, TODAY),
    "ledger.households": lambda s, a: ledger.households(s, a, ledger.View(), TODAY),
    "queries.home_figures": lambda s, a: queries.home_figures(s, a, TODAY),
}
# lists of people: refused outright
REFUSED = {
    "ledger.detail": lambda s, a, i: ledger.detail(s, a, ledger.View(), TODAY),
    "pairings.caseload": lambda s, a, i: pairings.caseload(s, a, TODAY),
    "pairings.helper_files": lambda s, a, i: pairings.helper_files(s, a, HELPER["helper_name"], HELPER["helper_unit"]),
    "id_duplicates.open_id_duplicates": lambda s, a, i: id_duplicates.open_id_duplicates(s, a),
    "proposals.confirm": lambda s, a, i: proposals.confirm(s, a, [i["id"]], kind="exit", as_of=dt.date(2026, 10, 31),
                                                             effective_on=TODAY, today=TODAY),
    "file_access.get_household": lambda s, a, i: file_access.get_household(s, a, household_id=i["id"]),
    "queries.search_households": lambda s, a, i: queries.search_households(s, a),
    "incomes.grid": lambda s, a, i: incomes.grid(s, a, dt.date(2026, 10, 1)),
    "exporter.workbook_rows": lambda s, a, i: exporter.workbook_rows(s, a),
    "exporter.files_ledger": lambda s, a, i: exporter.files_ledger(s, a, TODAY),
    "exporter.measures_ledger": lambda s, a, i: exporter.measures_ledger(s, a, TODAY),
    "exporter.payments_ledger": lambda s, a, i: exporter.payments_ledger(s, a, TODAY),
    "roster.match_roster": lambda s, a, i: roster.match_roster(
        s, a, [RosterEntry(row=2, id_number="130302197001010010", programme="dibao", since=None)], today=TODAY),
}


@pytest.mark.parametrize("role", FIGURES_ONLY)
@pytest.mark.parametrize("name", list(FIGURES))
def test_figures_come_without_the_people_they_are_about(db_engine, name, role):
    personal = _file(db_engine)["personal"]
    with reading(db_engine) as s:
        for_staff = FIGURES[name](s, actor_of(s))
        answer = FIGURES[name](s, actor_of(s, role=role))
    assert _named(for_staff, personal)  # the service does hold names for staff
    assert _named(answer, personal) == set()
    staff_frames = [v for v in (for_staff if isinstance(for_staff, tuple) else dataclasses.astuple(for_staff)
                                if dataclasses.is_dataclass(for_staff) else (for_staff,)) if isinstance(v, pd.DataFrame)]
    frames = [v for v in (answer if isinstance(answer, tuple) else dataclasses.astuple(answer)
                          if dataclasses.is_dataclass(answer) else (answer,)) if isinstance(v, pd.DataFrame)]
    assert [len(f) for f in frames] == [len(f) for f in staff_frames]  # the same rows: the figures agree
    if name == "worklist.worklist":
        assert answer.counts == for_staff.counts and sum(answer.counts.values()) > 0


@pytest.mark.parametrize("role", FIGURES_ONLY)
@pytest.mark.parametrize("name", list(ALWAYS_FIGURES))
def test_summaries_name_nobody(db_engine, name, role):
    personal = _file(db_engine)["personal"]
    with reading(db_engine) as s:
        assert _named(ALWAYS_FIGURES[name](s, actor_of(s, role=role)), personal) == set()


@pytest.mark.parametrize("role", FIGURES_ONLY)
@pytest.mark.parametrize("name", list(REFUSED))
def test_lists_of_people_are_refused_with_a_chinese_reason(db_engine, name, role):
    ids = _file(db_engine)
    with pytest.raises((OutOfScope, NotFound)) as refused:
        with reading(db_engine) as s:
            REFUSED[name](s, actor_of(s, role=role), ids)
    message = str(refused.value)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    assert _named(message, ids["personal"]) == set()

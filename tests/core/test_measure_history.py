"""A measure's status on a past day, from its history (DOMAIN.md: measures "on D" by their dates and status history)."""

import datetime as dt

import pandas as pd
import pytest

from core.measure_history import change_effective_on, date_corrections, implied_history, measure_flags

D = dt.date


def flags(measures, changes=(), as_of=D(2018, 12, 31)) -> tuple[bool, bool]:
    frame = pd.DataFrame([dict(measure_id=i + 1, household_id=1, **m) for i, m in enumerate(measures)],
                         columns=["measure_id", "household_id", "status", "start_on", "end_on"])
    history = pd.DataFrame(list(changes), columns=["measure_id", "to_status", "effective_on", "id"])
    out = measure_flags(frame, history, as_of)
    if 1 not in out.index:
        return False, False
    return bool(out.at[1, "has_measure_carried_out"]), bool(out.at[1, "has_active_measure"])


@pytest.mark.parametrize(
    "measure,changes,as_of,carried_out,going_on",
    [
        # 已完成 today, 实施中 on a past D (the QHD-130302-000715 on 2018-12-31): carried out and going on then
        (dict(status="done", start_on=D(2018, 3, 1), end_on=D(2019, 6, 30)),
         [(1, "in_progress", D(2018, 3, 1), 1), (1, "done", D(2019, 6, 30), 2)], D(2018, 12, 31), True, True),
        # the same measure judged after it ended: carried out (脱困), no longer going on (解困)
        (dict(status="done", start_on=D(2018, 3, 1), end_on=D(2019, 6, 30)),
         [(1, "in_progress", D(2018, 3, 1), 1), (1, "done", D(2019, 6, 30), 2)], D(2019, 12, 31), True, False),
        # 已完成 with an end on D itself still counts as going on (常态化帮扶 until its end)
        (dict(status="done", start_on=D(2018, 3, 1), end_on=D(2018, 12, 31)),
         [(1, "in_progress", D(2018, 3, 1), 1), (1, "done", D(2018, 12, 31), 2)], D(2018, 12, 31), True, True),
        # started after D: neither
        (dict(status="in_progress", start_on=D(2019, 1, 5), end_on=None), [(1, "in_progress", D(2019, 1, 5), 1)],
         D(2018, 12, 31), False, False),
        # 实施中 today but only 计划 on D (it was marked 实施中 from 2019-02-01): neither on D
        (dict(status="in_progress", start_on=D(2018, 6, 1), end_on=None),
         [(1, "planned", D(2018, 6, 1), 1), (1, "in_progress", D(2019, 2, 1), 2)], D(2018, 12, 31), False, False),
        # 计划 on D: neither
        (dict(status="planned", start_on=D(2018, 6, 1), end_on=None), [(1, "planned", D(2018, 6, 1), 1)], D(2018, 12, 31), False, False),
        # no recorded history (an import or the demo): read from its own row — 实施中 from its start, 已完成 from its end
        (dict(status="done", start_on=D(2018, 3, 1), end_on=D(2019, 6, 30)), [], D(2018, 12, 31), True, True),
        (dict(status="done", start_on=D(2018, 3, 1), end_on=D(2019, 6, 30)), [], D(2018, 2, 28), False, False),
        (dict(status="in_progress", start_on=D(2018, 3, 1), end_on=None), [], D(2018, 12, 31), True, True),
        # its status changed elsewhere (an import) since the last recorded change: read from its own row
        (dict(status="done", start_on=D(2018, 3, 1), end_on=D(2018, 10, 31)), [(1, "planned", D(2018, 3, 1), 1)],
         D(2018, 6, 30), True, True),
    ],
)
def test_a_measure_on_a_past_day_by_its_history(measure, changes, as_of, carried_out, going_on):
    assert flags([measure], changes, as_of) == (carried_out, going_on)


def test_a_household_with_several_measures_needs_one():
    measures = [dict(status="planned", start_on=D(2018, 6, 1), end_on=None),
                dict(status="done", start_on=D(2018, 1, 1), end_on=D(2018, 5, 1))]
    assert flags(measures) == (True, False)  # carried out (ended in May), none going on at the end of December


def test_changes_on_one_day_follow_the_order_recorded():
    measure = dict(status="in_progress", start_on=D(2018, 6, 1), end_on=None)
    changes = [(1, "planned", D(2018, 6, 1), 1), (1, "in_progress", D(2018, 6, 1), 2)]
    assert flags([measure], changes) == (True, True)


@pytest.mark.parametrize(
    "before,to,start,end,today,expected",
    [
        ("planned", "in_progress", D(2018, 3, 1), None, D(2018, 5, 1), D(2018, 3, 1)),  # 实施中 from the measure's start
        ("planned", "in_progress", D(2018, 6, 1), None, D(2018, 5, 1), D(2018, 5, 1)),  # never after today
        ("done", "in_progress", D(2018, 3, 1), None, D(2018, 9, 1), D(2018, 9, 1)),     # taken up again: from today
        ("in_progress", "done", D(2018, 3, 1), D(2018, 4, 30), D(2018, 5, 1), D(2018, 4, 30)),  # 已完成 on its end
        ("in_progress", "done", D(2018, 3, 1), None, D(2018, 5, 1), D(2018, 5, 1)),     # no end given: today
        ("in_progress", "planned", D(2018, 3, 1), None, D(2018, 5, 1), D(2018, 5, 1)),
    ],
)
def test_when_a_recorded_change_takes_effect(before, to, start, end, today, expected):
    assert change_effective_on(before, to, start, end, today) == expected


def test_a_measure_taken_up_again_is_going_on_after_its_old_end():
    measure = dict(status="in_progress", start_on=D(2018, 3, 1), end_on=None)
    changes = [(1, "in_progress", D(2018, 3, 1), 1), (1, "done", D(2018, 6, 30), 2),
               (1, "in_progress", change_effective_on("done", "in_progress", D(2018, 3, 1), None, D(2018, 9, 1)), 3)]
    assert flags([measure], changes, D(2018, 8, 1)) == (True, False)  # 已完成 between its end and being taken up again
    assert flags([measure], changes, D(2018, 12, 31)) == (True, True)


@pytest.mark.parametrize(
    "status,old_start,new_start,old_end,new_end,expected",
    [
        ("in_progress", D(2018, 6, 1), D(2018, 2, 1), None, None, [(None, "in_progress", D(2018, 2, 1))]),  # began earlier
        ("in_progress", D(2018, 2, 1), D(2018, 6, 1), None, None, []),  # began later: the start alone decides
        ("planned", D(2018, 6, 1), D(2018, 2, 1), None, None, []),       # not carried out: nothing to follow
        ("done", D(2018, 2, 1), D(2018, 2, 1), D(2018, 9, 30), D(2018, 7, 31), [("in_progress", "done", D(2018, 7, 31))]),
        ("done", D(2018, 2, 1), D(2018, 2, 1), D(2018, 7, 31), D(2018, 9, 30), []),  # ended later: 已完成 with end ≥ D counts
    ],
)
def test_corrected_dates_are_followed_by_the_history(status, old_start, new_start, old_end, new_end, expected):
    assert date_corrections(status, old_start, new_start, old_end, new_end, D(2018, 12, 31)) == expected


def test_the_history_a_row_implies():
    assert implied_history("done", D(2018, 3, 1), D(2018, 9, 1)) == [(None, "in_progress", D(2018, 3, 1)),
                                                                     ("in_progress", "done", D(2018, 9, 1))]
    assert implied_history("in_progress", D(2018, 3, 1), None) == [(None, "in_progress", D(2018, 3, 1))]

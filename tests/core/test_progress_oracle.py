"""core.progress, vectorised, against its former implementation (tests/core/progress_oracle.py) on random histories:
the same tables, figure for figure, with dates given as date objects or as datetime64."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core import progress
from tests.core import progress_oracle as oracle

SHARES = {2018: 50, 2019: 40, 2020: 10}
STATUSES = ["active", "exited", "relieved", "withdrawn"]
REASONS = [None, "reopened", "death", "misidentified", "transferred", "other", "no such reason"]


def random_history(seed: int, households: int = 300) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Files opened from 2015 to 2021, each with up to five later changes (some on one day, recorded in any order)."""
    rng = np.random.default_rng(seed)
    rows = []
    for household in range(1, households + 1):
        day = dt.date(2015, 1, 1) + dt.timedelta(days=int(rng.integers(0, 7 * 365)))
        rows.append((household, day, "active", None))
        for _ in range(int(rng.integers(0, 6))):
            day += dt.timedelta(days=int(rng.choice([0, 1, 30, 200, 400])))
            status = str(rng.choice(STATUSES))
            reason = "reopened" if status == "active" and rng.random() < 0.7 else REASONS[int(rng.integers(0, len(REASONS)))]
            rows.append((household, day, status, reason))
    ids = rng.permutation(len(rows)) + 1  # the order of recording need not follow the days
    changes = pd.DataFrame([{"id": int(i), "household_id": h, "effective_on": d, "to_status": s, "reason": r}
                            for i, (h, d, s, r) in zip(ids, rows, strict=True)])
    changes = changes.sample(frac=1, random_state=seed).reset_index(drop=True)  # in no particular order
    places = np.array(["海港区", "昌黎县", "山海关区", None], dtype=object)
    files = pd.DataFrame({"household_id": np.arange(1, households + 1),  # the last file is missing from the files
                          "place_name": places[rng.integers(0, 4, households)]}).iloc[:-1]
    return files, changes


def as_datetime64(changes: pd.DataFrame) -> pd.DataFrame:
    return changes.assign(effective_on=pd.to_datetime(changes["effective_on"]).astype("datetime64[us]"))


DAYS = [dt.date(2017, 12, 31), dt.date(2018, 6, 30), dt.date(2019, 12, 31), dt.date(2020, 5, 17), dt.date(2021, 12, 31)]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("dated", ["date", "datetime64"])
def test_the_vectorised_figures_equal_the_former_ones(seed, dated):
    files, changes = random_history(seed)
    given = changes if dated == "date" else as_datetime64(changes)
    history = progress.History(given)
    baseline = dt.date(2017, 12, 31) if seed % 2 else dt.date(2017, 11, 15)
    assert list(progress.cohort(given, baseline)) == list(oracle.cohort(changes, baseline))
    for as_of in [None, *DAYS]:
        for group in ("place_name", None):
            pd.testing.assert_frame_equal(progress.by_year(files, given, baseline, SHARES, group=group, as_of=as_of),
                                          oracle.by_year(files, changes, baseline, SHARES, group=group, as_of=as_of))
            pd.testing.assert_frame_equal(progress.report(files, history, baseline, SHARES, group=group, as_of=as_of),
                                          oracle.report(files, changes, baseline, SHARES, group=group, as_of=as_of))
        pd.testing.assert_frame_equal(progress.new_by_year(given, baseline, SHARES, as_of),
                                      oracle.new_by_year(changes, baseline, SHARES, as_of))
    for day in DAYS:
        pd.testing.assert_frame_equal(progress.monthly_share(history, baseline, day), oracle.monthly_share(changes, baseline, day))
        assert progress.apart(given, baseline, day) == oracle.apart(changes, baseline, day)
        pd.testing.assert_frame_equal(progress.withdrawn_reasons(history, baseline, day),
                                      oracle.withdrawn_reasons(changes, baseline, day))
        some = pd.Index([3, 3, 5, 8, 13, 21, 10_000])  # a file twice and one never filed, as a caller may pass
        pd.testing.assert_frame_equal(progress.monthly_share(given, baseline, day, households=some),
                                      oracle.monthly_share(changes, baseline, day, households=some))
        pd.testing.assert_series_equal(progress.out_by(history, some, day), oracle.out_by(changes, some, day))


def test_a_history_with_nothing_in_it_gives_empty_figures_as_before():
    files, changes = random_history(1, households=3)
    empty = changes.iloc[:0]
    for as_of in (None, dt.date(2019, 3, 1)):
        pd.testing.assert_frame_equal(progress.report(files, empty, dt.date(2017, 12, 31), SHARES, as_of=as_of),
                                      oracle.report(files, empty, dt.date(2017, 12, 31), SHARES, as_of=as_of))
    pd.testing.assert_frame_equal(progress.monthly_share(empty, dt.date(2017, 12, 31), dt.date(2019, 3, 1)),
                                  oracle.monthly_share(empty, dt.date(2017, 12, 31), dt.date(2019, 3, 1)))

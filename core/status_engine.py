"""The status engine: who is out of hardship (脱困 / 解困), evaluated for every household-month at once.

Rules (DOMAIN.md, "When a household is out"):
- The month judged: an evaluation as of D judges month(D). Incomes are entered after a month ends, so a file with
  no record for month(D) is judged on its latest recorded month up to `income_lag_months` earlier — each file on its
  own months. A file with no record in those months gets no proposal at all and is listed as 缺近期收入, with the
  earliest month of the window it lacks (`lacking_month`).
- 脱困: all causes removed, AND household income strictly above (超过) the 低保 line of that month and district
  times the persons — compared exactly in fen, income_fen > line_fen × persons, never on a rounded per-capita —
  for N consecutive months (N = exit_run_months) ending in the judged month; a month with no income record
  breaks the run. 经精准帮扶后: the file must also have a measure carried out on D (`has_measure_carried_out`);
  a file meeting the income and cause rule without one is not proposed but flagged `unhelped`
  (收入已达标、未记录帮扶).
- 解困: marked 难以脱困, in the government assistance system on D (`in_safety_net`), with a union measure going
  on on D (`has_active_measure`, 常态化帮扶), and income in the judged month reaching (≥) the line times the persons.
  The stored income_fen is the household's whole income, transfers (转移性收入, `transfer_fen`) included — they
  are a part of it, never added again — so both rules compare income_fen.
- A month with no line in force for the district is an error naming the district and month, never a
  fallback. The line of a month is the one in force on its first day (a line effective on the 15th
  applies from the next month). The per-capita figure is shown rounded down to the fen.

Everything is vectorised with numpy over arrays sorted by (household, month); `evaluate_slow` is the
straightforward per-household version of the same rule, kept as the benchmark's baseline and as an
oracle in the tests.

Months are integers: year * 12 + month − 1 (`month_index`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

NEAR_EXIT_MONTHS = 2  # households this many months short of N are shown as 即将脱困


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_of_index(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def month_label(index: int) -> str:
    return f"{index // 12}年{index % 12 + 1:02d}月"


def lacking_text(lacking_month: int, income_lag_months: int) -> str:
    """缺近期收入: the months a file has no income record in, from the earliest the lag allows to the judged month."""
    last = lacking_month + income_lag_months
    months = month_label(last) if income_lag_months == 0 else f"{month_label(lacking_month)}至{month_label(last)}"
    return f"{months}没有收入记录，无法判断（收入录入最多可滞后 {income_lag_months} 个月）"


def _index_array(values) -> np.ndarray:
    """Month indices from a column of dates (date objects, Timestamps or datetime64), without pandas accessors."""
    months = np.asarray(pd.to_datetime(pd.Series(values)).to_numpy(), dtype="datetime64[M]")
    return months.astype(np.int64) + 1970 * 12


@dataclass(frozen=True)
class Inputs:
    """Plain tables, as the store gives them.

    incomes:    household_id, month (first of month) or month_index (int, faster), income_fen, persons
    households: household_id, place_code, hard_to_exit, in_safety_net (on D), has_measure_carried_out (on D, 脱困),
                has_active_measure (on D, 解困) — see core.measure_history
    causes:     household_id, removed_on (None/NaT while open) — one row per cause
    lines:      place_code, effective_from, amount_fen
    place_names: place_code -> name (for messages)
    """

    incomes: pd.DataFrame
    households: pd.DataFrame
    causes: pd.DataFrame
    lines: pd.DataFrame
    place_names: dict[str, str]


@dataclass(frozen=True)
class Multiple:
    """A multiple of the line, month by month (exact: numerator / denominator), from month index `first` on.

    Months before `first` take the first value, months after the last the last value. The rule's own figure is 1
    (超过 / 达到 the line itself); a dated parameter gives each month the value in force on its first day, like a line.
    """

    first: int
    numerators: np.ndarray
    denominators: np.ndarray

    @classmethod
    def constant(cls, value: Fraction | int = 1) -> Multiple:
        value = Fraction(value)
        return cls(0, np.array([value.numerator], dtype=np.int64), np.array([value.denominator], dtype=np.int64))

    @classmethod
    def from_rows(cls, rows, parse, first: int, last: int) -> Multiple:
        """From dated rows [(effective_from, text)]: the value in force on each month's first day, months first..last;
        `parse` turns a text into a Decimal or Fraction."""
        parsed = sorted((start, Fraction(parse(text))) for start, text in rows)
        values = []
        for index in range(first, last + 1):
            day = month_of_index(index)
            in_force = [v for start, v in parsed if start <= day]
            values.append(in_force[-1] if in_force else parsed[0][1])
        return cls(first, np.array([v.numerator for v in values], dtype=np.int64),
                   np.array([v.denominator for v in values], dtype=np.int64))

    @property
    def is_one(self) -> bool:
        return bool((self.numerators == self.denominators).all())

    def at(self, months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        i = np.clip(months - self.first, 0, len(self.numerators) - 1)
        return self.numerators.take(i), self.denominators.take(i)

    def on(self, index: int) -> Fraction:
        num, den = self.at(np.array([index]))
        return Fraction(int(num[0]), int(den[0]))


ONE = Multiple.constant(1)


def _compare(income: np.ndarray, household_line: np.ndarray, month: np.ndarray, multiple: Multiple) -> tuple[np.ndarray, np.ndarray]:
    """(income × den, line × persons × num): compared exactly in integers (multiples have at most 4 decimals)."""
    if multiple.is_one:
        return income, household_line
    num, den = multiple.at(month)
    return income * den, household_line * num


def line_grid(lines: pd.DataFrame, places: np.ndarray, first: int, last: int) -> np.ndarray:
    """lines[place, month − first]: the line in force on each month's first day (0 where none is)."""
    grid = np.zeros((len(places), last - first + 1), dtype=np.int64)
    span = np.arange(first, last + 1)
    eff = pd.to_datetime(lines["effective_from"])
    starts_all = (eff.dt.year * 12 + eff.dt.month - 1 + (eff.dt.day > 1)).to_numpy(np.int64)
    for p, place in enumerate(places):
        mine = (lines["place_code"] == place).to_numpy()
        if not mine.any():
            continue
        order = np.argsort(starts_all[mine], kind="stable")
        starts, amounts = starts_all[mine][order], lines["amount_fen"].to_numpy(np.int64)[mine][order]
        position = np.searchsorted(starts, span, side="right") - 1
        grid[p] = np.where(position >= 0, amounts[np.maximum(position, 0)], 0)
    return grid


@dataclass
class Months:
    """Every household-month, sorted by (household, month), as parallel arrays."""

    row: np.ndarray          # index of the household in inputs.households
    month: np.ndarray
    per_capita_fen: np.ndarray  # rounded down to the fen: for showing only
    line_fen: np.ndarray
    above: np.ndarray           # income_fen > line_fen × persons (exact)
    reaches: np.ndarray         # income_fen ≥ line_fen × persons (exact)
    run_months: np.ndarray   # the run of months strictly above the line ending at this month
    run_start: np.ndarray    # the month that run began (−1 when not above)
    places: np.ndarray       # place codes; place of a household = places[place_of_household[row]]
    place_of_household: np.ndarray

    def frame(self, households: pd.DataFrame) -> pd.DataFrame:
        """As a table (for one file's evidence, or exports): one row per household-month."""
        return pd.DataFrame({
            "household_id": households["household_id"].to_numpy()[self.row], "month": self.month,
            "per_capita_fen": self.per_capita_fen, "line_fen": self.line_fen, "above": self.above,
            "run_months": self.run_months, "run_start": self.run_start,
        })


@dataclass
class Rows:
    """The household-months as the engine orders them, and what no line or multiple changes (built once; the policy
    lab evaluates one set of rows under many sets of lines)."""

    row: np.ndarray
    month: np.ndarray
    income: np.ndarray
    persons: np.ndarray
    per_capita: np.ndarray
    cell: np.ndarray         # place of the row's household × month offset, into a line grid over first..last
    follows: np.ndarray      # the same household's previous calendar month is the row before
    first: int
    last: int
    places: np.ndarray
    place_of_household: np.ndarray


def rows_of(inputs: Inputs) -> Rows:
    hh_ids = inputs.households["household_id"].to_numpy(np.int64)
    lookup = np.full(int(hh_ids.max(initial=0)) + 1, -1, dtype=np.int64)
    lookup[hh_ids] = np.arange(len(hh_ids))
    place_of_household, places = pd.factorize(inputs.households["place_code"])

    inc = inputs.incomes
    row = lookup[inc["household_id"].to_numpy(np.int64)]
    month = inc["month_index"].to_numpy(np.int64) if "month_index" in inc else _index_array(inc["month"])
    income = inc["income_fen"].to_numpy(np.int64)
    persons = inc["persons"].to_numpy(np.int64)
    key = row * 100_000 + month
    if len(key) > 1 and not (np.diff(key) > 0).all():  # the store gives them sorted; anything else is sorted here
        order = np.argsort(key, kind="stable")
        row, month, income, persons = row[order], month[order], income[order], persons[order]
    n = len(row)
    first, last = (int(month.min()), int(month.max())) if n else (0, 0)
    follows = np.zeros(n, dtype=bool)
    if n > 1:
        follows[1:] = (row[1:] == row[:-1]) & (month[1:] == month[:-1] + 1)
    width = last - first + 1
    return Rows(row=row, month=month, income=income, persons=persons, per_capita=income // persons,
                cell=np.asarray(place_of_household)[row] * width + (month - first), follows=follows, first=first, last=last,
                places=np.asarray(places), place_of_household=np.asarray(place_of_household))


def evaluate_months(inputs: Inputs, *, exit_multiple: Multiple = ONE, relief_multiple: Multiple = ONE,
                    rows: Rows | None = None) -> Months:
    """Per-capita income, the line, above it or not, and the run of months above, for every household-month.

    `above` is income > line × persons × the exit multiple of the month; `reaches` is income ≥ line × persons × the
    relief multiple of the month (both 1 unless a dated parameter says otherwise). `rows`: `rows_of(inputs)` built
    before (the lines of `inputs` are read here)."""
    r = rows if rows is not None else rows_of(inputs)
    row, month, income, persons = r.row, r.month, r.income, r.persons
    n = len(row)
    if n:
        # one flat gather is much cheaper than 2-D fancy indexing over millions of rows
        line = line_grid(inputs.lines, r.places, r.first, r.last).ravel().take(r.cell)
    else:
        line = np.zeros(0, dtype=np.int64)
    household_line = line * persons  # compared in whole fen: no rounding of the per-capita figure
    has_line = line > 0
    left, right = _compare(income, household_line, month, exit_multiple)
    above = (left > right) & has_line
    left, right = _compare(income, household_line, month, relief_multiple)
    reaches = (left >= right) & has_line
    index = np.arange(n)
    continues = np.zeros(n, dtype=bool)
    if n > 1:
        continues[1:] = r.follows[1:] & above[:-1]
    run_start = np.maximum.accumulate(np.where(above & ~continues, index, 0)) if n else index
    return Months(
        row=row, month=month, per_capita_fen=r.per_capita, line_fen=line, above=above, reaches=reaches,
        run_months=np.where(above, index - run_start + 1, 0), run_start=np.where(above, month[run_start] if n else month, -1),
        places=r.places, place_of_household=r.place_of_household,
    )


def open_causes(causes: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """How many causes of each household are not removed on `as_of`."""
    removed = pd.to_datetime(causes["removed_on"])
    still_open = removed.isna() | (removed > pd.Timestamp(as_of))
    return still_open.groupby(causes["household_id"].to_numpy()).sum()


def evaluate(inputs: Inputs, as_of: dt.date, exit_run_months: int, *, income_lag_months: int,
             exit_multiple: Multiple = ONE, relief_multiple: Multiple = ONE) -> pd.DataFrame:
    """One row per household: the month judged, the run ending in it, the rules met, problems.

    Columns: household_id, judged_month (−1: none), lacking_month (−1: none lacking), run_months, run_start,
    per_capita_fen, line_fen (of the judged month), open_causes, exit_met, relief_met, near_exit, unhelped,
    missing_recent, suggestion ('exit' | 'relief' | ''), problem.
    """
    months = evaluate_months(inputs, exit_multiple=exit_multiple, relief_multiple=relief_multiple)
    return judge(months, inputs, as_of, exit_run_months, income_lag_months=income_lag_months)


def judge(m: Months, inputs: Inputs, as_of: dt.date, exit_run_months: int, *, income_lag_months: int) -> pd.DataFrame:
    """`evaluate` from household-months already evaluated (the policy lab judges one evaluation on many dates).

    `inputs.households` carries the measure and assistance flags on `as_of`."""
    target = month_index(as_of)
    count = len(inputs.households)
    upto = m.month <= target
    # the last month on or before the as-of month of each household (rows are sorted by household, month)
    last = upto.copy()
    if len(last) > 1:
        last[:-1] &= ~((m.row[1:] == m.row[:-1]) & upto[1:])
    at = np.flatnonzero(last)
    at = at[m.month[at] >= target - income_lag_months]  # the file's own judged month: within the lag, or none

    def per_household(values: np.ndarray, fill) -> np.ndarray:
        out = np.full(count, fill, dtype=np.int64)
        out[m.row[at]] = values[at]
        return out

    judged = per_household(m.month, -1)
    run = per_household(m.run_months, 0)
    reaches = per_household(m.reaches.astype(np.int64), 0).astype(bool)
    hh = inputs.households
    causes_open = open_causes(inputs.causes, as_of).reindex(hh["household_id"].to_numpy()).fillna(0).to_numpy(np.int64)
    missing = judged < 0

    income_met = (run >= exit_run_months) & (causes_open == 0)
    helped = hh["has_measure_carried_out"].to_numpy(bool)
    exit_met = income_met & helped
    relief_met = (hh["hard_to_exit"].to_numpy(bool) & hh["in_safety_net"].to_numpy(bool)
                  & hh["has_active_measure"].to_numpy(bool) & reaches & ~exit_met)
    out = pd.DataFrame({
        "household_id": hh["household_id"].to_numpy(), "judged_month": judged,
        "lacking_month": np.where(missing, target - income_lag_months, -1),
        "run_months": run, "run_start": per_household(m.run_start, -1),
        "per_capita_fen": per_household(m.per_capita_fen, -1), "line_fen": per_household(m.line_fen, 0),
        "open_causes": causes_open, "exit_met": exit_met, "relief_met": relief_met,
        "near_exit": ~income_met & (run >= max(exit_run_months - NEAR_EXIT_MONTHS, 1)),
        "unhelped": income_met & ~helped, "missing_recent": missing,
    })
    out["suggestion"] = np.where(exit_met, "exit", np.where(relief_met, "relief", ""))

    problem = np.full(count, "", dtype=object)
    lacking = np.flatnonzero(upto & (m.line_fen == 0))
    if len(lacking):  # only households with a month lacking a line: name the first such month
        first_rows = lacking[np.unique(m.row[lacking], return_index=True)[1]]
        for r in first_rows:
            place = m.places[m.place_of_household[m.row[r]]]
            problem[m.row[r]] = f"{inputs.place_names.get(place, place)} {month_label(int(m.month[r]))} 没有生效的低保标准"
    out["problem"] = problem
    return out


def evaluate_slow(inputs: Inputs, as_of: dt.date, exit_run_months: int, *, income_lag_months: int) -> pd.DataFrame:
    """The same rule, household by household with groupby().apply() — the benchmark's baseline and the tests' oracle.

    Returns, indexed by household_id (households with at least one income record): judged_month, run_months,
    exit_met, relief_met, unhelped, missing_recent."""
    target = month_index(as_of)
    hh = inputs.households.set_index("household_id")
    lines_by_place: dict[str, list[tuple[int, int]]] = {}
    for r in inputs.lines.itertuples():
        day = pd.Timestamp(r.effective_from)
        lines_by_place.setdefault(r.place_code, []).append((day.year * 12 + day.month - 1 + (day.day > 1), r.amount_fen))
    for entries in lines_by_place.values():
        entries.sort()
    causes_open = open_causes(inputs.causes, as_of)

    def line_for(place: str, month: int) -> int:
        amount = 0
        for first, value in lines_by_place.get(place, []):
            if first <= month:
                amount = value
        return amount

    def one(group: pd.DataFrame) -> pd.Series:
        household_id = group.name
        place = hh.at[household_id, "place_code"]
        run, previous, latest = 0, None, None
        for r in group.sort_values("month").itertuples():
            day = pd.Timestamp(r.month)
            month = day.year * 12 + day.month - 1
            if month > target:
                break
            line = line_for(place, month)
            income, persons = int(r.income_fen), int(r.persons)
            above = line > 0 and income > line * persons
            run = (run + 1 if previous == month - 1 and run else 1) if above else 0
            previous, latest = month, (month, line > 0 and income >= line * persons)
        judged = latest is not None and latest[0] >= target - income_lag_months
        run_now = run if judged else 0
        income_met = run_now >= exit_run_months and int(causes_open.get(household_id, 0)) == 0
        helped = bool(hh.at[household_id, "has_measure_carried_out"])
        exit_met = income_met and helped
        relief = bool(judged and latest[1] and hh.at[household_id, "hard_to_exit"] and hh.at[household_id, "in_safety_net"]
                      and hh.at[household_id, "has_active_measure"] and not exit_met)
        return pd.Series({"judged_month": latest[0] if judged else -1, "run_months": run_now, "exit_met": exit_met,
                          "relief_met": relief, "unhelped": income_met and not helped, "missing_recent": not judged})

    return inputs.incomes.groupby("household_id").apply(one, include_groups=False)


def status_as_of(changes: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """The status of every file on `as_of`, rebuilt from its status history (later corrections don't move it).

    changes: household_id, effective_on, to_status, id (the order of recording breaks ties on one day).
    Files with no change on or before `as_of` were not on record yet and are left out.
    """
    on = pd.to_datetime(changes["effective_on"]) <= pd.Timestamp(as_of)
    known = changes[on.to_numpy()].sort_values(["household_id", "effective_on", "id"])
    last = known.drop_duplicates("household_id", keep="last")
    return pd.Series(last["to_status"].to_numpy(), index=last["household_id"].to_numpy(), name="status")

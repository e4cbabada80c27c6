"""政策模拟 (policy lab): the same files, the same months, evaluated under the baseline and under a scenario.

`prepare` turns the store's tables into arrays once per data version (month indices, and per household-month whether
a measure was carried out / going on, assistance in force, causes removed, the file's status) — a changed value then
never reads the store. `simulate` evaluates one set of dated tables (core.scenario.DatedTables): the status engine's
own month evaluation (core.status_engine.evaluate_months, with the lines and multiples of those tables), then

- the simulated outcome: every file's first month meeting 脱困 or 解困 as if it were confirmed in that month — each
  month judged as the engine judges an evaluation as of its last day (the run N, the causes, the measures and the
  assistance of that day), from the month the file was first 在档 to the month before it was withdrawn (退出), and
  only on the months recorded (a file closed for real has no incomes after its closing);
- the position as of the chosen day, by core.status_engine.judge exactly as the proposals page computes it;
- the categories under the tables' rules (core.category.assess_many) and the monthly gap of the 难以脱困 files.

`compare` sets two outcomes side by side in the tables the page, the charts and the workbook show.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np
import pandas as pd

from core import codes
from core import category
from core.measure_history import CARRIED_OUT, resolved_history
from core.parameters import cumulative_targets, parse_value, value_on
from core.progress import ALL, target_steps
from core.scenario import DatedTables
from core.status_engine import Inputs, Months, Multiple, Rows, evaluate_months, rows_of, judge, month_index, month_label, status_as_of

RULES_VERSION = "2026-12-02.1"  # part of every cache key: bump when a rule of the simulation changes
GROUPS = ("新增解困脱困", "不再解困脱困", "提前", "推后", "不变")
BASE, SCEN = "基线", "方案"
OUTCOME = {0: "", 1: "脱困", 2: "解困"}
DIMENSIONS = ("区县", "主要致困原因", "困难类别", "措施类别")
NO_MEASURE = "无帮扶措施"


@dataclass(frozen=True)
class LabData:
    """The store's tables for the files in scope (see db/policy_lab.load).

    households: household_id, file_no, name (absent for analysts), place_code, place_name, hard_to_exit, casualty,
                category, main_cause
    incomes:    household_id, month_index, income_fen, persons, special_spending_fen, accident_spending_fen
    causes:     household_id, removed_on;  measures: measure_id, household_id, status, start_on, end_on, track
    measure_history: measure_id, to_status, effective_on, id;  assistance: household_id, from_on, to_on
    changes:    id, household_id, effective_on, to_status, reason;  payments: household_id, paid_on, amount_fen
    """

    households: pd.DataFrame
    incomes: pd.DataFrame
    causes: pd.DataFrame
    measures: pd.DataFrame
    measure_history: pd.DataFrame
    assistance: pd.DataFrame
    changes: pd.DataFrame
    payments: pd.DataFrame
    place_names: dict[str, str]
    today: dt.date


@dataclass
class Prepared:
    """LabData as arrays over months first..last (month indices); grids are households × months."""

    data: LabData
    first: int
    last: int
    inputs: Inputs               # the engine's tables (incomes with month_index); flags are set per evaluation day
    rows: Rows                   # the engine's household-months, built once
    position: np.ndarray         # household position of every income row (sorted by household, month)
    helped: np.ndarray           # grid: a measure carried out on the month's last day (脱困, 经精准帮扶后)
    going_on: np.ndarray         # grid: a measure going on on the month's last day (解困, 常态化帮扶)
    assisted: np.ndarray         # grid: an assistance record in force in the month (纳入政府救助体系)
    causes_clear_from: np.ndarray  # per household: first month all its causes are removed (a big number: never)
    status_active: np.ndarray    # grid: the file 在档 on the month's last day
    status_out: np.ndarray       # grid: 已脱困 / 已解困 on the month's last day (the confirmed, actual outcome)
    status_withdrawn: np.ndarray  # grid: 已退出 on the month's last day
    first_active: np.ndarray     # per household: the first month it was 在档 (a big number: never)
    hard_to_exit: np.ndarray
    tracks: pd.DataFrame         # household position, track label
    # per income row (the engine keeps their order): the grids above read once, as no scenario changes them
    row_helped: np.ndarray
    row_going_on: np.ndarray
    row_assisted: np.ndarray
    row_window: np.ndarray       # the file 在档 by then and not withdrawn
    row_clear: np.ndarray        # all causes removed by the month's last day
    _memo: dict = field(default_factory=dict)

    def column(self, month: int) -> int:
        return min(max(month - self.first, 0), self.last - self.first)


NEVER = 10**7


def _month_array(values) -> np.ndarray:
    """Month indices of a column of dates; NaT → NEVER."""
    days = pd.to_datetime(pd.Series(values, dtype=object)).to_numpy("datetime64[M]")
    out = days.astype(np.int64) + 1970 * 12
    return np.where(np.isnat(days), NEVER, out)


def _grid(position: np.ndarray, start: np.ndarray, stop: np.ndarray, households: int, first: int, last: int) -> np.ndarray:
    """households × months: True where some interval [start, stop) of the household covers the month."""
    width = last - first + 1
    a = np.clip(start - first, 0, width)
    b = np.clip(stop - first, 0, width)
    keep = b > a
    diff = np.zeros((households, width + 1), dtype=np.int32)
    np.add.at(diff, (position[keep], a[keep]), 1)
    np.add.at(diff, (position[keep], b[keep]), -1)
    return np.cumsum(diff[:, :-1], axis=1) > 0


def _timeline(frame: pd.DataFrame, key: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """A status history sorted by (key, effective_on, id): each entry holds from its month to the next entry's month
    — the status on a month's last day is the last change dated on or before it."""
    ordered = frame.assign(_on=pd.to_datetime(frame["effective_on"])).sort_values([key, "_on", "id"], kind="stable")
    start = _month_array(ordered["_on"])
    same = ordered[key].to_numpy()
    stop = np.full(len(ordered), NEVER, dtype=np.int64)
    if len(ordered) > 1:
        follows = same[1:] == same[:-1]
        stop[:-1] = np.where(follows, start[1:], NEVER)
    return ordered, start, stop


def prepare(data: LabData) -> Prepared:
    hh = data.households.reset_index(drop=True)
    count = len(hh)
    ids = hh["household_id"].to_numpy(np.int64)
    lookup = pd.Series(np.arange(count), index=ids)
    incomes = data.incomes.sort_values(["household_id", "month_index"], kind="stable").reset_index(drop=True)
    incomes = incomes[incomes["household_id"].isin(ids)].reset_index(drop=True)
    today = month_index(data.today)
    first = int(incomes["month_index"].min()) if len(incomes) else today
    last = max(today, int(incomes["month_index"].max()) if len(incomes) else today)

    # measures: the status on each month's last day, from the same resolved history core.measure_history reads
    measures = data.measures[data.measures["household_id"].isin(ids)]
    history, h_start, h_stop = _timeline(resolved_history(measures, data.measure_history), "measure_id")
    info = measures.set_index("measure_id")
    on = history["measure_id"].map(info["household_id"])
    keep = on.notna().to_numpy()
    history, h_start, h_stop = history[keep], h_start[keep], h_stop[keep]
    mpos = lookup.reindex(history["measure_id"].map(info["household_id"]).to_numpy()).to_numpy(np.int64)
    # reindex, not map: a map through an empty column of dates fails in pandas 3
    started = _month_array(pd.Series(info["start_on"].reindex(history["measure_id"].to_numpy()).to_numpy()))
    end_next = _month_array(pd.to_datetime(pd.Series(info["end_on"].reindex(history["measure_id"].to_numpy()).to_numpy()))
                            + pd.Timedelta(days=1))
    status = history["to_status"].to_numpy()
    begin = np.maximum(h_start, started)
    carried = np.isin(status, CARRIED_OUT)
    helped = _grid(mpos[carried], begin[carried], h_stop[carried], count, first, last)
    progressing = status == "in_progress"
    finished = (status == "done") & (end_next < NEVER)
    going_on = _grid(np.concatenate([mpos[progressing], mpos[finished]]),
                     np.concatenate([begin[progressing], begin[finished]]),
                     np.concatenate([h_stop[progressing], np.minimum(h_stop[finished], end_next[finished])]), count, first, last)

    records = data.assistance[data.assistance["household_id"].isin(ids)]
    assisted = _grid(lookup.reindex(records["household_id"].to_numpy()).to_numpy(np.int64), _month_array(records["from_on"]),
                     _month_array(records["to_on"]) + 1, count, first, last)

    causes = data.causes[data.causes["household_id"].isin(ids)]
    removed = pd.Series(_month_array(causes["removed_on"]), index=causes["household_id"].to_numpy())
    clear_from = removed.groupby(level=0).max().reindex(ids).fillna(-NEVER).to_numpy(np.int64)  # no cause: always clear

    changes = data.changes[data.changes["household_id"].isin(ids)]
    timeline, c_start, c_stop = _timeline(changes, "household_id")
    cpos = lookup.reindex(timeline["household_id"].to_numpy()).to_numpy(np.int64)
    to = timeline["to_status"].to_numpy()

    def status_grid(wanted) -> np.ndarray:
        mine = np.isin(to, wanted)
        return _grid(cpos[mine], c_start[mine], c_stop[mine], count, first, last)

    first_active = np.full(count, NEVER, dtype=np.int64)
    activated = to == "active"
    np.minimum.at(first_active, cpos[activated], c_start[activated])

    tracks = data.measures[data.measures["household_id"].isin(ids)][["household_id", "track"]].drop_duplicates()
    tracks = pd.DataFrame({"position": lookup.reindex(tracks["household_id"].to_numpy()).to_numpy(np.int64),
                           "track": tracks["track"].map(codes.TRACK).fillna(tracks["track"]).to_numpy()})

    frame = pd.DataFrame({"household_id": ids, "place_code": hh["place_code"].to_numpy(),
                          "hard_to_exit": hh["hard_to_exit"].to_numpy(bool),
                          "in_safety_net": False, "has_measure_carried_out": False, "has_active_measure": False})
    engine_incomes = incomes[["household_id", "month_index", "income_fen", "persons"]]
    inputs = Inputs(incomes=engine_incomes, households=frame, causes=causes[["household_id", "removed_on"]],
                    lines=pd.DataFrame(columns=["place_code", "effective_from", "amount_fen"]), place_names=data.place_names)
    position = lookup.reindex(incomes["household_id"].to_numpy()).to_numpy(np.int64)
    month = incomes["month_index"].to_numpy(np.int64)
    flat = position * (last - first + 1) + np.clip(month - first, 0, last - first)
    withdrawn = status_grid(("withdrawn",))
    started = month >= first_active[position]
    return Prepared(
        data=replace(data, households=hh, incomes=incomes), first=first, last=last, inputs=inputs, rows=rows_of(inputs),
        position=position,
        row_helped=helped.ravel().take(flat), row_going_on=going_on.ravel().take(flat),
        row_assisted=assisted.ravel().take(flat), row_window=started & ~withdrawn.ravel().take(flat),
        row_clear=month >= clear_from[position],
        helped=helped, going_on=going_on, assisted=assisted, causes_clear_from=clear_from,
        status_active=status_grid(("active",)), status_out=status_grid(("exited", "relieved")),
        status_withdrawn=withdrawn, first_active=first_active,
        hard_to_exit=hh["hard_to_exit"].to_numpy(bool), tracks=tracks,
    )


# --- one set of dated tables -----------------------------------------------------------------------


@dataclass
class Outcome:
    """One set of dated tables evaluated over the prepared data, as of a month's last day."""

    as_of: dt.date
    first_out: np.ndarray        # per household: the first month out (脱困 or 解困) as simulated, −1: none by as_of
    out_kind: np.ndarray         # 1 脱困, 2 解困, 0 none
    judged: pd.DataFrame         # core.status_engine.judge on as_of, with `active` (在档 that day)
    baseline_date: dt.date
    shares: dict[int, int]
    categories: pd.Series        # per household position: category code or None (files 在档 on as_of)
    gap_fen: np.ndarray          # per household: line × persons × relief multiple − income in its judged month, ≥ 0


def _per_month(tables: DatedTables, key: str, first: int, last: int) -> np.ndarray:
    """A dated integer parameter as in force on each month's last day."""
    rows = tables.params[key]
    values = []
    for index in range(first, last + 1):
        year, month = divmod(index + 1, 12)
        values.append(int(value_on(rows, key, dt.date(year, month + 1, 1) - dt.timedelta(days=1))))
    return np.asarray(values, dtype=np.int64)


def _multiple(tables: DatedTables, key: str, first: int, last: int) -> Multiple:
    return Multiple.from_rows(tables.params[key], lambda text: parse_value(key, text), first, last)


def _first_true(rows: np.ndarray, ok: np.ndarray, month: np.ndarray, count: int) -> np.ndarray:
    """Per household: the month of its first row where `ok` (rows sorted by household, month); −1: none."""
    out = np.full(count, -1, dtype=np.int64)
    hits = np.flatnonzero(ok)
    if len(hits):
        households, first = np.unique(rows[hits], return_index=True)
        out[households] = month[hits[first]]
    return out


def simulate(p: Prepared, tables: DatedTables, as_of: dt.date) -> Outcome:
    target = month_index(as_of)
    tc = p.column(target)
    inputs = Inputs(p.inputs.incomes, p.inputs.households, p.inputs.causes, tables.lines, p.inputs.place_names)
    m = evaluate_months(inputs, exit_multiple=_multiple(tables, "exit_multiple", p.first, p.last),
                        relief_multiple=_multiple(tables, "relief_multiple", p.first, p.last), rows=p.rows)
    count = len(p.inputs.households)
    rows, month = m.row, m.month
    column = np.clip(month - p.first, 0, p.last - p.first)
    run_needed = _per_month(tables, "exit_run_months", p.first, p.last)
    # the window each file is simulated on: from its first month 在档 to the month before its withdrawal, up to as_of
    within = p.row_window & (month <= target)
    exit_ok = within & (m.run_months >= run_needed.take(column)) & p.row_clear & p.row_helped
    relief_ok = within & p.hard_to_exit.take(rows) & m.reaches & p.row_assisted & p.row_going_on
    first_exit = _first_true(rows, exit_ok, month, count)
    first_relief = _first_true(rows, relief_ok, month, count)
    exit_first = (first_exit >= 0) & ((first_relief < 0) | (first_exit <= first_relief))
    first_out = np.where(exit_first, first_exit, first_relief)
    kind = np.where(first_out < 0, 0, np.where(exit_first, 1, 2))

    # the position on as_of, as the proposals page computes it (flags on that day; assistance in the judged month)
    lag = int(value_on(tables.params["income_lag_months"], "income_lag_months", as_of))
    run = int(value_on(tables.params["exit_run_months"], "exit_run_months", as_of))
    upto = month <= target
    last = upto.copy()
    if len(last) > 1:
        last[:-1] &= ~((rows[1:] == rows[:-1]) & upto[1:])
    at = np.flatnonzero(last)
    latest = np.full(count, -NEVER, dtype=np.int64)  # each file's latest month up to as_of
    latest[rows[at]] = month[at]
    at = at[month[at] >= target - lag]
    judged_month = np.full(count, target, dtype=np.int64)
    judged_month[rows[at]] = month[at]
    households = p.inputs.households.assign(
        has_measure_carried_out=p.helped[:, tc], has_active_measure=p.going_on[:, tc],
        in_safety_net=p.assisted[np.arange(count), np.clip(judged_month - p.first, 0, p.last - p.first)])
    judged = judge(m, Inputs(inputs.incomes, households, inputs.causes, inputs.lines, inputs.place_names), as_of, run,
                   income_lag_months=lag)
    judged["active"] = p.status_active[:, tc]
    judged["row"] = -1
    judged.loc[rows[at], "row"] = at

    # 难以脱困 files: what union aid would lift each to 解困 in its judged month
    gap = np.zeros(count, dtype=np.int64)
    relief = _multiple(tables, "relief_multiple", p.first, p.last)
    if len(at):
        income = inputs.incomes["income_fen"].to_numpy(np.int64)[at]
        persons = inputs.incomes["persons"].to_numpy(np.int64)[at]
        num, den = relief.at(month[at])
        need = -((-m.line_fen[at] * persons * num) // den)  # rounded up to the fen
        gap[rows[at]] = np.maximum(need - income, 0)

    return Outcome(as_of=as_of, first_out=first_out, out_kind=kind, judged=judged,
                   baseline_date=value_on(tables.params["baseline_date"], "baseline_date", as_of),
                   shares=value_on(tables.params["target_shares"], "target_shares", as_of),
                   categories=_categories(p, tables, m, as_of, latest), gap_fen=gap)


def _categories(p: Prepared, tables: DatedTables, m: Months, as_of: dt.date, latest: np.ndarray) -> pd.Series:
    """The category of every file 在档 on as_of, under the tables' rule set and limits (those in force on as_of), from
    its months up to as_of: the twelve ending at its latest are all either rule set reads."""
    target = month_index(as_of)
    active = p.status_active[:, p.column(target)]
    keep = (m.month <= target) & (m.month > latest.take(m.row) - 12) & active.take(m.row)
    incomes = p.data.incomes
    rows = pd.DataFrame({
        "household_id": p.inputs.households["household_id"].to_numpy()[m.row[keep]], "month_index": m.month[keep],
        "income_fen": incomes["income_fen"].to_numpy(np.int64)[keep], "persons": incomes["persons"].to_numpy(np.int64)[keep],
        "special_spending_fen": incomes["special_spending_fen"].to_numpy(np.int64)[keep],
        "accident_spending_fen": incomes["accident_spending_fen"].to_numpy(np.int64)[keep], "line_fen": m.line_fen[keep],
    })
    rows = rows[rows["line_fen"] > 0]

    def multiple(key: str) -> Fraction:
        return Fraction(value_on(tables.params[key], key, as_of))

    casualty = pd.Series(p.data.households["casualty"].to_numpy(bool), index=p.data.households["household_id"].to_numpy())
    found = category.assess_many(rows, value_on(tables.params["rule_set"], "rule_set", as_of),
                        edge_multiple=multiple("edge_multiplier"), accident_multiple=multiple("accident_multiplier"),
                        relative_multiple=multiple("relative_multiplier"), casualty=casualty)
    ids = p.inputs.households["household_id"].to_numpy()
    values = [v if isinstance(v, str) and on else None for v, on in zip(found.reindex(ids).to_numpy(object), active, strict=True)]
    return pd.Series(values, index=np.arange(len(ids)), dtype=object)


# --- two outcomes side by side ---------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    as_of: dt.date
    counts: dict[str, pd.DataFrame]
    attainment: pd.DataFrame
    curves: pd.DataFrame
    targets: pd.DataFrame
    groups: pd.DataFrame
    outcomes: pd.DataFrame
    eligibility: pd.DataFrame
    money: pd.DataFrame
    headline: dict


def _month_end(index: int) -> pd.Timestamp:
    year, month = divmod(index + 1, 12)
    return pd.Timestamp(dt.date(year, month + 1, 1) - dt.timedelta(days=1))


def _with_total(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    total = frame.drop(columns=[key]).sum(numeric_only=True).to_frame().T
    total.insert(0, key, "合计")
    return pd.concat([total, frame], ignore_index=True).astype({c: "int64" for c in frame.columns if c != key and frame[c].dtype.kind in "iub"})


def _memo(p: Prepared, key, make):
    """What depends on the prepared data only (the cohort of a baseline day, the groupings), computed once."""
    if key not in p._memo:
        p._memo[key] = make()
    return p._memo[key]


def _cohort(p: Prepared, baseline: dt.date) -> np.ndarray:
    """Per household: 在档 on the baseline day (the target's cohort)."""
    def make() -> np.ndarray:
        status = status_as_of(p.data.changes, baseline).reindex(p.inputs.households["household_id"].to_numpy())
        return (status == "active").to_numpy()
    return _memo(p, ("cohort", baseline), make)


def _grouping(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    labels = sorted(set(values))
    return np.searchsorted(np.asarray(labels, dtype=object), values).astype(np.int64), labels


def _groupings(p: Prepared) -> dict[str, tuple[np.ndarray, np.ndarray, list[str]]]:
    """Per dimension: the household positions, their group codes and the groups' labels (a household with measures
    of two tracks is counted under each)."""
    def make():
        hh = p.data.households
        everyone = np.arange(len(hh))
        out = {}
        for name, values in (("区县", _places(p)), ("主要致困原因", hh["main_cause"].map(codes.CAUSE).fillna("未填写").to_numpy(object)),
                             ("困难类别", hh["category"].map(codes.CATEGORY).fillna("未认定").to_numpy(object))):
            out[name] = (everyone, *_grouping(values))
        with_track = np.zeros(len(hh), dtype=bool)
        with_track[p.tracks["position"].to_numpy(np.int64)] = True
        none = np.flatnonzero(~with_track)
        positions = np.concatenate([p.tracks["position"].to_numpy(np.int64), none])
        labels = np.concatenate([p.tracks["track"].to_numpy(object), np.full(len(none), NO_MEASURE, dtype=object)])
        out["措施类别"] = (positions, *_grouping(labels))
        return out
    return _memo(p, "groupings", make)


def _places(p: Prepared) -> np.ndarray:
    hh = p.data.households
    return _memo(p, "places", lambda: hh["place_name"].fillna(hh["place_code"]).to_numpy(object))


def _counts(p: Prepared, base: Outcome, scen: Outcome) -> dict[str, pd.DataFrame]:
    flags = {
        name: {
            "可脱困": (o.judged["suggestion"].to_numpy() == "exit") & o.judged["active"].to_numpy(bool),
            "可解困": (o.judged["suggestion"].to_numpy() == "relief") & o.judged["active"].to_numpy(bool),
            "即将脱困": o.judged["near_exit"].to_numpy(bool) & o.judged["active"].to_numpy(bool),
        } for name, o in ((BASE, base), (SCEN, scen))
    }
    result = {}
    for name, (positions, group, labels) in _groupings(p).items():
        table = {"分组": ["合计", *labels]}
        for what in ("可脱困", "可解困", "即将脱困"):
            for side in (BASE, SCEN):
                chosen = flags[side][what]
                per_group = np.bincount(group, weights=chosen.take(positions), minlength=len(labels)).astype(np.int64)
                table[f"{what}·{side}"] = np.concatenate([[int(chosen.sum())], per_group])
            table[f"{what}·差异"] = table[f"{what}·{SCEN}"] - table[f"{what}·{BASE}"]
        result[name] = pd.DataFrame(table)
    return result


def _attainment(p: Prepared, o: Outcome) -> pd.DataFrame:
    """Per year and district: the base, the cumulative target and the simulated files out by the year's end."""
    cohort = _cohort(p, o.baseline_date)
    group, labels = _memo(p, ("cohort places", o.baseline_date), lambda: _grouping(_places(p)[cohort]))
    target = month_index(o.as_of)
    cumulative = cumulative_targets(o.shares)
    rows = []
    for year in sorted(o.shares):
        known = o.as_of >= dt.date(year, 1, 1)
        month = min(year * 12 + 11, target)
        in_base = ~p.status_withdrawn[cohort, p.column(month)]
        out = in_base & (o.first_out[cohort] >= 0) & (o.first_out[cohort] <= month)
        sizes = np.bincount(group, weights=in_base, minlength=len(labels)).astype(np.int64)
        dones = np.bincount(group, weights=out, minlength=len(labels)).astype(np.int64)
        for name, size, done in [(ALL, int(in_base.sum()), int(out.sum())), *zip(labels, sizes, dones, strict=True)]:
            goal = math.ceil(int(size) * cumulative[year] / 100)
            rows.append({"范围": name, "年份": year, "基数": int(size), "累计目标户数": goal,
                         "累计完成户数": int(done) if known else None,
                         "完成率%": round(100 * int(done) / goal, 1) if goal and known else None})
    return pd.DataFrame(rows, columns=["范围", "年份", "基数", "累计目标户数", "累计完成户数", "完成率%"])


def _curve(p: Prepared, cohort: np.ndarray, start: int, end: int, out_month: np.ndarray | None) -> list[float]:
    """Month by month: the share of the base (the cohort less the withdrawn) out — simulated, or as confirmed."""
    shares = []
    for month in range(start, end + 1):
        c = p.column(month)
        in_base = cohort & ~p.status_withdrawn[:, c]
        out = p.status_out[:, c] if out_month is None else (out_month >= 0) & (out_month <= month)
        size = int(in_base.sum())
        shares.append(round(100 * int((out & in_base).sum()) / size, 1) if size else 0.0)
    return shares


def compare(p: Prepared, base: Outcome, scen: Outcome) -> Comparison:
    hh = p.data.households
    places = _places(p)
    target = month_index(base.as_of)

    a_base, a_scen = _attainment(p, base), _attainment(p, scen)
    attainment = a_base.merge(a_scen, on=["范围", "年份"], how="outer", suffixes=("·基线", "·方案"))
    attainment["累计完成户数·差异"] = attainment["累计完成户数·方案"] - attainment["累计完成户数·基线"]
    attainment["_city"] = attainment["范围"] != ALL
    attainment = attainment.sort_values(["_city", "范围", "年份"], kind="stable").drop(columns="_city").reset_index(drop=True)

    curves, targets = [], []
    for label, outcome, out in ((f"{BASE}（模拟）", base, base.first_out), (f"{SCEN}（模拟）", scen, scen.first_out),
                                ("实际确认", base, None)):
        cohort = _cohort(p, outcome.baseline_date)
        start = month_index(outcome.baseline_date) + 1
        for index, share in zip(range(start, target + 1), _curve(p, cohort, start, target, out), strict=True):
            curves.append({"月份": _month_end(index), "系列": label, "累计完成%": share})
    for label, outcome in ((f"{BASE}目标", base), (f"{SCEN}目标", scen)):
        targets.append(target_steps(outcome.shares, outcome.baseline_date).assign(系列=label))

    # the five groups: each file on record by as_of, its simulated first month out under each
    on_record = p.first_active <= target
    b, s = base.first_out, scen.first_out
    group = np.select([(b < 0) & (s >= 0), (b >= 0) & (s < 0), (b >= 0) & (s >= 0) & (s < b), (b >= 0) & (s >= 0) & (s > b)],
                      GROUPS[:4], default=GROUPS[4])
    frame = pd.DataFrame({"区县": places[on_record], "分组": group[on_record]})
    groups = (frame.groupby(["区县", "分组"]).size().unstack(fill_value=0).reindex(columns=list(GROUPS), fill_value=0)
              .reset_index().rename_axis(columns=None))
    groups = _with_total(groups, "区县")

    changed = on_record & (group != GROUPS[4])
    outcomes = pd.DataFrame({
        "档案编号": hh["file_no"].to_numpy(object)[changed] if "file_no" in hh else None,
        "户主姓名": hh["name"].to_numpy(object)[changed] if "name" in hh else None,
        "区县": places[changed], "分组": group[changed],
        "基线结果": [OUTCOME[k] for k in base.out_kind[changed]],
        "基线月份": [month_label(int(m)) if m >= 0 else "" for m in b[changed]],
        "方案结果": [OUTCOME[k] for k in scen.out_kind[changed]],
        "方案月份": [month_label(int(m)) if m >= 0 else "" for m in s[changed]],
    }).sort_values(["区县", "分组"], kind="stable").reset_index(drop=True)

    active = p.status_active[:, p.column(target)]
    elig = pd.DataFrame({
        "区县": places[active],
        "在档户数": 1,
        "类别改变户数": (base.categories[active].to_numpy(object) != scen.categories[active].to_numpy(object)).astype(np.int64),
        "不符合任何类别·基线": np.array([c is None for c in base.categories[active]], dtype=np.int64),
        "不符合任何类别·方案": np.array([c is None for c in scen.categories[active]], dtype=np.int64),
    }).groupby("区县").sum().reset_index()
    eligibility = _with_total(elig, "区县")

    hard = active & p.hard_to_exit
    payments = p.data.payments
    paid_on = pd.to_datetime(payments["paid_on"])
    year_paid = payments[(paid_on.dt.year == base.as_of.year) & (paid_on <= pd.Timestamp(base.as_of))]
    paid = (year_paid.assign(区县=year_paid["household_id"].map(pd.Series(places, index=hh["household_id"].to_numpy())))
            .groupby("区县")["amount_fen"].sum())
    money = pd.DataFrame({"区县": places[hard], "难以脱困户数": 1, "月缺口·基线": base.gap_fen[hard], "月缺口·方案": scen.gap_fen[hard]})
    money = money.groupby("区县").sum().reindex(sorted(set(places[hard]) | set(paid.index)), fill_value=0).rename_axis("区县").reset_index()
    money["当年已发放"] = money["区县"].map(paid).fillna(0).astype(np.int64)
    money = _with_total(money, "区县")
    money = pd.DataFrame({
        "区县": money["区县"], "难以脱困户数": money["难以脱困户数"],
        "月缺口(元)·基线": money["月缺口·基线"] / 100, "月缺口(元)·方案": money["月缺口·方案"] / 100,
        "月缺口(元)·差异": (money["月缺口·方案"] - money["月缺口·基线"]) / 100,
        "全年缺口(元)·方案": money["月缺口·方案"] * 12 / 100, "当年已发放(元)": money["当年已发放"] / 100,
    })

    city = attainment[attainment["范围"] == ALL]
    year = min(max(base.as_of.year, int(city["年份"].min())), int(city["年份"].max())) if len(city) else base.as_of.year
    at_year = city[city["年份"] == year]
    counts = _counts(p, base, scen)
    total = counts["区县"].iloc[0]

    def rate(column: str):
        if at_year.empty or pd.isna(at_year[column].iloc[0]):
            return None
        return float(at_year[column].iloc[0])

    headline = {"changed": int(changed.sum()), "households": int(on_record.sum()),
                "exit_base": int(total["可脱困·基线"]), "exit_scen": int(total["可脱困·方案"]),
                "relief_base": int(total["可解困·基线"]), "relief_scen": int(total["可解困·方案"]),
                "year": year, "rate_base": rate("完成率%·基线"), "rate_scen": rate("完成率%·方案")}
    return Comparison(as_of=base.as_of, counts=counts, attainment=attainment,
                      curves=pd.DataFrame(curves, columns=["月份", "系列", "累计完成%"]),
                      targets=pd.concat(targets, ignore_index=True)[["月份", "系列", "目标%"]],
                      groups=groups, outcomes=outcomes, eligibility=eligibility, money=money, headline=headline)

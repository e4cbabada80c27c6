"""Progress against the yearly targets (DOMAIN.md, "Targets"): pure functions over plain tables.

The cohort is every household 在档 on the baseline date (default 2017-12-31). Of that cohort, the
yearly shares (default 50 / 40 / 10 %) are to be out — 脱困 or 解困 — by the end of each year,
cumulatively 50 / 90 / 100 %. A cohort file withdrawn (退出) leaves the base from its withdrawal date
("不符合的退出"); a reopened one (返困) stays in it and is not out until it is out again. Every figure is
rebuilt from the status history as of a date, so last year's figures do not move when today's data is
corrected. Files opened after the baseline (新增) are reported apart, year by year (`new_by_year`); the
withdrawn (with their reasons) and the reopened are shown apart (`apart`, `withdrawn_reasons`).

Every function takes the status history (changes: id, household_id, effective_on, to_status, reason; dates as
date objects or datetime64) or a `History` made of it once: sorted a single time, each change then holds from its
day until its file's next change, so a file's status on any day is two comparisons, never a sort per day.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core import codes
from core.parameters import cumulative_targets

OUT = ("exited", "relieved")
ALL = "全市"
_NEVER = np.datetime64("9999-12-31", "us")  # the end of a file's last change: it holds from then on


def _month_indices(days: np.ndarray) -> np.ndarray:
    """year × 12 + month − 1 of datetime64 days (core.status_engine.month_index, vectorised)."""
    return days.astype("datetime64[M]").astype(np.int64) + 1970 * 12


def _day(day: dt.date) -> np.datetime64:
    return np.datetime64(pd.Timestamp(day).to_datetime64(), "us")


class History:
    """The status history sorted once by file, day and order of recording (the id breaks ties on one day).

    Each change holds from its day (`start`) until the day of its file's next change (`end`); a change followed by
    another on the same day never holds. Statuses and reasons are kept as codes into their distinct values, so a
    day's figures are comparisons of integers. `status_on(day)` equals core.status_engine.status_as_of(changes, day)."""

    def __init__(self, changes: pd.DataFrame):
        day = pd.to_datetime(changes["effective_on"]).to_numpy("datetime64[us]")
        dated = ~np.isnat(day)  # a change with no date never applies (as_of comparisons leave it out)
        household = changes["household_id"].to_numpy(np.int64)[dated]
        day = day[dated]
        order = np.lexsort((changes["id"].to_numpy()[dated], day, household))
        status, self.statuses = pd.factorize(changes["to_status"].to_numpy()[dated] if not dated.all() else changes["to_status"])
        reason, self.reasons = pd.factorize(changes["reason"].to_numpy()[dated] if not dated.all() else changes["reason"])
        self.statuses, self.reasons = np.asarray(self.statuses, object), np.asarray(self.reasons, object)
        self.household, self.start, self.status, self.reason = household[order], day[order], status[order], reason[order]
        self.end = np.full(len(order), _NEVER)
        same = self.household[1:] == self.household[:-1]
        self.end[:-1][same] = self.start[1:][same]

    def _take(self, rows: np.ndarray) -> History:
        """The rows of whole files (a boolean mask over the rows): their ends stay as they are."""
        part = object.__new__(History)
        part.statuses, part.reasons = self.statuses, self.reasons
        for name in ("household", "start", "status", "reason", "end"):
            setattr(part, name, getattr(self, name)[rows])
        return part

    def of(self, households) -> History:
        """The history of `households` only."""
        return self._take(np.isin(self.household, np.asarray(households, dtype=np.int64)))

    def is_status(self, *statuses: str) -> np.ndarray:
        """Per row: its change is to one of `statuses` (kept: the pages ask the same few many times)."""
        kept = self.__dict__.setdefault("_is", {})
        if statuses not in kept:  # a race between two sessions computes the same array twice, harmlessly
            kept[statuses] = np.isin(self.status, np.flatnonzero(np.isin(self.statuses, list(statuses))))
        return kept[statuses]

    def holding(self, day: dt.date) -> np.ndarray:
        """The rows in force on `day`: each file's last change on or before it."""
        at = _day(day)
        return (self.start <= at) & (at < self.end)

    def rows_on(self, day: dt.date, households) -> np.ndarray:
        """For each of `households`: the row in force on `day`, or -1 when it had no change by then."""
        rows = np.flatnonzero(self.holding(day))
        at = pd.Index(self.household[rows]).get_indexer(np.asarray(households))
        return np.where(at >= 0, rows[at], -1)

    def status_on(self, day: dt.date) -> pd.Series:
        """Each file's status on `day` (files with no change by then are left out)."""
        rows = self.holding(day)
        return pd.Series(self.statuses[self.status[rows]], index=self.household[rows], name="status")

    def flags_on(self, day: dt.date, households) -> tuple[np.ndarray, np.ndarray]:
        """For each of `households` on `day`: withdrawn (退出), out (脱困/解困). A file with no status yet is neither."""
        rows = self.rows_on(day, households)
        known = rows >= 0
        withdrawn, out = np.zeros(len(rows), bool), np.zeros(len(rows), bool)
        withdrawn[known] = self.is_status("withdrawn")[rows[known]]
        out[known] = self.is_status(*OUT)[rows[known]]
        return withdrawn, out

    def reopened_by(self, day: dt.date) -> np.ndarray:
        """The files reopened (返困) on or before `day`."""
        reopened = np.isin(self.reason, np.flatnonzero(self.reasons == "reopened"))
        return np.unique(self.household[reopened & (self.start <= _day(day))])

    def first_filed(self) -> pd.Series:
        """Each file's first day 在档."""
        rows = self.is_status("active")
        households, first = np.unique(self.household[rows], return_index=True)
        return pd.Series(self.start[rows][first], index=households, name="effective_on")


def _history(changes: pd.DataFrame | History) -> History:
    return changes if isinstance(changes, History) else History(changes)


def cohort(changes: pd.DataFrame | History, baseline: dt.date) -> pd.Index:
    """The households 在档 on the baseline date."""
    history = _history(changes)
    rows = history.holding(baseline) & history.is_status("active")
    return pd.Index(history.household[rows])


def out_by(changes: pd.DataFrame | History, households: pd.Index, day: dt.date) -> pd.Series:
    """For each household: out (脱困/解困) on `day` or not."""
    _, out = _history(changes).flags_on(day, households)
    return pd.Series(out, index=households, name="status")


def _cohort_on(history: History, base: pd.Index, day: dt.date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each cohort file on `day`: in the base (not withdrawn), out (脱困/解困), reopened (返困) on or before `day`."""
    withdrawn, out = history.flags_on(day, base)
    return ~withdrawn, out, base.isin(history.reopened_by(day))


def by_year(files: pd.DataFrame, changes: pd.DataFrame | History, baseline: dt.date, shares: dict[int, int],
            group: str | None = "place_name", as_of: dt.date | None = None) -> pd.DataFrame:
    """Target against achieved per year, for the city and (with `group`) each group of files.

    The base of a year is the cohort less the files withdrawn (退出) by the year's end (or `as_of`): a file leaves it
    from its withdrawal date. A reopened file (返困) stays in the base and counts as not out until it is out again.
    files: household_id plus the grouping column. Years after `as_of` show their targets only (on today's base).
    Columns: 范围, 年份, 基数, 已退出户数, 返困户数, 年度目标%, 累计目标%, 累计目标户数, 累计完成户数, 累计完成%, 当年完成户数,
    完成率%, 差距户数.
    """
    history = _history(changes)
    base = cohort(history, baseline)
    # each row of the table: a name and which cohort files it counts (a code per file, the row's code)
    scopes = [(ALL, np.zeros(len(base), np.int64), 0)]
    if group:
        codes_, names = pd.factorize(files.set_index("household_id")[group].reindex(base))  # -1: no group
        scopes += [(names[i], codes_, i) for i in sorted(range(len(names)), key=lambda i: names[i])]
    cumulative = cumulative_targets(shares)
    rows = []
    previous: dict[str, int] = {}
    for year in sorted(shares):
        year_end = dt.date(year, 12, 31)
        known = as_of is None or as_of >= dt.date(year, 1, 1)  # a year not begun yet shows its target only
        day = min(year_end, as_of) if as_of else year_end
        in_base, out, reopened = _cohort_on(history, base, day)
        flags = (np.ones(len(base), bool), in_base, out & in_base, reopened & in_base)
        tallies = {}  # per grouping: members, base, done, reopened of each of its codes
        for name, codes_, i in scopes:
            if id(codes_) not in tallies:
                counted = codes_ >= 0
                tallies[id(codes_)] = (np.stack([np.bincount(codes_[counted], weights=f[counted]) for f in flags]).astype(np.int64)
                                       if counted.any() else None)
            tally = tallies[id(codes_)]
            members, size, done, back = (int(v) for v in tally[:, i]) if tally is not None else (0, 0, 0, 0)
            done = done if known else 0
            before = previous.get(name, 0)
            target_n = int(np.ceil(size * cumulative[year] / 100))
            rows.append({
                "范围": name, "年份": year, "基数": size, "已退出户数": members - size,
                "返困户数": back,
                "年度目标%": shares[year], "累计目标%": cumulative[year],
                "累计目标户数": target_n, "累计完成户数": done if known else None,
                "累计完成%": round(100 * done / size, 1) if size and known else None,
                "当年完成户数": done - before if known else None,
                "完成率%": round(100 * done / target_n, 1) if target_n and known else None,
                "差距户数": max(target_n - done, 0) if known else None,
            })
            previous[name] = done
    return pd.DataFrame(rows)


def _month_end(index: int) -> dt.date:
    year, month = divmod(index, 12)
    return dt.date(year + (month == 11), (month + 1) % 12 + 1, 1) - dt.timedelta(days=1)


def monthly_share(changes: pd.DataFrame | History, baseline: dt.date, until: dt.date,
                  households: pd.Index | None = None) -> pd.DataFrame:
    """Month by month from the baseline: the share of the base (the cohort less the withdrawn) that is out.

    One pass over the history: each change of a base file counts, withdrawn or out, at every month's end from its own
    month until its file's next change (a running sum over months), so the months cost nothing more each."""
    history = _history(changes)
    base = cohort(history, baseline) if households is None else households
    first = baseline.year * 12 + baseline.month  # the month after the baseline
    last = until.year * 12 + until.month - 1
    months = max(last - first + 1, 0)
    weight = pd.Series(np.asarray(base)).value_counts()  # a file named twice counts twice, as a reindex would
    rows = np.isin(history.household, weight.index.to_numpy())
    # a change holds at the end of month k when start <= end of k < end: k from month(start) to month(end) - 1
    begins = np.clip(_month_indices(history.start[rows]) - first, 0, months)
    ends = np.clip(_month_indices(history.end[rows]) - first, 0, months)
    counts = pd.Series(history.household[rows]).map(weight).to_numpy(np.int64)

    def running(kind: np.ndarray) -> np.ndarray:
        steps = np.zeros(months + 1, np.int64)
        np.add.at(steps, begins[kind], counts[kind])
        np.add.at(steps, ends[kind], -counts[kind])
        return np.cumsum(steps)[:months]

    withdrawn, out = running(history.is_status("withdrawn")[rows]), running(history.is_status(*OUT)[rows])
    result = []
    for k in range(months):
        size = len(base) - int(withdrawn[k])  # a base file with no status yet stays in the base, not out
        share = 100 * int(out[k]) / size if size else 0.0
        result.append({"月份": pd.Timestamp(_month_end(first + k)), "累计完成%": round(share, 1)})
    return pd.DataFrame(result, columns=["月份", "累计完成%"])


def target_steps(shares: dict[int, int], baseline: dt.date) -> pd.DataFrame:
    """The cumulative target as a step line: 0 at the baseline, then each year's target at its end."""
    rows = [{"月份": pd.Timestamp(baseline), "目标%": 0}]
    rows += [{"月份": pd.Timestamp(dt.date(year, 12, 31)), "目标%": pct} for year, pct in cumulative_targets(shares).items()]
    return pd.DataFrame(rows)


def apart(changes: pd.DataFrame | History, baseline: dt.date, as_of: dt.date) -> dict[str, int]:
    """What the dashboard shows beside the base on `as_of`: 新增 (filed after the baseline) and how many are out;
    cohort files withdrawn (退出, out of the base) and reopened (返困, in the base, not out until out again)."""
    history = _history(changes)
    first = history.first_filed()
    new = pd.Index(first[(first > pd.Timestamp(baseline)) & (first <= pd.Timestamp(as_of))].index)
    base = cohort(history, baseline)
    in_base, out, reopened = _cohort_on(history, base, as_of)
    return {
        "新增": len(new),
        "新增已解困脱困": int(out_by(history, new, as_of).sum()),
        "退出": int((~in_base).sum()),
        "返困": int((reopened & in_base).sum()),
        "返困后再次解困脱困": int((reopened & in_base & out).sum()),
    }


def withdrawn_reasons(changes: pd.DataFrame | History, baseline: dt.date, as_of: dt.date) -> pd.DataFrame:
    """The cohort files withdrawn (退出) on `as_of`, by their reason (死亡, 识别不准/不符合, 调离/退休, 其他)."""
    history = _history(changes)
    base = cohort(history, baseline)
    rows = history.holding(as_of) & history.is_status("withdrawn") & np.isin(history.household, base.to_numpy())
    given = np.append(history.reasons, None)  # code -1: no reason
    reasons = pd.Series(given[history.reason[rows]], dtype=object).map(lambda r: codes.WITHDRAW_REASON.get(r, "未注明")).value_counts()
    ordered = [label for label in [*codes.WITHDRAW_REASON.values(), "未注明"] if label in reasons.index]
    return pd.DataFrame({"退出原因": ordered, "户数": [int(reasons[label]) for label in ordered]}, columns=["退出原因", "户数"])


def new_by_year(changes: pd.DataFrame | History, baseline: dt.date, shares: dict[int, int],
                as_of: dt.date | None = None) -> pd.DataFrame:
    """新增 (files filed after the baseline) per year: filed that year, out (脱困/解困) that year, and at the year's end
    (or `as_of`) how many are on file — less the withdrawn, as for the cohort — and the share of them that is out.
    The policy asks for them to be out in step (同步) and sets no share of its own. Years not begun have no figures."""
    history = _history(changes)
    first = history.first_filed()
    new = first[first > pd.Timestamp(baseline)]
    outs = np.isin(history.household, new.index.to_numpy()) & history.is_status(*OUT)
    out_households, out_days = history.household[outs], history.start[outs]
    out_years = out_days.astype("datetime64[Y]").astype(np.int64) + 1970
    new_years = new.to_numpy().astype("datetime64[Y]").astype(np.int64) + 1970
    rows = []
    for year in sorted(shares):
        if as_of is not None and as_of < dt.date(year, 1, 1):
            rows.append({"年份": year, "当年新增户数": None, "当年解困脱困户数": None, "年末新增在册户数": None,
                         "年末已解困脱困户数": None, "年末解困脱困占比%": None})
            continue
        day = min(dt.date(year, 12, 31), as_of) if as_of else dt.date(year, 12, 31)
        until = np.datetime64(pd.Timestamp(day).to_datetime64(), "us")
        filed = new.to_numpy() <= until
        withdrawn, out = history.flags_on(day, new.index[filed])
        size, done = int((~withdrawn).sum()), int(out.sum())
        rows.append({
            "年份": year, "当年新增户数": int(((new_years == year) & filed).sum()),
            "当年解困脱困户数": len(np.unique(out_households[(out_years == year) & (out_days <= until)])),
            "年末新增在册户数": size, "年末已解困脱困户数": done,
            "年末解困脱困占比%": round(100 * done / size, 1) if size else None,
        })
    return pd.DataFrame(rows)


def report(files: pd.DataFrame, changes: pd.DataFrame | History, baseline: dt.date, shares: dict[int, int],
           group: str | None = "place_name", as_of: dt.date | None = None) -> pd.DataFrame:
    """The 分年度目标与完成 table the dashboard shows and the 解困脱困进度表 exports: `by_year`, and beside each row the
    新增 of that scope and year (`new_by_year`), so one table holds every figure of the targets."""
    history = _history(changes)
    table = by_year(files, history, baseline, shares, group=group, as_of=as_of)
    scopes = [(ALL, history)]
    if group:
        place = files.set_index("household_id")[group]
        codes_, names = pd.factorize(place)
        row_codes = np.append(codes_, -1)[place.index.get_indexer(history.household)]  # -1: no such file or no group
        scopes += [(names[i], history._take(row_codes == i)) for i in sorted(set(row_codes[row_codes >= 0]), key=lambda i: names[i])]
    new = pd.concat([new_by_year(part, baseline, shares, as_of).assign(范围=name) for name, part in scopes], ignore_index=True)
    # a district with 新增 but no cohort file gets a row too (its cohort columns empty)
    merged = table.merge(new, on=["范围", "年份"], how="outer")
    merged["_city"] = merged["范围"] != ALL
    return merged.sort_values(["_city", "范围", "年份"], kind="stable").drop(columns="_city").reset_index(drop=True)

"""core/progress.py as it was before it was vectorised (main f9c3c87): the oracle the new implementation is held to."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core import codes
from core.parameters import cumulative_targets
from core.status_engine import status_as_of

OUT = ("exited", "relieved")
ALL = "全市"


def cohort(changes: pd.DataFrame, baseline: dt.date) -> pd.Index:
    """The households 在档 on the baseline date."""
    on = status_as_of(changes, baseline)
    return pd.Index(on[on == "active"].index)


def out_by(changes: pd.DataFrame, households: pd.Index, day: dt.date) -> pd.Series:
    """For each household: out (脱困/解困) on `day` or not."""
    status = status_as_of(changes, day).reindex(households)
    return status.isin(OUT)


def _cohort_on(changes: pd.DataFrame, base: pd.Index, day: dt.date) -> tuple[pd.Series, pd.Series, pd.Series]:
    """For each cohort file on `day`: in the base (not withdrawn), out (脱困/解困), reopened (返困) on or before `day`."""
    status = status_as_of(changes, day).reindex(base)
    in_base = status != "withdrawn"
    reopened = set(changes.loc[(changes["reason"] == "reopened") & (pd.to_datetime(changes["effective_on"]) <= pd.Timestamp(day)),
                               "household_id"])
    return in_base, status.isin(OUT), pd.Series(base.isin(list(reopened)), index=base)


def by_year(files: pd.DataFrame, changes: pd.DataFrame, baseline: dt.date, shares: dict[int, int],
            group: str | None = "place_name", as_of: dt.date | None = None) -> pd.DataFrame:
    """Target against achieved per year, for the city and (with `group`) each group of files.

    The base of a year is the cohort less the files withdrawn (退出) by the year's end (or `as_of`): a file leaves it
    from its withdrawal date. A reopened file (返困) stays in the base and counts as not out until it is out again.
    files: household_id plus the grouping column. Years after `as_of` show their targets only (on today's base).
    Columns: 范围, 年份, 基数, 已退出户数, 返困户数, 年度目标%, 累计目标%, 累计目标户数, 累计完成户数, 累计完成%, 当年完成户数,
    完成率%, 差距户数.
    """
    base = cohort(changes, baseline)
    groups = files.set_index("household_id").reindex(base)[group] if group else pd.Series(ALL, index=base)
    cumulative = cumulative_targets(shares)
    rows = []
    previous: dict[str, int] = {}
    for year in sorted(shares):
        year_end = dt.date(year, 12, 31)
        known = as_of is None or as_of >= dt.date(year, 1, 1)  # a year not begun yet shows its target only
        day = min(year_end, as_of) if as_of else year_end
        in_base, out, reopened = _cohort_on(changes, base, day)
        for name, members in [(ALL, base)] + ([(g, groups.index[groups == g]) for g in sorted(groups.dropna().unique())] if group else []):
            counted = in_base.reindex(members)
            size = int(counted.sum())
            done = int((out.reindex(members) & counted).sum()) if known else 0
            before = previous.get(name, 0)
            target_n = int(np.ceil(size * cumulative[year] / 100))
            rows.append({
                "范围": name, "年份": year, "基数": size, "已退出户数": len(members) - size,
                "返困户数": int((reopened.reindex(members) & counted).sum()),
                "年度目标%": shares[year], "累计目标%": cumulative[year],
                "累计目标户数": target_n, "累计完成户数": done if known else None,
                "累计完成%": round(100 * done / size, 1) if size and known else None,
                "当年完成户数": done - before if known else None,
                "完成率%": round(100 * done / target_n, 1) if target_n and known else None,
                "差距户数": max(target_n - done, 0) if known else None,
            })
            previous[name] = done
    return pd.DataFrame(rows)


def monthly_share(changes: pd.DataFrame, baseline: dt.date, until: dt.date, households: pd.Index | None = None) -> pd.DataFrame:
    """Month by month from the baseline: the share of the base (the cohort less the withdrawn) that is out."""
    base = cohort(changes, baseline) if households is None else households
    rows = []
    index = baseline.year * 12 + baseline.month  # the month after the baseline
    end = until.year * 12 + until.month - 1
    while index <= end:
        year, month = divmod(index, 12)
        month_end = (dt.date(year + (month == 11), (month + 1) % 12 + 1, 1) - dt.timedelta(days=1))
        in_base, out, _ = _cohort_on(changes, base, month_end)
        size = int(in_base.sum())
        share = 100 * int((out & in_base).sum()) / size if size else 0.0
        rows.append({"月份": pd.Timestamp(month_end), "累计完成%": round(share, 1)})
        index += 1
    return pd.DataFrame(rows, columns=["月份", "累计完成%"])


def target_steps(shares: dict[int, int], baseline: dt.date) -> pd.DataFrame:
    """The cumulative target as a step line: 0 at the baseline, then each year's target at its end."""
    rows = [{"月份": pd.Timestamp(baseline), "目标%": 0}]
    rows += [{"月份": pd.Timestamp(dt.date(year, 12, 31)), "目标%": pct} for year, pct in cumulative_targets(shares).items()]
    return pd.DataFrame(rows)


def _first_filed(changes: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(changes[changes["to_status"] == "active"].groupby("household_id")["effective_on"].min())


def apart(changes: pd.DataFrame, baseline: dt.date, as_of: dt.date) -> dict[str, int]:
    """What the dashboard shows beside the base on `as_of`: 新增 (filed after the baseline) and how many are out;
    cohort files withdrawn (退出, out of the base) and reopened (返困, in the base, not out until out again)."""
    first = _first_filed(changes)
    new = pd.Index(first[(first > pd.Timestamp(baseline)) & (first <= pd.Timestamp(as_of))].index)
    base = cohort(changes, baseline)
    in_base, out, reopened = _cohort_on(changes, base, as_of)
    return {
        "新增": len(new),
        "新增已解困脱困": int(out_by(changes, new, as_of).sum()),
        "退出": int((~in_base).sum()),
        "返困": int((reopened & in_base).sum()),
        "返困后再次解困脱困": int((reopened & in_base & out).sum()),
    }


def withdrawn_reasons(changes: pd.DataFrame, baseline: dt.date, as_of: dt.date) -> pd.DataFrame:
    """The cohort files withdrawn (退出) on `as_of`, by their reason (死亡, 识别不准/不符合, 调离/退休, 其他)."""
    base = cohort(changes, baseline)
    on = changes[pd.to_datetime(changes["effective_on"]) <= pd.Timestamp(as_of)].sort_values(["household_id", "effective_on", "id"])
    last = on.drop_duplicates("household_id", keep="last")
    gone = last[last["household_id"].isin(base) & (last["to_status"] == "withdrawn")]
    reasons = gone["reason"].map(lambda r: codes.WITHDRAW_REASON.get(r, "未注明")).value_counts()
    ordered = [label for label in [*codes.WITHDRAW_REASON.values(), "未注明"] if label in reasons.index]
    return pd.DataFrame({"退出原因": ordered, "户数": [int(reasons[label]) for label in ordered]}, columns=["退出原因", "户数"])


def new_by_year(changes: pd.DataFrame, baseline: dt.date, shares: dict[int, int], as_of: dt.date | None = None) -> pd.DataFrame:
    """新增 (files filed after the baseline) per year: filed that year, out (脱困/解困) that year, and at the year's end
    (or `as_of`) how many are on file — less the withdrawn, as for the cohort — and the share of them that is out.
    The policy asks for them to be out in step (同步) and sets no share of its own. Years not begun have no figures."""
    first = _first_filed(changes)
    new = first[first > pd.Timestamp(baseline)]
    outs = changes[changes["household_id"].isin(new.index) & changes["to_status"].isin(OUT)]
    out_year = pd.to_datetime(outs["effective_on"]).dt.year
    rows = []
    for year in sorted(shares):
        if as_of is not None and as_of < dt.date(year, 1, 1):
            rows.append({"年份": year, "当年新增户数": None, "当年解困脱困户数": None, "年末新增在册户数": None,
                         "年末已解困脱困户数": None, "年末解困脱困占比%": None})
            continue
        day = min(dt.date(year, 12, 31), as_of) if as_of else dt.date(year, 12, 31)
        filed = pd.Index(new[new <= pd.Timestamp(day)].index)
        status = status_as_of(changes, day).reindex(filed)
        on_file = status != "withdrawn"
        size, done = int(on_file.sum()), int((status.isin(OUT) & on_file).sum())
        rows.append({
            "年份": year, "当年新增户数": int(((new.dt.year == year) & (new <= pd.Timestamp(day))).sum()),
            "当年解困脱困户数": int(outs.loc[(out_year == year) & (pd.to_datetime(outs["effective_on"]) <= pd.Timestamp(day)),
                                      "household_id"].nunique()),
            "年末新增在册户数": size, "年末已解困脱困户数": done,
            "年末解困脱困占比%": round(100 * done / size, 1) if size else None,
        })
    return pd.DataFrame(rows)


def report(files: pd.DataFrame, changes: pd.DataFrame, baseline: dt.date, shares: dict[int, int],
           group: str | None = "place_name", as_of: dt.date | None = None) -> pd.DataFrame:
    """The 分年度目标与完成 table the dashboard shows and the 解困脱困进度表 exports: `by_year`, and beside each row the
    新增 of that scope and year (`new_by_year`), so one table holds every figure of the targets."""
    table = by_year(files, changes, baseline, shares, group=group, as_of=as_of)
    scopes = [(ALL, changes)]
    if group:
        place = files.set_index("household_id")[group]
        names = changes["household_id"].map(place)
        scopes += [(name, changes[names == name]) for name in sorted(set(names.dropna()))]
    new = pd.concat([new_by_year(part, baseline, shares, as_of).assign(范围=name) for name, part in scopes], ignore_index=True)
    # a district with 新增 but no cohort file gets a row too (its cohort columns empty)
    merged = table.merge(new, on=["范围", "年份"], how="outer")
    merged["_city"] = merged["范围"] != ALL
    return merged.sort_values(["_city", "范围", "年份"], kind="stable").drop(columns="_city").reset_index(drop=True)
